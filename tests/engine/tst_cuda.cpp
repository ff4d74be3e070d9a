// The CUDA path (issue 15.2). Compiled in every build; the checks that need a GPU skip with a
// message on machines without one, the rest check what a CPU-only machine can: a clear error
// when CUDA is asked for, the graph runner's eager fallback, what the runtime reports.
#include <QtTest>

#include <QTemporaryDir>
#include <cmath>

#include "CudaGraphForward.h"
#include "TestModels.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/engine/Predictor.h"
#include "dermreader/engine/RuntimeInfo.h"

using namespace dermreader::engine;
namespace tax = dermreader::taxonomy;
namespace fs = std::filesystem;

namespace {

RgbImage texture(int width, int height, int seed) {
    RgbImage image = RgbImage::filled(width, height, 0, 0, 0);
    for (std::size_t i = 0; i < image.pixels.size(); ++i)
        image.pixels[i] = static_cast<std::uint8_t>(((i + seed) * 2654435761u) >> 24);
    return image;
}

PredictorOptions on(DevicePreference device, bool graphs = false, bool bf16 = false) {
    PredictorOptions options;
    options.device = device;
    options.cudaGraphs = graphs;
    options.cudaBFloat16 = bf16;
    return options;
}

double worstDifference(const Prediction& a, const Prediction& b) {
    double worst = 0;
    for (std::size_t k = 0; k < a.classProbabilities.size(); ++k)
        worst = std::max(worst, std::abs(a.classProbabilities[k] - b.classProbabilities[k]));
    return worst;
}

}  // namespace

class TestCuda : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    fs::path bundle_;
    bool haveGpu_ = false;

  private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        bundle_ = fs::path(dir_.path().toStdString()) / "model";
        createInitialBundle(bundle_,
                            testdata::testManifest("cuda test model",
                                                   {"nevus", "melanoma", "basal_cell_carcinoma"}),
                            5);
        haveGpu_ = runtimeInfo().cudaAvailable;
    }

    void askingForCudaWithoutAGpuIsAClearError() {
        if (haveGpu_)
            QSKIP("this machine has a GPU");
        try {
            Predictor predictor(bundle_, tax::Taxonomy::builtin(), on(DevicePreference::Cuda));
            QFAIL("a CUDA predictor loaded without a GPU");
        } catch (const ModelError& e) {
            QVERIFY2(QString(e.what()).contains("no CUDA device"), e.what());
            QVERIFY2(QString(e.what()).contains(QString::fromStdString(bundle_.string())),
                     e.what());
        }
        // Auto falls back to the CPU.
        Predictor automatic(bundle_, tax::Taxonomy::builtin(), on(DevicePreference::Auto, true));
        QVERIFY(!automatic.usesCuda());
    }

    // On the CPU the graph runner is the forward itself: same tensor, nothing captured.
    void graphRunnerRunsCpuInputsEagerly() {
        int calls = 0;
        CudaGraphForward forward([&calls](const torch::Tensor& x) {
            ++calls;
            return x * 2 + 1;
        });
        const auto x = torch::rand({1, 3, 8, 8});
        QVERIFY(torch::equal(forward(x), x * 2 + 1));
        QCOMPARE(calls, 1);
        QVERIFY(!forward.captured());
        QVERIFY(forward.failure().empty());
    }

    void runtimeReportsWhatTheBuildHas() {
        const RuntimeInfo info = runtimeInfo();
        QVERIFY(!info.torchVersion.empty());
        QCOMPARE(info.cudaAvailable, !info.devices.empty());
#ifdef DERMREADER_WITH_CUDA
        QVERIFY(info.cudaCompiled);
        QVERIFY(!info.cudaVersion.empty());
#else
        QVERIFY(!info.cudaCompiled);
#endif
    }

    // Float32 on CUDA (eager, from the graph, batched) and bf16 autocast against the CPU.
    void cudaPredictionsMatchTheCpu() {
        if (!haveGpu_)
            QSKIP("no CUDA device on this machine: the CUDA path is compiled, not run");
        const auto& taxonomy = tax::Taxonomy::builtin();
        Predictor cpu(bundle_, taxonomy, on(DevicePreference::Cpu));
        Predictor eager(bundle_, taxonomy, on(DevicePreference::Cuda));
        Predictor graph(bundle_, taxonomy, on(DevicePreference::Cuda, true));
        Predictor bf16(bundle_, taxonomy, on(DevicePreference::Cuda, true, true));
        QVERIFY(graph.deviceDescription().find("CUDA graphs") != std::string::npos);
        std::vector<RgbImage> images;
        for (int i = 0; i < 3; ++i)
            images.push_back(texture(200 + 40 * i, 160, i));
        std::vector<const RgbImage*> batch;
        for (const auto& image : images)
            batch.push_back(&image);
        const auto batched = eager.predictBatch(batch);
        for (std::size_t i = 0; i < images.size(); ++i) {
            const auto expected = cpu.predict(images[i]);
            QVERIFY(worstDifference(eager.predict(images[i]), expected) < 1e-3);
            // Replayed graphs give each image its own answer, not the previous one's.
            QVERIFY(worstDifference(graph.predict(images[i]), expected) < 1e-3);
            QVERIFY(worstDifference(batched[i], expected) < 1e-3);
            QVERIFY(worstDifference(bf16.predict(images[i]), expected) < 5e-2);
        }
        const auto map = graph.saliency(images[0], SaliencyMethod::Gradient);
        QCOMPARE(int(map.values.size()), images[0].width * images[0].height);
    }
};

QTEST_GUILESS_MAIN(TestCuda)
#include "tst_cuda.moc"
