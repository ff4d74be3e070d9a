#pragma once
// Device selection shared by prediction and training: CUDA when present (chosen at run time,
// so one binary serves CPU and GPU machines), otherwise the CPU with all cores.

#include <torch/torch.h>

#include <string>

#include "dermreader/engine/Predictor.h"

namespace dermreader::engine {

// Throws ModelError mentioning `context` when CUDA is asked for but absent.
torch::Device selectDevice(DevicePreference preference, const std::string& context);
// Debian's LibTorch starts with one thread; use every core unless told otherwise.
void configureCpuThreads(int threads);
std::string describeDevice(const torch::Device& device);
// Convolution weights in channels-last layout, faster with cuDNN on tensor cores.
void useChannelsLast(torch::nn::Module& module);

}  // namespace dermreader::engine
