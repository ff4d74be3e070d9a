#pragma once
// The paper's augmentation on tensors (CPU or GPU): rotate by a random angle, crop the largest
// upright rectangle inscribed in the rotated image, flip vertically with p = 0.5, resize to the
// network's input, all in one bilinear resampling. Includes torch: training only.

#include <torch/torch.h>

#include <cstdint>
#include <utility>

namespace dermreader::training {

struct AugmentParams {
    double angleDegrees = 0.0;
    bool flipVertical = false;
};

// Width and height of the largest axis-aligned rectangle inside a width x height rectangle
// rotated by `angleRadians` (centred, as the rotation is about the centre).
std::pair<double, double> largestInscribedRectangle(double width, double height,
                                                    double angleRadians);

// Draws angle in [0, 360) and the flip from a generator seeded by (seed, epoch, image), so a
// resumed run sees exactly the same augmentation.
AugmentParams drawAugmentParams(std::uint64_t seed, std::int64_t epoch, std::int64_t image);

// [1, 3, H, W] in [0, 1] -> [1, 3, outSize, outSize] in [0, 1].
torch::Tensor augmentImage(const torch::Tensor& image01, const AugmentParams& params, int outSize);

}  // namespace dermreader::training
