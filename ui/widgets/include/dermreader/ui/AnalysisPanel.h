#pragma once
// The analysis panel: P(malignant) as a large figure and a bar with the operating thresholds,
// the binary-task probabilities, the taxonomy tree with probabilities (most probable path
// expanded) and the top inference classes.

#include <QWidget>

#include "dermreader/engine/Prediction.h"
#include "dermreader/workstation/Settings.h"

class QLabel;
class QScrollArea;
class QTreeView;

namespace dermreader::ui {

class TaxonomyTreeModel;

// A horizontal bar for P(malignant) with tick marks at the operating thresholds.
class RiskBar : public QWidget {
    Q_OBJECT

  public:
    explicit RiskBar(QWidget* parent = nullptr);
    void setValue(std::optional<double> value);
    void setThresholds(const workstation::RiskThresholds& thresholds);
    QSize sizeHint() const override { return {240, 28}; }

  protected:
    void paintEvent(QPaintEvent* event) override;

  private:
    std::optional<double> value_;
    workstation::RiskThresholds thresholds_;
};

class AnalysisPanel : public QWidget {
    Q_OBJECT

  public:
    explicit AnalysisPanel(const taxonomy::Taxonomy& taxonomy, QWidget* parent = nullptr);

    // `model` names the model that computed it; every shown result says which model it is.
    void showPrediction(const engine::Prediction& prediction, const QString& model);
    // While the next image is analysed: nothing of the previous image stays on screen.
    void showPending();
    void showUnavailable(const QString& reason);
    void setThresholds(const workstation::RiskThresholds& thresholds);

    // For tests and the report: what is on screen.
    QString malignantText() const;
    QString verdictText() const;
    QString binaryText() const;
    QString topClassesText() const;
    QString sourceText() const;       // "Model: ..." under the result, empty without one
    bool showsProbabilities() const;  // the taxonomy tree holds a result
    TaxonomyTreeModel* treeModel() const { return model_; }
    QTreeView* treeView() const { return tree_; }

  protected:
    void resizeEvent(QResizeEvent* event) override;

  private:
    void clearResult();
    void fitSummary();

    const taxonomy::Taxonomy& taxonomy_;
    QLabel* malignant_;
    QLabel* verdict_;
    RiskBar* bar_;
    QLabel* binary_;
    QLabel* top_;
    QLabel* source_;
    QTreeView* tree_;
    QScrollArea* summaryArea_;
    TaxonomyTreeModel* model_;
    workstation::RiskThresholds thresholds_;
};

}  // namespace dermreader::ui
