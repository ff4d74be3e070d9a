#pragma once
// Settings > PACS: the DICOM nodes (name, AE title, host, port, C-GET or C-MOVE, optional TLS
// with the node's certificate and our own), the workstation's AE title and C-STORE port, and
// "Test connection" (C-ECHO on the session's job pool).

#include <QWidget>

#include "dermreader/workstation/Settings.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;

namespace dermreader::workstation {
class WorkstationSession;
}

namespace dermreader::ui {

class PacsSettingsPage : public QWidget {
    Q_OBJECT

  public:
    // `session`: for Test connection; null disables it.
    PacsSettingsPage(const workstation::PacsSettings& current,
                     workstation::WorkstationSession* session, QWidget* parent = nullptr);

    workstation::PacsSettings settings() const;
    // Empty when every node and our own entity are usable; otherwise the first problem.
    QString problem() const;
    QString testResult() const;

  public Q_SLOTS:
    void addNode();
    void removeNode();
    void testConnection();

  private:
    void showNode(int row);
    void storeShownNode();
    pacs::DicomNode nodeFromForm() const;

    workstation::WorkstationSession* session_;
    std::vector<pacs::DicomNode> nodes_;
    pacs::Timeouts timeouts_;
    int shown_ = -1;
    QListWidget* list_;
    QLineEdit* name_;
    QLineEdit* aeTitle_;
    QLineEdit* host_;
    QSpinBox* port_;
    QComboBox* retrieve_;
    QCheckBox* tls_;
    QLineEdit* trusted_;
    QLineEdit* certificate_;
    QLineEdit* privateKey_;
    QPushButton* test_;
    QLabel* testResult_;
    QLineEdit* ourAeTitle_;
    QSpinBox* ourPort_;
};

}  // namespace dermreader::ui
