#include "dermreader/ui/SettingsDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QTabWidget>
#include <QVBoxLayout>

#include "dermreader/ui/PacsSettingsPage.h"

namespace dermreader::ui {

SettingsDialog::SettingsDialog(const workstation::WorkstationSettings& current,
                               workstation::WorkstationSession* session, QWidget* parent)
    : QDialog(parent) {
    setWindowTitle(tr("Settings"));
    auto* tabs = new QTabWidget(this);
    auto* modelPage = new QWidget(tabs);
    auto* form = new QFormLayout(modelPage);
    bundle_ = new QLineEdit(current.modelBundle, this);
    bundle_->setPlaceholderText(tr("the embedded default model"));
    auto* browse = new QPushButton(tr("Choose…"), modelPage);
    auto* bundleRow = new QHBoxLayout;
    bundleRow->addWidget(bundle_);
    bundleRow->addWidget(browse);
    device_ = new QComboBox(this);
    device_->addItems({"auto", "cpu", "cuda"});
    device_->setCurrentText(current.device);
    tta_ = new QCheckBox(tr("Average over 8 rotations and flips (slower)"), this);
    tta_->setChecked(current.testTimeAugmentation);
    review_ = new QDoubleSpinBox(this);
    biopsy_ = new QDoubleSpinBox(this);
    for (auto* box : {review_, biopsy_}) {
        box->setRange(0.0, 100.0);
        box->setDecimals(1);
        box->setSuffix(" %");
    }
    review_->setValue(100.0 * current.thresholds.review);
    biopsy_->setValue(100.0 * current.thresholds.biopsy);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    form->addRow(tr("Model bundle"), bundleRow);
    form->addRow(tr("Device"), device_);
    form->addRow(tr("Test-time augmentation"), tta_);
    form->addRow(tr("Review threshold"), review_);
    form->addRow(tr("Biopsy threshold"), biopsy_);
    pacs_ = new PacsSettingsPage(current.pacs, session, tabs);
    tabs->addTab(modelPage, tr("&Model"));
    tabs->addTab(pacs_, tr("&PACS"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(tabs);
    layout->addWidget(buttons);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir =
            QFileDialog::getExistingDirectory(this, tr("Model bundle"), bundle_->text());
        if (!dir.isEmpty())
            bundle_->setText(dir);
    });
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // The biopsy threshold never sits below the review threshold.
    connect(review_, &QDoubleSpinBox::valueChanged, this,
            [this](double v) { biopsy_->setMinimum(v); });
    biopsy_->setMinimum(review_->value());
}

workstation::WorkstationSettings SettingsDialog::settings() const {
    workstation::WorkstationSettings w;
    w.modelBundle = bundle_->text().trimmed();
    w.device = device_->currentText();
    w.testTimeAugmentation = tta_->isChecked();
    w.thresholds.review = review_->value() / 100.0;
    w.thresholds.biopsy = biopsy_->value() / 100.0;
    w.pacs = pacs_->settings();
    return w;
}

void SettingsDialog::accept() {
    const QString problem = pacs_->problem();
    if (!problem.isEmpty()) {
        QMessageBox::warning(this, tr("Settings"), problem);
        return;
    }
    QDialog::accept();
}

}  // namespace dermreader::ui
