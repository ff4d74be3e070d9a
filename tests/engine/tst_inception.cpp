// Inception v3: torchvision's layout and parameter counts, bit-exact safetensors round trips,
// and numerical parity with torchvision's inception_v3 for the same weights and input.
#include <QtTest>

#include <QTemporaryDir>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "dermreader/engine/TorchInceptionV3.h"
#include "dermreader/engine/TorchStateDict.h"

using namespace dermreader::engine;

namespace {

int64_t parameterCount(torch::nn::Module& m) {
    int64_t n = 0;
    for (const auto& p : m.parameters())
        n += p.numel();
    return n;
}

// The same hash as tests/engine/fixtures/make_torchvision_fixtures.py (MurmurHash3 fmix64).
std::uint64_t fmix64(std::uint64_t x) {
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ull;
    x ^= x >> 33;
    return x;
}

double uniform(std::uint64_t tensorIndex, std::uint64_t i) {
    return static_cast<double>(fmix64((tensorIndex << 32) + i) >> 11) * std::ldexp(1.0, -53);
}

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void fillDeterministically(InceptionV3Impl& model) {
    torch::NoGradGuard noGrad;
    std::uint64_t index = 0;
    for (auto& [name, tensor] : namedState(model)) {
        if (endsWith(name, "num_batches_tracked")) {
            tensor.zero_();
            ++index;
            continue;
        }
        const int64_t n = tensor.numel();
        std::vector<float> values(static_cast<std::size_t>(n));
        double scale = 0;
        if (tensor.dim() > 1) {
            const double fanIn = static_cast<double>(n / tensor.size(0));
            scale = std::sqrt(6.0 / fanIn);
        }
        for (int64_t i = 0; i < n; ++i) {
            const double u = uniform(index, static_cast<std::uint64_t>(i));
            double v;
            if (endsWith(name, "running_var") || endsWith(name, "bn.weight")) {
                v = 0.5 + u;
            } else if (endsWith(name, "running_mean") || endsWith(name, "bn.bias")) {
                v = (u - 0.5) * 0.2;
            } else if (endsWith(name, "bias")) {
                v = (u - 0.5) * 0.1;
            } else {
                v = (2.0 * u - 1.0) * scale;
            }
            values[static_cast<std::size_t>(i)] = static_cast<float>(v);
        }
        tensor.copy_(torch::from_blob(values.data(), tensor.sizes(), torch::kFloat32));
        ++index;
    }
}

torch::Tensor fixtureTensor(const SafetensorsFile& file, const std::string& name) {
    const auto* info = file.find(name);
    if (!info)
        throw std::runtime_error("fixture lacks " + name);
    return readTensor(file, *info);
}

// max |a - b| relative to max |b|.
double relativeError(const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>() / b.abs().max().item<double>();
}

}  // namespace

