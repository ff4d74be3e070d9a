#pragma once
// Image <-> tensor conversions and the preprocessing a model bundle asks for. Includes torch:
// for the engine and training modules only.

#include <torch/torch.h>

#include <array>

#include "dermreader/engine/Image.h"

namespace dermreader::engine {

// [1, 3, H, W] float in [0, 1] on the CPU.
torch::Tensor imageToTensor(const RgbImage& image);

// Squashes [N, 3, H, W] in [0, 1] to size x size (bilinear, antialiased when shrinking) and
// normalises with the model's mean and std. Differentiable, so saliency reaches the pixels.
torch::Tensor resizeAndNormalise(const torch::Tensor& images01, int size,
                                 const std::array<float, 3>& mean, const std::array<float, 3>& std);

// The 8 rotations by multiples of 90 degrees with and without a flip, stacked along dim 0.
torch::Tensor dihedralViews(const torch::Tensor& image);

}  // namespace dermreader::engine
