#pragma once
// File > Settings: edits the workstation settings (the session applies them).

#include <QDialog>

#include "dermreader/workstation/Settings.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;

namespace dermreader::ui {

class SettingsDialog : public QDialog {
    Q_OBJECT

  public:
    explicit SettingsDialog(const workstation::WorkstationSettings& current,
                            QWidget* parent = nullptr);
    workstation::WorkstationSettings settings() const;

  private:
    QLineEdit* bundle_;
    QComboBox* device_;
    QCheckBox* tta_;
    QDoubleSpinBox* review_;
    QDoubleSpinBox* biopsy_;
};

}  // namespace dermreader::ui
