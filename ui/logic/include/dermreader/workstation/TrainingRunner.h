#pragma once
// Runs training as separate `dermtool` processes (pack, then train --progress json), so the
// GUI stays responsive and a crash of the run cannot take the app down. Reads their JSON
// progress lines; cancelling sends SIGTERM, on which dermtool stops after the current step
// and leaves the run resumable.

#include <QObject>
#include <QProcess>
#include <QStringList>

#include "dermreader/training/RunFolder.h"
#include "dermreader/training/TrainingProgress.h"

namespace dermreader::workstation {

struct TrainingRequest {
    QString dataset;    // a labelled dataset's folder or metadata file
    QString format;     // folder, ham10000, isic2017, pad-ufes-20, csv
    QString runFolder;  // holds data.drpack and the run (checkpoints, model-best, ...)
    QString name;
    int maxSide = 320;
    int epochs = 12, batchSize = 32, inputSize = 299, maxClassSize = 1000;
    double learningRate = 0.001;
    int folds = 9, holdoutFold = 0;  // validation: one group fold of the dataset
    int maxStepsPerEpoch = 0;        // 0: all
    QString initBundle;              // start from this bundle's backbone (e.g. ImageNet)
    QString device = QStringLiteral("auto");
    int processes = 1;  // data-parallel workers (dermtool train --nproc); batchSize is per worker

    training::TrainingWorkspace workspace() const;
};

class TrainingRunner : public QObject {
    Q_OBJECT

  public:
    // `dermtool`: the program to run; empty finds it next to this program or on PATH.
    explicit TrainingRunner(QString dermtool = {}, QObject* parent = nullptr);
    ~TrainingRunner() override;

    static QString findDermtool();
    // Packs the dataset (unless the run folder has a pack already), then trains.
    void start(const TrainingRequest& request);
    // Continues an interrupted run exactly where it stopped.
    void resume(const TrainingRequest& request);
    void cancel();
    bool running() const;
    QString dermtool() const { return dermtool_; }

  Q_SIGNALS:
    void packProgress(int done, int total);
    // One `dermtool train --progress json` message: step, epoch (with validation), finished.
    void trainingEvent(const dermreader::training::ProgressMessage& message);
    void finished(const QString& bestBundle);
    // Cancelled or failed; `resumable` when a checkpoint exists to continue from.
    void stopped(const QString& message, bool resumable);

  private:
    void run(const QStringList& arguments);
    void train(bool resume);
    void onLine(const QByteArray& line);
    void onExit(int exitCode, QProcess::ExitStatus status);

    QString dermtool_;
    QProcess* process_ = nullptr;
    TrainingRequest request_;
    enum class Stage { Idle, Packing, Training } stage_ = Stage::Idle;
    bool cancelled_ = false;
    QByteArray errors_;
};

}  // namespace dermreader::workstation

Q_DECLARE_METATYPE(dermreader::training::ProgressMessage)
