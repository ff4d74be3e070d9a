// The contract between `dermtool train --progress json` and the admin panel, and the run
// folder's layout.
#include <QtTest>

#include <QTemporaryDir>
#include <cmath>
#include <fstream>
#include <limits>

#include "dermreader/training/RunFolder.h"
#include "dermreader/training/TrainingProgress.h"

using namespace dermreader::training;
namespace fs = std::filesystem;

class TestTrainingProgress : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void everyFieldSurvivesTheLine() {
        ProgressMessage m;
        m.kind = ProgressMessage::Kind::Epoch;
        m.epoch = 3;
        m.epochs = 12;
        m.step = 40;
        m.steps = 40;
        m.loss = 0.8125;
        m.learningRate = 0.00025;
        m.imagesPerSecond = 6.5;
        m.etaSeconds = 1234;
        m.bundle = "/runs/a|b/model-last";
        ValidationSummary v;
        v.images = 1550;
        v.loss = 0.9;
        v.meanClassAccuracy = 0.41;
        BinaryMetrics b;
        b.task = "melanocytic";
        b.positives = 30;
        b.negatives = 78;
        b.auc = 0.744;
        b.aucLow = 0.64;
        b.aucHigh = 0.85;
        b.sensitivityAt90Specificity = 0.3;
        b.sensitivityAt95Specificity = 0.2;
        b.roc = {{0.5, 0.5, 0.5}};  // not carried
        v.binary = {b};
        m.validation = v;

        const std::string line = toJsonLine(m);
        QVERIFY(line.find('\n') == std::string::npos);
        const auto parsed = parseProgressLine(line);
        QVERIFY(parsed.has_value());
        QVERIFY(parsed->kind == ProgressMessage::Kind::Epoch);
        QCOMPARE(parsed->epoch, 3);
        QCOMPARE(parsed->epochs, 12);
        QCOMPARE(parsed->step, 40);
        QCOMPARE(parsed->steps, 40);
        QCOMPARE(parsed->loss, 0.8125);
        QCOMPARE(parsed->learningRate, 0.00025);
        QCOMPARE(parsed->imagesPerSecond, 6.5);
        QCOMPARE(parsed->etaSeconds, 1234.0);
        QCOMPARE(parsed->bundle, m.bundle);
        QCOMPARE(parsed->stepsDone(), 2L * 40 + 40);
        QVERIFY(parsed->validation.has_value());
        QCOMPARE(parsed->validation->images, 1550);
        QCOMPARE(parsed->validation->loss, std::optional<double>(0.9));
        QCOMPARE(parsed->validation->meanClassAccuracy, std::optional<double>(0.41));
        QCOMPARE(int(parsed->validation->binary.size()), 1);
        const BinaryMetrics& p = parsed->validation->binary.front();
        QCOMPARE(p.task, std::string("melanocytic"));
        QCOMPARE(p.positives, 30);
        QCOMPARE(p.negatives, 78);
        QCOMPARE(p.auc, 0.744);
        QCOMPARE(p.aucLow, 0.64);
        QCOMPARE(p.aucHigh, 0.85);
        QCOMPARE(p.sensitivityAt95Specificity, 0.2);
        QVERIFY(p.roc.empty());
    }

    // JSON has no NaN: a diverged loss goes out as null and must come back as NaN, not drop
    // the whole line (the panel then lost every step of a diverging run).
    void aDivergedLossSurvivesTheLine() {
        ProgressMessage m;
        m.kind = ProgressMessage::Kind::Epoch;
        m.epoch = 2;
        m.epochs = 3;
        m.step = 5;
        m.steps = 5;
        m.loss = std::numeric_limits<double>::quiet_NaN();
        ValidationSummary v;
        v.images = 10;
        v.loss = std::numeric_limits<double>::infinity();
        BinaryMetrics b;
        b.task = "melanocytic";
        b.positives = 0;  // AUC undefined without positives
        b.negatives = 10;
        b.auc = std::numeric_limits<double>::quiet_NaN();
        v.binary = {b};
        m.validation = v;
        const auto parsed = parseProgressLine(toJsonLine(m));
        QVERIFY(parsed.has_value());
        QVERIFY(std::isnan(parsed->loss));
        QCOMPARE(parsed->epoch, 2);
        QCOMPARE(parsed->stepsDone(), 10L);
        QVERIFY(parsed->validation.has_value());
        QCOMPARE(parsed->validation->images, 10);
        QCOMPARE(int(parsed->validation->binary.size()), 1);
        QVERIFY(std::isnan(parsed->validation->binary.front().auc));
        // A string where a number belongs is not this protocol.
        QVERIFY(!parseProgressLine(R"({"event":"step","loss":"low"})").has_value());
    }

    void packProgress() {
        ProgressMessage m;
        m.kind = ProgressMessage::Kind::Pack;
        m.done = 7;
        m.total = 10015;
        const auto parsed = parseProgressLine(toJsonLine(m));
        QVERIFY(parsed && parsed->kind == ProgressMessage::Kind::Pack);
        QCOMPARE(parsed->done, 7L);
        QCOMPARE(parsed->total, 10015L);
    }

    void otherLinesAreNotMessages() {
        for (const char* line :
             {"wrote data.drpack: 8 images", "", "{", "[1,2]", "{\"event\":\"unknown\"}",
              "{\"event\":3}", "{\"event\":\"step\",\"epoch\":\"three\"}", "null"}) {
            QVERIFY2(!parseProgressLine(line).has_value(), line);
        }
        // A missing optional part is fine.
        const auto step = parseProgressLine("{\"event\":\"step\",\"epoch\":1,\"step\":2}");
        QVERIFY(step && step->kind == ProgressMessage::Kind::Step && !step->validation);
    }

    void runFolderFindsTheCompleteCheckpoint() {
        QTemporaryDir dir;
        const RunFolder run{fs::path(dir.path().toStdString()) / "run"};
        QVERIFY(!run.started());
        QVERIFY(!run.completeCheckpoint());
        fs::create_directories(run.root);
        std::ofstream(run.identityFile()) << "{}";
        QVERIFY(run.started());
        // A crash between the renames leaves only checkpoint.partial (complete) and an
        // unfinished checkpoint/ without its state file.
        fs::create_directories(run.checkpoint());
        fs::create_directories(run.partialCheckpoint());
        std::ofstream(RunFolder::stateFile(run.partialCheckpoint())) << "{}";
        QCOMPARE(run.completeCheckpoint().value(), run.partialCheckpoint());
        std::ofstream(RunFolder::stateFile(run.checkpoint())) << "{}";
        QCOMPARE(run.completeCheckpoint().value(), run.checkpoint());
        const TrainingWorkspace workspace{fs::path(dir.path().toStdString())};
        QCOMPARE(workspace.run().root, run.root);
        QCOMPARE(workspace.pack().filename().string(), std::string("data.drpack"));
        QCOMPARE(run.epochReport(2).filename().string(), std::string("epoch-2"));
    }
};

QTEST_GUILESS_MAIN(TestTrainingProgress)
#include "tst_training_progress.moc"
