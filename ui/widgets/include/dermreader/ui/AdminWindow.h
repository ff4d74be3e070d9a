#pragma once
// The admin panel for trainers (and coordinators): preview a dataset's partition and split,
// train in a separate dermtool process with live loss/AUC charts, cancel and resume; the model
// registry (activate, roll back, compare two models, embedding map). Every action is audited
// through the session; long analyses run as session jobs.

#include <QList>
#include <QPointer>
#include <QWidget>
#include <optional>

#include "dermreader/records/Accounts.h"
#include "dermreader/records/ModelRegistry.h"
#include "dermreader/workstation/AdminAnalyses.h"
#include "dermreader/workstation/TrainingRunner.h"

class QChart;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QLineSeries;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableWidget;

namespace dermreader::workstation {
class Job;
class WorkstationSession;
}  // namespace dermreader::workstation

namespace dermreader::ui {

class AdminWindow : public QWidget {
    Q_OBJECT

  public:
    // Throws records::AccessDenied unless `user` is a trainer or a coordinator.
    AdminWindow(workstation::WorkstationSession& session, const records::User& user,
                const QString& dermtool = {}, QWidget* parent = nullptr);
    ~AdminWindow() override;

    // The form's values; the Start button runs these.
    workstation::TrainingRequest request() const;
    void setRequest(const workstation::TrainingRequest& request);
    // The actions behind the buttons, for tests.
    bool previewPartition();
    void startTraining();
    void resumeTraining();
    void cancelTraining();
    bool trainingRunning() const;
    void refreshRegistry();
    bool activate(std::int64_t model);
    bool rollback();
    std::optional<records::RegisteredModel> registerBundle(const QString& bundle);
    void showComparison(const workstation::ModelComparison& comparison);
    void showEmbeddingMap(const workstation::EmbeddingMap& map);

    QTableWidget* partitionTable() const { return partition_; }
    QTableWidget* registryTable() const { return registry_; }
    QProgressBar* progressBar() const { return progress_; }
    QLabel* statusLabel() const { return status_; }
    QChart* lossChart() const { return lossChart_; }
    QChart* comparisonChart() const { return comparisonChart_; }
    QChart* embeddingChart() const { return embeddingChart_; }
    QString comparisonText() const;

  Q_SIGNALS:
    void trainingFinished(const QString& bundle);
    void trainingStopped(const QString& message, bool resumable);
    // A point of the embedding map was clicked.
    void imageRequested(const QString& path);

  private:
    QWidget* buildTrainTab();
    QWidget* buildModelsTab();
    QWidget* buildAnalysisTab();
    void onTrainingEvent(const training::ProgressMessage& message);
    // Runs `work` as a session job with the analysis progress bar, then `show`s its result on
    // this thread (errors go to the session's error channel).
    template <typename Result>
    void runInBackground(const QString& title,
                         std::function<Result(const workstation::AnalysisProgress&)> work,
                         std::function<void(const Result&)> show);
    void runComparison();
    void runEmbeddingMap();
    std::optional<training::Dataset> loadDataset(const QString& source, const QString& format);
    bool guard(const std::function<void()>& action);

    workstation::WorkstationSession& session_;
    records::User user_;
    const taxonomy::Taxonomy& taxonomy_;
    workstation::TrainingRunner runner_;
    QTabWidget* tabs_;
    // Train tab
    QLineEdit* dataset_;
    QComboBox* format_;
    QLineEdit* runFolder_;
    QLineEdit* init_;
    QSpinBox* maxClassSize_;
    QSpinBox* epochs_;
    QSpinBox* batchSize_;
    QSpinBox* inputSize_;
    QDoubleSpinBox* learningRate_;
    QSpinBox* folds_;
    QSpinBox* holdoutFold_;
    QSpinBox* maxSteps_;
    QSpinBox* processes_;
    QTableWidget* partition_;
    QLabel* partitionSummary_;
    QPushButton* start_;
    QPushButton* cancel_;
    QPushButton* resume_;
    QProgressBar* progress_;
    QLabel* status_;
    QChart* lossChart_;
    QLineSeries* loss_;
    QChart* aucChart_;
    QLineSeries* aucMelanocytic_;
    QLineSeries* aucEpidermal_;
    int stepsSeen_ = 0;
    // Models tab
    QTableWidget* registry_;
    // Analysis tab
    QComboBox* modelA_;
    QComboBox* modelB_;
    QLineEdit* evalDataset_;
    QComboBox* evalFormat_;
    QSpinBox* mapImages_;
    QProgressBar* analysisProgress_;
    QChart* comparisonChart_;
    QLabel* comparisonLabel_;
    QChart* embeddingChart_;
    std::vector<workstation::EmbeddingMap::Point> mapPoints_;
    QList<QPointer<workstation::Job>> analyses_;  // cancelled when the window goes
};

}  // namespace dermreader::ui
