// The predictor on freshly initialised bundles: outputs obey the taxonomy's rules, batches and
// threads agree, saliency maps are sane and follow the weights, bad bundles are clear errors.
#include <QtTest>

#include <QTemporaryDir>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <limits>

#include "TestModels.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/engine/Predictor.h"
#include "dermreader/engine/Safetensors.h"

using namespace dermreader::engine;
namespace tax = dermreader::taxonomy;
namespace fs = std::filesystem;

namespace {

const tax::Taxonomy& taxonomy() {
    return tax::Taxonomy::builtin();
}

ModelManifest testManifest() {
    return testdata::testManifest("test model",
                                  {"nevus", "melanoma", "seborrheic_keratosis",
                                   "basal_cell_carcinoma", "dermatofibroma", "psoriasis"},
                                  10);
}

// A lesion-like picture: a dark disc off centre on skin-coloured, graded background.
RgbImage syntheticLesion(int width, int height, int seed = 0) {
    RgbImage image = RgbImage::filled(width, height, 0, 0, 0);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            const double dx = x - width * (0.4 + 0.05 * seed), dy = y - height * 0.55;
            const bool inside = dx * dx + dy * dy < std::pow(std::min(width, height) * 0.25, 2);
            auto* p = &image.pixels[(static_cast<std::size_t>(y) * width + x) * 3];
            p[0] = static_cast<std::uint8_t>(inside ? 90 : 200 + 40 * x / width);
            p[1] = static_cast<std::uint8_t>(inside ? 50 : 150 + 30 * y / height);
            p[2] = static_cast<std::uint8_t>(inside ? 40 : 130);
        }
    }
    return image;
}

double sum(const std::vector<tax::NodeProbability>& v) {
    double s = 0;
    for (const auto& p : v)
        s += p.probability;
    return s;
}

QString errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

}  // namespace

