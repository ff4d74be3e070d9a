// dermtool end to end, as a user runs it: predict, embed, import-weights, taxonomy partition.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QThread>
#include <fstream>

#include "TestModels.h"
#include "dermreader/engine/ImageLoader.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/engine/Predictor.h"

using namespace dermreader::engine;
namespace tax = dermreader::taxonomy;
namespace fs = std::filesystem;

namespace {

struct Run {
    int exitCode = -1;
    QString out, err;
    QList<QJsonObject> lines() const {
        QList<QJsonObject> objects;
        for (const auto& line : out.split('\n', Qt::SkipEmptyParts)) {
            objects.push_back(QJsonDocument::fromJson(line.toUtf8()).object());
        }
        return objects;
    }
};

Run dermtool(const QStringList& arguments, const QString& modelEnv = "/nonexistent/model") {
    QProcess process;
    auto env = QProcessEnvironment::systemEnvironment();
    if (modelEnv.isEmpty()) {
        env.remove("DERMREADER_MODEL");
    } else {
        env.insert("DERMREADER_MODEL", modelEnv);
    }
    process.setProcessEnvironment(env);
    process.start(DERMTOOL_PATH, arguments);
    process.waitForFinished(300000);
    return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

RgbImage gradientImage(int width, int height, int shift) {
    RgbImage image = RgbImage::filled(width, height, 0, 0, 0);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            auto* p = &image.pixels[(static_cast<std::size_t>(y) * width + x) * 3];
            p[0] = static_cast<std::uint8_t>((x * 3 + shift) % 256);
            p[1] = static_cast<std::uint8_t>((y * 2) % 256);
            p[2] = static_cast<std::uint8_t>(((x + y) / 2 + shift) % 256);
        }
    }
    return image;
}

}  // namespace

