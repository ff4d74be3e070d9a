// The partition algorithm of Extended Data Table 1, on a toy tree and on the real taxonomy
// with the shared datasets' counts.
#include <QtTest>

#include <numeric>

#include "TestData.h"
#include "dermreader/taxonomy/Partition.h"
#include "dermreader/training/Dataset.h"

using namespace dermreader::taxonomy;
namespace trn = dermreader::training;

namespace {

// root
// ├─ a          (a1, a2 below)
// │  ├─ a1
// │  └─ a2
// └─ b          (b1 below)
//    └─ b1
const char* kToy = R"({"format": "dermreader-taxonomy", "format_version": 1, "nodes": [
  {"id": "root", "name": "Root", "group": "benign"},
  {"id": "a", "name": "A", "parent": "root", "group": "benign"},
  {"id": "a1", "name": "A1", "parent": "a", "group": "benign"},
  {"id": "a2", "name": "A2", "parent": "a", "group": "benign"},
  {"id": "b", "name": "B", "parent": "root", "group": "benign"},
  {"id": "b1", "name": "B1", "parent": "b", "group": "benign"}]})";

std::vector<std::int64_t> counts(const Taxonomy& t, std::map<std::string, std::int64_t> byId) {
    std::vector<std::int64_t> out(t.size(), 0);
    for (const auto& [id, n] : byId)
        out[static_cast<std::size_t>(t.indexOf(id))] = n;
    return out;
}

std::vector<std::string> describe(const Taxonomy& t, const Partition& p) {
    std::vector<std::string> out;
    for (const auto& c : p.classes) {
        out.push_back(t.node(c.node).id + (c.residual ? "*" : "") + "=" +
                      std::to_string(c.imageCount));
    }
    return out;
}

Partition run(const Taxonomy& t, std::map<std::string, std::int64_t> byId, std::int64_t max,
              int minDepth = 0, bool keepEmpty = false) {
    PartitionOptions options;
    options.maxClassSize = max;
    options.minDepth = minDepth;
    options.keepEmptyClasses = keepEmpty;
    return partitionDiseases(t, counts(t, std::move(byId)), options);
}

using Ids = std::vector<std::string>;

}  // namespace

