#include "dermreader/engine/Image.h"

namespace dermreader::engine {

ImageModality parseModality(std::string_view text) {
    if (text == "clinical")
        return ImageModality::Clinical;
    if (text == "dermoscopic")
        return ImageModality::Dermoscopic;
    return ImageModality::Unknown;
}

std::string toString(ImageModality modality) {
    switch (modality) {
        case ImageModality::Clinical:
            return "clinical";
        case ImageModality::Dermoscopic:
            return "dermoscopic";
        default:
            return "unknown";
    }
}

RgbImage RgbImage::filled(int width, int height, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
    RgbImage image;
    image.width = width;
    image.height = height;
    image.pixels.resize(static_cast<std::size_t>(width) * height * 3);
    for (std::size_t i = 0; i < image.pixels.size(); i += 3) {
        image.pixels[i] = r;
        image.pixels[i + 1] = g;
        image.pixels[i + 2] = b;
    }
    return image;
}

}  // namespace dermreader::engine
