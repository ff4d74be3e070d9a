// The taxonomy tree model: a well-formed Qt model, probabilities per node, hiding, best path.
#include <QAbstractItemModelTester>
#include <QtTest>

#include "dermreader/ui/TaxonomyTreeModel.h"

using namespace dermreader::ui;
namespace tax = dermreader::taxonomy;

class TestTaxonomyTreeModel : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void isAWellFormedModel() {
        TaxonomyTreeModel model(tax::Taxonomy::builtin());
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.columnCount(), 2);
        std::vector<double> p(tax::Taxonomy::builtin().size(), 0.0);
        model.setProbabilities(p);  // all zero and hidden: an empty tree is still well formed
        QCOMPARE(model.rowCount(), 0);
    }

    void showsProbabilitiesAndTheMostProbablePath() {
        const auto& t = tax::Taxonomy::builtin();
        TaxonomyTreeModel model(t);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        std::vector<double> p(t.size(), 0.0);
        // A prediction split between nevus (0.7) and melanoma (0.3), summed up the tree.
        for (auto [leaf, value] : {std::make_pair("nevus", 0.7), std::make_pair("melanoma", 0.3)}) {
            for (auto n = t.indexOf(leaf); n != tax::kNoNode; n = t.node(n).parent)
                p[static_cast<std::size_t>(n)] += value;
        }
        model.setProbabilities(p);
        QCOMPARE(model.rowCount(), 2);  // non-neoplastic has P = 0 and is hidden
        const QModelIndex malignant =
            model.indexOf(t.indexOf("malignant"), TaxonomyTreeModel::ProbabilityColumn);
        QCOMPARE(malignant.data().toString(), QStringLiteral("30.0 %"));
        QCOMPARE(malignant.data(TaxonomyTreeModel::ProbabilityRole).toDouble(), 0.3);
        const auto path = model.mostProbablePath();
        QCOMPARE(model.nodeAt(path.front()), t.indexOf("benign"));
        QCOMPARE(model.nodeAt(path.back()), t.indexOf("nevus"));
        QCOMPARE(path.back().data(TaxonomyTreeModel::NodeIdRole).toString(),
                 QStringLiteral("nevus"));
        model.setHideZeroProbability(false);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.rowCount(model.indexOf(t.indexOf("benign"))),
                 static_cast<int>(t.node(t.indexOf("benign")).children.size()));
    }
};

QTEST_MAIN(TestTaxonomyTreeModel)
#include "tst_taxonomy_tree_model.moc"
