#pragma once
// Conversions between the engine's images and Qt's.

#include <QImage>

#include "dermreader/engine/Image.h"
#include "dermreader/engine/Prediction.h"
#include "dermreader/engine/SaliencyRender.h"

namespace dermreader::workstation {

QImage toQImage(const engine::RgbImage& image);
// The saliency map as a colour-mapped image whose alpha follows the saliency value, to lay
// over the photograph (pixels the network ignored stay transparent).
QImage saliencyOverlayImage(const engine::SaliencyMap& map, engine::ColourMap colours);

}  // namespace dermreader::workstation
