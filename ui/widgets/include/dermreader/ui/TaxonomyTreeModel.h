#pragma once
// The taxonomy as a Qt tree model (after Qt's editabletreemodel example): one row per node,
// columns name and probability; the probabilities of the current prediction drive the bars.

#include <QAbstractItemModel>
#include <vector>

#include "dermreader/taxonomy/Taxonomy.h"

namespace dermreader::ui {

class TaxonomyTreeModel : public QAbstractItemModel {
    Q_OBJECT

  public:
    enum Column { NameColumn, ProbabilityColumn, ColumnCount };
    enum Role { ProbabilityRole = Qt::UserRole + 1, NodeIdRole };

    explicit TaxonomyTreeModel(const taxonomy::Taxonomy& taxonomy, QObject* parent = nullptr);

    // P(node) for every node (index = NodeIndex); empty clears.
    void setProbabilities(std::vector<double> nodeProbabilities);
    const std::vector<double>& probabilities() const { return probabilities_; }
    // With `hideImprobable`, nodes with P = 0 are not shown (children of a class the model
    // cannot tell apart, or diseases it was never trained on).
    void setHideZeroProbability(bool hide);

    QModelIndex indexOf(taxonomy::NodeIndex node, int column = NameColumn) const;
    taxonomy::NodeIndex nodeAt(const QModelIndex& index) const;
    // The path from a root down always following the most probable child.
    QList<QModelIndex> mostProbablePath() const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

  private:
    const std::vector<taxonomy::NodeIndex>& visibleChildren(taxonomy::NodeIndex parent) const;
    void rebuildVisibility();

    const taxonomy::Taxonomy& taxonomy_;
    std::vector<double> probabilities_;
    bool hideZero_ = true;
    std::vector<taxonomy::NodeIndex> visibleRoots_;
    std::vector<std::vector<taxonomy::NodeIndex>> visibleChildren_;  // per node
    std::vector<int> rowInParent_;                                   // per node, -1 if hidden
};

}  // namespace dermreader::ui
