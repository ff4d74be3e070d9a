#include "dermreader/ui/CompareWindow.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

#include "dermreader/ui/ImageViewer.h"

namespace dermreader::ui {

CompareWindow::CompareWindow(QWidget* parent) : QWidget(parent) {
    setWindowTitle(tr("Compare images"));
    left_ = new ImageViewer(this);
    right_ = new ImageViewer(this);
    leftTitle_ = new QLabel(this);
    rightTitle_ = new QLabel(this);
    link_ = new QCheckBox(tr("Link zoom and pan"), this);
    link_->setChecked(true);
    auto* fit = new QPushButton(tr("Fit both"), this);
    auto* grid = new QGridLayout(this);
    grid->addWidget(leftTitle_, 0, 0);
    grid->addWidget(rightTitle_, 0, 1);
    grid->addWidget(left_, 1, 0);
    grid->addWidget(right_, 1, 1);
    auto* controls = new QHBoxLayout;
    controls->addWidget(link_);
    controls->addWidget(fit);
    controls->addStretch(1);
    grid->addLayout(controls, 2, 0, 1, 2);
    grid->setRowStretch(1, 1);
    connect(left_, &ImageViewer::viewChanged, this, [this] { follow(left_, right_); });
    connect(right_, &ImageViewer::viewChanged, this, [this] { follow(right_, left_); });
    connect(link_, &QCheckBox::toggled, this, [this](bool on) {
        if (on)
            follow(left_, right_);
    });
    connect(fit, &QPushButton::clicked, this, [this] {
        left_->fitToWindow();
        right_->fitToWindow();
    });
    resize(1400, 800);
}

void CompareWindow::setLeft(const QImage& image, const QString& title) {
    left_->setImage(image);
    leftTitle_->setText(title);
}

void CompareWindow::setRight(const QImage& image, const QString& title) {
    right_->setImage(image);
    rightTitle_->setText(title);
}

void CompareWindow::clear() {
    left_->clear();
    right_->clear();
    leftTitle_->clear();
    rightTitle_->clear();
}

void CompareWindow::setLinked(bool linked) {
    link_->setChecked(linked);
}

bool CompareWindow::linked() const {
    return link_->isChecked();
}

void CompareWindow::follow(ImageViewer* from, ImageViewer* to) {
    if (!link_->isChecked() || following_)
        return;
    following_ = true;
    to->setViewState(from->viewState());
    following_ = false;
}

}  // namespace dermreader::ui
