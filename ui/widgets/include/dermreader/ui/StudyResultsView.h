#pragma once
// The reader-study results (the paper's Fig. 3): the CNN's ROC curve on the study's cases,
// each reader as a point, the readers' mean with one-standard-deviation error bars and, for
// AI-assisted studies, arrows from each reader's unaided to aided point; with confidence
// ratings each reader's own ROC curve. Hovering a point names the reader and their figures.
// Exports the figure (PNG, SVG), the decisions (CSV) and an iMRMC input file.

#include <QPointF>
#include <QWidget>
#include <utility>
#include <vector>

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
    // The hover text of the reader point(s) at `at` (specificity, sensitivity); "" if none.
    QString pointDescription(const QPointF& at) const;

    bool savePng(const QString& path) const;
    bool saveSvg(const QString& path) const;

  Q_SIGNALS:
    // The buttons ask the owner, who holds the coordinator's session, to export.
    void exportDecisionsRequested();
    void exportImrmcRequested();

  private:
    void rebuildChart();
    void exportFigure();
    QString describeReader(const records::ReaderResult& reader) const;

    records::StudyResults results_;
    std::vector<std::pair<QPointF, QString>> pointDescriptions_;
    QChart* chart_;
    QChartView* view_;

  public:
    QChartView* chartView() const { return view_; }
    QLabel* summary_;
};

}  // namespace dermreader::ui
