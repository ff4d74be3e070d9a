#include "TfRmsProp.h"

#include "dermreader/engine/TorchStateDict.h"

namespace dermreader::training {

TfRmsProp::TfRmsProp(const std::vector<std::pair<std::string, torch::Tensor>>& namedTensors,
                     double decay, double momentum, double epsilon)
    : decay_(decay), momentum_(momentum), epsilon_(epsilon) {
    for (const auto& [name, tensor] : namedTensors) {
        if (!tensor.is_floating_point() || !tensor.requires_grad())
            continue;
        slots_.push_back({name, tensor, torch::ones_like(tensor), torch::zeros_like(tensor)});
    }
}

void TfRmsProp::zeroGrad() {
    for (auto& slot : slots_) {
        auto& grad = slot.parameter.mutable_grad();
        if (grad.defined())
            grad.zero_();
    }
}

void TfRmsProp::step(double learningRate) {
    torch::NoGradGuard noGrad;
    for (auto& slot : slots_) {
        const auto& grad = slot.parameter.grad();
        if (!grad.defined())
            continue;
        slot.meanSquare.mul_(decay_).addcmul_(grad, grad, 1.0 - decay_);
        slot.moment.mul_(momentum_).addcdiv_(grad, (slot.meanSquare + epsilon_).sqrt_(),
                                             learningRate);
        slot.parameter.sub_(slot.moment);
    }
}

void TfRmsProp::save(const std::filesystem::path& path) const {
    std::vector<torch::Tensor> keep;
    std::vector<engine::TensorToWrite> entries;
    for (const auto& slot : slots_) {
        for (const auto& [prefix, tensor] :
             {std::make_pair("ms.", slot.meanSquare), std::make_pair("mom.", slot.moment)}) {
            keep.push_back(tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous());
            entries.push_back({prefix + slot.name, engine::DType::F32,
                               std::vector<int64_t>(tensor.sizes().begin(), tensor.sizes().end()),
                               keep.back().data_ptr()});
        }
    }
    engine::writeSafetensors(path, entries);
}

void TfRmsProp::load(const engine::SafetensorsFile& file) {
    torch::NoGradGuard noGrad;
    for (auto& slot : slots_) {
        const auto* ms = file.find("ms." + slot.name);
        const auto* mom = file.find("mom." + slot.name);
        if (!ms || !mom) {
            throw engine::SafetensorsError("optimizer state '" + file.path().string() + "' lacks " +
                                           slot.name);
        }
        if (slot.parameter.sizes() != c10::IntArrayRef(ms->shape) ||
            slot.parameter.sizes() != c10::IntArrayRef(mom->shape)) {
            throw engine::SafetensorsError("optimizer state '" + file.path().string() +
                                           "' has the wrong shape for " + slot.name);
        }
        slot.meanSquare.copy_(engine::readTensor(file, *ms));
        slot.moment.copy_(engine::readTensor(file, *mom));
    }
}

}  // namespace dermreader::training