class TestPredictor : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        bundle_ = fs::path(dir_.path().toStdString()) / "model";
        createInitialBundle(bundle_, testManifest(), 1);
        other_ = fs::path(dir_.path().toStdString()) / "other";
        createInitialBundle(other_, testManifest(), 2);
        PredictorOptions options;
        options.device = DevicePreference::Cpu;
        predictor_ = std::make_unique<Predictor>(bundle_, taxonomy(), options);
    }

    void describesItsDeviceAndModel() {
        QVERIFY(QString::fromStdString(predictor_->deviceDescription()).startsWith("CPU: "));
        QCOMPARE(predictor_->manifest().name, std::string("test model"));
        QCOMPARE(predictor_->manifest().classes.size(), std::size_t(6));
    }

    void probabilitiesFollowTheTaxonomy() {
        const auto p = predictor_->predict(syntheticLesion(200, 150));
        double classSum = 0;
        for (double c : p.classProbabilities)
            classSum += c;
        QVERIFY(std::abs(classSum - 1.0) < 1e-5);
        QVERIFY(std::abs(sum(p.firstLevel) - 1.0) < 1e-5);
        QVERIFY(std::abs(sum(p.secondLevel) - 1.0) < 1e-5);
        // P(malignant) = P(melanoma) + P(basal cell carcinoma).
        QVERIFY(std::abs(p.malignant - (p.classProbabilities[1] + p.classProbabilities[3])) < 1e-9);
        QVERIFY(p.melanocyticMalignant && p.epidermalMalignant);
        QVERIFY(std::abs(*p.melanocyticMalignant -
                         p.classProbabilities[1] /
                             (p.classProbabilities[0] + p.classProbabilities[1])) < 1e-9);
        QCOMPARE(p.topClasses.size(), std::size_t(6));
        QVERIFY(p.topClasses[0].probability >= p.topClasses[5].probability);
        QCOMPARE(p.nodeProbabilities.size(), taxonomy().size());
    }

    void batchMatchesSingleImages() {
        const auto a = syntheticLesion(200, 150, 0), b = syntheticLesion(320, 240, 2);
        const auto batch = predictor_->predictBatch({&a, &b});
        const auto single = predictor_->predict(b);
        for (std::size_t k = 0; k < single.classProbabilities.size(); ++k) {
            QVERIFY(std::abs(batch[1].classProbabilities[k] - single.classProbabilities[k]) < 1e-5);
        }
    }

    void testTimeAugmentationAveragesViews() {
        PredictorOptions options;
        options.device = DevicePreference::Cpu;
        options.testTimeAugmentation = true;
        Predictor tta(bundle_, taxonomy(), options);
        const auto image = syntheticLesion(200, 150, 1);
        const auto withTta = tta.predict(image);
        const auto without = predictor_->predict(image);
        double s = 0, difference = 0;
        for (std::size_t k = 0; k < withTta.classProbabilities.size(); ++k) {
            s += withTta.classProbabilities[k];
            difference += std::abs(withTta.classProbabilities[k] - without.classProbabilities[k]);
        }
        QVERIFY(std::abs(s - 1.0) < 1e-5);
        QVERIFY(difference > 1e-6);

        // The views one by one: the first is the image itself, their mean is the TTA result,
        // and a predictor with TTA gives the same views (it does not average them away).
        const auto views = predictor_->predictViews(image);
        QCOMPARE(views.size(), std::size_t{8});
        QVERIFY(std::abs(views[0].malignant - without.malignant) < 1e-5);
        double mean = 0, spread = 0;
        for (const auto& view : views) {
            mean += view.malignant / 8;
            spread = std::max(spread, std::abs(view.malignant - views[0].malignant));
        }
        QVERIFY(std::abs(mean - withTta.malignant) < 1e-5);
        QVERIFY(spread > 1e-6);
        const auto ttaViews = tta.predictViews(image);
        for (std::size_t v = 0; v < 8; ++v)
            QVERIFY(std::abs(ttaViews[v].malignant - views[v].malignant) < 1e-5);
    }

    void concurrentUseGivesSerialResults() {
        const auto a = syntheticLesion(160, 120, 0), b = syntheticLesion(160, 120, 3);
        const auto expectedA = predictor_->predict(a).malignant,
                   expectedB = predictor_->predict(b).malignant;
        auto run = [&](const RgbImage& image) {
            std::vector<double> out;
            for (int i = 0; i < 3; ++i)
                out.push_back(predictor_->predict(image).malignant);
            return out;
        };
        auto fa = std::async(std::launch::async, run, std::cref(a));
        auto fb = std::async(std::launch::async, run, std::cref(b));
        for (double v : fa.get())
            QVERIFY(std::abs(v - expectedA) < 1e-9);
        for (double v : fb.get())
            QVERIFY(std::abs(v - expectedB) < 1e-9);
    }

    void embeddingIsTheLastHiddenLayer() {
        const auto e = predictor_->embed(syntheticLesion(200, 150));
        QCOMPARE(e.size(), std::size_t(2048));
        for (float v : e)
            QVERIFY(std::isfinite(v) && v >= 0.0f);  // after ReLU and pooling
    }

    void saliencyMapsAreSaneAndFollowTheWeights_data() {
        QTest::addColumn<int>("method");
        QTest::newRow("gradient") << static_cast<int>(SaliencyMethod::Gradient);
        QTest::newRow("gradcam") << static_cast<int>(SaliencyMethod::GradCam);
    }

    void saliencyMapsAreSaneAndFollowTheWeights() {
        QFETCH(int, method);
        const auto m = static_cast<SaliencyMethod>(method);
        const auto image = syntheticLesion(240, 180, 1);
        const auto map = predictor_->saliency(image, m);
        QCOMPARE(map.width, 240);
        QCOMPARE(map.height, 180);
        QCOMPARE(map.values.size(), std::size_t(240 * 180));
        float maxValue = 0;
        for (float v : map.values) {
            QVERIFY(std::isfinite(v) && v >= 0.0f && v <= 1.0f);
            maxValue = std::max(maxValue, v);
        }
        QVERIFY(maxValue > 0.5f);
        const auto probabilities = predictor_->predict(image).classProbabilities;
        const auto mostProbable = std::max_element(probabilities.begin(), probabilities.end());
        QCOMPARE(map.targetClass, static_cast<int>(mostProbable - probabilities.begin()));

        // Adebayo et al.'s sanity check: other weights, a different map.
        PredictorOptions options;
        options.device = DevicePreference::Cpu;
        Predictor other(other_, taxonomy(), options);
        const auto otherMap = other.saliency(image, m, map.targetClass);
        double difference = 0;
        for (std::size_t i = 0; i < map.values.size(); ++i)
            difference += std::abs(map.values[i] - otherMap.values[i]);
        QVERIFY2(difference / map.values.size() > 0.01,
                 qPrintable(QString::number(difference / map.values.size())));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, predictor_->saliency(image, m, 99));
    }

    // The input is resampled to the network's size and its first layer has stride 2: a raw
    // gradient map of a larger image is a regular grid of dots. The map must read as a map,
    // smooth at the scale of one network input pixel: neighbours differ far less than pixels
    // a lesion-feature apart.
    void gradientMapsHaveNoDotGrid() {
        const auto image = syntheticLesion(1000, 750, 2);
        const auto map = predictor_->saliency(image, SaliencyMethod::Gradient);
        auto meanDifference = [&](int lag) {
            double total = 0;
            long count = 0;
            for (int y = 0; y < map.height; y += 3) {
                const float* row = &map.values[static_cast<std::size_t>(y) * map.width];
                for (int x = 0; x + lag < map.width; ++x, ++count)
                    total += std::abs(row[x + lag] - row[x]);
            }
            return total / std::max(1L, count);
        };
        const double neighbours = meanDifference(1), apart = meanDifference(24);
        QVERIFY2(apart > 0, "a flat map says nothing");
        QVERIFY2(neighbours / apart < 0.3,
                 qPrintable(QString("neighbours %1, 24 px apart %2").arg(neighbours).arg(apart)));
    }

    void badBundlesAreClearErrors() {
        const fs::path root = dir_.path().toStdString();
        QVERIFY(
            errorOf([&] { Predictor(root / "nothing", taxonomy()); }).contains("does not exist"));

        // Mismatched taxonomy.
        const fs::path wrongTaxonomy = root / "wrong-taxonomy";
        fs::copy(bundle_, wrongTaxonomy);
        {
            auto m = readManifest(wrongTaxonomy);
            m.taxonomyDigest = "sha256:0000";
            writeManifest(m, wrongTaxonomy);
        }
        const QString taxonomyError = errorOf([&] { Predictor(wrongTaxonomy, taxonomy()); });
        QVERIFY2(taxonomyError.contains("was trained with taxonomy") &&
                     taxonomyError.contains("sha256:0000"),
                 qPrintable(taxonomyError));

        // Manifest with one class more than the weights: wrong shapes, named.
        const fs::path wrongShape = root / "wrong-shape";
        fs::copy(bundle_, wrongShape);
        {
            auto m = readManifest(wrongShape);
            m.classes.push_back({"vitiligo", false, 0});
            writeManifest(m, wrongShape);
        }
        const QString shapeError = errorOf([&] { Predictor(wrongShape, taxonomy()); });
        QVERIFY2(shapeError.contains("fc.weight is [6, 2048] in the file, [7, 2048] in the model"),
                 qPrintable(shapeError));

        // Truncated weights.
        const fs::path truncated = root / "truncated";
        fs::copy(bundle_, truncated);
        fs::resize_file(truncated / "weights.safetensors",
                        fs::file_size(truncated / "weights.safetensors") / 2);
        const QString truncatedError = errorOf([&] { Predictor(truncated, taxonomy()); });
        QVERIFY2(
            truncatedError.contains("truncated") && truncatedError.contains("weights.safetensors"),
            qPrintable(truncatedError));

        // Missing tensors.
        const fs::path missing = root / "missing";
        fs::create_directories(missing);
        fs::copy(bundle_ / "manifest.json", missing / "manifest.json");
        {
            const auto full = SafetensorsFile::open(bundle_ / "weights.safetensors");
            std::vector<TensorToWrite> kept;
            for (const auto& t : full.tensors()) {
                if (t.name != "fc.bias" && t.name != "Mixed_7c.branch_pool.bn.running_var") {
                    kept.push_back({t.name, t.dtype, t.shape, full.data(t)});
                }
            }
            writeSafetensors(missing / "weights.safetensors", kept);
        }
        const QString missingError = errorOf([&] { Predictor(missing, taxonomy()); });
        QVERIFY2(missingError.contains("2 tensors missing from the file") &&
                     missingError.contains("fc.bias"),
                 qPrintable(missingError));

        // Issue 14.5: NaN weights (here in fc.bias, stored as float32) are refused, named.
        const fs::path poisoned = root / "poisoned";
        fs::create_directories(poisoned);
        fs::copy(bundle_ / "manifest.json", poisoned / "manifest.json");
        {
            const auto full = SafetensorsFile::open(bundle_ / "weights.safetensors");
            std::vector<TensorToWrite> all;
            std::vector<float> nan(6, std::numeric_limits<float>::quiet_NaN());
            for (const auto& t : full.tensors()) {
                if (t.name == "fc.bias")
                    all.push_back({t.name, DType::F32, t.shape, nan.data()});
                else
                    all.push_back({t.name, t.dtype, t.shape, full.data(t)});
            }
            writeSafetensors(poisoned / "weights.safetensors", all);
        }
        const QString nanError = errorOf([&] { Predictor(poisoned, taxonomy()); });
        QVERIFY2(nanError.contains("fc.bias") && nanError.contains("NaN or infinite"),
                 qPrintable(nanError));
        // A normalisation no pipeline uses (std 1e-45 makes every input infinite), and a
        // field of the wrong type, are refused with the file and the field named.
        const fs::path badStd = root / "bad-std";
        fs::copy(bundle_, badStd);
        {
            std::ifstream in(badStd / "manifest.json");
            std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
            in.close();
            const auto at = text.find("\"std\"");
            QVERIFY(at != std::string::npos);
            const auto open = text.find('[', at), close = text.find(']', at);
            std::ofstream(badStd / "manifest.json")
                << text.substr(0, open) + "[1e-45, 0.5, 0.5]" + text.substr(close + 1);
        }
        const QString stdError = errorOf([&] { Predictor(badStd, taxonomy()); });
        QVERIFY2(stdError.contains("input.std must be between") && stdError.contains("bad-std"),
                 qPrintable(stdError));
        {
            std::ifstream in(badStd / "manifest.json");
            std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
            in.close();
            const auto at = text.find("\"size\"");
            QVERIFY(at != std::string::npos);
            const auto colon = text.find(':', at), comma = text.find_first_of(",}", colon);
            std::ofstream(badStd / "manifest.json")
                << text.substr(0, colon + 1) + " \"large\"" + text.substr(comma);
        }
        const QString typeError = errorOf([&] { readManifest(badStd); });
        QVERIFY2(typeError.contains("'input.size' has the wrong type") &&
                     typeError.contains("manifest.json"),
                 qPrintable(typeError));

        // Issue 14.6: every bundle this program writes is sealed; a changed bundle is refused
        // with what differs: weights swapped for another bundle's, two classes swapped in the
        // manifest, another input size.
        QVERIFY(!readManifest(bundle_).integrityJson.empty());
        const fs::path swappedWeights = root / "swapped-weights";
        fs::copy(bundle_, swappedWeights);
        fs::copy_file(other_ / "weights.safetensors", swappedWeights / "weights.safetensors",
                      fs::copy_options::overwrite_existing);
        const QString weightsError = errorOf([&] { Predictor(swappedWeights, taxonomy()); });
        QVERIFY2(weightsError.contains("SHA-256 differs"), qPrintable(weightsError));
        const fs::path swappedClasses = root / "swapped-classes";
        fs::copy(bundle_, swappedClasses);
        {
            auto m = readManifest(swappedClasses);
            std::swap(m.classes[0], m.classes[1]);
            writeManifest(m, swappedClasses);
        }
        const QString classError = errorOf([&] { Predictor(swappedClasses, taxonomy()); });
        QVERIFY2(classError.contains("differs from the sealed one"), qPrintable(classError));
        const fs::path resized = root / "resized";
        fs::copy(bundle_, resized);
        {
            auto m = readManifest(resized);
            m.inputSize = 224;
            writeManifest(m, resized);
        }
        QVERIFY(
            errorOf([&] { Predictor(resized, taxonomy()); }).contains("differs from the sealed"));
        // Sealing it again (dermtool seal-model) accepts the change deliberately.
        sealBundle(resized);
        Predictor accepted(resized, taxonomy());
        QCOMPARE(accepted.manifest().inputSize, 224);

        // Not a bundle at all / broken manifest / unknown class.
        const fs::path junk = root / "junk";
        fs::create_directories(junk);
        std::ofstream(junk / "manifest.json") << "{ not json";
        QVERIFY(errorOf([&] { readManifest(junk); }).contains("is not valid JSON"));
        std::ofstream(junk / "manifest.json")
            << R"({"format": "dermreader-model", "format_version": 1,
            "architecture": "resnet50", "classes": ["nevus", "no_such_disease"], "taxonomy": {}})";
        const QString manifestError = errorOf([&] { readManifest(junk); });
        QVERIFY2(manifestError.contains("architecture 'resnet50' is not supported") &&
                     manifestError.contains("taxonomy.digest is missing"),
                 qPrintable(manifestError));

        if (!predictor_->usesCuda()) {
            PredictorOptions cuda;
            cuda.device = DevicePreference::Cuda;
            QVERIFY(
                errorOf([&] { Predictor(bundle_, taxonomy(), cuda); }).contains("no CUDA device"));
        }
    }

  private:
    QTemporaryDir dir_;
    fs::path bundle_, other_;
    std::unique_ptr<Predictor> predictor_;
};

QTEST_APPLESS_MAIN(TestPredictor)
#include "tst_predictor.moc"
