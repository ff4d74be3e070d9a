#pragma once
// Conversions between the engine's images and Qt's.

#include <QImage>
#include <QString>

#include "dermreader/engine/Image.h"
#include "dermreader/engine/Prediction.h"
#include "dermreader/engine/SaliencyRender.h"

namespace dermreader::workstation {

QImage toQImage(const engine::RgbImage& image);
// The saliency map as a colour-mapped image whose alpha follows the saliency value, to lay
// over the photograph (pixels the network ignored stay transparent).
QImage saliencyOverlayImage(const engine::SaliencyMap& map, engine::ColourMap colours);
// One line under the overlay saying what the map is and how fine it can be: Grad-CAM's cells
// are a whole feature-map pixel wide (about 1/8 of the image), too coarse for fine structure.
QString describeSaliency(const engine::SaliencyMap& map);
// The legend's colour bar: the colour map blended over skin as the overlay blends it.
QImage saliencyLegendBar(engine::ColourMap colours, int width, int height);

}  // namespace dermreader::workstation
