// Group-aware splits: no lesion or patient straddles two sides, folds are balanced.
#include <QtTest>

#include <map>
#include <set>

#include "TestData.h"
#include "dermreader/training/Splits.h"

using namespace dermreader::training;
namespace tax = dermreader::taxonomy;

namespace {

std::vector<LabelledImage> syntheticImages(int groups, int perGroupMax) {
    std::vector<LabelledImage> images;
    for (int g = 0; g < groups; ++g) {
        for (int i = 0; i <= g % perGroupMax; ++i) {
            LabelledImage image;
            image.imageId = "img" + std::to_string(images.size());
            image.group = "lesion" + std::to_string(g);
            image.node = g % 3;
            images.push_back(image);
        }
    }
    return images;
}

void verifyGroupsStayTogether(const std::vector<LabelledImage>& images,
                              const std::vector<int>& folds) {
    std::map<std::string, std::set<int>> foldsOfGroup;
    for (std::size_t i = 0; i < images.size(); ++i)
        foldsOfGroup[images[i].group].insert(folds[i]);
    for (const auto& [group, fs] : foldsOfGroup)
        QVERIFY2(fs.size() == 1, group.c_str());
}

}  // namespace

class TestSplits : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void groupsNeverStraddleFolds() {
        const auto images = syntheticImages(500, 4);
        const auto folds = assignFolds(images, 9, 42);
        verifyGroupsStayTogether(images, folds);
        std::vector<int> sizes(9, 0);
        for (int f : folds)
            ++sizes[static_cast<std::size_t>(f)];
        const auto [smallest, largest] = std::minmax_element(sizes.begin(), sizes.end());
        QVERIFY2(*largest - *smallest <= 4,
                 qPrintable(QString("%1..%2").arg(*smallest).arg(*largest)));
        QCOMPARE(assignFolds(images, 9, 42), folds);  // deterministic
        QVERIFY(assignFolds(images, 9, 43) != folds);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, assignFolds(images, 1, 0));
    }

    void trainValidationSplitKeepsGroupsAndFraction() {
        const auto images = syntheticImages(300, 3);
        const auto split = trainValidationSplit(images, 0.2, 7);
        QCOMPARE(split.train.size() + split.validation.size(), images.size());
        std::set<std::string> trainGroups;
        for (auto i : split.train)
            trainGroups.insert(images[i].group);
        for (auto i : split.validation)
            QVERIFY(!trainGroups.count(images[i].group));
        const double fraction = static_cast<double>(split.validation.size()) / images.size();
        QVERIFY(fraction > 0.15 && fraction < 0.25);
    }

    void joiningNearDuplicatesMergesWholeGroups() {
        auto images = syntheticImages(6, 2);  // groups of 1 and 2 images
        const std::vector<std::vector<float>> embeddings = {{1, 0},     {0, 1},     {0.99f, 0.05f},
                                                            {0, 1},     {-1, 0},    {0.5f, 0.5f},
                                                            {0.3f, -1}, {1, 0.01f}, {0, -1}};
        std::vector<std::vector<float>> used(embeddings.begin(),
                                             embeddings.begin() + static_cast<long>(images.size()));
        const auto pairs = nearDuplicatePairs(used, 0.98);
        QVERIFY(!pairs.empty());
        joinGroups(images, pairs);
        for (const auto& [a, b] : pairs)
            QCOMPARE(images[a].group, images[b].group);
        verifyGroupsStayTogether(images, assignFolds(images, 2, 1));
    }

    void realDatasetsSplitByLesionAndPatient() {
        REQUIRE_SHARED_DATA();
        const auto root = testdata::sharedDataRoot();
        const auto& t = tax::Taxonomy::builtin();
        for (const auto& [format, path] :
             std::vector<std::pair<DatasetFormat, std::filesystem::path>>{
                 {DatasetFormat::Ham10000, root / "ham10000"},
                 {DatasetFormat::PadUfes20, root / "pad-ufes20"}}) {
            const auto dataset = importDataset(path, format, t, {false, true});
            const auto folds = assignFolds(dataset.images, 9, 0);
            verifyGroupsStayTogether(dataset.images, folds);
            // Stratified: every fold has melanomas.
            std::set<int> foldsWithMelanoma;
            for (std::size_t i = 0; i < folds.size(); ++i) {
                if (t.node(dataset.images[i].node).id == "melanoma")
                    foldsWithMelanoma.insert(folds[i]);
            }
            QCOMPARE(foldsWithMelanoma.size(), std::size_t(9));
        }
    }
};

QTEST_APPLESS_MAIN(TestSplits)
#include "tst_splits.moc"
