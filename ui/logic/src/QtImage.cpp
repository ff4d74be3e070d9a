#include "dermreader/workstation/QtImage.h"

#include <QCoreApplication>

#include <algorithm>
#include <cmath>

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
                            static_cast<int>(engine::overlayAlpha(v) * 255.0f + 0.5f));
        }
    }
    return out;
}

QString describeSaliency(const engine::SaliencyMap& map) {
    if (map.method == engine::SaliencyMethod::Gradient)
        return QCoreApplication::translate(
            "Saliency",
            "Gradient (the paper's): how strongly each pixel moves the prediction, "
            "at the network's input resolution.");
    if (map.nativeWidth <= 0 || map.nativeHeight <= 0)
        return QCoreApplication::translate("Saliency", "Grad-CAM.");
    const int cell =
        static_cast<int>(std::lround(std::max(static_cast<double>(map.width) / map.nativeWidth,
                                              static_cast<double>(map.height) / map.nativeHeight)));
    return QCoreApplication::translate(
               "Saliency",
               "Grad-CAM: a %1×%2 grid, one cell per %3 px of this image — too coarse "
               "for structures smaller than that; the Gradient map is finer.")
        .arg(map.nativeWidth)
        .arg(map.nativeHeight)
        .arg(cell);
}

QImage saliencyLegendBar(engine::ColourMap colours, int width, int height) {
    QImage bar(std::max(1, width), std::max(1, height), QImage::Format_RGB888);
    const QColor skin(214, 170, 150);
    for (int x = 0; x < bar.width(); ++x) {
        const float v = bar.width() > 1 ? static_cast<float>(x) / (bar.width() - 1) : 1.0f;
        std::uint8_t rgb[3];
        engine::colourOf(colours, v, rgb);
        const float a = engine::overlayAlpha(v);
        const QColor c(static_cast<int>(std::lround((1 - a) * skin.red() + a * rgb[0])),
                       static_cast<int>(std::lround((1 - a) * skin.green() + a * rgb[1])),
                       static_cast<int>(std::lround((1 - a) * skin.blue() + a * rgb[2])));
        for (int y = 0; y < bar.height(); ++y)
            bar.setPixelColor(x, y, c);
    }
    return bar;
}

}  // namespace dermreader::workstation
