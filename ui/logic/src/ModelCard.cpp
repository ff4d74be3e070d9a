#include "dermreader/workstation/ModelCard.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "dermreader/engine/ModelManifest.h"

namespace dermreader::workstation {

namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("ModelCard", text);
}

QString describeTask(const QString& task) {
    return task == "melanocytic" ? tr("melanoma vs nevus")
           : task == "epidermal" ? tr("carcinoma vs seborrheic keratosis")
                                 : task;
}

std::vector<RocCurve> rocCurves(const QJsonObject& metrics) {
    std::vector<RocCurve> curves;
    for (const QJsonValue& value : metrics.value("binary").toArray()) {
        const QJsonObject b = value.toObject();
        RocCurve curve;
        curve.task = b.value("task").toString();
        curve.auc = b.value("auc").toDouble();
        const QJsonArray ci = b.value("auc_ci95").toArray();
        curve.aucLow = ci.size() == 2 ? ci[0].toDouble() : curve.auc;
        curve.aucHigh = ci.size() == 2 ? ci[1].toDouble() : curve.auc;
        curve.positives = b.value("positives").toInt();
        curve.negatives = b.value("negatives").toInt();
        for (const QJsonValue& p : b.value("roc").toArray()) {
            const QJsonArray point = p.toArray();  // threshold, sensitivity, specificity
            if (point.size() == 3)
                curve.points.append({1.0 - point[2].toDouble(), point[1].toDouble()});
        }
        curves.push_back(std::move(curve));
    }
    return curves;
}

QString generatedMarkdown(const engine::ModelManifest& m, const std::vector<RocCurve>& curves) {
    QStringList md;
    md << QStringLiteral("# %1").arg(QString::fromStdString(m.name)) << QString();
    if (!m.description.empty())
        md << QString::fromStdString(m.description) << QString();
    md << tr("Created %1; input %2 px; %3 training classes.")
              .arg(QString::fromStdString(m.created))
              .arg(m.inputSize)
              .arg(m.classes.size())
       << QString();
    md << QStringLiteral("## ") + tr("Training classes") << QString();
    for (const auto& c : m.classes)
        md << QStringLiteral("- `%1`").arg(QString::fromStdString(c.node));
    md << QString() << QStringLiteral("## ") + tr("Validation") << QString();
    if (curves.empty())
        md << tr("The bundle records no validation metrics.");
    for (const RocCurve& c : curves) {
        md << tr("- %1: AUC %2 (95% CI %3–%4), %5 malignant and %6 benign images")
                  .arg(describeTask(c.task))
                  .arg(c.auc, 0, 'f', 3)
                  .arg(c.aucLow, 0, 'f', 3)
                  .arg(c.aucHigh, 0, 'f', 3)
                  .arg(c.positives)
                  .arg(c.negatives);
    }
    md << QString() << tr("Decision support for research use; not a medical device.");
    return md.join('\n');
}

}  // namespace

ModelCard loadModelCard(const QString& bundle) {
    const engine::ModelManifest manifest = engine::readManifest(bundle.toStdString());
    ModelCard card;
    card.title = QString::fromStdString(manifest.name);
    card.folder = QDir(bundle).absolutePath();
    card.curves = rocCurves(
        QJsonDocument::fromJson(QByteArray::fromStdString(manifest.metricsJson)).object());
    QFile written(QDir(bundle).filePath("MODEL_CARD.md"));
    if (written.open(QIODevice::ReadOnly))
        card.markdown = QString::fromUtf8(written.readAll());
    if (card.markdown.trimmed().isEmpty())
        card.markdown = generatedMarkdown(manifest, card.curves);
    return card;
}

}  // namespace dermreader::workstation
