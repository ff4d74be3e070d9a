// The model card as people read it: the bundle's MODEL_CARD.md or a document from the
// manifest, and the validation ROC curves.
#include <QtTest>

#include <QTemporaryDir>

#include "TestModels.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/engine/Resources.h"
#include "dermreader/workstation/ModelCard.h"

namespace ws = dermreader::workstation;
namespace eng = dermreader::engine;

class TestModelCard : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void madeFromTheManifest() {
        QTemporaryDir dir;
        auto manifest = testdata::testManifest("card test model", {"nevus", "melanoma"});
        manifest.metricsJson =
            R"({"binary":[{"task":"melanocytic","auc":0.75,"auc_ci95":[0.6,0.9],)"
            R"("positives":3,"negatives":4,"roc":[[1,0,1],[0.7,0.5,0.75],[0.2,1,0.25]]}]})";
        eng::createInitialBundle(dir.filePath("m").toStdString(), manifest, 4);
        const ws::ModelCard card = ws::loadModelCard(dir.filePath("m"));
        QCOMPARE(card.title, QString("card test model"));
        QVERIFY(card.markdown.startsWith("# card test model"));
        QVERIFY(card.markdown.contains("`melanoma`"));
        QVERIFY2(card.markdown.contains("melanoma vs nevus: AUC 0.750 (95% CI 0.600–0.900)"),
                 qPrintable(card.markdown));
        QVERIFY(!card.markdown.contains("{\""));  // no raw JSON
        QCOMPARE(int(card.curves.size()), 1);
        QCOMPARE(card.curves[0].points.size(), 3);
        QCOMPARE(card.curves[0].points[1], QPointF(0.25, 0.5));
    }

    void theBundlesOwnCardWins() {
        QTemporaryDir dir;
        eng::createInitialBundle(dir.filePath("m").toStdString(),
                                 testdata::testManifest("card test model", {"nevus", "melanoma"}),
                                 4);
        QFile card(dir.filePath("m/MODEL_CARD.md"));
        QVERIFY(card.open(QIODevice::WriteOnly));
        card.write("# Written card\n\nwith a diagram ![](reliability.png)\n");
        card.close();
        const ws::ModelCard loaded = ws::loadModelCard(dir.filePath("m"));
        QVERIFY(loaded.markdown.startsWith("# Written card"));
        QCOMPARE(loaded.folder, QDir(dir.filePath("m")).absolutePath());
        QVERIFY(loaded.curves.empty());
    }

    void theDefaultModelsCard() {
        const auto bundle = eng::defaultModelBundle();
        if (!bundle)
            QSKIP("no default model bundle");
        const ws::ModelCard card = ws::loadModelCard(QString::fromStdString(bundle->string()));
        QVERIFY(card.markdown.startsWith("# Model card"));
        QCOMPARE(int(card.curves.size()), 2);
        for (const auto& curve : card.curves) {
            QVERIFY(curve.points.size() > 10);
            QVERIFY(curve.auc > 0.5 && curve.auc < 1.0);
        }
    }

    void aMissingBundleNamesItself() {
        try {
            ws::loadModelCard("/no/such/bundle");
            QFAIL("no error");
        } catch (const std::exception& e) {
            QVERIFY2(QString(e.what()).contains("/no/such/bundle"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestModelCard)
#include "tst_model_card.moc"
