#pragma once
// Reader-study administration for coordinators: log in, create accounts, create a study from
// a labelled collection of the library, score its cases with the current model, open it,
// assign readers, follow their progress, see and export the results.

#include <QDialog>
#include <QPointer>
#include <QWidget>
#include <optional>

#include "dermreader/engine/ModelIdentity.h"
#include "dermreader/records/Accounts.h"
#include "dermreader/records/ReaderStudy.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTableWidget;

namespace dermreader::workstation {
class Job;
class WorkstationSession;
}  // namespace dermreader::workstation

namespace dermreader::ui {

class StudyResultsView;

// Name and password, checked by the session; on a database without accounts it creates the
// first coordinator.
class LoginDialog : public QDialog {
    Q_OBJECT

  public:
    explicit LoginDialog(workstation::WorkstationSession& session, QWidget* parent = nullptr);
    const std::optional<records::User>& user() const { return user_; }
    // What the OK button does, for tests.
    bool logIn(const QString& name, const QString& password, int experienceYears = 0);

  private:
    workstation::WorkstationSession& session_;
    std::optional<records::User> user_;
    bool firstAccount_;
    QLineEdit* name_;
    QLineEdit* password_;
    QSpinBox* experience_;
    QLabel* message_;
};

class StudyCoordinatorWindow : public QWidget {
    Q_OBJECT

  public:
    StudyCoordinatorWindow(workstation::WorkstationSession& session,
                           const records::User& coordinator, QWidget* parent = nullptr);
    ~StudyCoordinatorWindow() override;

    // The actions behind the buttons (the dialogs collect their arguments), for tests.
    std::int64_t createStudy(const records::StudySpec& spec, const QString& collection);
    // Starts scoring every case with the loaded model (task-specific P(malignant)) as a
    // session job with a progress dialog; the scores are stored when it finishes
    // (scoringFinished). Null (reported through the session) without a model or while
    // another study is being scored.
    workstation::Job* scoreCases(std::int64_t study);
    void openStudy(std::int64_t study);
    // Asks first (confirm()); false when not confirmed or refused (reported).
    bool closeStudy(std::int64_t study);
    QTableWidget* showAccounts();
    void assignReader(std::int64_t study, std::int64_t readerId);
    records::User createAccount(const QString& name, records::Role role, int years,
                                const QString& password);
    StudyResultsView* showResults(std::int64_t study);
    QTableWidget* showAuditLog();
    std::int64_t selectedStudy() const;
    QTableWidget* studiesTable() const { return studies_; }
    QTableWidget* progressTable() const { return progress_; }
    QString messageText() const;

  Q_SIGNALS:
    // After a scoring job: `stored` is false when it failed (reported) or was cancelled.
    void scoringFinished(std::int64_t study, bool stored);

  private:
    void refresh();
    void refreshProgress();
    // The library collection's labelled, readable images as study candidates.
    std::vector<records::StudyCandidate> candidatesIn(const QString& collection);
    // "" unless the loaded model may have been trained on the study's cases.
    // `model`: the one that scored the study (default: the one loaded now).
    QString trainingOverlapWarning(std::int64_t study,
                                   std::optional<engine::ModelIdentity> model = std::nullopt);
    // In the window's message line; a warning stands out.
    void showMessage(const QString& text, bool warning = false);
    void newStudyDialog();
    void newAccountDialog();
    void assignDialog();
    void deactivateDialog();
    // Runs a records action; failures go to the session's error channel.
    bool guard(const std::function<void()>& action);
    records::Database& database();  // the session's connection for this thread

    workstation::WorkstationSession& session_;
    records::User coordinator_;
    QTableWidget* studies_;
    QTableWidget* progress_;
    QLabel* message_;
    QPointer<workstation::Job> scoring_;
    bool scoringSucceeded_ = false;
};

}  // namespace dermreader::ui
