#pragma once
// File > Settings: edits the workstation settings (the session applies them): the model tab
// and the PACS tab (PacsSettingsPage).

#include <QDialog>

#include "dermreader/workstation/Settings.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;

namespace dermreader::workstation {
class WorkstationSession;
}

namespace dermreader::ui {

class PacsSettingsPage;

class SettingsDialog : public QDialog {
    Q_OBJECT

  public:
    // `session`: for the PACS tab's connection test; null disables it.
    explicit SettingsDialog(const workstation::WorkstationSettings& current,
                            workstation::WorkstationSession* session = nullptr,
                            QWidget* parent = nullptr);
    workstation::WorkstationSettings settings() const;
    PacsSettingsPage* pacsPage() const { return pacs_; }

  public Q_SLOTS:
    void accept() override;  // refuses (and says why) while a PACS node is unusable

  private:
    QLineEdit* bundle_;
    QComboBox* device_;
    QCheckBox* tta_;
    QDoubleSpinBox* review_;
    QDoubleSpinBox* biopsy_;
    PacsSettingsPage* pacs_;
};

}  // namespace dermreader::ui