class TestPartition : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void wholeTreeIsOneClassWhenSmall() {
        const Taxonomy t = Taxonomy::fromJson(kToy, "toy");
        QCOMPARE(describe(t, run(t, {{"a1", 3}, {"a2", 3}, {"b1", 3}}, 10)), Ids{"root=9"});
    }

    void descendsWhereASubtreeReachesMaxClassSize() {
        const Taxonomy t = Taxonomy::fromJson(kToy, "toy");
        // Subtree a has 10 images: not < 10, so it is split; b (4) stays whole.
        QCOMPARE(describe(t, run(t, {{"a1", 6}, {"a2", 4}, {"b1", 4}}, 10)),
                 (Ids{"a1=6", "a2=4", "b=4"}));
        // The paper's test is strict: exactly maxClassSize images splits.
        QCOMPARE(describe(t, run(t, {{"a1", 5}, {"a2", 4}, {"b1", 4}}, 10)), (Ids{"a=9", "b=4"}));
    }

    void leafAboveMaxClassSizeStaysOneClass() {
        const Taxonomy t = Taxonomy::fromJson(kToy, "toy");
        QCOMPARE(describe(t, run(t, {{"a1", 50}, {"a2", 1}, {"b1", 1}}, 10)),
                 (Ids{"a1=50", "a2=1", "b=1"}));
    }

    void nodeWithImagesOnlyOfItsOwnIsNotSplit() {
        const Taxonomy t = Taxonomy::fromJson(kToy, "toy");
        // Like "nv" labelled at the Nevus node, whose subtypes have no images.
        const auto p = run(t, {{"a", 70}, {"b1", 1}}, 10);
        QCOMPARE(describe(t, p), (Ids{"a=70", "b=1"}));
        QCOMPARE(p.classes[0].members.size(), std::size_t(3));
    }

    void imagesLabelledAtASplitNodeFormAResidualClass() {
        const Taxonomy t = Taxonomy::fromJson(kToy, "toy");
        const auto p = run(t, {{"a", 7}, {"a1", 2}, {"a2", 2}, {"b1", 1}}, 10);
        QCOMPARE(describe(t, p), (Ids{"a*=7", "a1=2", "a2=2", "b=1"}));
        QCOMPARE(p.classes[0].members, std::vector<NodeIndex>{t.indexOf("a")});
        QCOMPARE(p.classOf(t.indexOf("a")), 0);
        QCOMPARE(p.classOf(t.indexOf("b1")), 3);
    }

    void minDepthForcesClassesUnderInferenceNodes() {
        const Taxonomy t = Taxonomy::fromJson(kToy, "toy");
        const auto p = run(t, {{"root", 2}, {"a1", 1}, {"b1", 1}}, 100, 1);
        QCOMPARE(describe(t, p), (Ids{"a=1", "b=1"}));
        QCOMPARE(p.unplaced.size(), std::size_t(1));
        QCOMPARE(p.unplaced[0], std::make_pair(t.indexOf("root"), std::int64_t(2)));
    }

    void emptySubtreesAreDroppedUnlessKept() {
        const Taxonomy t = Taxonomy::fromJson(kToy, "toy");
        QCOMPARE(describe(t, run(t, {{"a1", 10}}, 10)), (Ids{"a1=10"}));
        QCOMPARE(describe(t, run(t, {{"a1", 10}}, 10, 0, true)), (Ids{"a1=10", "a2=0", "b=0"}));
    }

    void rejectsBadArguments() {
        const Taxonomy t = Taxonomy::fromJson(kToy, "toy");
        PartitionOptions options;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, partitionDiseases(t, {1, 2}, options));
        options.maxClassSize = 0;
        QVERIFY_THROWS_EXCEPTION(
            std::invalid_argument,
            partitionDiseases(t, std::vector<std::int64_t>(t.size(), 0), options));
    }

    void realTaxonomyWithSharedDataCounts() {
        REQUIRE_SHARED_DATA();
        const Taxonomy& t = Taxonomy::builtin();
        const auto root = testdata::sharedDataRoot();
        std::vector<std::int64_t> perNode(t.size(), 0);
        std::int64_t totalImages = 0;
        for (const auto& [format, path] :
             std::vector<std::pair<trn::DatasetFormat, std::filesystem::path>>{
                 {trn::DatasetFormat::Ham10000, root / "ham10000"},
                 {trn::DatasetFormat::Isic2017, root / "isic2017" / "training"},
                 {trn::DatasetFormat::PadUfes20, root / "pad-ufes20"}}) {
            const auto dataset = trn::importDataset(path, format, t);
            const auto c = dataset.countsPerNode(t);
            for (std::size_t i = 0; i < c.size(); ++i)
                perNode[i] += c[i];
            totalImages += static_cast<std::int64_t>(dataset.images.size());
        }
        QCOMPARE(totalImages, std::int64_t(10015 + 2000 + 582));

        for (std::int64_t max : {1000, 500, 100}) {
            PartitionOptions options;
            options.maxClassSize = max;
            const auto p = partitionDiseases(t, perNode, options);
            qInfo("maxClassSize %lld: %zu training classes", static_cast<long long>(max),
                  p.classes.size());
            // Every image is in exactly one class; every class lies under a second-level node.
            std::int64_t inClasses = 0;
            for (const auto& c : p.classes) {
                inClasses += c.imageCount;
                QVERIFY(c.imageCount > 0);
                QVERIFY(t.ancestorAtDepth(c.node, 1) != kNoNode);
                // A class reaches maxClassSize only where it cannot be split: its images are
                // all labelled at its own node.
                if (!c.residual && c.imageCount >= max) {
                    QCOMPARE(perNode[static_cast<std::size_t>(c.node)], c.imageCount);
                }
            }
            QCOMPARE(inClasses, totalImages);
            QVERIFY(p.unplaced.empty());
            // Deterministic.
            QCOMPARE(partitionDiseases(t, perNode, options).classNodeIds(t), p.classNodeIds(t));
        }
        // Finer partitions have at least as many classes.
        PartitionOptions coarse, fine;
        coarse.maxClassSize = 1000;
        fine.maxClassSize = 100;
        QVERIFY(partitionDiseases(t, perNode, fine).classes.size() >
                partitionDiseases(t, perNode, coarse).classes.size());
    }
};

QTEST_APPLESS_MAIN(TestPartition)
#include "tst_partition.moc"
