// The training loop: the learning-rate schedule, exact resumption from a checkpoint, and a few
// steps on real images lowering the loss.
#include <QtTest>

#include <QTemporaryDir>
#include <cstring>

#include "TestData.h"
#include "TestModels.h"
#include "dermreader/engine/ImageLoader.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/engine/Safetensors.h"
#include "dermreader/training/RunFolder.h"
#include "dermreader/training/Trainer.h"

using namespace dermreader::training;
namespace eng = dermreader::engine;
namespace tax = dermreader::taxonomy;
namespace fs = std::filesystem;

namespace {

const tax::Taxonomy& taxonomy() {
    return tax::Taxonomy::builtin();
}

// A pack of small synthetic images: nevi are brownish discs, melanomas dark irregular blobs.
fs::path syntheticPack(const fs::path& dir, int count) {
    std::vector<LabelledImage> images;
    for (int i = 0; i < count; ++i) {
        LabelledImage image;
        image.imageId = "synthetic" + std::to_string(i);
        image.path = image.imageId;
        image.group = image.imageId;
        image.node = taxonomy().indexOf(i % 2 ? "melanoma" : "nevus");
        images.push_back(image);
    }
    const fs::path path = dir / "synthetic.drpack";
    writePackedDataset(images, taxonomy(), path, 96, [](const fs::path& id) {
        const int seed = std::stoi(id.string().substr(9));
        eng::RgbImage image = eng::RgbImage::filled(90, 80, 210, 170, 150);
        for (int y = 0; y < 80; ++y) {
            for (int x = 0; x < 90; ++x) {
                const int dx = x - 45 - seed % 7, dy = y - 40;
                const bool inside = dx * dx + dy * dy < (seed % 2 ? 500 + 40 * (x % 5) : 300);
                if (inside) {
                    auto* p = &image.pixels[(static_cast<std::size_t>(y) * 90 + x) * 3];
                    p[0] = static_cast<std::uint8_t>(seed % 2 ? 40 : 140);
                    p[1] = static_cast<std::uint8_t>(seed % 2 ? 30 : 90);
                    p[2] = static_cast<std::uint8_t>(seed % 2 ? 35 : 60);
                }
            }
        }
        return image;
    });
    return path;
}

TrainingConfig tinyConfig(int epochs) {
    TrainingConfig config;
    config.epochs = epochs;
    config.batchSize = 4;
    config.inputSize = 75;  // Inception v3's smallest input keeps the test quick
    config.maxStepsPerEpoch = 2;
    config.maxClassSize = 1000;
    config.seed = 3;
    config.device = eng::DevicePreference::Cpu;
    return config;
}

std::vector<std::size_t> allIndices(std::size_t n) {
    std::vector<std::size_t> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = i;
    return v;
}

bool sameWeights(const fs::path& a, const fs::path& b) {
    const auto fa = eng::SafetensorsFile::open(a), fb = eng::SafetensorsFile::open(b);
    if (fa.tensors().size() != fb.tensors().size())
        return false;
    for (const auto& t : fa.tensors()) {
        const auto* u = fb.find(t.name);
        if (!u || u->end - u->begin != t.end - t.begin)
            return false;
        if (std::memcmp(fa.data(t), fb.data(*u), t.end - t.begin) != 0) {
            qWarning("differs: %s", t.name.c_str());
            return false;
        }
    }
    return true;
}

}  // namespace

