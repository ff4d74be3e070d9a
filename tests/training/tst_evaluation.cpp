// Evaluation metrics against values worked out by hand.
#include <QtTest>

#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <cmath>
#include <filesystem>

#include "dermreader/training/Evaluation.h"

using namespace dermreader::training;
namespace tax = dermreader::taxonomy;

class TestEvaluation : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void pairedDeLongMatchesAReference() {
        // Reference: DeLong's covariance for correlated AUCs, computed independently with
        // numpy (midranks, np.cov) for these scores.
        const std::vector<double> posA = {0.9, 0.8, 0.7, 0.4, 0.65},
                                  negA = {0.6, 0.3, 0.2, 0.1, 0.5, 0.35},
                                  posB = {0.7, 0.9, 0.3, 0.5, 0.6},
                                  negB = {0.4, 0.45, 0.1, 0.2, 0.55, 0.3};
        const auto d = pairedAucDifference(posA, negA, posB, negB);
        QVERIFY(std::abs(d.aucA - 0.9333333333333332) < 1e-12);
        QVERIFY(std::abs(d.aucB - 0.85) < 1e-12);
        QVERIFY(std::abs(d.difference - 0.08333333333333326) < 1e-12);
        QVERIFY(std::abs(d.low - -0.18164465023284743) < 1e-9);
        QVERIFY(std::abs(d.high - 0.34831131689951395) < 1e-9);
        QVERIFY(std::abs(d.pValue - 0.5376357720660491) < 1e-6);
        // A model against itself: no difference, no spread.
        const auto same = pairedAucDifference(posA, negA, posA, negA);
        QCOMPARE(same.difference, 0.0);
        QCOMPARE(same.low, 0.0);
        QCOMPARE(same.pValue, 1.0);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 pairedAucDifference(posA, negA, posB, {0.1}));
    }

    void aucRocAndSensitivityByHand() {
        // Positives 0.9 0.8 0.4, negatives 0.85 0.3 0.2 0.1. Pairs won by the positive:
        // 0.9: 4, 0.8: 3, 0.4: 3 -> 10 of 12.
        const auto m = binaryMetrics({0.9, 0.8, 0.4}, {0.85, 0.3, 0.2, 0.1});
        QVERIFY(std::abs(m.auc - 10.0 / 12.0) < 1e-12);
        // DeLong: V10 = (1, .75, .75) (negatives below each positive), V01 = (1/3, 1, 1, 1)
        // (positives above each negative). Var = s2(V10)/3 + s2(V01)/4.
        const double s10 =
            ((1 - 5.0 / 6) * (1 - 5.0 / 6) + 2 * (0.75 - 5.0 / 6) * (0.75 - 5.0 / 6)) / 2;
        const double s01 =
            ((1.0 / 3 - 5.0 / 6) * (1.0 / 3 - 5.0 / 6) + 3 * (1 - 5.0 / 6) * (1 - 5.0 / 6)) / 3;
        const double se = std::sqrt(s10 / 3 + s01 / 4);
        QVERIFY(std::abs(m.aucLow - (10.0 / 12 - 1.959964 * se)) < 1e-9);
        QVERIFY(std::abs(m.aucHigh - std::min(1.0, 10.0 / 12 + 1.959964 * se)) < 1e-9);
        // ROC: thresholds 0.9, 0.85, 0.8, 0.4, 0.3, ...
        QCOMPARE(m.roc.size(), std::size_t(8));
        QCOMPARE(m.roc[1].sensitivity, 1.0 / 3);
        QCOMPARE(m.roc[1].specificity, 1.0);
        QCOMPARE(m.roc[2].specificity, 0.75);
        QCOMPARE(m.roc[4].sensitivity, 1.0);
        QCOMPARE(m.roc[4].specificity, 0.75);
        // Specificity >= 90% is reached only at 0.9 (1 of 3 positives); >= 95% likewise.
        QCOMPARE(m.sensitivityAt90Specificity, 1.0 / 3);
        QCOMPARE(m.sensitivityAt95Specificity, 1.0 / 3);
    }

    void tiesCountHalf() {
        const auto m = binaryMetrics({0.5, 0.5}, {0.5, 0.1});
        QVERIFY(std::abs(m.auc - 0.75) < 1e-12);  // (0.5 + 1 + 0.5 + 1) / 4
        const auto perfect = binaryMetrics({0.9, 0.8}, {0.1});
        QCOMPARE(perfect.auc, 1.0);
        QCOMPARE(binaryMetrics({}, {0.1}).auc, 0.0);
    }

    void accuracyConfusionAndBinaryTasksThroughTheTaxonomy() {
        const auto& t = tax::Taxonomy::builtin();
        const std::vector<tax::NodeIndex> classNodes = {t.indexOf("nevus"), t.indexOf("melanoma"),
                                                        t.indexOf("seborrheic_keratosis"),
                                                        t.indexOf("basal_cell_carcinoma")};
        const tax::InferenceMap map(t, classNodes);
        const std::vector<tax::NodeIndex> labels = {
            t.indexOf("nevus"), t.indexOf("nevus"), t.indexOf("melanoma"),
            t.indexOf("seborrheic_keratosis"), t.indexOf("basal_cell_carcinoma")};
        const std::vector<std::vector<double>> p = {
            {0.7, 0.1, 0.1, 0.1},   // nevus: right
            {0.2, 0.6, 0.1, 0.1},   // nevus called melanoma
            {0.3, 0.5, 0.1, 0.1},   // melanoma: right
            {0.1, 0.1, 0.6, 0.2},   // SK: right
            {0.1, 0.1, 0.5, 0.3}};  // BCC called SK (9-way), benign (3-way)
        const auto r = evaluate(map, labels, p, 0.5);
        // 3-way: benign 3/3 right... nevus #2 -> malignant (0.7) wrong: benign 2/3; malignant
        // (melanoma right, BCC 0.4 vs benign 0.6 wrong) 1/2. Mean = (2/3 + 1/2) / 2.
        QVERIFY(std::abs(r.firstLevel.meanClassAccuracy - (2.0 / 3 + 0.5) / 2) < 1e-12);
        QCOMPARE(r.firstLevel.images, 5);
        // 9-way: benign melanocytic 1/2, melanoma 1/1, benign epidermal 1/1, malignant epidermal
        // 0/1.
        QVERIFY(std::abs(r.secondLevel.meanClassAccuracy - (0.5 + 1 + 1 + 0) / 4) < 1e-12);
        const auto row = [&](const char* id) {
            return std::find(r.secondLevel.classes.begin(), r.secondLevel.classes.end(),
                             t.indexOf(id)) -
                   r.secondLevel.classes.begin();
        };
        QCOMPARE(r.secondLevel.confusion[row("malignant_epidermal")][row("benign_epidermal")], 1);
        // Binary tasks with the restricted rule: melanocytic scores 0.1/0.8, 0.6/0.8, 0.5/0.8.
        QCOMPARE(r.binary.size(), std::size_t(2));
        QCOMPARE(r.binary[0].task, std::string("melanocytic"));
        QVERIFY(std::abs(r.binary[0].auc - 0.5) < 1e-12);  // 0.625 beats 0.125, loses to 0.75
        QCOMPARE(r.binary[1].task, std::string("epidermal"));
        QCOMPARE(r.binary[1].auc, 1.0);  // BCC 0.3/0.8 = 0.375 above SK 0.2/0.8 = 0.25

        // Written as JSON, CSV and PNG plots.
        QTemporaryDir dir;
        const std::filesystem::path out = dir.path().toStdString();
        r.writeFiles(out, t);
        for (const char* file :
             {"metrics.json", "confusion_level1.csv", "confusion_level2.csv", "roc_melanocytic.csv",
              "roc_epidermal.csv", "roc_melanocytic.png", "confusion_level2.png"}) {
            QVERIFY2(std::filesystem::file_size(out / file) > 20, file);
        }
        QImage roc(QString::fromStdString((out / "roc_melanocytic.png").string()));
        QCOMPARE(roc.width(), 520);
        QFile json(QString::fromStdString((out / "metrics.json").string()));
        QVERIFY(json.open(QIODevice::ReadOnly));
        const auto doc = QJsonDocument::fromJson(json.readAll()).object();
        QCOMPARE(doc["binary"].toArray()[0].toObject()["auc"].toDouble(), 0.5);
    }
};

QTEST_APPLESS_MAIN(TestEvaluation)
#include "tst_evaluation.moc"
