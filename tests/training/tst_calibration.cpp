// Temperature scaling and reliability: exact values on hand-made scores, and recovery of a
// known overconfidence on simulated images.
#include <QtTest>

#include <QImage>
#include <QTemporaryDir>
#include <cmath>
#include <random>

#include "dermreader/training/Calibration.h"

using namespace dermreader::training;
namespace tax = dermreader::taxonomy;

namespace {

// Two training classes, nevus (benign) and melanoma (malignant): P(malignant) = p[1].
tax::InferenceMap twoClassMap() {
    const auto& t = tax::Taxonomy::builtin();
    return tax::InferenceMap(t, {t.indexOf("nevus"), t.indexOf("melanoma")});
}

ScoredImage image(double pMalignant, bool malignant) {
    return {{1 - pMalignant, pMalignant}, malignant};
}

}  // namespace

class TestCalibration : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void temperatureDividesTheLogits() {
        const std::vector<double> logits = {1.0, 3.0, -0.5};
        std::vector<double> p(3);
        double sum = 0;
        for (std::size_t k = 0; k < 3; ++k)
            sum += (p[k] = std::exp(logits[k]));
        for (auto& v : p)
            v /= sum;
        QCOMPARE(withTemperature(p, 1.0), p);
        const auto q = withTemperature(p, 2.0);
        double sumHalf = 0;
        for (double z : logits)
            sumHalf += std::exp(z / 2);
        for (std::size_t k = 0; k < 3; ++k)
            QVERIFY(std::abs(q[k] - std::exp(logits[k] / 2) / sumHalf) < 1e-12);
        QVERIFY(q[1] < p[1]);                        // softer
        QVERIFY(withTemperature(p, 0.5)[1] > p[1]);  // sharper
    }

    void reliabilityByHand() {
        const auto map = twoClassMap();
        // Bin [0.1, 0.2): predicted 0.15 twice, one malignant -> |0.5 - 0.15| = 0.35;
        // bin [0.9, 1.0]: predicted 0.95 twice, both malignant -> 0.05. ECE = (2*0.35 + 2*0.05)/4.
        const std::vector<ScoredImage> images = {image(0.15, true), image(0.15, false),
                                                 image(0.95, true), image(0.95, true)};
        const auto r = reliability(map, images, 1.0);
        QCOMPARE(r.images, 4);
        QCOMPARE(r.bins.size(), std::size_t(10));
        QCOMPARE(r.bins[1].images, 2);
        QVERIFY(std::abs(r.bins[1].observed - 0.5) < 1e-12);
        QVERIFY(std::abs(r.bins[9].meanPredicted - 0.95) < 1e-12);
        QVERIFY(std::abs(r.expectedCalibrationError - 0.2) < 1e-12);
        const double logLoss = -(std::log(0.15) + std::log(0.85) + 2 * std::log(0.95)) / 4;
        QVERIFY(std::abs(r.logLoss - logLoss) < 1e-12);
    }

    void recoversKnownOverconfidence() {
        // Truth: P(malignant) = sigmoid(z); the model reports sigmoid(3 z), three times too sure.
        const auto map = twoClassMap();
        std::mt19937_64 rng(7);
        std::normal_distribution<double> score(0.0, 1.5);
        std::uniform_real_distribution<double> draw(0.0, 1.0);
        std::vector<ScoredImage> images;
        for (int i = 0; i < 4000; ++i) {
            const double z = score(rng);
            const bool malignant = draw(rng) < 1 / (1 + std::exp(-z));
            images.push_back(image(1 / (1 + std::exp(-3 * z)), malignant));
        }
        const double t = fitTemperature(map, images);
        qInfo("fitted temperature %.3f (true 3)", t);
        QVERIFY(t > 2.6 && t < 3.4);
        const auto before = reliability(map, images, 1.0), after = reliability(map, images, t);
        QVERIFY(after.expectedCalibrationError < 0.5 * before.expectedCalibrationError);
        QVERIFY(after.logLoss < before.logLoss);
    }

    void truthLeavesOutNonNeoplastic() {
        const auto map = twoClassMap();
        const auto& t = tax::Taxonomy::builtin();
        std::optional<tax::NodeIndex> inflammatory;
        for (auto root : t.roots())
            if (t.node(root).group == tax::ClinicalGroup::NonNeoplastic)
                inflammatory = root;
        QVERIFY(inflammatory);
        const auto scored = malignancyTruth(
            map, {t.indexOf("melanoma"), t.indexOf("nevus"), *inflammatory, tax::kNoNode},
            {{0.2, 0.8}, {0.9, 0.1}, {0.5, 0.5}, {0.5, 0.5}});
        QCOMPARE(scored.size(), std::size_t(2));
        QVERIFY(scored[0].malignant);
        QVERIFY(!scored[1].malignant);
    }

    void diagramIsWritten() {
        QTemporaryDir dir;
        const auto map = twoClassMap();
        const std::vector<ScoredImage> images = {image(0.15, true), image(0.8, false)};
        const auto png = std::filesystem::path(dir.path().toStdString()) / "reliability.png";
        writeReliabilityDiagram(reliability(map, images, 1), reliability(map, images, 2), 2, png);
        const QImage written(QString::fromStdString(png.string()));
        QCOMPARE(written.width(), 520);
    }
};

QTEST_APPLESS_MAIN(TestCalibration)
#include "tst_calibration.moc"
