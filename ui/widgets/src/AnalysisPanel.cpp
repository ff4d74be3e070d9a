#include "dermreader/ui/AnalysisPanel.h"

#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QScrollArea>
#include <QStyledItemDelegate>
#include <QTreeView>
#include <QVBoxLayout>

#include "dermreader/ui/TaxonomyTreeModel.h"

namespace dermreader::ui {

namespace {

QString percent(double p) {
    return QStringLiteral("%1 %").arg(100.0 * p, 0, 'f', 1);
}

// Draws the probability column as a bar behind the number.
class ProbabilityDelegate : public QStyledItemDelegate {
  public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override {
        const QVariant p = index.data(TaxonomyTreeModel::ProbabilityRole);
        if (index.column() == TaxonomyTreeModel::ProbabilityColumn && p.isValid()) {
            QRect bar = option.rect.adjusted(2, 3, -2, -3);
            bar.setWidth(static_cast<int>(bar.width() * std::clamp(p.toDouble(), 0.0, 1.0)));
            painter->fillRect(bar, QColor(120, 160, 220, 110));
        }
        QStyledItemDelegate::paint(painter, option, index);
    }
};

}  // namespace

RiskBar::RiskBar(QWidget* parent) : QWidget(parent) {
    setMinimumHeight(24);
}

void RiskBar::setValue(std::optional<double> value) {
    value_ = value;
    update();
}

void RiskBar::setThresholds(const workstation::RiskThresholds& thresholds) {
    thresholds_ = thresholds;
    update();
}

void RiskBar::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRectF track = QRectF(rect()).adjusted(1, 6, -1, -6);
    painter.setPen(Qt::NoPen);
    painter.setBrush(QColor(225, 225, 225));
    painter.drawRoundedRect(track, 4, 4);
    if (value_) {
        QRectF filled = track;
        filled.setWidth(track.width() * std::clamp(*value_, 0.0, 1.0));
        const QColor colour = *value_ >= thresholds_.biopsy   ? QColor(200, 60, 50)
                              : *value_ >= thresholds_.review ? QColor(230, 150, 40)
                                                              : QColor(70, 150, 90);
        painter.setBrush(colour);
        painter.drawRoundedRect(filled, 4, 4);
    }
    painter.setPen(QPen(QColor(40, 40, 40), 2));
    for (double t : {thresholds_.review, thresholds_.biopsy}) {
        const double x = track.left() + track.width() * t;
        painter.drawLine(QPointF(x, 1), QPointF(x, height() - 1));
    }
}

AnalysisPanel::AnalysisPanel(const taxonomy::Taxonomy& taxonomy, QWidget* parent)
    : QWidget(parent), taxonomy_(taxonomy) {
    auto* layout = new QVBoxLayout(this);
    auto* heading = new QLabel(tr("CNN probability of malignancy"), this);
    malignant_ = new QLabel(QStringLiteral("–"), this);
    malignant_->setObjectName(QStringLiteral("malignantFigure"));
    QFont big = malignant_->font();
    big.setPointSizeF(big.pointSizeF() * 2.6);
    big.setBold(true);
    malignant_->setFont(big);
    verdict_ = new QLabel(this);
    bar_ = new RiskBar(this);
    binary_ = new QLabel(this);
    binary_->setWordWrap(true);
    top_ = new QLabel(this);
    top_->setWordWrap(true);
    source_ = new QLabel(this);
    source_->setObjectName(QStringLiteral("resultSource"));
    source_->setWordWrap(true);
    source_->setStyleSheet(QStringLiteral("color: #555"));
    model_ = new TaxonomyTreeModel(taxonomy, this);
    tree_ = new QTreeView(this);
    tree_->setModel(model_);
    tree_->setItemDelegate(new ProbabilityDelegate(tree_));
    tree_->header()->setSectionResizeMode(TaxonomyTreeModel::NameColumn, QHeaderView::Stretch);
    tree_->header()->setSectionResizeMode(TaxonomyTreeModel::ProbabilityColumn,
                                          QHeaderView::ResizeToContents);
    tree_->header()->setStretchLastSection(false);
    tree_->setUniformRowHeights(true);
    auto* disclaimer = new QLabel(tr("Decision support for research use; not a diagnosis."), this);
    disclaimer->setStyleSheet(QStringLiteral("color: gray; font-size: small"));
    // The figures scroll when the screen is short, rather than being squeezed over each other
    // (wrapped labels in a splitter do not get their height-for-width).
    auto* summary = new QWidget(this);
    auto* summaryLayout = new QVBoxLayout(summary);
    summaryLayout->setContentsMargins(0, 0, 0, 0);
    summaryLayout->addWidget(heading);
    summaryLayout->addWidget(malignant_);
    summaryLayout->addWidget(verdict_);
    summaryLayout->addWidget(bar_);
    summaryLayout->addWidget(source_);
    summaryLayout->addWidget(binary_);
    summaryLayout->addWidget(new QLabel(tr("Most probable classes"), summary));
    summaryLayout->addWidget(top_);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(summary);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    summaryArea_ = scroll;
    tree_->setMinimumHeight(160);
    layout->addWidget(scroll);
    layout->addWidget(new QLabel(tr("Taxonomy"), this));
    layout->addWidget(tree_, 1);
    layout->addWidget(disclaimer);
    showUnavailable(tr("No image selected"));
}

