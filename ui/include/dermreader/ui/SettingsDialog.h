#pragma once
// Workstation settings kept in QSettings: the model bundle, the device, test-time augmentation
// and the review/biopsy thresholds of the risk bar.

#include <QDialog>

#include "dermreader/engine/Predictor.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;

namespace dermreader::ui {

struct WorkstationSettings {
    QString modelBundle;
    QString device = QStringLiteral("auto");  // auto, cpu, cuda
    bool testTimeAugmentation = false;
    double reviewThreshold = 0.2, biopsyThreshold = 0.5;

    static WorkstationSettings load();
    void save() const;
    // Device and test-time augmentation as the predictor takes them.
    engine::PredictorOptions predictorOptions() const;
};

class SettingsDialog : public QDialog {
    Q_OBJECT

  public:
    explicit SettingsDialog(const WorkstationSettings& current, QWidget* parent = nullptr);
    WorkstationSettings settings() const;

  private:
    QLineEdit* bundle_;
    QComboBox* device_;
    QCheckBox* tta_;
    QDoubleSpinBox* review_;
    QDoubleSpinBox* biopsy_;
};

}  // namespace dermreader::ui
