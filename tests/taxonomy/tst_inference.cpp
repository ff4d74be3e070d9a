// The inference rule P(u) = sum of P over the training classes at or below u, the worked
// example of Extended Data Fig. 1, and the restricted binary tasks of the Methods.
#include <QtTest>

#include <random>

#include "dermreader/taxonomy/Inference.h"

using namespace dermreader::taxonomy;

namespace {

// A slice of the paper's Extended Data Fig. 1: inference classes benign/malignant, with
// training classes below them.
const char* kFigure1 = R"({"format": "dermreader-taxonomy", "format_version": 1, "nodes": [
  {"id": "benign", "name": "Benign", "group": "benign"},
  {"id": "benign_melanocytic", "name": "Benign melanocytic", "parent": "benign", "group": "benign", "lineage": "melanocytic"},
  {"id": "blue_nevus", "name": "Blue nevus", "parent": "benign_melanocytic", "group": "benign", "lineage": "melanocytic"},
  {"id": "halo_nevus", "name": "Halo nevus", "parent": "benign_melanocytic", "group": "benign", "lineage": "melanocytic"},
  {"id": "mongolian_spot", "name": "Mongolian spot", "parent": "benign_melanocytic", "group": "benign", "lineage": "melanocytic"},
  {"id": "benign_epidermal", "name": "Benign epidermal", "parent": "benign", "group": "benign", "lineage": "epidermal"},
  {"id": "seborrheic_keratosis", "name": "SK", "parent": "benign_epidermal", "group": "benign", "lineage": "epidermal"},
  {"id": "milia", "name": "Milia", "parent": "benign_epidermal", "group": "benign", "lineage": "epidermal"},
  {"id": "benign_dermal", "name": "Benign dermal", "parent": "benign", "group": "benign", "lineage": "dermal"},
  {"id": "cyst", "name": "Cyst", "parent": "benign_dermal", "group": "benign", "lineage": "dermal"},
  {"id": "dermatofibroma", "name": "DF", "parent": "benign_dermal", "group": "benign", "lineage": "dermal"},
  {"id": "malignant", "name": "Malignant", "group": "malignant"},
  {"id": "melanoma", "name": "Melanoma", "parent": "malignant", "group": "malignant", "lineage": "melanocytic"},
  {"id": "amelanotic_melanoma", "name": "Amelanotic", "parent": "melanoma", "group": "malignant", "lineage": "melanocytic"},
  {"id": "acrolentiginous_melanoma", "name": "Acral", "parent": "melanoma", "group": "malignant", "lineage": "melanocytic"},
  {"id": "malignant_epidermal", "name": "Malignant epidermal", "parent": "malignant", "group": "malignant", "lineage": "epidermal"},
  {"id": "bcc", "name": "BCC", "parent": "malignant_epidermal", "group": "malignant", "lineage": "epidermal"},
  {"id": "non_neoplastic", "name": "Non-neoplastic", "group": "non_neoplastic"},
  {"id": "psoriasis", "name": "Psoriasis", "parent": "non_neoplastic", "group": "non_neoplastic"}]})";

struct Fixture {
    Taxonomy taxonomy = Taxonomy::fromJson(kFigure1, "figure1");
    std::vector<std::string> classIds = {
        "blue_nevus", "halo_nevus",     "mongolian_spot",      "seborrheic_keratosis",     "milia",
        "cyst",       "dermatofibroma", "amelanotic_melanoma", "acrolentiginous_melanoma", "bcc",
        "psoriasis"};
    // The seven benign numbers of the figure, then malignant and non-neoplastic ones.
    std::vector<double> classP = {0.1, 0.05, 0.05, 0.3, 0.02, 0.03, 0.05, 0.15, 0.05, 0.1, 0.1};

    InferenceMap map() const {
        std::vector<NodeIndex> nodes;
        for (const auto& id : classIds)
            nodes.push_back(taxonomy.indexOf(id));
        return InferenceMap(taxonomy, nodes);
    }
    double p(const std::vector<double>& nodeP, const char* id) const {
        return nodeP[static_cast<std::size_t>(taxonomy.indexOf(id))];
    }
};

}  // namespace

