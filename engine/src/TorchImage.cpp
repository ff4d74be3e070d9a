#include "dermreader/engine/TorchImage.h"

namespace dermreader::engine {

namespace F = torch::nn::functional;

torch::Tensor imageToTensor(const RgbImage& image) {
    if (image.empty() ||
        image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 3) {
        throw ImageError("image buffer does not match its size");
    }
    auto bytes = torch::from_blob(const_cast<std::uint8_t*>(image.pixels.data()),
                                  {image.height, image.width, 3}, torch::kUInt8);
    return bytes.permute({2, 0, 1}).to(torch::kFloat32).div_(255.0f).unsqueeze(0).contiguous();
}

torch::Tensor resizeAndNormalise(const torch::Tensor& images01, int size,
                                 const std::array<float, 3>& mean,
                                 const std::array<float, 3>& std) {
    torch::Tensor x = images01;
    if (x.size(2) != size || x.size(3) != size) {
        const bool shrinking = x.size(2) > size || x.size(3) > size;
        x = F::interpolate(x, F::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>{size, size})
                                  .mode(torch::kBilinear)
                                  .align_corners(false)
                                  .antialias(shrinking));
    }
    const auto opts = torch::TensorOptions().dtype(x.scalar_type()).device(x.device());
    const auto m = torch::tensor({mean[0], mean[1], mean[2]}, opts).view({1, 3, 1, 1});
    const auto s = torch::tensor({std[0], std[1], std[2]}, opts).view({1, 3, 1, 1});
    return (x - m) / s;
}

torch::Tensor dihedralViews(const torch::Tensor& image) {
    std::vector<torch::Tensor> views;
    for (const auto& base : {image, image.flip({3})}) {
        for (int k = 0; k < 4; ++k)
            views.push_back(torch::rot90(base, k, {2, 3}));
    }
    return torch::cat(views, 0);
}

}  // namespace dermreader::engine
