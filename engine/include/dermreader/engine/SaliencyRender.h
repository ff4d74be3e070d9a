#pragma once
// Turning a saliency map into pictures: a colour-mapped heat map, and the heat map blended
// over the image. Plain C++ (no Qt, OpenCV or torch) so the CLI, reports and UI agree.

#include "dermreader/engine/Image.h"
#include "dermreader/engine/Prediction.h"

namespace dermreader::engine {

enum class ColourMap { Inferno, Jet, Grey };

// The RGB colour of `value` in [0, 1].
void colourOf(ColourMap map, float value, std::uint8_t rgb[3]);

// Blends the heat map over the image; `opacity` in [0, 1] scales with the saliency value, so
// pixels the network ignored stay as they are.
RgbImage renderOverlay(const RgbImage& image, const SaliencyMap& map, float opacity,
                       ColourMap colours = ColourMap::Inferno);

}  // namespace dermreader::engine
