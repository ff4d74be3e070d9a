// dermtool end to end, as a user runs it: predict, embed, import-weights, taxonomy partition.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <fstream>

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
    env.insert("DERMREADER_MODEL", modelEnv);
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
        ModelManifest m;
        m.name = "cli test model";
        for (const char* node :
             {"nevus", "melanoma", "seborrheic_keratosis", "basal_cell_carcinoma"}) {
            m.classes.push_back({node, false, 0});
        }
        m.taxonomyVersion = tax::Taxonomy::builtin().version();
        m.taxonomyDigest = tax::Taxonomy::builtin().digest();
        createInitialBundle(root_ / "model", m, 11);
        saveImage(gradientImage(200, 150, 0), root_ / "a.jpg");
        saveImage(gradientImage(120, 160, 90), root_ / "b.png");
        std::ofstream(root_ / "broken.jpg") << "\xFF\xD8\xFF garbage";
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
        QCOMPARE(run.exitCode, 1);
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

    void partitionCountsAGenericCsv() {
        std::ofstream(root_ / "list.csv") << "path,label\na.jpg,nevus\nb.png,melanoma\n";
        const auto run = dermtool({"taxonomy", "partition", "--max-class-size", "10", "--dataset",
                                   "csv=" + QString::fromStdString((root_ / "list.csv").string())});
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.contains("2 training classes, 2 images"), qPrintable(run.out));
        const auto bad = dermtool({"taxonomy", "partition", "--dataset", "nonsense=/x"});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY(bad.err.contains("unknown dataset format 'nonsense'"));
    }

  private:
    QTemporaryDir dir_;
    fs::path root_;
};

QTEST_APPLESS_MAIN(TestDermtool)
#include "tst_dermtool.moc"
