// Making bundles: from scratch, and from torchvision- and timm-style ImageNet checkpoints.
#include <QtTest>

#include <QTemporaryDir>

#include "TestModels.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/engine/Predictor.h"
#include "dermreader/engine/TorchInceptionV3.h"
#include "dermreader/engine/TorchStateDict.h"

using namespace dermreader::engine;
namespace tax = dermreader::taxonomy;
namespace fs = std::filesystem;

namespace {

ModelManifest manifestFor(const std::vector<std::string>& nodes) {
    return testdata::testManifest("imported", nodes);
}

// An "ImageNet" checkpoint: random weights in torchvision's layout, 1000 classes.
fs::path writeCheckpoint(const fs::path& dir, bool timmStyle, InceptionV3& model) {
    model = InceptionV3(1000, true);
    initialiseLikeTorchvision(*model);
    const fs::path path = dir / (timmStyle ? "timm.safetensors" : "torchvision.safetensors");
    if (!timmStyle) {
        saveStateDict(*model, path);
        return path;
    }
    // timm's tv_in1k: no aux head, no num_batches_tracked.
    std::vector<torch::Tensor> keep;
    std::vector<TensorToWrite> entries;
    for (const auto& [name, t] : namedState(*model)) {
        if (name.rfind("AuxLogits.", 0) == 0 ||
            name.find("num_batches_tracked") != std::string::npos)
            continue;
        keep.push_back(t.contiguous());
        entries.push_back({name, t.scalar_type() == torch::kInt64 ? DType::I64 : DType::F32,
                           std::vector<int64_t>(t.sizes().begin(), t.sizes().end()),
                           keep.back().data_ptr()});
    }
    writeSafetensors(path, entries);
    return path;
}

}  // namespace

class TestModelFactory : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void importsTorchvisionAndTimmCheckpoints_data() {
        QTest::addColumn<bool>("timmStyle");
        QTest::newRow("torchvision") << false;
        QTest::newRow("timm") << true;
    }

    void importsTorchvisionAndTimmCheckpoints() {
        QFETCH(bool, timmStyle);
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        InceptionV3 imagenet{nullptr};
        const auto checkpoint = writeCheckpoint(root, timmStyle, imagenet);
        const auto report = importImageNetWeights(
            checkpoint, timmStyle ? CheckpointSource::Timm : CheckpointSource::Torchvision,
            root / "bundle", manifestFor({"nevus", "melanoma", "psoriasis"}));
        QVERIFY(report.loaded > 400);
        QCOMPARE(
            std::find(report.freshlyInitialised.begin(), report.freshlyInitialised.end(),
                      "AuxLogits (absent from the checkpoint)") != report.freshlyInitialised.end(),
            timmStyle);

        const auto manifest = readManifest(root / "bundle");
        QCOMPARE(manifest.mean[0], 0.5f);
        QVERIFY(manifest.trainingJson.find("imagenet") != std::string::npos);
        InceptionV3 imported(3, true);
        loadStateDict(*imported, SafetensorsFile::open(manifest.weightsPath()));
        QVERIFY(torch::equal(imported->Mixed_7c->branch_pool->conv->weight,
                             imagenet->Mixed_7c->branch_pool->conv->weight));
        QVERIFY(torch::equal(imported->Conv2d_1a_3x3->bn->running_var,
                             imagenet->Conv2d_1a_3x3->bn->running_var));
        QCOMPARE(imported->fc->weight.size(0), int64_t(3));
        // And the workstation's predictor takes it.
        Predictor predictor(root / "bundle", tax::Taxonomy::builtin());
        QCOMPARE(predictor.predict(RgbImage::filled(50, 40, 120, 80, 60)).classProbabilities.size(),
                 std::size_t(3));
    }

    void refusesCheckpointsThatAreNotInceptionV3() {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const float x[2] = {1, 2};
        writeSafetensors(root / "resnet.safetensors",
                         {{"layer1.0.conv1.weight", DType::F32, {2}, x}});
        try {
            importImageNetWeights(root / "resnet.safetensors", CheckpointSource::Torchvision,
                                  root / "out", manifestFor({"nevus"}));
            QFAIL("no error");
        } catch (const std::exception& e) {
            QVERIFY2(QString(e.what()).contains("resnet.safetensors"), e.what());
        }
        QVERIFY(!fs::exists(root / "out" / "manifest.json"));
    }

    void freshBundlesAreReproducibleFromTheSeed() {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        createInitialBundle(root / "a", manifestFor({"nevus", "melanoma"}), 5);
        createInitialBundle(root / "b", manifestFor({"nevus", "melanoma"}), 5);
        InceptionV3 a(2, true), b(2, true);
        loadStateDict(*a, SafetensorsFile::open(root / "a" / "weights.safetensors"));
        loadStateDict(*b, SafetensorsFile::open(root / "b" / "weights.safetensors"));
        QVERIFY(torch::equal(a->fc->weight, b->fc->weight));
        QVERIFY(torch::equal(a->Mixed_6e->branch7x7dbl_3->bn->running_mean,
                             b->Mixed_6e->branch7x7dbl_3->bn->running_mean));
    }
};

QTEST_APPLESS_MAIN(TestModelFactory)
#include "tst_model_factory.moc"