class TestInception : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void parameterCountsMatchTorchvision() {
        InceptionV3 withAux(1000, true), withoutAux(1000, false);
        QCOMPARE(parameterCount(*withAux), int64_t(27161264));
        QCOMPARE(parameterCount(*withoutAux), int64_t(23834568));
        QCOMPARE(namedState(*withAux).size(), std::size_t(580));
    }

    void layoutMatchesTorchvisionExactly() {
        std::ifstream in(std::string(ENGINE_FIXTURES) + "/inception_v3_layout.json");
        const auto layout = nlohmann::json::parse(in)["entries"];
        InceptionV3 model(1000, true);
        const auto state = namedState(*model);
        QCOMPARE(state.size(), layout.size());
        for (std::size_t i = 0; i < state.size(); ++i) {
            const auto& entry = layout[i];
            QCOMPARE(state[i].first, entry[0].get<std::string>());
            const auto shape = entry[1].get<std::vector<int64_t>>();
            QVERIFY2(state[i].second.sizes() == c10::IntArrayRef(shape), state[i].first.c_str());
            const bool isInt = entry[2].get<std::string>() == "int64";
            QCOMPARE(state[i].second.scalar_type() == torch::kInt64, isInt);
        }
        // BatchNorm eps as torchvision's BasicConv2d.
        QCOMPARE(model->Conv2d_1a_3x3->bn->options.eps(), 0.001);
    }

    void torchvisionNamedFileLoadsAndRoundTripsBitExactly() {
        QTemporaryDir dir;
        // A file with torchvision's names and random values, written from the layout fixture.
        std::ifstream in(std::string(ENGINE_FIXTURES) + "/inception_v3_layout.json");
        const auto layout = nlohmann::json::parse(in)["entries"];
        torch::manual_seed(3);
        std::vector<torch::Tensor> values;
        std::vector<TensorToWrite> entries;
        for (const auto& entry : layout) {
            const auto shape = entry[1].get<std::vector<int64_t>>();
            const bool isInt = entry[2].get<std::string>() == "int64";
            values.push_back(isInt ? torch::randint(0, 1000, shape, torch::kInt64)
                                   : torch::randn(shape));
            entries.push_back({entry[0].get<std::string>(), isInt ? DType::I64 : DType::F32, shape,
                               values.back().data_ptr()});
        }
        const std::string first = dir.filePath("torchvision.safetensors").toStdString();
        writeSafetensors(first, entries);

        InceptionV3 model(1000, true);
        const auto report = loadStateDict(*model, SafetensorsFile::open(first));
        QCOMPARE(report.loaded.size(), std::size_t(580));
        QVERIFY(report.missing.empty() && report.unexpected.empty());
        const auto state = namedState(*model);
        for (std::size_t i = 0; i < state.size(); ++i)
            QVERIFY(torch::equal(state[i].second, values[i]));

        const std::string second = dir.filePath("again.safetensors").toStdString();
        saveStateDict(*model, second);
        InceptionV3 reloaded(1000, true);
        loadStateDict(*reloaded, SafetensorsFile::open(second));
        const auto again = namedState(*reloaded);
        for (std::size_t i = 0; i < again.size(); ++i)
            QVERIFY(torch::equal(again[i].second, values[i]));
    }

    void halfPrecisionStorageLoadsApproximately() {
        QTemporaryDir dir;
        InceptionV3 model(10, true);
        for (auto dtype : {DType::F16, DType::BF16}) {
            const std::string path =
                dir.filePath(QString::fromStdString(toString(dtype))).toStdString();
            saveStateDict(*model, path, dtype);
            const auto file = SafetensorsFile::open(path);
            QVERIFY(file.find("fc.weight")->dtype == dtype);
            QVERIFY(file.find("Conv2d_1a_3x3.bn.num_batches_tracked")->dtype == DType::I64);
            InceptionV3 copy(10, true);
            loadStateDict(*copy, file);
            QVERIFY(torch::allclose(copy->fc->weight, model->fc->weight, 1e-2, 1e-3));
        }
    }

    void matchesTorchvisionNumerically() {
        InceptionV3 model(1000, true);
        fillDeterministically(*model);
        model->eval();
        const auto fixture = SafetensorsFile::open(std::string(ENGINE_FIXTURES) +
                                                   "/inception_v3_parity.safetensors");
        std::vector<float> input(2 * 3 * 299 * 299);
        for (std::size_t i = 0; i < input.size(); ++i)
            input[i] = static_cast<float>(uniform(1000000, i));
        const auto x = (torch::from_blob(input.data(), {2, 3, 299, 299}).clone() - 0.5) / 0.5;
        torch::NoGradGuard noGrad;
        const auto pooled = InceptionV3Impl::pool(model->features(x));
        const auto logits = model->classify(pooled);
        const double pooledError = relativeError(pooled, fixtureTensor(fixture, "pooled"));
        const double logitError = relativeError(logits, fixtureTensor(fixture, "logits"));
        qInfo("relative error vs torchvision: pooled %.2e, logits %.2e", pooledError, logitError);
        QVERIFY(pooledError < 1e-4);
        QVERIFY(logitError < 1e-4);
    }

    void auxHeadOnlyInTraining() {
        InceptionV3 model(7, true);
        model->train();
        const auto out = model->forward(torch::randn({2, 3, 299, 299}));
        QCOMPARE(out.logits.sizes(), c10::IntArrayRef({2, 7}));
        QCOMPARE(out.auxLogits.sizes(), c10::IntArrayRef({2, 7}));
        model->eval();
        QVERIFY(!model->forward(torch::randn({1, 3, 299, 299})).auxLogits.defined());
        model->resetClassifier(4);
        QCOMPARE(model->numClasses(), int64_t(4));
        QCOMPARE(model->AuxLogits->fc->weight.size(0), int64_t(4));
    }
};

QTEST_APPLESS_MAIN(TestInception)
#include "tst_inception.moc"
