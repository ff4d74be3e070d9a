#pragma once
// Two images side by side (clinical and dermoscopic, or two visits of one lesion), with zoom,
// pan and rotation linked so the same part of the lesion stays in view in both.

#include <QWidget>

class QCheckBox;
class QLabel;

namespace dermreader::ui {

class ImageViewer;

class CompareWindow : public QWidget {
    Q_OBJECT

  public:
    explicit CompareWindow(QWidget* parent = nullptr);

    // `title` names the image (file, date); left()/right()->setDicomAttributes() add the
    // patient banner and scale bar.
    void setLeft(const QImage& image, const QString& title);
    void setRight(const QImage& image, const QString& title);
    void clear();  // both images, overlays and titles
    void setLinked(bool linked);
    bool linked() const;
    ImageViewer* left() const { return left_; }
    ImageViewer* right() const { return right_; }

  private:
    void follow(ImageViewer* from, ImageViewer* to);

    ImageViewer* left_;
    ImageViewer* right_;
    QLabel* leftTitle_;
    QLabel* rightTitle_;
    QCheckBox* link_;
    bool following_ = false;  // a follower's own change must not echo back
};

}  // namespace dermreader::ui
