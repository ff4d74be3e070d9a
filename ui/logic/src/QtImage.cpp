#include "dermreader/workstation/QtImage.h"

#include <algorithm>

namespace dermreader::workstation {

QImage toQImage(const engine::RgbImage& image) {
    if (image.empty())
        return {};
    QImage out(image.pixels.data(), image.width, image.height, image.width * 3,
               QImage::Format_RGB888);
    return out.copy();  // own the pixels
}

QImage saliencyOverlayImage(const engine::SaliencyMap& map, engine::ColourMap colours) {
    QImage out(map.width, map.height, QImage::Format_ARGB32);
    for (int y = 0; y < map.height; ++y) {
        auto* line = reinterpret_cast<QRgb*>(out.scanLine(y));
        for (int x = 0; x < map.width; ++x) {
            const float v = map.values[static_cast<std::size_t>(y) * map.width + x];
            std::uint8_t rgb[3];
            engine::colourOf(colours, v, rgb);
            line[x] = qRgba(rgb[0], rgb[1], rgb[2],
                            static_cast<int>(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f));
        }
    }
    return out;
}

}  // namespace dermreader::workstation