class TestDermtool : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        root_ = dir_.path().toStdString();
        createInitialBundle(
            root_ / "model",
            testdata::testManifest("cli test model", {"nevus", "melanoma", "seborrheic_keratosis",
                                                      "basal_cell_carcinoma"}),
            11);
        saveImage(gradientImage(200, 150, 0), root_ / "a.jpg");
        saveImage(gradientImage(120, 160, 90), root_ / "b.png");
        std::ofstream(root_ / "broken.jpg") << "\xFF\xD8\xFF garbage";
    }

    // Issue 15.3: one JSON object on what the program runs on. The build system knows which
    // LibTorch it found and whether it has CUDA; the program must say the same.
    void infoSaysWhatThisBuildRunsOn() {
        const auto run = dermtool({"info"});
        QCOMPARE(run.exitCode, 0);
        const auto lines = run.lines();
        QCOMPARE(lines.size(), 1);
        const QJsonObject info = lines[0];
        QCOMPARE(info["version"].toString(), QString(DERMREADER_VERSION));
        QCOMPARE(info["torch_version"].toString(), QString(EXPECTED_TORCH_VERSION));
        QCOMPARE(info["cuda_compiled"].toBool(), bool(EXPECTED_CUDA_COMPILED));
        if (info["cuda_compiled"].toBool()) {
            QVERIFY(info["cuda_version"].toString().contains(QRegularExpression("^\\d+\\.\\d+$")));
            QVERIFY(info["cudnn_version"].toString().contains(
                QRegularExpression("^\\d+\\.\\d+\\.\\d+$")));
        }
        const QJsonArray devices = info["devices"].toArray();
        QCOMPARE(info["cuda_available"].toBool(), !devices.isEmpty());
        for (const auto& device : devices) {
            QVERIFY(!device.toObject()["name"].toString().isEmpty());
            QVERIFY(device.toObject()["memory_bytes"].toDouble() > 0);
        }
        QCOMPARE(info["cpu_threads"].toInt(), QThread::idealThreadCount());
    }

    void predictPrintsOneJsonLinePerImage() {
        const QString model = QString::fromStdString((root_ / "model").string());
        const QString a = QString::fromStdString((root_ / "a.jpg").string());
        const QString b = QString::fromStdString((root_ / "b.png").string());
        const QString broken = QString::fromStdString((root_ / "broken.jpg").string());
        const auto run = dermtool({"predict", "--model", model, "--device", "cpu", a, broken, b});
        QCOMPARE(run.exitCode, 2);  // one image failed
        const auto lines = run.lines();
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines[0]["image"].toString(), a);
        QCOMPARE(lines[1]["image"].toString(), broken);
        QVERIFY2(lines[1]["error"].toString().contains(broken),
                 qPrintable(lines[1]["error"].toString()));

        // Exactly what the engine computes for the same image.
        Predictor predictor(root_ / "model", tax::Taxonomy::builtin());
        const auto expected = predictor.predict(loadImage(root_ / "a.jpg").image);
        QVERIFY(std::abs(lines[0]["malignant"].toDouble() - expected.malignant) < 1e-9);
        QVERIFY(std::abs(lines[0]["melanocytic_malignant"].toDouble() -
                         *expected.melanocyticMalignant) < 1e-9);
        const auto top = lines[0]["top"].toArray();
        QCOMPARE(top.size(), 4);
        QCOMPARE(top[0].toArray()[0].toString().toStdString(),
                 tax::Taxonomy::builtin().node(expected.topClasses[0].node).id);
        const auto nodes = lines[0]["nodes"].toObject();
        QVERIFY(std::abs(nodes["benign"].toDouble() + nodes["malignant"].toDouble() - 1.0) <
                1e-6);  // float32 softmax
        QVERIFY(std::abs(nodes["malignant"].toDouble() - expected.malignant) < 1e-9);
    }

    // Issue 14.3: a file name that is not valid UTF-8 used to abort the whole run when its
    // JSON line was written. Now it is scored (its name printed with U+FFFD) and the run goes on.
    void aNonUtf8FileNameDoesNotAbortTheRun() {
        const std::string badName = std::string("bad") + char(0xFF) + ".jpg";
        fs::copy_file(root_ / "a.jpg", root_ / badName, fs::copy_options::overwrite_existing);
        QProcess process;
        process.setWorkingDirectory(QString::fromStdString(root_.string()));
        // The shell passes the raw byte: QProcess arguments are text and cannot.
        process.start("sh", {"-c",
                             "exec \"$0\" predict --model \"$1\" --device cpu "
                             "\"$(printf 'bad\\377.jpg')\" \"$2\"",
                             DERMTOOL_PATH, QString::fromStdString((root_ / "model").string()),
                             QString::fromStdString((root_ / "b.png").string())});
        QVERIFY(process.waitForFinished(120000));
        const QString out = QString::fromUtf8(process.readAllStandardOutput());
        QCOMPARE(process.exitCode(), 0);
        const QStringList lines = out.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 2);
        const QJsonObject first = QJsonDocument::fromJson(lines[0].toUtf8()).object();
        QVERIFY2(first["image"].toString().startsWith(QString("bad") + QChar(0xFFFD)),
                 qPrintable(lines[0].left(200)));
        QVERIFY(first.contains("malignant"));
        QVERIFY(lines[1].contains("b.png"));
        fs::remove(root_ / badName);
    }

    void predictWritesSaliencyOverlays() {
        const auto run = dermtool(
            {"predict", "--model", QString::fromStdString((root_ / "model").string()), "--saliency",
             QString::fromStdString((root_ / "maps").string()), "--saliency-method", "gradcam",
             QString::fromStdString((root_ / "b.png").string())});
        QCOMPARE(run.exitCode, 0);
        const QString map = run.lines()[0]["saliency"].toString();
        QVERIFY(map.endsWith("b.gradcam.png"));
        const auto overlay = loadImage(map.toStdString());
        QCOMPARE(overlay.image.width, 120);
        QCOMPARE(overlay.image.height, 160);
    }

    void missingModelIsAClearError() {
        const auto run = dermtool({"predict", QString::fromStdString((root_ / "a.jpg").string())});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("/nonexistent/model") && run.err.contains("does not exist"),
                 qPrintable(run.err));
    }

    void embedPrintsTheLastHiddenLayer() {
        const auto run =
            dermtool({"embed", "--model", QString::fromStdString((root_ / "model").string()),
                      QString::fromStdString((root_ / "a.jpg").string())});
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.lines()[0]["embedding"].toArray().size(), 2048);
    }

    void importWeightsMakesAWorkingBundle() {
        const auto run = dermtool(
            {"import-weights", "--from", "torchvision",
             QString::fromStdString((root_ / "model" / "weights.safetensors").string()), "--out",
             QString::fromStdString((root_ / "imported").string()), "--classes", "second-level"});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY(run.out.contains("9 classes"));
        const auto predict =
            dermtool({"predict", "--model", QString::fromStdString((root_ / "imported").string()),
                      QString::fromStdString((root_ / "a.jpg").string())});
        QCOMPARE(predict.exitCode, 0);
        QCOMPARE(predict.lines()[0]["top"].toArray().size(), 5);
    }

    void importFromTfjsRefusesBadInputWithExitTwo() {
        const fs::path folder = root_ / "tfjs-bad";
        fs::create_directories(folder);
        std::ofstream(folder / "model.json")
            << "{\"format\": \"layers-model\", \"modelTopology\": ";
        const QString out = QString::fromStdString((root_ / "tfjs-out").string());
        // --classes: no labelled data needed (the shared data may be absent).
        const auto truncated =
            dermtool({"import-weights", "--from", "tfjs", QString::fromStdString(folder.string()),
                      "--out", out, "--classes", "second-level"});
        QCOMPARE(truncated.exitCode, 2);
        QVERIFY2(truncated.err.contains("model.json"), qPrintable(truncated.err));
        QVERIFY(!fs::exists(root_ / "tfjs-out" / "manifest.json"));
        const auto missing = dermtool({"import-weights", "--from", "tfjs",
                                       QString::fromStdString((root_ / "no-such").string()),
                                       "--out", out, "--classes", "second-level"});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY2(missing.err.contains("no-such"), qPrintable(missing.err));
    }

    void partitionCountsAGenericCsv() {
        std::ofstream(root_ / "list.csv") << "path,label\na.jpg,nevus\nb.png,melanoma\n";
        const auto run = dermtool({"taxonomy", "partition", "--max-class-size", "10", "--dataset",
                                   "csv=" + QString::fromStdString((root_ / "list.csv").string())});
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.contains("2 training classes, 2 images"), qPrintable(run.out));
        const auto bad = dermtool({"taxonomy", "partition", "--dataset", "nonsense=/x"});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY(bad.err.contains("unknown dataset format 'nonsense'"));
    }

    void packTrainEvaluateAndCopyFromTheCommandLine() {
        // A folder per class with a few small images.
        for (int i = 0; i < 8; ++i) {
            const fs::path folder = root_ / "classes" / (i % 2 ? "melanoma" : "nevus");
            fs::create_directories(folder);
            saveImage(gradientImage(90 + i, 80, i * 30),
                      folder / ("img" + std::to_string(i) + ".png"));
        }
        const QString pack = QString::fromStdString((root_ / "small.drpack").string());
        const auto packed = dermtool(
            {"pack", "--dataset", "folder=" + QString::fromStdString((root_ / "classes").string()),
             "--max-side", "96", "--out", pack});
        QVERIFY2(packed.exitCode == 0, qPrintable(packed.err));
        QVERIFY(packed.out.contains("8 images"));

        const QString run = QString::fromStdString((root_ / "run").string());
        const QStringList trainArgs = {
            "train", "--pack",         pack,  "--out",        run,  "--epochs",
            "1",     "--batch-size",   "4",   "--input-size", "75", "--max-steps-per-epoch",
            "1",     "--holdout-fold", "0",   "--folds",      "4",  "--device",
            "cpu",   "--progress",     "json"};
        const auto trained = dermtool(trainArgs);
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
        const auto events = trained.lines();
        QCOMPARE(events.first()["event"].toString(), QStringLiteral("step"));
        QVERIFY(events.first().contains("images_per_second") &&
                events.first().contains("eta_seconds"));
        QCOMPARE(events[events.size() - 2]["event"].toString(), QStringLiteral("epoch"));
        QCOMPARE(events.last()["event"].toString(), QStringLiteral("finished"));
        QVERIFY(fs::exists(root_ / "run" / "model-best" / "manifest.json"));
        QVERIFY(fs::exists(root_ / "run" / "epoch-1" / "metrics.json"));

        const auto again = dermtool(trainArgs);  // an existing run needs --resume
        QCOMPARE(again.exitCode, 2);
        QVERIFY(again.err.contains("pass --resume"));

        const QString best = QString::fromStdString((root_ / "run" / "model-best").string());
        const auto evaluated = dermtool({"evaluate", "--model", best, "--data", pack, "--out",
                                         QString::fromStdString((root_ / "eval").string())});
        QVERIFY2(evaluated.exitCode == 0, qPrintable(evaluated.err));
        QVERIFY2(evaluated.out.contains("melanocytic: AUC"), qPrintable(evaluated.out));
        QVERIFY(fs::exists(root_ / "eval" / "roc_melanocytic.png"));

        const QString calibrated = QString::fromStdString((root_ / "calibrated").string());
        const auto calibration =
            dermtool({"calibrate", "--model", best, "--pack", pack, "--holdout-fold", "0",
                      "--folds", "4", "--out", calibrated, "--report",
                      QString::fromStdString((root_ / "calibration").string())});
        QVERIFY2(calibration.exitCode == 0, qPrintable(calibration.err));
        QVERIFY2(calibration.out.contains("temperature "), qPrintable(calibration.out));
        const auto calibratedManifest = readManifest(root_ / "calibrated");
        QVERIFY(calibratedManifest.temperature >= 0.1 && calibratedManifest.temperature <= 10);
        QVERIFY(QString::fromStdString(calibratedManifest.calibrationJson).contains("fitted_on"));
        QVERIFY(fs::exists(root_ / "calibration" / "reliability_fit.png"));
        std::ifstream predictions(root_ / "calibration" / "predictions.csv");
        std::string header, row;
        std::getline(predictions, header);
        QVERIFY(header.rfind("image_id,source,modality,node,truth,set,p_malignant", 0) == 0);
        QVERIFY(std::getline(predictions, row));
        QVERIFY2(row.find(",malignant,holdout,") != std::string::npos ||
                     row.find(",benign,holdout,") != std::string::npos,
                 row.c_str());

        const QString half = QString::fromStdString((root_ / "half").string());
        QCOMPARE(dermtool({"copy-model", best, half, "--dtype", "f16"}).exitCode, 0);
        QVERIFY(fs::file_size(root_ / "half" / "weights.safetensors") <
                fs::file_size(root_ / "run" / "model-best" / "weights.safetensors") * 6 / 10);
        QCOMPARE(dermtool({"predict", "--model", half,
                           QString::fromStdString((root_ / "a.jpg").string())})
                     .exitCode,
                 0);
    }

    void predictUsesTheDefaultModelOutOfTheBox() {
        const fs::path bundled =
            fs::path(DERMREADER_SOURCE_DIR) / "resources" / "models" / "default";
        if (!fs::exists(bundled / "manifest.json"))
            QSKIP("no default model in resources/models/default yet");
        const auto run =
            dermtool({"predict", QString::fromStdString((root_ / "a.jpg").string())}, QString());
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY(run.lines()[0].contains("malignant"));
    }

  private:
    QTemporaryDir dir_;
    fs::path root_;
};

QTEST_APPLESS_MAIN(TestDermtool)
#include "tst_dermtool.moc"
