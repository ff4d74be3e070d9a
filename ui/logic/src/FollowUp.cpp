#include "dermreader/workstation/FollowUp.h"

#include <QFileInfo>
#include <algorithm>

#include "dermreader/engine/ImageLoader.h"
#include "dermreader/engine/Predictor.h"
#include "dermreader/workstation/DicomText.h"
#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/QtImage.h"

namespace dermreader::workstation {

namespace {

constexpr int kSteps = 5;  // load, register, measure, predict before, predict after

void step(JobContext* context, int done) {
    if (context) {
        context->throwIfCancelled();
        context->setProgress(done, kSteps);
    }
}

QString studyDate(const engine::LoadedImage& loaded) {
    const auto it = loaded.info.tags.find("StudyDate");
    return it == loaded.info.tags.end() ? QString()
                                        : formatDicomDate(QString::fromStdString(it->second));
}

void predict(engine::Predictor& predictor, const engine::RgbImage& image, VisitMeasure& visit) {
    const auto views = predictor.predictViews(image);
    double sum = 0, low = 1, high = 0;
    for (const auto& view : views) {
        sum += view.malignant;
        low = std::min(low, view.malignant);
        high = std::max(high, view.malignant);
    }
    visit.malignant = sum / static_cast<double>(views.size());  // = the TTA result
    visit.malignantLow = low;
    visit.malignantHigh = high;
}

QImage maskImage(const engine::LesionMask& mask) {
    if (mask.width <= 0)
        return {};
    QImage image(mask.width, mask.height, QImage::Format_Grayscale8);
    for (int y = 0; y < mask.height; ++y)
        std::copy_n(mask.inside.data() + static_cast<std::size_t>(y) * mask.width, mask.width,
                    image.scanLine(y));
    return image;
}

QString percent(double value) {
    return QStringLiteral("%1%2 %").arg(value >= 0 ? "+" : "").arg(100 * value, 0, 'f', 0);
}

QString areaText(const engine::AreaEstimate& area, const std::optional<double>& mm2) {
    if (mm2)
        return QStringLiteral("%1 mm² (%2–%3)")
            .arg(area.pixels * *mm2, 0, 'f', 1)
            .arg(area.low * *mm2, 0, 'f', 1)
            .arg(area.high * *mm2, 0, 'f', 1);
    return QStringLiteral("%1 px (%2–%3)")
        .arg(area.pixels, 0, 'f', 0)
        .arg(area.low, 0, 'f', 0)
        .arg(area.high, 0, 'f', 0);
}

}  // namespace

QString FollowUpComparison::summary() const {
    QStringList lines;
    lines << QObject::tr("Registration: %1").arg(QString::fromStdString(registration.describe()));
    if (area.relative)
        lines << QObject::tr("Lesion area: %1 → %2, change %3 (%4 to %5)")
                     .arg(areaText(area.before, area.squareMmPerPixel),
                          areaText(area.after, area.squareMmPerPixel), percent(*area.relative),
                          percent(*area.relativeLow),
                          area.relativeHigh ? percent(*area.relativeHigh)
                                            : QObject::tr("no upper bound: the earlier border "
                                                          "is too faint"));
    else if (registration.succeeded())
        lines << QObject::tr("Lesion area: no lesion found at the centre of the earlier image");
    if (malignantChange)
        lines << QObject::tr("P(malignant): %1 (%2–%3) → %4 (%5–%6), change %7%8 (%9 to %10)")
                     .arg(*before.malignant, 0, 'f', 2)
                     .arg(*before.malignantLow, 0, 'f', 2)
                     .arg(*before.malignantHigh, 0, 'f', 2)
                     .arg(*after.malignant, 0, 'f', 2)
                     .arg(*after.malignantLow, 0, 'f', 2)
                     .arg(*after.malignantHigh, 0, 'f', 2)
                     .arg(*malignantChange >= 0 ? "+" : "")
                     .arg(*malignantChange, 0, 'f', 2)
                     .arg(*malignantChangeLow, 0, 'f', 2)
                     .arg(*malignantChangeHigh, 0, 'f', 2);
    else
        lines << QObject::tr("P(malignant): no model loaded");
    return lines.join('\n');
}

FollowUpComparison compareVisits(const QString& before, const QString& after,
                                 engine::Predictor* predictor,
                                 const std::optional<ManualAlignment>& manual,
                                 JobContext* context) {
    step(context, 0);
    const engine::LoadedImage earlier = engine::loadImage(before.toStdString());
    const engine::LoadedImage later = engine::loadImage(after.toStdString());
    FollowUpComparison result;
    result.before = {before, studyDate(earlier), {}, {}, {}};
    result.after = {after, studyDate(later), {}, {}, {}};
    result.beforeImage = toQImage(earlier.image);
    result.afterImage = toQImage(later.image);
    step(context, 1);
    result.registration =
        manual ? engine::manualRegistration(earlier.image, later.image, manual->dx, manual->dy,
                                            manual->degrees, manual->scale)
               : engine::registerImages(earlier.image, later.image);
    step(context, 2);
    if (result.registration.succeeded()) {
        result.afterRegistered = toQImage(engine::warpInto(
            later.image, result.registration, earlier.image.width, earlier.image.height));
        result.area = engine::measureAreaChange(earlier.image, later.image, result.registration,
                                                millimetresPerPixel(earlier.info.tags));
        result.beforeMask = maskImage(result.area.beforeMask);
        result.afterMask = maskImage(result.area.afterMask);
    }
    step(context, 3);
    if (predictor) {
        predict(*predictor, earlier.image, result.before);
        step(context, 4);
        predict(*predictor, later.image, result.after);
        result.malignantChange = *result.after.malignant - *result.before.malignant;
        result.malignantChangeLow = *result.after.malignantLow - *result.before.malignantHigh;
        result.malignantChangeHigh = *result.after.malignantHigh - *result.before.malignantLow;
    }
    step(context, kSteps);
    return result;
}

}  // namespace dermreader::workstation
