// Importing a TensorFlow.js layers model of Keras' InceptionV3: a fixture the test writes itself
// (every encoding: float32, float16, uint8, uint16), every way its files can be broken, and the
// shared ImageNet model against torchvision's output for the same files (when present).

#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "TestData.h"
#include "TestModels.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/engine/TfjsModel.h"
#include "dermreader/engine/TorchInceptionV3.h"
#include "dermreader/engine/TorchStateDict.h"

using namespace dermreader::engine;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::size_t kShardBytes = 4 << 20;

// A value for element i of weight w: distinct everywhere, so a transposition shows.
float fixtureValue(std::size_t w, std::size_t i) {
    return static_cast<float>(std::sin(0.37 * static_cast<double>(i) + 1.3 * w) * 0.2);
}

std::uint16_t floatToHalf(float f) {  // round to nearest; the fixture's values are normal
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    const std::uint32_t sign = (bits >> 16) & 0x8000u;
    const int exponent = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
    if (exponent <= 0)
        return static_cast<std::uint16_t>(sign);
    const std::uint32_t mantissa = bits & 0x7fffffu;
    std::uint32_t half = sign | (static_cast<std::uint32_t>(exponent) << 10) | (mantissa >> 13);
    if (mantissa & 0x1000u)
        ++half;
    return static_cast<std::uint16_t>(half);
}

// Writes a Keras-InceptionV3-shaped tfjs model: the conv/BN pairs in torchvision's order with
// Keras' kernel layout, a foreign Dense head, weights in four encodings over several shards.
// Returns the values the importer should produce, by weight name.
struct Fixture {
    fs::path dir;
    std::map<std::string, std::vector<float>> expected;
    std::map<std::string, std::vector<std::int64_t>> shapes;
};

class FixtureWriter {
  public:
    explicit FixtureWriter(fs::path dir) { fixture_.dir = std::move(dir); }

    Fixture write() {
        InceptionV3 model(1000, false);
        json layers =
            json::array({{{"class_name", "InputLayer"}, {"config", {{"name", "input_1"}}}}});
        std::string previous = "input_1";
        int n = 0;
        for (const auto& item : model->named_modules()) {
            auto* basic = item.value()->as<BasicConv2dImpl>();
            if (!basic)
                continue;
            ++n;
            const auto& w = basic->conv->weight;
            const int64_t out = w.size(0), in = w.size(1), kh = w.size(2), kw = w.size(3);
            const auto stride = *basic->conv->options.stride();
            const std::string conv = "conv2d_" + std::to_string(n),
                              bn = "batch_normalization_" + std::to_string(n);
            const bool same = kh * kw > 1 && hasSamePadding(item.key());
            layers.push_back({{"class_name", "Conv2D"},
                              {"config",
                               {{"name", conv},
                                {"filters", out},
                                {"kernel_size", {kh, kw}},
                                {"strides", {stride[0], stride[1]}},
                                {"padding", same ? "same" : "valid"},
                                {"use_bias", false}}},
                              {"inbound_nodes",
                               json::array({json::array({{previous, 0, 0, json::object()}})})}});
            layers.push_back(
                {{"class_name", "BatchNormalization"},
                 {"config", {{"name", bn}, {"scale", false}, {"epsilon", 0.001}}},
                 {"inbound_nodes", json::array({json::array({{conv, 0, 0, json::object()}})})}});
            previous = bn;
            // Encodings rotate so every kind is exercised, the big kernels mostly as uint8.
            const char* kernelEncoding = n % 4 == 1   ? "float32"
                                         : n % 4 == 2 ? "float16"
                                         : n % 4 == 3 ? "uint16"
                                                      : "uint8";
            add(conv + "/kernel", {kh, kw, in, out}, kernelEncoding);
            add(bn + "/beta", {out}, "float32");
            add(bn + "/moving_mean", {out}, "uint8");
            add(bn + "/moving_variance", {out}, "float32", /*positive=*/true);
        }
        layers.push_back({{"class_name", "Dense"}, {"config", {{"name", "dense_1"}}}});
        add("dense_1/kernel", {2048, 5}, "uint8");
        add("dense_1/bias", {5}, "float32");

        json paths = json::array();
        for (std::size_t offset = 0, k = 1; offset < bytes_.size(); offset += kShardBytes, ++k) {
            const std::string name = "group1-shard" + std::to_string(k);
            std::ofstream(fixture_.dir / name, std::ios::binary)
                .write(bytes_.data() + offset,
                       static_cast<std::streamsize>(std::min(kShardBytes, bytes_.size() - offset)));
            paths.push_back(name);
        }
        json doc = {
            {"format", "layers-model"},
            {"modelTopology",
             {{"keras_version", "2.2.4"},
              {"model_config", {{"class_name", "Model"}, {"config", {{"layers", layers}}}}}}},
            {"weightsManifest", json::array({{{"paths", paths}, {"weights", manifest_}}})}};
        std::ofstream(fixture_.dir / "model.json") << doc.dump();
        return fixture_;
    }

