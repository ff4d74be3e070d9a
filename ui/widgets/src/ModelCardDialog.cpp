#include "dermreader/ui/ModelCardDialog.h"

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
    auto* x = new QValueAxis;
    x->setRange(0, 1);
    x->setTitleText(tr("1 - specificity"));
    auto* y = new QValueAxis;
    y->setRange(0, 1);
    y->setTitleText(tr("sensitivity"));
    chart_->addAxis(x, Qt::AlignBottom);
    chart_->addAxis(y, Qt::AlignLeft);
    for (const auto& curve : card.curves) {
        auto* series = new QLineSeries;
        series->setName(tr("%1: AUC %2 (%3–%4)")
                            .arg(curve.task)
                            .arg(curve.auc, 0, 'f', 3)
                            .arg(curve.aucLow, 0, 'f', 3)
                            .arg(curve.aucHigh, 0, 'f', 3));
        series->append({0, 0});
        series->append(curve.points);
        series->append({1, 1});
        chart_->addSeries(series);
        series->attachAxis(x);
        series->attachAxis(y);
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
