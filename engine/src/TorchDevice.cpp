#include "dermreader/engine/TorchDevice.h"

#include <ATen/Parallel.h>

#include <thread>

#ifdef DERMREADER_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace dermreader::engine {

torch::Device selectDevice(DevicePreference preference, const std::string& context) {
    const bool haveCuda = torch::cuda::is_available();
    if (preference == DevicePreference::Cuda && !haveCuda) {
        throw ModelError(context + ": CUDA was asked for, but no CUDA device is available");
    }
    if (preference != DevicePreference::Cpu && haveCuda)
        return torch::Device(torch::kCUDA, 0);
    return torch::Device(torch::kCPU);
}

void configureCpuThreads(int threads) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int wanted = threads > 0 ? threads : cores;
    if (at::get_num_threads() != wanted)
        at::set_num_threads(wanted);
}

std::string describeDevice(const torch::Device& device) {
    if (device.is_cuda()) {
#ifdef DERMREADER_WITH_CUDA
        return std::string("CUDA: ") + at::cuda::getDeviceProperties(device.index())->name;
#else
        return "CUDA device " + std::to_string(device.index());
#endif
    }
    return "CPU: " + std::to_string(at::get_num_threads()) + " threads";
}

void useChannelsLast(torch::nn::Module& module) {
    torch::NoGradGuard noGrad;
    for (auto& parameter : module.parameters()) {
        if (parameter.dim() == 4)
            parameter.set_data(parameter.contiguous(at::MemoryFormat::ChannelsLast));
    }
}

}  // namespace dermreader::engine