  private:
    // torchvision pads every 3x3/5x5/1x7/7x1 conv to keep the size, except the stride-2 ones
    // and the stem's first two.
    static bool hasSamePadding(const std::string& module) {
        for (const char* valid :
             {"Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_4a_3x3", "Mixed_6a.branch3x3",
              "Mixed_6a.branch3x3dbl_3", "Mixed_7a.branch3x3_2", "Mixed_7a.branch7x7x3_4"})
            if (module == valid)
                return false;
        return true;
    }

    void add(const std::string& name, std::vector<std::int64_t> shape, const std::string& encoding,
             bool positive = false) {
        std::size_t count = 1;
        for (auto d : shape)
            count *= static_cast<std::size_t>(d);
        const std::size_t index = fixture_.expected.size();
        std::vector<float> values(count);
        for (std::size_t i = 0; i < count; ++i)
            values[i] = positive ? 0.5f + std::abs(fixtureValue(index, i)) : fixtureValue(index, i);
        json entry = {{"name", name}, {"shape", shape}, {"dtype", "float32"}};
        if (encoding == "float32") {
            append(values.data(), 4 * count);
        } else if (encoding == "float16") {
            entry["quantization"] = {{"dtype", "float16"}};
            for (auto& v : values) {
                const std::uint16_t h = floatToHalf(v);
                append(&h, 2);
                v = halfValue(h);
            }
        } else {  // affine: value = q * scale + min
            const bool wide = encoding == "uint16";
            const double min = -0.2, scale = 0.4 / (wide ? 65535.0 : 255.0);
            entry["quantization"] = {{"dtype", encoding}, {"min", min}, {"scale", scale}};
            for (auto& v : values) {
                const auto q = static_cast<std::uint16_t>(std::lround((v - min) / scale));
                append(&q, wide ? 2 : 1);  // little-endian: the low byte first
                v = static_cast<float>(q * scale + min);
            }
        }
        manifest_.push_back(entry);
        fixture_.expected[name] = std::move(values);
        fixture_.shapes[name] = std::move(shape);
    }

    static float halfValue(std::uint16_t h) {
        const int exponent = (h >> 10) & 0x1f;
        const double magnitude = exponent == 0 ? std::ldexp(h & 0x3ff, -24)
                                               : std::ldexp(1024 + (h & 0x3ff), exponent - 25);
        return static_cast<float>((h & 0x8000) ? -magnitude : magnitude);
    }

    void append(const void* data, std::size_t n) {
        bytes_.append(static_cast<const char*>(data), n);
    }

    Fixture fixture_;
    std::string bytes_;
    json manifest_ = json::array();
};

json readJson(const fs::path& file) {
    std::ifstream in(file);
    return json::parse(in);
}

void writeJson(const fs::path& file, const json& doc) {
    std::ofstream(file) << doc.dump();
}

ModelManifest manifest() {
    return testdata::testManifest("tfjs test", {"nevus", "melanoma"});
}

InceptionV3 loadBundle(const fs::path& bundle) {
    const auto m = readManifest(bundle);
    InceptionV3 model(static_cast<int64_t>(m.classes.size()), m.auxLogits);
    loadStateDict(*model, SafetensorsFile::open(m.weightsPath()));
    model->eval();
    return model;
}

fs::path sharedTfjsModel() {
    if (const char* env = std::getenv("DERMREADER_PRETRAINED"); env && *env)
        return fs::path(env) / "inception_v3-keras-imagenet-nsfwjs";
    return testdata::sharedDataRoot().parent_path() / "pretrained" /
           "inception_v3-keras-imagenet-nsfwjs";
}

}  // namespace

