#pragma once
// Every ROC chart in the workstation uses one convention, the paper's (Fig. 3): specificity
// on x, sensitivity on y, both 0-1, so a reader's operating point, a model card's curve and
// a model comparison read the same way.

#include <QChart>
#include <QCoreApplication>
#include <QLineSeries>
#include <QValueAxis>

namespace dermreader::ui::roc {

struct Axes {
    QValueAxis* specificity;
    QValueAxis* sensitivity;
};

inline Axes addAxes(QChart* chart) {
    auto* x = new QValueAxis;
    x->setRange(0, 1);
    x->setTickCount(6);
    x->setTitleText(QCoreApplication::translate("RocChart", "Specificity"));
    auto* y = new QValueAxis;
    y->setRange(0, 1);
    y->setTickCount(6);
    y->setTitleText(QCoreApplication::translate("RocChart", "Sensitivity"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    return {x, y};
}

inline void attach(QChart* chart, const Axes& axes, QAbstractSeries* series) {
    chart->addSeries(series);
    series->attachAxis(axes.specificity);
    series->attachAxis(axes.sensitivity);
}

}  // namespace dermreader::ui::roc
