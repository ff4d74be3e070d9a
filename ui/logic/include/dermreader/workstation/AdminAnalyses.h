#pragma once
// What the admin panel computes, without widgets: the partition preview of a dataset, two
// models compared on the same labelled images (ROC curves, paired DeLong test) and the
// embedding map (t-SNE of the last hidden layer). Long computations take a progress callback
// that may return false to stop.

#include <QString>
#include <functional>
#include <optional>
#include <vector>

#include "dermreader/training/Dataset.h"
#include "dermreader/training/Evaluation.h"

namespace dermreader::workstation {

using AnalysisProgress = std::function<bool(int done, int total)>;

struct PartitionPreview {
    struct Class {
        QString node, name;
        qint64 images = 0;
        bool residual = false;
    };
    std::vector<Class> classes;
    int images = 0, trainImages = 0, validationImages = 0;
    std::vector<QString> problems;  // rows of the dataset that were skipped
};
// As `dermtool train` will partition and split it (group folds, the default seed).
PartitionPreview previewPartition(const training::Dataset& dataset,
                                  const taxonomy::Taxonomy& taxonomy, qint64 maxClassSize,
                                  int folds, int holdoutFold);

struct TaskComparison {
    QString task;  // "melanocytic" (melanoma vs nevus) or "epidermal" (carcinoma vs SK)
    training::BinaryMetrics a, b;
    training::AucDifference difference;
};
struct ModelComparison {
    QString nameA, nameB;
    int images = 0, skipped = 0;  // skipped: not in a binary task, or unreadable
    std::vector<TaskComparison> tasks;
};
// Both models score the same images; P(malignant | lineage) per the paper's binary tasks.
// Throws engine::ModelError for a bad bundle.
ModelComparison compareModels(const QString& bundleA, const QString& bundleB,
                              const std::vector<training::LabelledImage>& images,
                              const taxonomy::Taxonomy& taxonomy,
                              const AnalysisProgress& progress = {});

struct EmbeddingMap {
    struct Point {
        double x = 0, y = 0;
        QString path;
        QString label;  // the image's second-level (nine-class) node
    };
    std::vector<Point> points;
};
// Embeds up to `maxImages` images (an even sample, seeded) and projects them with t-SNE.
EmbeddingMap computeEmbeddingMap(const QString& bundle,
                                 const std::vector<training::LabelledImage>& images,
                                 const taxonomy::Taxonomy& taxonomy, int maxImages,
                                 const AnalysisProgress& progress = {});

}  // namespace dermreader::workstation
