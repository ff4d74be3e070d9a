#include "DataParallel.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>

// Gloo's headers come from Debian's libgloo-dev (the PyTorch wheel ships c10d's headers but not
// Gloo's). They are older than the Gloo inside LibTorch; ProcessGroupGloo.hpp guards what newer
// Gloo added, and this file uses ProcessGroupGloo only through LibTorch's exported functions
// (create the options and device, construct, run collectives), never Gloo's own inline code.
#ifdef DERMREADER_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef DERMREADER_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <map>
#include <stdexcept>

namespace dermreader::training {

bool glooAvailable() {
#ifdef DERMREADER_HAVE_GLOO
    return true;
#else
    return false;
#endif
}

bool ncclAvailable() {
#ifdef DERMREADER_HAVE_NCCL
    return true;
#else
    return false;
#endif
}

namespace {

// DDP's defaults: a small first bucket so communication starts early in the backward pass.
constexpr std::size_t kFirstBucketBytes = 1u << 20;
constexpr std::size_t kBucketBytes = 25u << 20;

std::string where(const ProcessGroupSpec& spec) {
    return "rank " + std::to_string(spec.rank) + " of " + std::to_string(spec.worldSize) +
           " (rendezvous " + spec.host + ":" + std::to_string(spec.port) + ")";
}

}  // namespace

struct DataParallel::Impl {
    torch::Device device{torch::kCPU};  // NCCL reduces CUDA tensors only
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroup> group;
    std::unique_ptr<c10d::Reducer> reducer;
};

DataParallel::DataParallel(const ProcessGroupSpec& spec, const torch::Device& device)
    : spec_(spec), impl_(std::make_unique<Impl>()) {
    if (spec.worldSize < 2 || spec.rank < 0 || spec.rank >= spec.worldSize)
        throw std::runtime_error("data-parallel training: bad " + where(spec));
    const auto timeout = std::chrono::milliseconds(std::int64_t{spec.timeoutSeconds} * 1000);
    impl_->device = device;
    try {
        c10d::TCPStoreOptions options;
        options.port = static_cast<std::uint16_t>(spec.port);
        options.isServer = spec.rank == 0;
        options.numWorkers = static_cast<std::size_t>(spec.worldSize);
        options.timeout = std::min(timeout, std::chrono::milliseconds(300000));
        auto tcp = c10::make_intrusive<c10d::TCPStore>(spec.host, options);
        tcp->setTimeout(timeout);
        impl_->store = c10::make_intrusive<c10d::PrefixStore>("dermreader", tcp);
        impl_->group =
            c10::make_intrusive<c10d::ProcessGroup>(impl_->store, spec.rank, spec.worldSize);
        if (device.is_cpu()) {
#ifdef DERMREADER_HAVE_GLOO
            auto gloo = c10d::ProcessGroupGloo::Options::create(timeout);
            gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(spec.host));
            auto backend = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, spec.rank,
                                                                       spec.worldSize, gloo);
            impl_->group->setBackend(c10::DeviceType::CPU, c10d::ProcessGroup::BackendType::GLOO,
                                     backend);
            impl_->group->setDefaultBackend(c10d::ProcessGroup::BackendType::GLOO);
#else
            throw std::runtime_error(
                "this build has no Gloo backend (Gloo's headers were missing when it was built: "
                "packaging/setup-debian.sh installs libgloo-dev); CPU training runs in one "
                "process");
#endif
        } else {
#ifdef DERMREADER_HAVE_NCCL
            auto nccl = c10d::ProcessGroupNCCL::Options::create();
            nccl->timeout = timeout;
            auto backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, spec.rank,
                                                                       spec.worldSize, nccl);
            impl_->group->setBackend(c10::DeviceType::CUDA, c10d::ProcessGroup::BackendType::NCCL,
                                     backend);
            impl_->group->setDefaultBackend(c10d::ProcessGroup::BackendType::NCCL);
#else
            throw std::runtime_error(
                "this build has no NCCL backend (it needs a CUDA LibTorch "
                "and nccl.h at build time)");
#endif
        }
    } catch (const c10::Error& e) {
        throw std::runtime_error("data-parallel training, " + where(spec) + ": " +
                                 e.what_without_backtrace());
    }
}

DataParallel::~DataParallel() = default;

void DataParallel::broadcastFromRankZero(const std::vector<torch::Tensor>& tensors) {
    torch::NoGradGuard noGrad;
    // One message per dtype: the tensors flattened into one buffer.
    std::map<c10::ScalarType, std::vector<torch::Tensor>> byType;
    for (const auto& t : tensors)
        byType[t.scalar_type()].push_back(t);
    for (auto& [type, group] : byType) {
        std::vector<torch::Tensor> flat;
        for (const auto& t : group)
            flat.push_back(t.detach().reshape({-1}));
        std::vector<torch::Tensor> buffer{torch::cat(flat)};
        c10d::BroadcastOptions options;
        options.rootRank = 0;
        impl_->group->broadcast(buffer, options)->wait();
        std::int64_t offset = 0;
        for (auto& t : group) {
            t.detach().copy_(buffer[0].narrow(0, offset, t.numel()).view_as(t));
            offset += t.numel();
        }
    }
}

void DataParallel::reduceGradientsOf(const std::vector<torch::Tensor>& parameters) {
    std::vector<bool> sparse(parameters.size(), false);
    auto [buckets, limits] = c10d::compute_bucket_assignment_by_size(
        parameters, {kFirstBucketBytes, kBucketBytes}, sparse);
    // Gradients become ready from the last layer backwards: reduce the last buckets first.
    std::reverse(buckets.begin(), buckets.end());
    std::vector<std::int64_t> caps(limits.rbegin(), limits.rend());
    impl_->reducer = std::make_unique<c10d::Reducer>(
        parameters, std::move(buckets), impl_->group, std::move(sparse),
        static_cast<std::int64_t>(kBucketBytes), /*find_unused_parameters=*/false,
        /*gradient_as_bucket_view=*/false, std::unordered_map<std::size_t, std::string>{},
        static_cast<std::int64_t>(kFirstBucketBytes), /*skip_all_reduce_unused_params=*/false,
        /*use_python_reducer=*/false, std::move(caps));
}

void DataParallel::prepareForBackward(const torch::Tensor& loss) {
    if (impl_->reducer)
        impl_->reducer->prepare_for_backward({loss});
}

std::vector<double> DataParallel::sum(const std::vector<double>& values) {
    std::vector<torch::Tensor> buffer{torch::tensor(values, torch::kFloat64).to(impl_->device)};
    impl_->group->allreduce(buffer)->wait();
    const auto summed = buffer[0].to(torch::kCPU).contiguous();
    return {summed.data_ptr<double>(), summed.data_ptr<double>() + summed.numel()};
}

void DataParallel::barrier() {
    impl_->group->barrier()->wait();
}

}  // namespace dermreader::training
