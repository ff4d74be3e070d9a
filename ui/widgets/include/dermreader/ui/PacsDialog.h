#pragma once
// File > Query/Retrieve from PACS: finds studies on a configured node (patient ID or name, date
// range, modality), lists a study's series (dermatology series ticked), and retrieves the ticked
// ones with progress and cancel. The work runs on the session's job pool; errors show in the
// dialog and go to the session's error channel. Everything is reachable from the keyboard:
// Alt+letter on each field, Enter searches, Alt+R retrieves, Esc cancels a search or transfer
// (Esc when idle closes).

#include <QDialog>
#include <QPointer>
#include <optional>
#include <vector>

#include "dermreader/pacs/PacsClient.h"

class QCheckBox;
class QComboBox;
class QDateEdit;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace dermreader::workstation {
class Job;
class WorkstationSession;
}  // namespace dermreader::workstation

namespace dermreader::ui {

class PacsDialog : public QDialog {
    Q_OBJECT

  public:
    explicit PacsDialog(workstation::WorkstationSession& session, QWidget* parent = nullptr);

    // For tests and the main window.
    QTableWidget* studyTable() const { return studies_; }
    QTableWidget* seriesTable() const { return series_; }
    QString statusText() const;
    bool busy() const { return !job_.isNull(); }

  public Q_SLOTS:
    void search();
    void retrieve();
    void cancelTransfer();
    void reject() override;  // cancels a running transfer and closes

  Q_SIGNALS:
    // A study's images arrived in `folder`: the main window adds it to the library.
    void retrieved(const QString& folder, int images);

  protected:
    void keyPressEvent(QKeyEvent* event) override;  // Esc cancels a transfer before it closes

  private:
    enum class Transfer { Search, Retrieval };

    void listNodes();  // from the settings; again when they change
    void clearStudies();
    void showSeries();
    std::vector<std::string> tickedSeries() const;
    void track(workstation::Job* job, Transfer kind, const QString& doing);
    void becomeIdle();
    void showStatus(const QString& text, bool error = false);
    std::optional<pacs::DicomNode> currentNode() const;  // the one chosen for a new search
    // The node the listed studies came from: their series and retrieval go there, whatever
    // is chosen now.
    std::optional<pacs::DicomNode> studiesNode() const;

    workstation::WorkstationSession& session_;
    QComboBox* node_;
    QLineEdit* patientId_;
    QLineEdit* patientName_;
    QCheckBox* anyDate_;
    QDateEdit* from_;
    QDateEdit* to_;
    QComboBox* modality_;
    QPushButton* search_;
    QTableWidget* studies_;
    QTableWidget* series_;
    QPushButton* retrieve_;
    QPushButton* cancel_;
    QProgressBar* progress_;
    QLabel* status_;
    std::vector<pacs::StudyRecord> studyRecords_;
    QString studiesFrom_;  // the node's name
    std::vector<pacs::SeriesRecord> seriesRecords_;
    QPointer<workstation::Job> job_;
    Transfer transfer_ = Transfer::Search;
    int seriesRequest_ = 0;  // only the newest series query may fill the table
};

}  // namespace dermreader::ui
