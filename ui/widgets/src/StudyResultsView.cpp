#include "dermreader/ui/StudyResultsView.h"

#include "RocChart.h"

#include <cmath>

#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPushButton>
#include <QScatterSeries>
#include <QSvgGenerator>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>

namespace dermreader::ui {
namespace rec = dermreader::records;

namespace {

QString percent(double value) {
    return QString::number(100.0 * value, 'f', 1) + QStringLiteral(" %");
}

QScatterSeries* points(const QString& name, const QColor& colour, double size,
                       QScatterSeries::MarkerShape shape = QScatterSeries::MarkerShapeCircle) {
    auto* series = new QScatterSeries;
    series->setName(name);
    series->setColor(colour);
    series->setBorderColor(colour.darker(130));
    series->setMarkerSize(size);
    series->setMarkerShape(shape);
    return series;
}

QLineSeries* segment(QPointF from, QPointF to, const QColor& colour, qreal width) {
    auto* line = new QLineSeries;
    line->append(from);
    line->append(to);
    QPen pen(colour);
    pen.setWidthF(width);
    line->setPen(pen);
    return line;
}

}  // namespace

StudyResultsView::StudyResultsView(QWidget* parent) : QWidget(parent) {
    chart_ = new QChart;
    chart_->setAnimationOptions(QChart::NoAnimation);
    view_ = new QChartView(chart_, this);
    view_->setRenderHint(QPainter::Antialiasing);
    view_->setMinimumSize(520, 480);
    summary_ = new QLabel(this);
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* figure = new QPushButton(tr("Export figure (PNG/SVG)…"), this);
    auto* decisions = new QPushButton(tr("Export decisions (CSV)…"), this);
    auto* imrmc = new QPushButton(tr("Export for iMRMC…"), this);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(figure);
    buttons->addWidget(decisions);
    buttons->addWidget(imrmc);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(view_, 1);
    layout->addWidget(summary_);
    layout->addLayout(buttons);
    connect(figure, &QPushButton::clicked, this, &StudyResultsView::exportFigure);
    connect(decisions, &QPushButton::clicked, this, &StudyResultsView::exportDecisionsRequested);
    connect(imrmc, &QPushButton::clicked, this, &StudyResultsView::exportImrmcRequested);
}

void StudyResultsView::setResults(const rec::StudyResults& results) {
    results_ = results;
    rebuildChart();
    summary_->setText(summaryText());
}

QString StudyResultsView::summaryText() const {
    const auto& r = results_;
    QStringList lines;
    lines << tr("%1 — %2: %3 malignant, %4 benign cases.")
                 .arg(QString::fromStdString(r.study.spec.name),
                      QString::fromStdString(rec::describe(r.study.spec.task)))
                 .arg(r.malignantCases)
                 .arg(r.benignCases);
    if (r.cnn) {
        lines << tr("CNN: AUC %1 (95% CI %2–%3, DeLong).")
                     .arg(r.cnn->auc, 0, 'f', 3)
                     .arg(r.cnn->aucLow, 0, 'f', 3)
                     .arg(r.cnn->aucHigh, 0, 'f', 3);
    } else {
        lines << tr("CNN: the cases were not scored by a model.");
    }
    if (r.unaided.readers > 0) {
        lines << tr("Readers (%1 complete): mean sensitivity %2 ± %3, specificity %4 ± %5.")
                     .arg(r.unaided.readers)
                     .arg(percent(r.unaided.sensitivity), percent(r.unaided.sensitivitySd),
                          percent(r.unaided.specificity), percent(r.unaided.specificitySd));
        if (r.cnn) {
            lines << tr("%1 of %2 readers fall below the CNN's curve; at the readers' mean "
                        "specificity the CNN's sensitivity is %3.")
                         .arg(r.readersBelowCurve)
                         .arg(r.unaided.readers)
                         .arg(percent(r.cnnSensitivityAtMeanSpecificity.value_or(0)));
        }
    } else {
        lines << tr("No reader has completed the study yet.");
    }
    if (r.aided && r.aided->readers > 0) {
        lines << tr("AI-assisted (%1 readers): mean sensitivity %2, specificity %3.")
                     .arg(r.aided->readers)
                     .arg(percent(r.aided->sensitivity), percent(r.aided->specificity));
    }
    return lines.join('\n');
}

void StudyResultsView::rebuildChart() {
    chart_->removeAllSeries();
    for (QAbstractAxis* axis : chart_->axes())
        chart_->removeAxis(axis);
    chart_->setTitle(QString::fromStdString(rec::describe(results_.study.spec.task)));
    pointDescriptions_.clear();
    const roc::Axes axes = roc::addAxes(chart_);
    auto attach = [&](QAbstractSeries* series, bool inLegend = true) {
        roc::attach(chart_, axes, series);
        if (!inLegend) {
            for (QLegendMarker* marker : chart_->legend()->markers(series))
                marker->setVisible(false);
        }
    };

    if (results_.cnn) {
        auto* curve = new QLineSeries;
        curve->setName(tr("CNN (AUC %1)").arg(results_.cnn->auc, 0, 'f', 3));
        QPen pen(QColor(31, 90, 180));
        pen.setWidthF(2.5);
        curve->setPen(pen);
        for (const auto& p : results_.cnn->roc)
            curve->append(p.specificity, p.sensitivity);
        curve->append(0.0, 1.0);  // the lowest threshold: everything called malignant
        attach(curve);
    }
    // Each reader's own curve from the confidence ratings, thin and under everything else.
    bool firstReaderCurve = true;
    for (const auto& r : results_.readers) {
        if (r.phase != rec::Phase::Unaided || r.confidenceRoc.empty())
            continue;
        auto* curve = new QLineSeries;
        curve->setName(tr("Readers' ROC from their confidence"));
        QPen pen(QColor(210, 40, 40, 110));
        pen.setWidthF(1.2);
        pen.setStyle(Qt::DashLine);
        curve->setPen(pen);
        for (const auto& p : r.confidenceRoc)
            curve->append(p.specificity, p.sensitivity);
        curve->append(0.0, 1.0);
        attach(curve, firstReaderCurve);  // one legend entry for all of them
        firstReaderCurve = false;
    }
    // Arrows first, so the points are drawn over them.
    std::map<std::int64_t, QPointF> unaidedAt;
    for (const auto& r : results_.readers) {
        if (r.phase == rec::Phase::Unaided)
            unaidedAt[r.reader.id] = {r.specificity, r.sensitivity};
    }
    for (const auto& r : results_.readers) {
        if (r.phase != rec::Phase::Aided || !unaidedAt.count(r.reader.id))
            continue;
        const QPointF from = unaidedAt[r.reader.id], to(r.specificity, r.sensitivity);
        const QColor grey(120, 120, 120);
        attach(segment(from, to, grey, 1.2), false);
        // The arrowhead: two short strokes back from the aided point.
        const QPointF d = to - from;
        const double length = std::hypot(d.x(), d.y());
        if (length < 1e-9)
            continue;
        constexpr double kHead = 0.025, kAngle = 0.45;  // data units, radians
        for (double turn : {kAngle, -kAngle}) {
            const double c = std::cos(turn), s = std::sin(turn);
            const QPointF back((d.x() * c - d.y() * s) / length, (d.x() * s + d.y() * c) / length);
            attach(segment(to, to - kHead * back, grey, 1.2), false);
        }
    }
    auto* readers = points(tr("Readers"), QColor(210, 40, 40), 10);
    auto* aided = points(tr("Readers, AI-assisted"), QColor(230, 140, 20), 11,
                         QScatterSeries::MarkerShapeTriangle);
    for (const auto& r : results_.readers) {
        const QPointF at(r.specificity, r.sensitivity);
        (r.phase == rec::Phase::Unaided ? readers : aided)->append(at);
        pointDescriptions_.push_back({at, describeReader(r)});
    }
    for (QScatterSeries* series : {readers, aided}) {
        connect(series, &QScatterSeries::hovered, this, [this](const QPointF& at, bool entered) {
            if (entered)
                QToolTip::showText(QCursor::pos(), pointDescription(at), view_);
            else
                QToolTip::hideText();
        });
    }
    attach(readers);
    if (aided->count() > 0) {
        attach(aided);
    } else {
        delete aided;
    }
    auto addMean = [&](const rec::MeanPoint& mean, const QString& name, const QColor& colour) {
        if (mean.readers == 0)
            return;
        const QPointF m(mean.specificity, mean.sensitivity);
        attach(segment({m.x() - mean.specificitySd, m.y()}, {m.x() + mean.specificitySd, m.y()},
                       colour, 2),
               false);
        attach(segment({m.x(), m.y() - mean.sensitivitySd}, {m.x(), m.y() + mean.sensitivitySd},
                       colour, 2),
               false);
        auto* point = points(name, colour, 14, QScatterSeries::MarkerShapeRectangle);
        point->append(m);
        attach(point);
    };
    addMean(results_.unaided, tr("Readers' mean ± 1 SD"), QColor(40, 160, 60));
    if (results_.aided)
        addMean(*results_.aided, tr("AI-assisted mean ± 1 SD"), QColor(150, 90, 10));
    chart_->legend()->setAlignment(Qt::AlignBottom);
}

QString StudyResultsView::describeReader(const rec::ReaderResult& r) const {
    QStringList lines;
    lines << tr("%1 (%2 years)%3")
                 .arg(QString::fromStdString(r.reader.name))
                 .arg(r.reader.experienceYears)
                 .arg(r.phase == rec::Phase::Aided ? tr(", AI-assisted") : QString());
    lines
        << tr("Sensitivity %1, specificity %2").arg(percent(r.sensitivity), percent(r.specificity));
    lines << (r.complete ? tr("%1 cases decided").arg(r.decided)
                         : tr("%1 cases decided so far (incomplete)").arg(r.decided));
    if (r.confidenceAuc)
        lines << tr("AUC of the confidence ratings %1").arg(*r.confidenceAuc, 0, 'f', 3);
    if (results_.cnn && r.phase == rec::Phase::Unaided)
        lines << (r.belowCnnCurve ? tr("Below the CNN's curve")
                                  : tr("On or above the CNN's curve"));
    return lines.join('\n');
}

QString StudyResultsView::pointDescription(const QPointF& at) const {
    // Readers may share a point: all of them, nearest first.
    QStringList found;
    for (const auto& [point, text] : pointDescriptions_) {
        if (std::hypot(point.x() - at.x(), point.y() - at.y()) < 0.02)
            found << text;
    }
    return found.join(QStringLiteral("\n\n"));
}

bool StudyResultsView::savePng(const QString& path) const {
    const qreal scale = 2.0;  // print resolution
    QImage image(view_->size() * scale, QImage::Format_ARGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    // The whole view into the whole image (a scaled painter with the default target rect
    // drew only the top-left quarter).
    view_->render(&painter, QRectF(image.rect()), view_->viewport()->rect());
    painter.end();
    return image.save(path, "PNG");
}

bool StudyResultsView::saveSvg(const QString& path) const {
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(view_->size());
    svg.setViewBox(QRect(QPoint(0, 0), view_->size()));
    svg.setTitle(QString::fromStdString(results_.study.spec.name));
    svg.setDescription(summaryText());
    QPainter painter;
    if (!painter.begin(&svg))
        return false;
    view_->render(&painter);
    return painter.end();
}

void StudyResultsView::exportFigure() {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export figure"), QString::fromStdString(results_.study.spec.name) + ".png",
        tr("PNG image (*.png);;SVG drawing (*.svg)"));
    if (path.isEmpty())
        return;
    const bool ok = path.endsWith(".svg", Qt::CaseInsensitive) ? saveSvg(path) : savePng(path);
    if (!ok)
        summary_->setText(summaryText() + "\n" + tr("Could not write '%1'.").arg(path));
}

}  // namespace dermreader::ui
