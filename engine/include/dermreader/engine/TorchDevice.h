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

// bf16 autocast on CUDA for the guard's lifetime (thread-local state, switched off again even
// when the forward throws): matrix products and convolutions in bf16, reductions and batch
// norm in float32. Does nothing when `enable` is false.
class BFloat16Autocast {
  public:
    explicit BFloat16Autocast(bool enable);
    ~BFloat16Autocast();
    BFloat16Autocast(const BFloat16Autocast&) = delete;
    BFloat16Autocast& operator=(const BFloat16Autocast&) = delete;

  private:
    bool enabled_;
    bool wasEnabled_ = false;
    at::ScalarType previousType_ = at::kHalf;
};

}  // namespace dermreader::engine
