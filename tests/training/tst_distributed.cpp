// Data-parallel training through c10d (issue 15.5), end to end as a user runs it:
// `dermtool train --nproc 2` on this CPU with Gloo over loopback against one process.
#include <QtTest>

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <cmath>
#include <csignal>
#include <cstring>
#include <fstream>

#include "dermreader/engine/Safetensors.h"
#include "dermreader/training/Distributed.h"
#include "dermreader/training/RunFolder.h"

namespace eng = dermreader::engine;
namespace trn = dermreader::training;
namespace fs = std::filesystem;

namespace {

struct Run {
    int exitCode = -1;
    QProcess::ExitStatus status = QProcess::NormalExit;
    QString out, err;
};

Run dermtool(const QStringList& arguments, int timeoutMs = 600000) {
    QProcess process;
    process.start(DERMTOOL_PATH, arguments);
    process.waitForFinished(timeoutMs);
    return {process.exitCode(), process.exitStatus(),
            QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

// Largest difference between two checkpoints' float tensors, and how many differ at all.
double largestDifference(const fs::path& a, const fs::path& b) {
    const auto first = eng::SafetensorsFile::open(a), second = eng::SafetensorsFile::open(b);
    double worst = 0;
    for (const auto& tensor : first.tensors()) {
        if (tensor.dtype != eng::DType::F32)
            continue;
        const auto& other = *std::find_if(second.tensors().begin(), second.tensors().end(),
                                          [&](const auto& t) { return t.name == tensor.name; });
        const auto n = static_cast<std::size_t>(tensor.elementCount());
        std::vector<float> x(n), y(n);
        std::memcpy(x.data(), first.data(tensor), n * sizeof(float));
        std::memcpy(y.data(), second.data(other), n * sizeof(float));
        for (std::size_t i = 0; i < n; ++i)
            worst = std::max(worst, static_cast<double>(std::abs(x[i] - y[i])));
    }
    return worst;
}

// The process ids of `parent`'s children.
QList<qint64> childrenOf(qint64 parent) {
    QFile file(QStringLiteral("/proc/%1/task/%1/children").arg(parent));
    QList<qint64> pids;
    if (file.open(QIODevice::ReadOnly))
        for (const auto& pid : QString::fromUtf8(file.readAll()).split(' ', Qt::SkipEmptyParts))
            pids << pid.toLongLong();
    return pids;
}

}  // namespace

class TestDistributed : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString pack_;

    QString folder(const char* name) const { return dir_.filePath(name); }

    // A short run that only the classifier learns from: batch norm frozen (its statistics are
    // per-rank in training mode) and no dropout (its masks are per-rank), so one process with
    // the global batch does exactly the same arithmetic.
    QStringList comparableRun(const QString& out, int batch) const {
        return {"train",
                "--pack",
                pack_,
                "--out",
                out,
                "--epochs",
                "1",
                "--batch-size",
                QString::number(batch),
                "--input-size",
                "107",
                "--max-steps-per-epoch",
                "3",
                "--freeze-through",
                "Mixed_7c",
                "--aux-loss-weight",
                "0",
                "--dropout",
                "0",
                "--device",
                "cpu",
                "--progress",
                "none",
                "--seed",
                "3"};
    }

  private Q_SLOTS:
    void initTestCase() {
        if (!trn::glooAvailable())
            QSKIP("this build has no Gloo backend (libgloo-dev was missing when it was built)");
        QVERIFY(dir_.isValid());
        pack_ = dir_.filePath("synthetic.drpack");
        const auto packed =
            dermtool({"pack", "--synthetic", "60", "--max-side", "96", "--out", pack_});
        QVERIFY2(packed.exitCode == 0, qPrintable(packed.err));
    }

    // The weights after a few steps of 2 processes x 4 images match 1 process x 8 images.
    void twoProcessesMatchOneWithTheSameGlobalBatch() {
        const auto single = dermtool(comparableRun(folder("single"), 8));
        QVERIFY2(single.exitCode == 0, qPrintable(single.err));
        auto distributedArgs = comparableRun(folder("two"), 4);
        distributedArgs << "--nproc"
                        << "2";
        const auto distributed = dermtool(distributedArgs);
        QVERIFY2(distributed.exitCode == 0, qPrintable(distributed.err));
        QVERIFY2(distributed.err.contains("2 worker processes"), qPrintable(distributed.err));
        // Another global batch trains other weights: the comparison can tell.
        const auto other = dermtool(comparableRun(folder("other"), 4));
        QVERIFY2(other.exitCode == 0, qPrintable(other.err));

        const auto weights = [&](const char* run) {
            return trn::RunFolder{folder(run).toStdString()}.checkpoint() / "model.safetensors";
        };
        const double same = largestDifference(weights("single"), weights("two"));
        const double different = largestDifference(weights("single"), weights("other"));
        qInfo("largest weight difference: 1x8 vs 2x4 %.3g, 1x8 vs 1x4 %.3g", same, different);
        QVERIFY2(same < 1e-5, qPrintable(QString::number(same)));
        QVERIFY2(different > 1e-3, qPrintable(QString::number(different)));
    }

    // Every layer training (batch norm per rank), then resumed for a second epoch by 2 processes.
    void aDistributedRunResumes() {
        const QString out = folder("resumed");
        QStringList args = {"train", "--pack",       pack_, "--out",
                            out,     "--epochs",     "1",   "--batch-size",
                            "4",     "--input-size", "107", "--max-steps-per-epoch",
                            "2",     "--device",     "cpu", "--progress",
                            "json",  "--nproc",      "2"};
        const auto first = dermtool(args);
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        QVERIFY(first.out.contains("\"event\":\"epoch\""));
        args[6] = "2";
        args << "--resume";
        const auto second = dermtool(args);
        QVERIFY2(second.exitCode == 0, qPrintable(second.err));
        std::ifstream state(
            trn::RunFolder::stateFile(trn::RunFolder{out.toStdString()}.checkpoint()));
        std::string text((std::istreambuf_iterator<char>(state)), std::istreambuf_iterator<char>());
        const auto json = QJsonDocument::fromJson(QByteArray::fromStdString(text)).object();
        QCOMPARE(json["epochs_done"].toInt(), 2);
        // Only rank 0 reports: one line per step, not one per worker.
        QCOMPARE(second.out.count("\"event\":\"step\""), 2);
    }

    // A worker killed mid-run ends the run at once with a clear error, not a hang.
    void aKilledWorkerEndsTheRunWithAClearError() {
        QProcess launcher;
        launcher.start(DERMTOOL_PATH, {"train", "--pack", pack_, "--out", folder("killed"),
                                       "--epochs", "50", "--batch-size", "4", "--input-size", "107",
                                       "--device", "cpu", "--progress", "json", "--nproc", "2"});
        QVERIFY(launcher.waitForStarted());
        // Wait for training to run, then kill the worker that is not rank 0.
        QByteArray progress;
        QTRY_VERIFY_WITH_TIMEOUT(
            (progress += launcher.readAllStandardOutput()).contains("\"event\":\"step\"") ||
                launcher.state() != QProcess::Running,
            120000);
        QCOMPARE(launcher.state(), QProcess::Running);
        const QList<qint64> workers = childrenOf(launcher.processId());
        QCOMPARE(workers.size(), 2);
        qint64 victim = 0;
        for (qint64 pid : workers) {
            QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
            if (cmdline.open(QIODevice::ReadOnly) &&
                cmdline.readAll().replace('\0', ' ').contains("--rank 1 "))
                victim = pid;
        }
        QVERIFY(victim > 0);
        QVERIFY(::kill(static_cast<pid_t>(victim), SIGKILL) == 0);
        QVERIFY2(launcher.waitForFinished(60000), "the run hung after a worker died");
        QCOMPARE(launcher.exitStatus(), QProcess::NormalExit);
        QCOMPARE(launcher.exitCode(), 2);
        const QString err = QString::fromUtf8(launcher.readAllStandardError());
        QVERIFY2(
            err.contains(QStringLiteral("worker 1 (pid %1) was killed by signal 9").arg(victim)),
            qPrintable(err));
        for (qint64 pid : workers)  // rank 0 was stopped and reaped too
            QVERIFY(!QFile::exists(QStringLiteral("/proc/%1").arg(pid)));
    }
};

QTEST_GUILESS_MAIN(TestDistributed)
#include "tst_distributed.moc"
