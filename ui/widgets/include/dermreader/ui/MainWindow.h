#pragma once
// The reading workstation's main window: thumbnails on the left, the image in the middle, the
// analysis on the right; every action has a keyboard shortcut. It shows what the session's
// prediction service computes and forwards actions to the session (workstation logic).

#include <QMainWindow>
#include <QPointer>
#include <map>
#include <optional>
#include <string>

#include "dermreader/engine/Prediction.h"
#include "dermreader/records/Accounts.h"
#include "dermreader/workstation/CaseReport.h"
#include "dermreader/workstation/PredictionService.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QSlider;
class QSplitter;
class QTableWidget;

namespace dermreader {

namespace workstation {
class Job;
class WorkstationSession;
struct WorkstationSettings;
}  // namespace workstation

namespace ui {

class AnalysisPanel;
class CompareWindow;
class ErrorReporter;
class LockScreen;
class FollowUpWindow;
class ModelCardDialog;
class PacsDialog;
class ReadingWindow;
class LibraryBrowser;
class ImageViewer;

class MainWindow : public QMainWindow {
    Q_OBJECT

  public:
    explicit MainWindow(workstation::WorkstationSession& session, QWidget* parent = nullptr);
    ~MainWindow() override;

    void openFolder(const QString& folder);
    // Labels are imported by a coordinator or trainer: without one signed in, asks for a sign-in.
    void importDataset(const QString& source, const QString& format);
    // The program's own sample images' labels (start-up; audited without a user).
    void importSampleLabels(const QString& csv);
    void selectRow(int row);
    int currentRow() const;
    QString currentPath() const { return currentPath_; }

    ImageViewer* viewer() const { return viewer_; }
    AnalysisPanel* analysisPanel() const { return panel_; }
    QTableWidget* imageDetails() const { return details_; }
    LibraryBrowser* browser() const { return browser_; }
    // The prediction on screen, for the image on screen (nothing while one is computed).
    const std::optional<engine::Prediction>& shownPrediction() const { return shownPrediction_; }
    bool overlayShown() const;
    // The line under the image saying what the shown saliency map is ("" when none shows).
    QString saliencyNote() const;
    void setOverlayEnabled(bool on);
    // 0: gradient, 1: Grad-CAM.
    void setSaliencyMethod(int index);
    // The shown image beside `otherPath` with linked zoom and pan (View > Compare with…).
    CompareWindow* openComparison(const QString& otherPath);
    void setOverlayOpacity(int percent);
    ErrorReporter* errorReporter() const { return errors_; }
    LockScreen* lockScreen() const { return lockScreen_; }
    // Starts a reader's blinded session (full screen); this window and every window showing
    // labels or CNN output stay out of reach until a coordinator unlocks the workstation.
    ReadingWindow* startReading(const records::User& reader, std::int64_t study);
    // Shows the loaded model (or why there is none) in the status bar.
    void refreshStatus();
    // Forwards to the session: thresholds at once; the model the policy picks is reloaded.
    void applySettings(const workstation::WorkstationSettings& settings);
    // What the report on the shown image holds (the image, overlay, result, model, patient).
    workstation::CaseReport caseReport() const;

