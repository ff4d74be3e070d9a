#include "dermreader/training/TorchAugment.h"

#include <cmath>
#include <random>

namespace dermreader::training {

namespace F = torch::nn::functional;

std::pair<double, double> largestInscribedRectangle(double width, double height,
                                                    double angleRadians) {
    if (width <= 0 || height <= 0)
        return {0.0, 0.0};
    const double s = std::abs(std::sin(angleRadians)), c = std::abs(std::cos(angleRadians));
    const bool widthIsLonger = width >= height;
    const double longSide = widthIsLonger ? width : height,
                 shortSide = widthIsLonger ? height : width;
    if (shortSide <= 2.0 * s * c * longSide || std::abs(s - c) < 1e-10) {
        // Half-constrained: two corners of the rectangle touch the longer sides.
        const double x = 0.5 * shortSide;
        return widthIsLonger ? std::make_pair(x / s, x / c) : std::make_pair(x / c, x / s);
    }
    // Fully constrained: all four corners touch the rotated rectangle's sides.
    const double cos2a = c * c - s * s;
    return {(width * c - height * s) / cos2a, (height * c - width * s) / cos2a};
}

AugmentParams drawAugmentParams(std::uint64_t seed, std::int64_t epoch, std::int64_t image) {
    std::seed_seq sequence{seed, static_cast<std::uint64_t>(epoch),
                           static_cast<std::uint64_t>(image)};
    std::mt19937_64 rng(sequence);
    AugmentParams params;
    params.angleDegrees = std::uniform_real_distribution<double>(0.0, 360.0)(rng);
    params.flipVertical = std::bernoulli_distribution(0.5)(rng);
    return params;
}

torch::Tensor augmentImage(const torch::Tensor& image01, const AugmentParams& params, int outSize) {
    const double height = static_cast<double>(image01.size(2)),
                 width = static_cast<double>(image01.size(3));
    const double angle = params.angleDegrees * M_PI / 180.0;
    auto [cropWidth, cropHeight] = largestInscribedRectangle(width, height, angle);
    // Output pixel (u, v) in [-1, 1] -> crop point (u * cw/2, v * ch/2) in the rotated frame ->
    // rotate back -> source point, normalised by the source's half sizes.
    const double c = std::cos(angle), s = std::sin(angle), flip = params.flipVertical ? -1.0 : 1.0;
    const double hx = cropWidth / 2.0, hy = cropHeight / 2.0 * flip;
    const auto theta = torch::tensor({{c * hx / (width / 2.0), s * hy / (width / 2.0), 0.0},
                                      {-s * hx / (height / 2.0), c * hy / (height / 2.0), 0.0}},
                                     torch::TensorOptions().dtype(torch::kFloat32))
                           .unsqueeze(0)
                           .to(image01.device(), image01.scalar_type());
    const auto grid =
        F::affine_grid(theta, {1, image01.size(1), outSize, outSize}, /*align_corners=*/false);
    return F::grid_sample(image01, grid,
                          F::GridSampleFuncOptions()
                              .mode(torch::kBilinear)
                              .padding_mode(torch::kBorder)
                              .align_corners(false));
}

}  // namespace dermreader::training
