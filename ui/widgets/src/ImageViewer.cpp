#include "dermreader/ui/ImageViewer.h"

#include <QGraphicsPixmapItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QWheelEvent>

#include <algorithm>
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
    imageItem_->setPixmap(QPixmap::fromImage(image));
    imageItem_->show();
    overlayItem_->setPixmap(QPixmap());
    rotation_ = 0;
    imageItem_->setTransformOriginPoint(imageItem_->boundingRect().center());
    imageItem_->setRotation(0);
    scene()->setSceneRect(imageItem_->sceneBoundingRect());
    fitToWindow();
}

void ImageViewer::showError(const QString& message) {
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
}

void ImageViewer::actualSize() {
    fitMode_ = false;
    resetTransform();
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
}

void ImageViewer::rotateClockwise() {
    rotation_ = (rotation_ + 90) % 360;
    imageItem_->setRotation(rotation_);
    scene()->setSceneRect(imageItem_->sceneBoundingRect());
    if (fitMode_)
        fitToWindow();
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

}  // namespace dermreader::ui
