#pragma once
// RMSProp as TensorFlow 1 defines it, which the paper trained with: the mean square starts at
// one and epsilon is added inside the square root,
//   ms  = decay * ms + (1 - decay) * g^2
//   mom = momentum * mom + lr * g / sqrt(ms + epsilon)
//   w  -= mom
// (LibTorch's RMSprop adds epsilon outside the root and starts at zero, which with the paper's
// epsilon of 0.1 is a different optimiser.)

#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "dermreader/engine/Safetensors.h"

namespace dermreader::training {

class TfRmsProp {
  public:
    // Only floating-point tensors that require gradients are optimised; the learning rate comes
    // with each step (it follows the schedule).
    TfRmsProp(const std::vector<std::pair<std::string, torch::Tensor>>& namedTensors, double decay,
              double momentum, double epsilon);

    void zeroGrad();
    void step(double learningRate);

    void save(const std::filesystem::path& path) const;
    void load(const engine::SafetensorsFile& file);

  private:
    struct Slot {
        std::string name;
        torch::Tensor parameter, meanSquare, moment;
    };
    std::vector<Slot> slots_;
    double decay_, momentum_, epsilon_;
};

}  // namespace dermreader::training
