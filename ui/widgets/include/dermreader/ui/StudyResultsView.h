#pragma once
// The reader-study results (the paper's Fig. 3): the CNN's ROC curve on the study's cases,
// each reader as a point, the readers' mean with one-standard-deviation error bars and, for
// AI-assisted studies, arrows from each reader's unaided to aided point. Exports the figure
// (PNG, SVG), the decisions (CSV) and an iMRMC input file.

#include <QWidget>

#include "dermreader/records/ReaderStudy.h"

class QLabel;
class QChart;
class QChartView;

namespace dermreader::ui {

class StudyResultsView : public QWidget {
    Q_OBJECT

  public:
    explicit StudyResultsView(QWidget* parent = nullptr);

    void setResults(const records::StudyResults& results);
    const records::StudyResults& results() const { return results_; }
    QChart* chart() const { return chart_; }
    QString summaryText() const;

    bool savePng(const QString& path) const;
    bool saveSvg(const QString& path) const;

  Q_SIGNALS:
    // The buttons ask the owner, who holds the coordinator's session, to export.
    void exportDecisionsRequested();
    void exportImrmcRequested();

  private:
    void rebuildChart();
    void exportFigure();

    records::StudyResults results_;
    QChart* chart_;
    QChartView* view_;

  public:
    QChartView* chartView() const { return view_; }
    QLabel* summary_;
};

}  // namespace dermreader::ui
