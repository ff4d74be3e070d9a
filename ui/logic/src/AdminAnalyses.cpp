#include "dermreader/workstation/AdminAnalyses.h"

#include <algorithm>
#include <numeric>

#include "dermreader/engine/ImageLoader.h"
#include "dermreader/engine/Predictor.h"
#include "dermreader/records/ReaderStudy.h"
#include "dermreader/taxonomy/Partition.h"
#include "dermreader/training/Splits.h"
#include "dermreader/training/Trainer.h"
#include "dermreader/training/Tsne.h"

namespace dermreader::workstation {
namespace trn = dermreader::training;
namespace tax = dermreader::taxonomy;

PartitionPreview previewPartition(const trn::Dataset& dataset, const tax::Taxonomy& taxonomy,
                                  qint64 maxClassSize, int folds, int holdoutFold) {
    PartitionPreview preview;
    preview.images = static_cast<int>(dataset.images.size());
    for (const auto& problem : dataset.problems)
        preview.problems.push_back(QString::fromStdString(problem.where + ": " + problem.message));
    std::vector<std::size_t> train;
    if (holdoutFold >= 0 && folds >= 2 && !dataset.images.empty()) {
        trn::Split split = trn::foldSplit(
            trn::assignFolds(dataset.images, folds, trn::TrainingConfig{}.seed), holdoutFold);
        preview.validationImages = static_cast<int>(split.validation.size());
        train = std::move(split.train);
    } else {
        train.resize(dataset.images.size());
        std::iota(train.begin(), train.end(), 0);
    }
    preview.trainImages = static_cast<int>(train.size());
    std::vector<std::int64_t> counts(taxonomy.size(), 0);
    for (auto i : train)
        ++counts[static_cast<std::size_t>(dataset.images[i].node)];
    tax::PartitionOptions options;
    options.maxClassSize = maxClassSize;
    for (const auto& c : tax::partitionDiseases(taxonomy, counts, options).classes) {
        preview.classes.push_back({QString::fromStdString(taxonomy.node(c.node).id),
                                   QString::fromStdString(taxonomy.node(c.node).name), c.imageCount,
                                   c.residual});
    }
    return preview;
}

ModelComparison compareModels(const QString& bundleA, const QString& bundleB,
                              const std::vector<trn::LabelledImage>& images,
                              const tax::Taxonomy& taxonomy, const AnalysisProgress& progress) {
    engine::Predictor a(bundleA.toStdString(), taxonomy);
    engine::Predictor b(bundleB.toStdString(), taxonomy);
    ModelComparison result;
    result.nameA = QString::fromStdString(a.manifest().name);
    result.nameB = QString::fromStdString(b.manifest().name);
    struct Scores {
        std::vector<double> posA, negA, posB, negB;
    };
    Scores melanocytic, epidermal;
    for (std::size_t i = 0; i < images.size(); ++i) {
        if (progress && !progress(static_cast<int>(i), static_cast<int>(images.size())))
            break;
        const auto& image = images[i];
        const auto inMelanocytic =
            records::taskTruth(records::StudyTask::Melanocytic, taxonomy, image.node);
        const auto inEpidermal =
            records::taskTruth(records::StudyTask::Epidermal, taxonomy, image.node);
        if (!inMelanocytic && !inEpidermal) {
            ++result.skipped;
            continue;
        }
        try {
            const engine::RgbImage pixels = engine::loadImage(image.path).image;
            const engine::Prediction pa = a.predict(pixels), pb = b.predict(pixels);
            Scores& scores = inMelanocytic ? melanocytic : epidermal;
            const bool malignant = inMelanocytic ? *inMelanocytic : *inEpidermal;
            const auto task =
                inMelanocytic ? records::StudyTask::Melanocytic : records::StudyTask::Epidermal;
            (malignant ? scores.posA : scores.negA).push_back(records::cnnScore(task, pa));
            (malignant ? scores.posB : scores.negB).push_back(records::cnnScore(task, pb));
            ++result.images;
        } catch (const std::exception&) {
            ++result.skipped;
        }
    }
    for (const auto& [name, s] : {std::pair<QString, const Scores&>{"melanocytic", melanocytic},
                                  std::pair<QString, const Scores&>{"epidermal", epidermal}}) {
        if (s.posA.empty() || s.negA.empty())
            continue;
        result.tasks.push_back({name, trn::binaryMetrics(s.posA, s.negA),
                                trn::binaryMetrics(s.posB, s.negB),
                                trn::pairedAucDifference(s.posA, s.negA, s.posB, s.negB)});
    }
    return result;
}

EmbeddingMap computeEmbeddingMap(const QString& bundle,
                                 const std::vector<trn::LabelledImage>& images,
                                 const tax::Taxonomy& taxonomy, int maxImages,
                                 const AnalysisProgress& progress) {
    engine::Predictor predictor(bundle.toStdString(), taxonomy);
    // An even sample across the list (datasets are often sorted by class).
    std::vector<std::size_t> chosen;
    const std::size_t n = images.size(), wanted = std::min<std::size_t>(n, std::max(1, maxImages));
    for (std::size_t k = 0; k < wanted; ++k)
        chosen.push_back(k * n / wanted);
    std::vector<std::vector<float>> features;
    EmbeddingMap map;
    const int total = static_cast<int>(chosen.size()) * 2;  // embedding, then the map
    for (std::size_t k = 0; k < chosen.size(); ++k) {
        if (progress && !progress(static_cast<int>(k), total))
            return map;
        const auto& image = images[chosen[k]];
        try {
            features.push_back(predictor.embed(engine::loadImage(image.path).image));
        } catch (const std::exception&) {
            continue;  // unreadable images are left out of the map
        }
        const tax::NodeIndex level2 = taxonomy.ancestorAtDepth(image.node, 1);
        const tax::NodeIndex shown = level2 == tax::kNoNode ? image.node : level2;
        map.points.push_back({0, 0, QString::fromStdString(image.path.string()),
                              QString::fromStdString(taxonomy.node(shown).name)});
    }
    training::TsneOptions options;
    const int done = static_cast<int>(chosen.size());
    const auto projected = training::tsne(features, options, [&](int it, int iterations) {
        return !progress || progress(done + it * done / iterations, total);
    });
    for (std::size_t i = 0; i < projected.size(); ++i) {
        map.points[i].x = projected[i][0];
        map.points[i].y = projected[i][1];
    }
    return map;
}

}  // namespace dermreader::workstation