class TestTfjs : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    Fixture fixture_;

    // Copies the fixture's files into a fresh folder for one test to break.
    fs::path copyOfFixture(const std::string& name) {
        const fs::path copy = fs::path(dir_.path().toStdString()) / name;
        fs::create_directories(copy);
        for (const auto& entry : fs::directory_iterator(fixture_.dir))
            fs::copy_file(entry.path(), copy / entry.path().filename());
        return copy;
    }

    // Importing `model` fails with a message naming model.json and containing `problem`.
    void expectRefused(const fs::path& model, const std::string& problem) {
        try {
            importTfjsWeights(model, model / "bundle", manifest());
            QFAIL(qPrintable(QString("accepted; expected: ") + problem.c_str()));
        } catch (const ModelError& e) {
            const std::string message = e.what();
            QVERIFY2(message.find((model / "model.json").string()) != std::string::npos, e.what());
            QVERIFY2(message.find(problem) != std::string::npos, e.what());
        }
        QVERIFY(!fs::exists(model / "bundle"));
    }

  private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        const fs::path fixtureDir = fs::path(dir_.path().toStdString()) / "fixture";
        fs::create_directories(fixtureDir);
        fixture_ = FixtureWriter(fixtureDir).write();
    }

    void readsEveryEncoding() {
        const auto model = readTfjsModel(fixture_.dir);
        QCOMPARE(model.weights.size(), fixture_.expected.size());
        QCOMPARE(model.kerasVersion, std::string("2.2.4"));
        for (const auto& [name, values] : fixture_.expected) {
            const auto& t = model.weights.at(name);
            QCOMPARE(t.shape, fixture_.shapes.at(name));
            for (std::size_t i = 0; i < values.size(); i += 97)
                QVERIFY2(std::abs(t.values[i] - values[i]) <= 1e-6f * (1 + std::abs(values[i])),
                         qPrintable(QString::fromStdString(name)));
        }
        QCOMPARE(model.weights.at("conv2d_3/kernel").storedAs, std::string("uint16"));
        QCOMPARE(model.weights.at("conv2d_2/kernel").storedAs, std::string("float16"));
    }

    void importsOntoTorchvisionNames() {
        const fs::path bundle = fs::path(dir_.path().toStdString()) / "bundle";
        const auto report = importTfjsWeights(fixture_.dir, bundle, manifest(), "a test fixture");
        QCOMPARE(report.ignored, std::vector<std::string>{"dense_1"});
        const auto m = readManifest(bundle);
        QCOMPARE(m.mean[0], 0.5f);  // Keras' Inception scales inputs to [-1, 1]
        QCOMPARE(m.std[0], 0.5f);
        QVERIFY(m.trainingJson.find("a test fixture") != std::string::npos);
        const auto model = loadBundle(bundle);

        // conv2d_n is the n-th BasicConv2d; Keras' [kh, kw, in, out] is torchvision's
        // [out, in, kh, kw].
        int n = 0;
        for (const auto& item : model->named_modules()) {
            auto* basic = item.value()->as<BasicConv2dImpl>();
            if (!basic || item.key().rfind("AuxLogits", 0) == 0)
                continue;
            ++n;
            const auto w = basic->conv->weight.contiguous();
            const auto& kernel = fixture_.expected.at("conv2d_" + std::to_string(n) + "/kernel");
            const int64_t out = w.size(0), in = w.size(1), kh = w.size(2), kw = w.size(3);
            const auto* data = w.data_ptr<float>();
            for (int64_t probe = 0; probe < 5; ++probe) {
                const int64_t o = (probe * 7) % out, i = (probe * 13) % in, y = probe % kh,
                              x = (probe + 1) % kw;
                const float got = data[((o * in + i) * kh + y) * kw + x];
                const float want =
                    kernel[static_cast<std::size_t>(((y * kw + x) * in + i) * out + o)];
                QVERIFY2(std::abs(got - want) < 1e-6f,
                         qPrintable(QString::fromStdString(item.key())));
            }
            const std::string bn = "batch_normalization_" + std::to_string(n);
            QVERIFY(torch::all(basic->bn->weight == 1).item<bool>());  // Keras' scale=False
            QCOMPARE(basic->bn->bias[0].item<float>(), fixture_.expected.at(bn + "/beta")[0]);
            QCOMPARE(basic->bn->running_mean[1].item<float>(),
                     fixture_.expected.at(bn + "/moving_mean")[1]);
            QCOMPARE(basic->bn->running_var[2].item<float>(),
                     fixture_.expected.at(bn + "/moving_variance")[2]);
        }
        QCOMPARE(n, 94);
    }

    void refusesAnotherTopology() {
        const fs::path model = copyOfFixture("topology");
        json doc = readJson(model / "model.json");
        auto& layers = doc["modelTopology"]["model_config"]["config"]["layers"];
        for (auto it = layers.begin(); it != layers.end(); ++it) {
            if ((*it)["config"]["name"] == "conv2d_94") {
                layers.erase(it);
                break;
            }
        }
        writeJson(model / "model.json", doc);
        expectRefused(model, "94 convolutions expected, found 93");
    }

    void refusesAWrongShape() {
        const fs::path model = copyOfFixture("shape");
        json doc = readJson(model / "model.json");
        // Same byte count, other layout: a 1x3 kernel presented as 3x1.
        for (auto& w : doc["weightsManifest"][0]["weights"]) {
            if (w["name"] == "conv2d_88/kernel") {
                std::swap(w["shape"][0], w["shape"][1]);
                QVERIFY(w["shape"][0] != w["shape"][1]);
            }
        }
        writeJson(model / "model.json", doc);
        expectRefused(model, "weight 'conv2d_88/kernel' has shape");
    }

    void refusesMissingShortAndLongShards() {
        const fs::path missing = copyOfFixture("missing");
        fs::remove(missing / "group1-shard2");
        expectRefused(missing, "missing file 'group1-shard2'");

        const fs::path shortShard = copyOfFixture("short");
        fs::resize_file(shortShard / "group1-shard3",
                        fs::file_size(shortShard / "group1-shard3") - 10);
        expectRefused(shortShard, "a shard is missing or short");

        const fs::path sizes = copyOfFixture("sizes");
        json doc = readJson(sizes / "model.json");
        doc["weightsManifest"][0]["weights"].push_back(
            {{"name", "extra/bias"}, {"shape", {3}}, {"dtype", "float32"}});
        writeJson(sizes / "model.json", doc);
        expectRefused(sizes, "need");
    }

    void refusesAFifoShard() {
        const fs::path model = copyOfFixture("fifo");
        fs::remove(model / "group1-shard1");
        QCOMPARE(::mkfifo((model / "group1-shard1").c_str(), 0600), 0);
        expectRefused(model, "'group1-shard1' is not a regular file");  // and does not hang
    }

    void refusesMalformedManifests() {
        const fs::path notJson = copyOfFixture("notjson");
        std::ofstream(notJson / "model.json") << "{\"modelTopology\": [";
        expectRefused(notJson, "not valid JSON");

        const fs::path graph = copyOfFixture("graph");
        writeJson(graph / "model.json",
                  {{"format", "graph-model"}, {"modelTopology", {{"node", json::array()}}}});
        expectRefused(graph, "graph model");

        const fs::path noScale = copyOfFixture("noscale");
        json doc = readJson(noScale / "model.json");
        doc["weightsManifest"][0]["weights"][3]["quantization"] = {{"dtype", "uint8"}, {"min", 0}};
        writeJson(noScale / "model.json", doc);
        expectRefused(noScale, "quantized without a numeric scale");

        const fs::path escape = copyOfFixture("escape");
        doc = readJson(escape / "model.json");
        doc["weightsManifest"][0]["paths"][0] = "../../etc/passwd";
        writeJson(escape / "model.json", doc);
        expectRefused(escape, "leaves the model folder");

        const fs::path badType = copyOfFixture("badtype");
        doc = readJson(badType / "model.json");
        doc["weightsManifest"][0]["weights"][0]["shape"] = "big";
        writeJson(badType / "model.json", doc);
        expectRefused(badType, "has no shape");
    }

    // The shared ImageNet model, imported, computes what torchvision computes with the same
    // files read by numpy (tests/engine/fixtures/make_tfjs_reference.py).
    void sharedModelMatchesTorchvision() {
        const fs::path shared = sharedTfjsModel();
        if (!fs::exists(shared / "model.json"))
            QSKIP(qPrintable(QString("shared pretrained model not found at %1")
                                 .arg(QString::fromStdString(shared.string()))));
        const fs::path bundle = fs::path(dir_.path().toStdString()) / "shared-bundle";
        importTfjsWeights(shared, bundle, manifest());
        auto model = loadBundle(bundle);
        std::vector<float> input(2 * 3 * 299 * 299);
        for (std::size_t i = 0; i < input.size(); ++i)  // make_torchvision_fixtures.py's input
            input[i] = static_cast<float>(testUniform(1000000, i));
        const auto x = (torch::from_blob(input.data(), {2, 3, 299, 299}).clone() - 0.5) / 0.5;
        torch::NoGradGuard noGrad;
        const auto pooled = InceptionV3Impl::pool(model->features(x));
        const auto reference =
            SafetensorsFile::open(std::string(ENGINE_FIXTURES) + "/tfjs_reference.safetensors");
        const auto expected = readTensor(reference, *reference.find("pooled"));
        const double error =
            (pooled - expected).abs().max().item<double>() / expected.abs().max().item<double>();
        qInfo("pooled features vs torchvision: relative error %.2e", error);
        QVERIFY(error < 1e-4);
    }

  private:
    static double testUniform(std::uint64_t tensorIndex, std::uint64_t i) {
        std::uint64_t x = (tensorIndex << 32) + i;  // MurmurHash3's fmix64
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 33;
        return static_cast<double>(x >> 11) * std::ldexp(1.0, -53);
    }
};

QTEST_APPLESS_MAIN(TestTfjs)
#include "tst_tfjs.moc"