  public Q_SLOTS:
    void next();
    void previous();
    void exportReport(const QString& pdfPath = {});
    // The shown result as DICOM objects in the image's study (a DICOM image only): the
    // structured report, the overlay and the PDF (issue 16.2). `decision`: the clinician's
    // ("biopsy", "reassure"; empty: none), filed in the report with the signed-in user's name.
    // From the menu, the folder and the decision are asked for.
    void exportDicomResults(const QString& folder = {}, const QString& decision = {});
    // File > Send results to PACS: the same three objects, C-STOREd to a configured node (the
    // only one, else `node`, else the one the person picks) on the job pool; audited.
    workstation::Job* sendResultsToPacs(const QString& node = {}, const QString& decision = {});
    // File > Query/Retrieve from PACS: one dialog; retrieved studies go into the library.
    PacsDialog* openPacs();
    // View > Lesion follow-up: one window, on the shown image's lesion when it has one.
    FollowUpWindow* openFollowUp();
    // File > Assign image to lesion: links the shown image to a lesion of its patient (by hand,
    // audited); `patientId`/`label` empty: asked for.
    bool assignLesion(const QString& patientId = {}, const QString& label = {});
    void chooseFolder();
    void chooseDataset();
    // File > Sign in / Sign out: a coordinator or trainer signed in sees known diagnoses.
    void signIn();
    void signOut();
    // Study > Reader study: log in; coordinators get the study administration, readers their
    // reading session.
    void openReaderStudy();
    // Study > Admin panel: trainers and coordinators train, compare and activate models.
    void openAdminPanel();
    // Shows an image: selects it if listed, else opens its folder on it.
    void openImage(const QString& path);
    void chooseModel();
    void openSettings();
    // View > Model card: the loaded model's card (null without a model or on error).
    ModelCardDialog* showModelCard();
    // Help > Keyboard shortcuts (F1, ?): made from the menus, so it cannot fall behind them.
    QDialog* showShortcuts();
    QList<QPair<QString, QString>> shortcutSheet() const;
    // Maximised on first run, else the geometry the user left.
    void showInitially();
    // File > Quit: every window closes and everyone is signed out (the session decides).
    void quit();

  Q_SIGNALS:
    // Emitted when the current image's prediction is on screen (tests and benchmarks wait on it).
    void predictionShown(const QString& path);
    void saliencyShown(const QString& path);
    void errorShown(const QString& path);

  protected:
    void closeEvent(QCloseEvent* event) override;

  private:
    // Writes the shown result's DICOM objects into `folder`; false (reported) when it cannot.
    bool writeDicomResults(const QString& folder, const QString& decision, QStringList* written);
    // Asks the clinician's decision to file with the results (`prompt`: where they go);
    // nothing when they cancel.
    std::optional<QString> askDecision(const QString& prompt);
    void buildActions();
    void onLockChanged(bool locked);
    void onCurrentChanged();
    void onModelChanged();
    void onImageReady(quint64 request, const workstation::ImageResult& result);
    void showDetails(const QList<QPair<QString, QString>>& rows);
    void onPrediction(quint64 request, const QString& path, const engine::Prediction& prediction,
                      double ms, bool cached, const QString& modelKey);
    void onSaliency(quint64 request, const QString& path, const engine::SaliencyMap& map,
                    double ms);
    void onImageFailed(quint64 request, const QString& path, const QString& error);
    void requestOverlayIfNeeded();
    void updateLegend();
    void adjustDisplay(int brightnessStep, int contrastStep);
    void chooseComparison();
    // Asks for a name and password (or the first coordinator account); nothing when cancelled
    // or without a database.
    std::optional<records::User> logIn(const QString& title);
    engine::SaliencyMethod saliencyMethod() const;

    workstation::WorkstationSession& session_;
    workstation::PredictionService& service_;
    ErrorReporter* errors_;
    LockScreen* lockScreen_;  // a top-level window of its own, deleted with this one
    bool shuttingDown_ = false;
    LibraryBrowser* browser_;
    ImageViewer* viewer_;
    AnalysisPanel* panel_;
    QCheckBox* overlayToggle_;
    QComboBox* methodBox_;
    QComboBox* colourBox_;
    QSlider* opacity_;
    QLabel* modelLabel_;
    QLabel* userLabel_;
    QLabel* deviceLabel_;
    QLabel* timingLabel_;
    QLabel* modalityBadge_;
    QLabel* legendBar_;
    QSplitter* splitter_;
    QSlider* brightness_;
    QSlider* contrast_;
    QLabel* saliencyNote_;
    QTableWidget* details_;
    QString currentPath_;
    QString currentHash_;
    std::optional<engine::Prediction> shownPrediction_;
    QString shownModel_;                            // the model that computed shownPrediction_
    std::map<std::string, std::string> shownTags_;  // the shown image's DICOM attributes
    std::optional<engine::SaliencyMap> shownSaliency_;
    QImage shownImage_;
    QPointer<PacsDialog> pacsDialog_;
    QPointer<FollowUpWindow> followUp_;
};

}  // namespace ui
}  // namespace dermreader
