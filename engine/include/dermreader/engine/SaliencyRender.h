#pragma once
// Turning a saliency map into pictures: a colour-mapped heat map, and the heat map blended
// over the image. Plain C++ (no Qt, OpenCV or torch) so the CLI, reports and UI agree.

#include "dermreader/engine/Image.h"
#include "dermreader/engine/Prediction.h"

namespace dermreader::engine {

enum class ColourMap { Inferno, Jet, Grey };

// The RGB colour of `value` in [0, 1].
void colourOf(ColourMap map, float value, std::uint8_t rgb[3]);

// How opaque the overlay is at `value` in [0, 1]: fully transparent below kOverlayFloor (the
// network's background noise leaves the image untouched), rising to opaque at kOverlayFull.
constexpr float kOverlayFloor = 0.15f, kOverlayFull = 0.7f;
float overlayAlpha(float value);

// Blends the heat map over the image with overlayAlpha() times `opacity` in [0, 1], so pixels
// the network ignored stay as they are.
RgbImage renderOverlay(const RgbImage& image, const SaliencyMap& map, float opacity,
                       ColourMap colours = ColourMap::Inferno);

}  // namespace dermreader::engine
