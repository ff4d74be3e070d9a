#pragma once
// The image view: fit, 1:1, wheel zoom, drag to pan, rotate in 90-degree steps, and a saliency
// overlay that is a child of the image item, so it stays registered under every transform.
// Shows an error message in place of the image when a file cannot be read.

#include <QGraphicsView>

class QGraphicsPixmapItem;
class QGraphicsSimpleTextItem;

namespace dermreader::ui {

class ImageViewer : public QGraphicsView {
    Q_OBJECT

  public:
    explicit ImageViewer(QWidget* parent = nullptr);

    void setImage(const QImage& image);
    void showError(const QString& message);
    void clear();
    void setOverlay(const QImage& overlay);  // same size as the image; empty removes it
    void setOverlayVisible(bool visible);
    void setOverlayOpacity(double opacity);  // 0..1
    bool hasOverlay() const;
    bool showsError() const;
    QString errorText() const;
    QSize imageSize() const;
    double zoom() const;  // view scale, 1 = 1:1

  public Q_SLOTS:
    void fitToWindow();
    void actualSize();
    void zoomIn();
    void zoomOut();
    void rotateClockwise();

  protected:
    void wheelEvent(QWheelEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

  private:
    void scaleBy(double factor);

    QGraphicsPixmapItem* imageItem_ = nullptr;
    QGraphicsPixmapItem* overlayItem_ = nullptr;
    QGraphicsSimpleTextItem* errorItem_ = nullptr;
    bool overlayVisible_ = true;
    double overlayOpacity_ = 0.6;
    bool fitMode_ = true;
    int rotation_ = 0;
};

}  // namespace dermreader::ui
