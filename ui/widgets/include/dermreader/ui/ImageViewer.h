#pragma once
// The image view: fit, 1:1, wheel zoom, drag to pan, rotate in 90-degree steps, brightness and
// contrast for display only (the model always sees the file's pixels), and a saliency overlay
// that is a child of the image item, so it stays registered under every transform. Over the
// image: a patient/study banner (DICOM), the zoom readout and, when the pixel spacing is known,
// a scale bar. Shows an error message in place of the image when a file cannot be read.

#include <QGraphicsView>
#include <QImage>
#include <QPointF>
#include <map>
#include <optional>
#include <string>

class QGraphicsPixmapItem;
class QGraphicsSimpleTextItem;

namespace dermreader::ui {

// Where a view looks, independent of the image's size: zoom relative to "fit", the centre as
// a fraction of the image, and the rotation. Two viewers with the same state show the same
// part of two images of one lesion.
struct ViewState {
    double zoomOverFit = 1;
    QPointF centre{0.5, 0.5};
    int rotation = 0;
};

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
    double zoom() const;       // view scale, 1 = 1:1
    QString zoomText() const;  // "37% (fit)", "100%"

    // Display only, -100..100 each; 0, 0 shows the file's pixels.
    void setDisplayAdjustment(int brightness, int contrast);
    int brightness() const { return brightness_; }
    int contrast() const { return contrast_; }
    // Patient and study over the image ("" hides it).
    void setBanner(const QString& text);
    QString banner() const { return banner_; }
    // Banner and scale bar from a DICOM file's attributes (nothing for other files).
    void setDicomAttributes(const std::map<std::string, std::string>& tags);
    // Millimetres per image pixel (DICOM Pixel Spacing); nothing hides the scale bar.
    void setPixelSpacing(std::optional<double> millimetresPerPixel);
    // The scale bar's label at the current zoom ("5 mm"), "" without one.
    QString scaleBarText() const;

    ViewState viewState() const;
    void setViewState(const ViewState& state);

  public Q_SLOTS:
    void fitToWindow();
    void actualSize();
    void zoomIn();
    void zoomOut();
    void rotateClockwise();
    void resetDisplay();

  Q_SIGNALS:
    // Zoom, pan or rotation changed (a compare view follows it).
    void viewChanged();
    void displayAdjustmentChanged(int brightness, int contrast);

  protected:
    void wheelEvent(QWheelEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void scrollContentsBy(int dx, int dy) override;
    void drawForeground(QPainter* painter, const QRectF& rect) override;

  private:
    void scaleBy(double factor);
    void forgetImage();
    void showAdjustedImage();
    static QString lengthText(double millimetres);
    double fitScale() const;
    // The scale bar's length in millimetres and in screen pixels; nothing without spacing.
    std::optional<std::pair<double, double>> scaleBar() const;

    QGraphicsPixmapItem* imageItem_ = nullptr;
    QGraphicsPixmapItem* overlayItem_ = nullptr;
    QGraphicsSimpleTextItem* errorItem_ = nullptr;
    QImage original_;
    int brightness_ = 0, contrast_ = 0;
    QString banner_;
    std::optional<double> millimetresPerPixel_;
    bool overlayVisible_ = true;
    double overlayOpacity_ = 0.6;
    bool fitMode_ = true;
    int rotation_ = 0;
};

}  // namespace dermreader::ui