class TestInference : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void extendedDataFigure1WorkedExample() {
        const Fixture f;
        const auto map = f.map();
        const auto nodeP = map.nodeProbabilities(f.classP);
        // P_benign = 0.6 = 0.1 + 0.05 + 0.05 + 0.3 + 0.02 + 0.03 + 0.05
        QVERIFY(qAbs(f.p(nodeP, "benign") - 0.6) < 1e-12);
        QVERIFY(qAbs(f.p(nodeP, "benign_melanocytic") - 0.2) < 1e-12);
        QVERIFY(qAbs(f.p(nodeP, "melanoma") - 0.2) < 1e-12);
        QVERIFY(qAbs(f.p(nodeP, "malignant") - 0.3) < 1e-12);
        QVERIFY(qAbs(map.malignantProbability(nodeP) - 0.3) < 1e-12);
        QVERIFY(qAbs(f.p(nodeP, "blue_nevus") - 0.1) < 1e-12);
    }

    void firstLevelSumsToOneAndRanks() {
        const Fixture f;
        const auto map = f.map();
        const auto nodeP = map.nodeProbabilities(f.classP);
        double sum = 0;
        for (const auto& np : map.firstLevel(nodeP))
            sum += np.probability;
        QVERIFY(qAbs(sum - 1.0) < 1e-12);
        const auto ranked = InferenceMap::ranked(nodeP, f.taxonomy.nodesAtDepth(1));
        QCOMPARE(f.taxonomy.node(ranked.front().node).id, std::string("benign_epidermal"));
    }

    void restrictedBinaryTasksRenormaliseWithinTheLineage() {
        const Fixture f;
        const auto map = f.map();
        // Melanocytic classes: nevi 0.2 benign, melanomas 0.2 malignant -> 0.5.
        QVERIFY(qAbs(*map.restrictedMalignantProbability(f.classP, Lineage::Melanocytic) - 0.5) <
                1e-12);
        // Epidermal: SK 0.3 + milia 0.02 benign, BCC 0.1 malignant -> 0.1 / 0.42.
        QVERIFY(qAbs(*map.restrictedMalignantProbability(f.classP, Lineage::Epidermal) -
                     0.1 / 0.42) < 1e-12);
        // Dermal classes exist but carry no malignant class: 0.
        QCOMPARE(*map.restrictedMalignantProbability(f.classP, Lineage::Dermal), 0.0);
        // A model without dermal probability mass has no answer.
        std::vector<double> noDermal = f.classP;
        noDermal[5] = noDermal[6] = 0.0;
        QVERIFY(!map.restrictedMalignantProbability(noDermal, Lineage::Dermal));
    }

    void rejectsWrongSizes() {
        const Fixture f;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, f.map().nodeProbabilities({0.5, 0.5}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, InferenceMap(f.taxonomy, {NodeIndex(999)}));
    }

    void everyLevelSumsToOneOnTheRealTaxonomy() {
        const Taxonomy& t = Taxonomy::builtin();
        // Synthetic counts: a pseudo-random number of images on every node, so that the
        // partition has ordinary and residual classes at many depths.
        std::mt19937 rng(7);
        std::vector<std::int64_t> counts(t.size());
        for (auto& c : counts)
            c = std::uniform_int_distribution<int>(0, 40)(rng);
        PartitionOptions options;
        options.maxClassSize = 120;
        const Partition partition = partitionDiseases(t, counts, options);
        QVERIFY(partition.classes.size() > 50);
        const InferenceMap map(t, partition);

        for (int trial = 0; trial < 20; ++trial) {
            std::vector<double> classP(map.classCount());
            double total = 0;
            for (auto& p : classP)
                total += p = std::gamma_distribution<double>(0.3)(rng);
            for (auto& p : classP)
                p /= total;
            const auto nodeP = map.nodeProbabilities(classP);

            double first = 0, second = 0;
            for (const auto& np : map.firstLevel(nodeP))
                first += np.probability;
            for (const auto& np : map.secondLevel(nodeP))
                second += np.probability;
            QVERIFY(qAbs(first - 1.0) < 1e-9);
            QVERIFY(qAbs(second - 1.0) < 1e-9);
            QVERIFY(qAbs(map.malignantProbability(nodeP) - nodeP[t.indexOf("malignant")]) < 1e-12);

            // P(u) = sum of P(children) + the residual class at u, for every node.
            for (std::size_t n = 0; n < t.size(); ++n) {
                double fromChildren = 0;
                for (NodeIndex c : t.node(static_cast<NodeIndex>(n)).children)
                    fromChildren += nodeP[c];
                for (std::size_t k = 0; k < partition.classes.size(); ++k) {
                    if (partition.classes[k].node == static_cast<NodeIndex>(n) &&
                        (partition.classes[k].residual ||
                         t.node(static_cast<NodeIndex>(n)).isLeaf())) {
                        fromChildren += classP[k];
                    }
                }
                // A non-residual class at an internal node covers its subtree whole.
                const bool wholeClass = partition.classOf(static_cast<NodeIndex>(n)) >= 0 &&
                                        !t.node(static_cast<NodeIndex>(n)).isLeaf() &&
                                        !partition
                                             .classes[static_cast<std::size_t>(
                                                 partition.classOf(static_cast<NodeIndex>(n)))]
                                             .residual;
                if (!wholeClass)
                    QVERIFY(qAbs(nodeP[n] - fromChildren) < 1e-9);
            }
            for (const auto lineage : {Lineage::Melanocytic, Lineage::Epidermal}) {
                const auto p = map.restrictedMalignantProbability(classP, lineage);
                QVERIFY(p && *p >= 0.0 && *p <= 1.0);
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestInference)
#include "tst_inference.moc"
