#include "dermreader/workstation/TrainingRunner.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

namespace dermreader::workstation {

namespace {
QString text(const std::filesystem::path& path) {
    return QString::fromStdString(path.string());
}
}  // namespace

training::TrainingWorkspace TrainingRequest::workspace() const {
    return {runFolder.toStdString()};
}

TrainingRunner::TrainingRunner(QString dermtool, QObject* parent)
    : QObject(parent), dermtool_(dermtool.isEmpty() ? findDermtool() : std::move(dermtool)) {
    qRegisterMetaType<dermreader::training::ProgressMessage>();
}

TrainingRunner::~TrainingRunner() {
    if (process_ && process_->state() != QProcess::NotRunning) {
        // The run stays resumable: stop it cleanly, then wait.
        process_->terminate();
        if (!process_->waitForFinished(30000))
            process_->kill();
    }
}

QString TrainingRunner::findDermtool() {
    if (const QString env = qEnvironmentVariable("DERMREADER_DERMTOOL"); !env.isEmpty())
        return env;
    const QDir here(QCoreApplication::applicationDirPath());
    // Installed side by side; in the build tree app/dermreader/ and app/dermtool/.
    for (const QString& candidate :
         {here.filePath("dermtool"), here.filePath("../dermtool/dermtool")}) {
        if (QFileInfo(candidate).isExecutable())
            return QFileInfo(candidate).canonicalFilePath();
    }
    return QStandardPaths::findExecutable("dermtool");
}

bool TrainingRunner::running() const {
    return process_ && process_->state() != QProcess::NotRunning;
}

void TrainingRunner::start(const TrainingRequest& request) {
    request_ = request;
    cancelled_ = false;
    QDir().mkpath(request.runFolder);
    if (QFileInfo::exists(text(request.workspace().pack()))) {
        train(false);
        return;
    }
    stage_ = Stage::Packing;
    run({"pack", "--dataset", request.format + "=" + request.dataset, "--max-side",
         QString::number(request.maxSide), "--out", text(request.workspace().pack()), "--progress",
         "json"});
}

void TrainingRunner::resume(const TrainingRequest& request) {
    request_ = request;
    cancelled_ = false;
    train(true);
}

void TrainingRunner::train(bool resume) {
    stage_ = Stage::Training;
    const TrainingRequest& r = request_;
    QStringList arguments = {"train",
                             "--pack",
                             text(r.workspace().pack()),
                             "--out",
                             text(r.workspace().run().root),
                             "--epochs",
                             QString::number(r.epochs),
                             "--batch-size",
                             QString::number(r.batchSize),
                             "--input-size",
                             QString::number(r.inputSize),
                             "--max-class-size",
                             QString::number(r.maxClassSize),
                             "--learning-rate",
                             QString::number(r.learningRate),
                             "--folds",
                             QString::number(r.folds),
                             "--holdout-fold",
                             QString::number(r.holdoutFold),
                             "--max-steps-per-epoch",
                             QString::number(r.maxStepsPerEpoch),
                             "--device",
                             r.device,
                             "--progress",
                             "json"};
    if (!r.name.isEmpty())
        arguments << "--name" << r.name;
    if (!r.initBundle.isEmpty())
        arguments << "--init" << r.initBundle;
    if (r.processes > 1)
        arguments << "--nproc" << QString::number(r.processes);
    if (resume)
        arguments << "--resume";
    run(arguments);
}

void TrainingRunner::run(const QStringList& arguments) {
    if (dermtool_.isEmpty()) {
        stage_ = Stage::Idle;
        Q_EMIT stopped(tr("dermtool was not found next to this program or on PATH"), false);
        return;
    }
    errors_.clear();
    if (process_)
        process_->deleteLater();
    process_ = new QProcess(this);
    connect(process_, &QProcess::readyReadStandardOutput, this, [this] {
        while (process_->canReadLine())
            onLine(process_->readLine().trimmed());
    });
    connect(process_, &QProcess::readyReadStandardError, this,
            [this] { errors_ += process_->readAllStandardError(); });
    connect(process_, &QProcess::finished, this, &TrainingRunner::onExit);
    connect(process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart) {
            stage_ = Stage::Idle;
            Q_EMIT stopped(tr("cannot start '%1'").arg(dermtool_), false);
        }
    });
    process_->start(dermtool_, arguments);
}

void TrainingRunner::onLine(const QByteArray& line) {
    const auto message = training::parseProgressLine(line.toStdString());
    if (!message)
        return;  // e.g. "wrote ..." summaries
    if (message->kind == training::ProgressMessage::Kind::Pack) {
        Q_EMIT packProgress(static_cast<int>(message->done), static_cast<int>(message->total));
    } else {
        Q_EMIT trainingEvent(*message);
    }
}

void TrainingRunner::onExit(int exitCode, QProcess::ExitStatus status) {
    while (process_->canReadLine())
        onLine(process_->readLine().trimmed());
    errors_ += process_->readAllStandardError();
    const Stage stage = stage_;
    const bool ok = status == QProcess::NormalExit && exitCode == 0;
    const bool resumable = request_.workspace().run().started();
    if (ok && stage == Stage::Packing && !cancelled_) {
        train(false);
        return;
    }
    stage_ = Stage::Idle;
    if (ok && stage == Stage::Training) {
        Q_EMIT finished(text(request_.workspace().run().bestModel()));
        return;
    }
    if (cancelled_) {
        Q_EMIT stopped(tr("cancelled; the last completed epoch is kept and can be resumed"),
                       resumable);
        return;
    }
    const QString lastError = QString::fromUtf8(errors_).trimmed().section('\n', -1);
    Q_EMIT stopped(status == QProcess::CrashExit
                       ? tr("dermtool stopped unexpectedly (%1)").arg(lastError)
                       : tr("dermtool failed: %1").arg(lastError),
                   resumable);
}

void TrainingRunner::cancel() {
    if (!running())
        return;
    cancelled_ = true;
    process_->terminate();  // SIGTERM: dermtool finishes the step and exits resumable
}

}  // namespace dermreader::workstation
