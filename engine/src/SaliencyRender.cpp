#include "dermreader/engine/SaliencyRender.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace dermreader::engine {
namespace {

// Inferno, sampled at 9 points (matplotlib's perceptually uniform map).
constexpr std::array<std::array<float, 3>, 9> kInferno = {{{0.001f, 0.000f, 0.014f},
                                                           {0.122f, 0.047f, 0.282f},
                                                           {0.333f, 0.059f, 0.427f},
                                                           {0.533f, 0.133f, 0.416f},
                                                           {0.729f, 0.212f, 0.333f},
                                                           {0.890f, 0.349f, 0.200f},
                                                           {0.976f, 0.549f, 0.039f},
                                                           {0.976f, 0.788f, 0.196f},
                                                           {0.988f, 1.000f, 0.643f}}};

}  // namespace

void colourOf(ColourMap map, float value, std::uint8_t rgb[3]) {
    const float v = std::clamp(std::isfinite(value) ? value : 0.0f, 0.0f, 1.0f);
    float r = v, g = v, b = v;
    if (map == ColourMap::Inferno) {
        const float position = v * (kInferno.size() - 1);
        const auto i =
            std::min<std::size_t>(static_cast<std::size_t>(position), kInferno.size() - 2);
        const float t = position - i;
        r = kInferno[i][0] + t * (kInferno[i + 1][0] - kInferno[i][0]);
        g = kInferno[i][1] + t * (kInferno[i + 1][1] - kInferno[i][1]);
        b = kInferno[i][2] + t * (kInferno[i + 1][2] - kInferno[i][2]);
    } else if (map == ColourMap::Jet) {
        r = std::clamp(1.5f - std::abs(4.0f * v - 3.0f), 0.0f, 1.0f);
        g = std::clamp(1.5f - std::abs(4.0f * v - 2.0f), 0.0f, 1.0f);
        b = std::clamp(1.5f - std::abs(4.0f * v - 1.0f), 0.0f, 1.0f);
    }
    rgb[0] = static_cast<std::uint8_t>(std::lround(r * 255));
    rgb[1] = static_cast<std::uint8_t>(std::lround(g * 255));
    rgb[2] = static_cast<std::uint8_t>(std::lround(b * 255));
}

float overlayAlpha(float value) {
    if (!std::isfinite(value))
        return 0.0f;
    const float t =
        std::clamp((value - kOverlayFloor) / (kOverlayFull - kOverlayFloor), 0.0f, 1.0f);
    return t * t * (3.0f - 2.0f * t);  // smoothstep: no visible edge where the floor ends
}

RgbImage renderOverlay(const RgbImage& image, const SaliencyMap& map, float opacity,
                       ColourMap colours) {
    if (image.width != map.width || image.height != map.height) {
        throw ImageError("saliency map size does not match the image");
    }
    RgbImage out = image;
    const float alpha = std::clamp(opacity, 0.0f, 1.0f);
    for (std::size_t i = 0; i < map.values.size(); ++i) {
        std::uint8_t c[3];
        colourOf(colours, map.values[i], c);
        const float a = alpha * overlayAlpha(map.values[i]);
        for (int k = 0; k < 3; ++k) {
            const float blended = (1.0f - a) * image.pixels[3 * i + k] + a * c[k];
            out.pixels[3 * i + k] = static_cast<std::uint8_t>(std::lround(blended));
        }
    }
    return out;
}

}  // namespace dermreader::engine
