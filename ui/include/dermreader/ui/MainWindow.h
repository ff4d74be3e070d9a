#pragma once
// The reading workstation's main window: thumbnails on the left, the image in the middle, the
// analysis on the right; every action has a keyboard shortcut; the engine runs off the UI
// thread through PredictionService.

#include <QMainWindow>
#include <optional>

#include "dermreader/engine/Predictor.h"
#include "dermreader/records/Accounts.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QSlider;
class QTableWidget;

namespace dermreader::ui {

class AnalysisPanel;
class LibraryBrowser;
class ImageViewer;
class PredictionService;
struct ImageResult;
struct WorkstationSettings;

class MainWindow : public QMainWindow {
    Q_OBJECT

  public:
    // `databasePath`: the image library's SQLite file; empty for folder browsing only.
    explicit MainWindow(PredictionService& service, const QString& databasePath = {},
                        QWidget* parent = nullptr);

    void openFolder(const QString& folder);
    void importDataset(const QString& source, const QString& format);
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
    void setOverlayEnabled(bool on);
    void setOverlayOpacity(int percent);
    void refreshStatus(const QString& loadError = {});
    // Applies settings: thresholds at once; the model is reloaded if bundle, device or TTA changed.
    void applySettings(const WorkstationSettings& settings);

  public Q_SLOTS:
    void next();
    void previous();
    void exportReport(const QString& pdfPath = {});
    void chooseFolder();
    void chooseDataset();
    // Study > Reader study: log in; coordinators get the study administration, readers their
    // reading session.
    void openReaderStudy();
    // Study > Admin panel: trainers and coordinators train, compare and activate models.
    void openAdminPanel();
    // Switches the workstation to this bundle (what activating a model in the registry does).
    bool useModel(const QString& bundle);
    // Shows an image: selects it if listed, else opens its folder on it.
    void openImage(const QString& path);
    void chooseModel();
    void openSettings();

  Q_SIGNALS:
    // Emitted when the current image's prediction is on screen (tests and benchmarks wait on it).
    void predictionShown(const QString& path);
    void saliencyShown(const QString& path);
    void errorShown(const QString& path);

  private:
    void buildActions();
    void onCurrentChanged();
    void onImageReady(quint64 request, const ImageResult& result);
    void onPrediction(quint64 request, const QString& path, const engine::Prediction& prediction,
                      double ms, bool cached);
    void onSaliency(quint64 request, const QString& path, const engine::SaliencyMap& map,
                    double ms);
    void onImageFailed(quint64 request, const QString& path, const QString& error);
    void requestOverlayIfNeeded();
    // Asks for a name and password (or the first coordinator account) in the workstation
    // database; nothing when cancelled or without a database.
    std::optional<records::User> logIn(const QString& title);
    engine::SaliencyMethod saliencyMethod() const;

    PredictionService& service_;
    QString databasePath_;
    LibraryBrowser* browser_;
    ImageViewer* viewer_;
    AnalysisPanel* panel_;
    QCheckBox* overlayToggle_;
    QComboBox* methodBox_;
    QComboBox* colourBox_;
    QSlider* opacity_;
    QLabel* modelLabel_;
    QLabel* deviceLabel_;
    QLabel* timingLabel_;
    QLabel* modalityBadge_;
    QTableWidget* details_;
    QString currentPath_;
    QString currentHash_;
    std::optional<engine::Prediction> shownPrediction_;
    std::optional<engine::SaliencyMap> shownSaliency_;
    QImage shownImage_;
};

}  // namespace dermreader::ui