void AnalysisPanel::setThresholds(const workstation::RiskThresholds& thresholds) {
    thresholds_ = thresholds;
    bar_->setThresholds(thresholds);
}

void AnalysisPanel::showPrediction(const engine::Prediction& p, const QString& model) {
    malignant_->setText(percent(p.malignant));
    source_->setText(tr("Model: %1").arg(model));
    verdict_->setText(p.malignant >= thresholds_.biopsy
                          ? tr("Above the biopsy threshold (%1)").arg(percent(thresholds_.biopsy))
                      : p.malignant >= thresholds_.review
                          ? tr("Above the review threshold (%1)").arg(percent(thresholds_.review))
                          : tr("Below the review threshold (%1)").arg(percent(thresholds_.review)));
    bar_->setValue(p.malignant);
    QStringList binary;
    if (p.melanocyticMalignant)
        binary << tr("If melanocytic: P(melanoma) = %1").arg(percent(*p.melanocyticMalignant));
    if (p.epidermalMalignant)
        binary << tr("If epidermal: P(carcinoma) = %1").arg(percent(*p.epidermalMalignant));
    binary_->setText(binary.join('\n'));
    QStringList top;
    for (std::size_t i = 0; i < p.secondLevel.size() && i < 3; ++i) {
        top << QStringLiteral("%1  %2").arg(
            percent(p.secondLevel[i].probability),
            QString::fromStdString(taxonomy_.node(p.secondLevel[i].node).name));
    }
    top_->setText(top.join('\n'));
    model_->setProbabilities(p.nodeProbabilities);
    tree_->collapseAll();
    for (const auto& index : model_->mostProbablePath())
        tree_->expand(index.parent());
    const auto path = model_->mostProbablePath();
    if (!path.isEmpty())
        tree_->setCurrentIndex(path.back());
    fitSummary();
}

void AnalysisPanel::fitSummary() {
    // The figures come first, at their wrapped height; the tree takes what is left. Only
    // beyond half the panel do the figures scroll.
    QWidget* content = summaryArea_->widget();
    const int width = summaryArea_->viewport()->width();
    const int wanted = content->hasHeightForWidth() ? content->heightForWidth(width)
                                                    : content->sizeHint().height();
    summaryArea_->setMinimumHeight(std::min(wanted + 2, std::max(120, height() / 2)));
}

void AnalysisPanel::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    fitSummary();
}

void AnalysisPanel::showPending() {
    clearResult();
    malignant_->setText(QStringLiteral("…"));
    verdict_->setText(tr("Analysing"));
    fitSummary();
}

void AnalysisPanel::showUnavailable(const QString& reason) {
    clearResult();
    malignant_->setText(QStringLiteral("–"));
    verdict_->setText(reason);
    fitSummary();
}

void AnalysisPanel::clearResult() {
    bar_->setValue(std::nullopt);
    source_->clear();
    binary_->clear();
    top_->clear();
    model_->setProbabilities({});
}

QString AnalysisPanel::sourceText() const {
    return source_->text();
}

bool AnalysisPanel::showsProbabilities() const {
    return model_->rowCount() > 0 && model_->index(0, TaxonomyTreeModel::ProbabilityColumn)
                                         .data(TaxonomyTreeModel::ProbabilityRole)
                                         .isValid();
}

QString AnalysisPanel::malignantText() const {
    return malignant_->text();
}
QString AnalysisPanel::verdictText() const {
    return verdict_->text();
}
QString AnalysisPanel::binaryText() const {
    return binary_->text();
}
QString AnalysisPanel::topClassesText() const {
    return top_->text();
}

}  // namespace dermreader::ui
