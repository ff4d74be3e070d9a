#pragma once
// A model bundle's card as people read it: the bundle's MODEL_CARD.md when it has one (the
// default model's, written by packaging/tools/model_card.py), else a document made from its
// manifest; and the validation ROC curves from the manifest's metrics.

#include <QPointF>
#include <QString>
#include <QVector>
#include <vector>

namespace dermreader::workstation {

struct RocCurve {
    QString task;  // "melanocytic" (melanoma vs nevus) or "epidermal" (carcinoma vs SK)
    double auc = 0, aucLow = 0, aucHigh = 0;
    int positives = 0, negatives = 0;
    QVector<QPointF> points;  // (1 - specificity, sensitivity), from (0, 0)
};

struct ModelCard {
    QString title;
    QString markdown;
    QString folder;  // the bundle: relative images in the markdown resolve here
    std::vector<RocCurve> curves;
};

// Throws engine::ModelError naming the bundle when its manifest cannot be read.
ModelCard loadModelCard(const QString& bundle);

}  // namespace dermreader::workstation
