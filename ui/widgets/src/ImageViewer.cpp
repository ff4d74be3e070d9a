#include "dermreader/ui/ImageViewer.h"

#include "dermreader/workstation/DicomText.h"

#include <QGraphicsPixmapItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <array>
#include <cmath>

namespace dermreader::ui {

ImageViewer::ImageViewer(QWidget* parent) : QGraphicsView(parent) {
    setScene(new QGraphicsScene(this));
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setRenderHints(QPainter::SmoothPixmapTransform | QPainter::Antialiasing);
    setBackgroundBrush(QColor(40, 40, 40));
    setMinimumSize(320, 240);
    imageItem_ = scene()->addPixmap(QPixmap());
    imageItem_->setTransformationMode(Qt::SmoothTransformation);
    overlayItem_ = new QGraphicsPixmapItem(imageItem_);  // a child: shares every transform
    overlayItem_->setTransformationMode(Qt::SmoothTransformation);
    errorItem_ = scene()->addSimpleText(QString());
    errorItem_->setBrush(QColor(255, 170, 150));
    errorItem_->hide();
}

void ImageViewer::setImage(const QImage& image) {
    errorItem_->hide();
    forgetImage();
    original_ = image;
    showAdjustedImage();
    imageItem_->show();
    overlayItem_->setPixmap(QPixmap());
    rotation_ = 0;
    imageItem_->setTransformOriginPoint(imageItem_->boundingRect().center());
    imageItem_->setRotation(0);
    scene()->setSceneRect(imageItem_->sceneBoundingRect());
    fitToWindow();
}

void ImageViewer::showError(const QString& message) {
    forgetImage();
    imageItem_->setPixmap(QPixmap());
    imageItem_->hide();
    overlayItem_->setPixmap(QPixmap());
    errorItem_->setText(message);
    errorItem_->show();
    resetTransform();
    scene()->setSceneRect(errorItem_->sceneBoundingRect().adjusted(-20, -20, 20, 20));
    centerOn(errorItem_);
}

void ImageViewer::clear() {
    forgetImage();
    imageItem_->setPixmap(QPixmap());
    overlayItem_->setPixmap(QPixmap());
    errorItem_->hide();
}

void ImageViewer::setOverlay(const QImage& overlay) {
    overlayItem_->setPixmap(overlay.isNull() ? QPixmap() : QPixmap::fromImage(overlay));
    overlayItem_->setOpacity(overlayOpacity_);
    overlayItem_->setVisible(overlayVisible_);
}

void ImageViewer::setOverlayVisible(bool visible) {
    overlayVisible_ = visible;
    overlayItem_->setVisible(visible);
}

void ImageViewer::setOverlayOpacity(double opacity) {
    overlayOpacity_ = std::clamp(opacity, 0.0, 1.0);
    overlayItem_->setOpacity(overlayOpacity_);
}

bool ImageViewer::hasOverlay() const {
    return !overlayItem_->pixmap().isNull();
}
bool ImageViewer::showsError() const {
    return errorItem_->isVisible();
}
QString ImageViewer::errorText() const {
    return errorItem_->isVisible() ? errorItem_->text() : QString();
}
QSize ImageViewer::imageSize() const {
    return imageItem_->pixmap().size();
}
double ImageViewer::zoom() const {
    return std::hypot(transform().m11(), transform().m12());
}

void ImageViewer::fitToWindow() {
    fitMode_ = true;
    if (imageItem_->pixmap().isNull())
        return;
    fitInView(imageItem_->sceneBoundingRect(), Qt::KeepAspectRatio);
    Q_EMIT viewChanged();
}

void ImageViewer::actualSize() {
    fitMode_ = false;
    resetTransform();
    Q_EMIT viewChanged();
}

void ImageViewer::zoomIn() {
    scaleBy(1.25);
}
void ImageViewer::zoomOut() {
    scaleBy(0.8);
}

void ImageViewer::scaleBy(double factor) {
    fitMode_ = false;
    const double next = zoom() * factor;
    if (next < 0.02 || next > 64.0)
        return;
    scale(factor, factor);
    Q_EMIT viewChanged();
}

void ImageViewer::rotateClockwise() {
    rotation_ = (rotation_ + 90) % 360;
    imageItem_->setRotation(rotation_);
    scene()->setSceneRect(imageItem_->sceneBoundingRect());
    if (fitMode_)
        fitToWindow();
    Q_EMIT viewChanged();
}

void ImageViewer::wheelEvent(QWheelEvent* event) {
    if (imageItem_->pixmap().isNull())
        return;
    scaleBy(event->angleDelta().y() > 0 ? 1.15 : 1.0 / 1.15);
    event->accept();
}

void ImageViewer::resizeEvent(QResizeEvent* event) {
    QGraphicsView::resizeEvent(event);
    if (fitMode_)
        fitToWindow();
}

void ImageViewer::scrollContentsBy(int dx, int dy) {
    QGraphicsView::scrollContentsBy(dx, dy);
    viewport()->update();  // the readouts are drawn in viewport coordinates
    Q_EMIT viewChanged();
}

QString ImageViewer::zoomText() const {
    if (imageItem_->pixmap().isNull())
        return {};
    const QString percent = QStringLiteral("%1%").arg(std::lround(zoom() * 100));
    return fitMode_ ? tr("%1 (fit)").arg(percent) : percent;
}

void ImageViewer::forgetImage() {
    // Another image's patient and calibration never stay on screen: whoever shows the next
    // image sets them anew.
    original_ = QImage();
    banner_.clear();
    millimetresPerPixel_.reset();
}

// --- Display adjustment ------------------------------------------------------------------

void ImageViewer::setDisplayAdjustment(int brightness, int contrast) {
    brightness = std::clamp(brightness, -100, 100);
    contrast = std::clamp(contrast, -100, 100);
    if (brightness == brightness_ && contrast == contrast_)
        return;
    brightness_ = brightness;
    contrast_ = contrast;
    showAdjustedImage();
    Q_EMIT displayAdjustmentChanged(brightness_, contrast_);
}

void ImageViewer::resetDisplay() {
    setDisplayAdjustment(0, 0);
}

void ImageViewer::showAdjustedImage() {
    if (original_.isNull() || (brightness_ == 0 && contrast_ == 0)) {
        imageItem_->setPixmap(QPixmap::fromImage(original_));
        return;
    }
    // out = (in - 128) * gain + 128 + offset: contrast about mid-grey, then brightness. A
    // contrast of +100 doubles the slope, -100 halves it.
    const double gain = std::pow(2.0, contrast_ / 100.0);
    const double offset = brightness_ * 1.28;
    std::array<uchar, 256> table{};
    for (int v = 0; v < 256; ++v)
        table[v] =
            static_cast<uchar>(std::clamp(std::lround((v - 128) * gain + 128 + offset), 0L, 255L));
    QImage adjusted = original_.convertToFormat(QImage::Format_RGB888);
    for (int y = 0; y < adjusted.height(); ++y) {
        uchar* line = adjusted.scanLine(y);
        for (int x = 0; x < adjusted.width() * 3; ++x)
            line[x] = table[line[x]];
    }
    imageItem_->setPixmap(QPixmap::fromImage(adjusted));
}

// --- Banner, scale bar, view state -------------------------------------------------------

void ImageViewer::setBanner(const QString& text) {
    banner_ = text;
    viewport()->update();
}

void ImageViewer::setDicomAttributes(const std::map<std::string, std::string>& tags) {
    setBanner(workstation::patientBanner(tags));
    setPixelSpacing(workstation::millimetresPerPixel(tags));
}

void ImageViewer::setPixelSpacing(std::optional<double> millimetresPerPixel) {
    if (millimetresPerPixel && !(*millimetresPerPixel > 0 && std::isfinite(*millimetresPerPixel)))
        millimetresPerPixel.reset();
    millimetresPerPixel_ = millimetresPerPixel;
    viewport()->update();
}

std::optional<std::pair<double, double>> ImageViewer::scaleBar() const {
    if (!millimetresPerPixel_ || imageItem_->pixmap().isNull() || zoom() <= 0)
        return std::nullopt;
    // The longest of 1-2-5 x 10^k millimetres that fits in about 150 screen pixels.
    const double screenPixelsPerMm = zoom() / *millimetresPerPixel_;
    const double target = 150 / screenPixelsPerMm;
    double best = 0;
    for (double decade = 1e-3; decade <= 1e4; decade *= 10) {
        for (double step : {1.0, 2.0, 5.0}) {
            if (step * decade <= target)
                best = step * decade;
        }
    }
    if (best <= 0)
        return std::nullopt;
    return std::make_pair(best, best * screenPixelsPerMm);
}

QString ImageViewer::lengthText(double millimetres) {
    return millimetres >= 1 ? tr("%1 mm").arg(millimetres) : tr("%1 µm").arg(millimetres * 1000);
}

QString ImageViewer::scaleBarText() const {
    const auto bar = scaleBar();
    return bar ? lengthText(bar->first) : QString();
}

double ImageViewer::fitScale() const {
    const QRectF bounds = imageItem_->sceneBoundingRect();
    if (bounds.isEmpty())
        return 1;
    // As fitInView computes it: the viewport less its 2-pixel margin.
    const QRectF area = QRectF(viewport()->rect()).adjusted(2, 2, -2, -2);
    return std::min(area.width() / bounds.width(), area.height() / bounds.height());
}

ViewState ImageViewer::viewState() const {
    ViewState state;
    state.rotation = rotation_;
    const QRectF bounds = imageItem_->sceneBoundingRect();
    if (bounds.isEmpty())
        return state;
    state.zoomOverFit = zoom() / fitScale();
    const QPointF centre = mapToScene(viewport()->rect().center());
    state.centre = {(centre.x() - bounds.left()) / bounds.width(),
                    (centre.y() - bounds.top()) / bounds.height()};
    return state;
}

void ImageViewer::setViewState(const ViewState& state) {
    if (imageItem_->pixmap().isNull())
        return;
    if (state.rotation != rotation_) {
        rotation_ = ((state.rotation % 360) + 360) % 360;
        imageItem_->setRotation(rotation_);
        scene()->setSceneRect(imageItem_->sceneBoundingRect());
    }
    fitMode_ = std::abs(state.zoomOverFit - 1) < 1e-3;
    const double scaleTo = fitScale() * state.zoomOverFit;
    resetTransform();
    scale(scaleTo, scaleTo);
    const QRectF bounds = imageItem_->sceneBoundingRect();
    centerOn(bounds.left() + state.centre.x() * bounds.width(),
             bounds.top() + state.centre.y() * bounds.height());
    viewport()->update();
    Q_EMIT viewChanged();
}

void ImageViewer::drawForeground(QPainter* painter, const QRectF& rect) {
    QGraphicsView::drawForeground(painter, rect);
    if (imageItem_->pixmap().isNull())
        return;
    painter->save();
    painter->resetTransform();  // viewport coordinates from here
    const QRect area = viewport()->rect();
    QFont font = painter->font();
    font.setPointSizeF(std::max(9.0, font.pointSizeF()));
    painter->setFont(font);
    const QFontMetrics metrics(font);
    auto label = [&](const QString& text, QPoint at, Qt::Alignment align) {
        QRect box = metrics.boundingRect(text).adjusted(-6, -3, 6, 3);
        if (align & Qt::AlignRight)
            box.moveRight(at.x());
        else
            box.moveLeft(at.x());
        if (align & Qt::AlignBottom)
            box.moveBottom(at.y());
        else
            box.moveTop(at.y());
        painter->fillRect(box, QColor(0, 0, 0, 150));
        painter->setPen(Qt::white);
        painter->drawText(box, Qt::AlignCenter, text);
    };
    if (!banner_.isEmpty())
        label(banner_, {area.left() + 8, area.top() + 8}, Qt::AlignLeft | Qt::AlignTop);
    QString readout = zoomText();
    if (brightness_ != 0 || contrast_ != 0)
        readout += tr(" · brightness %1, contrast %2").arg(brightness_).arg(contrast_);
    label(readout, {area.right() - 8, area.bottom() - 8}, Qt::AlignRight | Qt::AlignBottom);
    if (const auto bar = scaleBar()) {
        const int length = static_cast<int>(std::lround(bar->second));
        const QPoint start(area.left() + 16, area.bottom() - 16);
        painter->fillRect(QRect(start.x() - 6, start.y() - 26, length + 12, 34),
                          QColor(0, 0, 0, 150));
        painter->setPen(QPen(Qt::white, 3));
        painter->drawLine(start, start + QPoint(length, 0));
        painter->drawLine(start + QPoint(0, -5), start + QPoint(0, 5));
        painter->drawLine(start + QPoint(length, -5), start + QPoint(length, 5));
        painter->drawText(QRect(start.x(), start.y() - 24, length, 18), Qt::AlignCenter,
                          lengthText(bar->first));
    }
    painter->restore();
}

}  // namespace dermreader::ui
