#include "dermreader/ui/ModelCardDialog.h"

#include "RocChart.h"

#include <QChart>
#include <QChartView>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLineSeries>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>
#include <QValueAxis>

namespace dermreader::ui {

ModelCardDialog::ModelCardDialog(const workstation::ModelCard& card, QWidget* parent)
    : QDialog(parent) {
    setWindowTitle(tr("Model card — %1").arg(card.title));
    text_ = new QTextBrowser(this);
    text_->setSearchPaths({card.folder});  // the card's diagrams sit beside it
    text_->setOpenExternalLinks(false);
    text_->setMarkdown(card.markdown);
    chart_ = new QChart;
    chart_->setTitle(tr("Validation ROC"));
    const roc::Axes axes = roc::addAxes(chart_);
    for (const auto& curve : card.curves) {
        auto* series = new QLineSeries;
        series->setName(tr("%1: AUC %2 (%3–%4)")
                            .arg(curve.task)
                            .arg(curve.auc, 0, 'f', 3)
                            .arg(curve.aucLow, 0, 'f', 3)
                            .arg(curve.aucHigh, 0, 'f', 3));
        series->append({1, 0});
        for (const QPointF& p : curve.points)  // (1 - specificity, sensitivity)
            series->append(1 - p.x(), p.y());
        series->append({0, 1});
        roc::attach(chart_, axes, series);
    }
    if (card.curves.empty())
        chart_->setTitle(tr("Validation ROC: the bundle records none"));
    chart_->legend()->setAlignment(Qt::AlignBottom);
    auto* view = new QChartView(chart_, this);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumWidth(380);
    auto* splitter = new QSplitter(this);
    splitter->addWidget(text_);
    splitter->addWidget(view);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter, 1);
    layout->addWidget(buttons);
    resize(1200, 760);
}

QString ModelCardDialog::documentText() const {
    return text_->toPlainText();
}

}  // namespace dermreader::ui