class TestTrainer : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void learningRateIsDividedBy16Every30Epochs() {
        TrainingConfig config;
        QCOMPARE(scheduledLearningRate(config, 0), 0.001);
        QCOMPARE(scheduledLearningRate(config, 29), 0.001);
        QCOMPARE(scheduledLearningRate(config, 30), 0.001 / 16);
        QCOMPARE(scheduledLearningRate(config, 65), 0.001 / 256);
        config.learningRateDecayEpochs = 7;
        QCOMPARE(scheduledLearningRate(config, 7), 0.001 / 16);
    }

    void resumingGivesTheSameWeightsAsAnUninterruptedRun() {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto pack = PackedDataset::open(syntheticPack(root, 12));
        const auto train = allIndices(10);
        const std::vector<std::size_t> validation = {10, 11};

        Trainer straight(taxonomy(), pack, train, validation, tinyConfig(2), root / "straight");
        straight.run();

        {
            Trainer first(taxonomy(), pack, train, validation, tinyConfig(1), root / "resumed");
            first.run();
            QCOMPARE(first.epochsDone(), 1);
        }
        Trainer second(taxonomy(), pack, train, validation, tinyConfig(2), root / "resumed");
        QCOMPARE(second.epochsDone(), 1);
        std::vector<TrainingEvent::Kind> kinds;
        second.run([&](const TrainingEvent& e) { kinds.push_back(e.kind); });
        QCOMPARE(kinds.front(), TrainingEvent::Kind::Step);
        QCOMPARE(kinds.back(), TrainingEvent::Kind::Finished);

        QVERIFY(sameWeights(RunFolder::modelFile(RunFolder{root / "straight"}.checkpoint()),
                            RunFolder::modelFile(RunFolder{root / "resumed"}.checkpoint())));
        QVERIFY(sameWeights(RunFolder{root / "straight"}.lastModel() / "weights.safetensors",
                            RunFolder{root / "resumed"}.lastModel() / "weights.safetensors"));
        // The bundle is usable by the workstation's predictor.
        eng::Predictor predictor(RunFolder{root / "resumed"}.lastModel(), taxonomy());
        QCOMPARE(predictor.manifest().classes.size(), std::size_t(2));
        QCOMPARE(predictor.manifest().inputSize, 75);

        // A run folder refuses other settings.
        auto other = tinyConfig(2);
        other.learningRate = 0.01;
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, Trainer(taxonomy(), pack, train, validation,
                                                             other, root / "resumed"));
    }

    void startsFromAnInitBundlesBackbone() {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto pack = PackedDataset::open(syntheticPack(root, 8));
        eng::ModelManifest init =
            testdata::testManifest("init", {"psoriasis", "vitiligo", "scabies"});
        init.mean = {0.4f, 0.4f, 0.4f};
        eng::createInitialBundle(root / "init", init, 77);
        auto config = tinyConfig(1);
        config.initBundle = (root / "init").string();
        config.learningRate = 0.0;  // nothing moves: the backbone must be the init bundle's
        Trainer trainer(taxonomy(), pack, allIndices(8), {}, config, root / "run");
        trainer.run();
        const auto trained =
            eng::SafetensorsFile::open(RunFolder{root / "run"}.lastModel() / "weights.safetensors");
        const auto original = eng::SafetensorsFile::open(root / "init" / "weights.safetensors");
        const auto* a = trained.find("Mixed_7c.branch3x3dbl_2.conv.weight");
        const auto* b = original.find("Mixed_7c.branch3x3dbl_2.conv.weight");
        QVERIFY(a && b && a->end - a->begin == b->end - b->begin);
        QCOMPARE(std::memcmp(trained.data(*a), original.data(*b), a->end - a->begin), 0);
        QCOMPARE(trained.find("fc.weight")->shape[0],
                 std::int64_t(2));  // replaced: nevus, melanoma
        QCOMPARE(eng::readManifest(RunFolder{root / "run"}.lastModel()).mean[0],
                 0.4f);  // its normalisation
    }

    void freezingKeepsTheInitAndBatchNormIsReestimated() {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto pack = PackedDataset::open(syntheticPack(root, 8));
        auto initManifest = testdata::testManifest("init", {"nevus"});
        initManifest.trainingJson = R"({"provenance":"test weights of known origin"})";
        eng::createInitialBundle(root / "init", initManifest, 5);
        auto config = tinyConfig(1);
        config.initBundle = (root / "init").string();
        config.freezeThrough = "Mixed_6e";
        config.batchNormImages = 8;
        config.warmupSteps = 4;
        auto runSteps = [&](int steps, const fs::path& out) {
            config.maxStepsPerEpoch = steps;
            std::vector<TrainingEvent> events;
            Trainer trainer(taxonomy(), pack, allIndices(8), {}, config, out);
            trainer.run([&](const TrainingEvent& e) { events.push_back(e); });
            return events;
        };
        const auto events = runSteps(2, root / "two");
        runSteps(1, root / "one");

        // Two batches of batch-norm statistics first, then steps with a warming learning rate.
        QCOMPARE(events[0].kind, TrainingEvent::Kind::Preparing);
        QCOMPARE(events[1].kind, TrainingEvent::Kind::Preparing);
        QCOMPARE(events[1].step, 1);
        QCOMPARE(events[1].steps, 2);
        QCOMPARE(events[2].kind, TrainingEvent::Kind::Step);
        QCOMPARE(events[2].learningRate, 0.001 * 1 / 4);
        QCOMPARE(events[3].learningRate, 0.001 * 2 / 4);

        const auto one =
            eng::SafetensorsFile::open(RunFolder{root / "one"}.lastModel() / "weights.safetensors");
        const auto two =
            eng::SafetensorsFile::open(RunFolder{root / "two"}.lastModel() / "weights.safetensors");
        const auto init = eng::SafetensorsFile::open(root / "init" / "weights.safetensors");
        auto same = [](const eng::SafetensorsFile& a, const eng::SafetensorsFile& b,
                       const std::string& name) {
            const auto *x = a.find(name), *y = b.find(name);
            return x && y && x->end - x->begin == y->end - y->begin &&
                   std::memcmp(a.data(*x), b.data(*y), x->end - x->begin) == 0;
        };
        // Frozen: weights are the init's; statistics were re-estimated once, then kept.
        QVERIFY(same(two, init, "Mixed_6e.branch_pool.conv.weight"));
        QVERIFY(!same(two, init, "Conv2d_1a_3x3.bn.running_mean"));
        QVERIFY(same(two, one, "Conv2d_1a_3x3.bn.running_mean"));
        QVERIFY(same(two, one, "Mixed_6e.branch7x7dbl_5.bn.running_var"));
        // Trained: the later blocks move with every step.
        QVERIFY(!same(two, one, "Mixed_7c.branch_pool.conv.weight"));
        QVERIFY(!same(two, one, "Mixed_7a.branch3x3_1.bn.running_mean"));
        // The trained model names where its weights came from.
        const auto trained = eng::readManifest(RunFolder{root / "two"}.lastModel());
        QVERIFY(QString::fromStdString(trained.trainingJson)
                    .contains(R"("init":{"provenance":"test weights of known origin"})"));
    }

    void cancellingStopsAtAStepAndStaysResumable() {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto pack = PackedDataset::open(syntheticPack(root, 8));
        std::atomic<bool> cancel{false};
        Trainer trainer(taxonomy(), pack, allIndices(8), {}, tinyConfig(3), root / "run");
        trainer.run(
            [&](const TrainingEvent& e) {
                if (e.kind == TrainingEvent::Kind::Epoch)
                    cancel = true;
            },
            &cancel);
        QCOMPARE(trainer.epochsDone(), 1);
        Trainer again(taxonomy(), pack, allIndices(8), {}, tinyConfig(3), root / "run");
        QCOMPARE(again.epochsDone(), 1);
    }

    void aFewStepsOnRealImagesLowerTheLoss() {
        REQUIRE_SHARED_DATA();
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto ham = importDataset(testdata::sharedDataRoot() / "ham10000",
                                       DatasetFormat::Ham10000, taxonomy());
        std::vector<LabelledImage> few;
        int nevi = 0, melanomas = 0;
        for (const auto& image : ham.images) {
            const auto& id = taxonomy().node(image.node).id;
            if (id == "nevus" && nevi < 8) {
                few.push_back(image);
                ++nevi;
            } else if (id == "melanoma" && melanomas < 8) {
                few.push_back(image);
                ++melanomas;
            }
        }
        writePackedDataset(few, taxonomy(), root / "real.drpack", 96,
                           [](const fs::path& p) { return eng::loadImage(p).image; });
        const auto pack = PackedDataset::open(root / "real.drpack");
        auto config = tinyConfig(8);
        config.batchSize = 16;  // the whole set every step
        config.maxStepsPerEpoch = 1;
        config.augment = false;
        std::vector<double> losses;
        Trainer trainer(taxonomy(), pack, allIndices(16), {}, config, root / "run");
        trainer.run([&](const TrainingEvent& e) {
            if (e.kind == TrainingEvent::Kind::Step)
                losses.push_back(e.loss);
        });
        QCOMPARE(losses.size(), std::size_t(8));
        qInfo("training loss: first %.4f, last %.4f", losses.front(), losses.back());
        QVERIFY(losses.back() < losses.front());
    }
};

QTEST_APPLESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
