#include "dermreader/ui/TaxonomyTreeModel.h"

namespace dermreader::ui {
namespace tax = dermreader::taxonomy;

namespace {
// Internal pointers carry NodeIndex + 1 so that 0 stays "no node".
quintptr toId(tax::NodeIndex node) {
    return static_cast<quintptr>(node + 1);
}
tax::NodeIndex fromId(quintptr id) {
    return static_cast<tax::NodeIndex>(id) - 1;
}
}  // namespace

TaxonomyTreeModel::TaxonomyTreeModel(const tax::Taxonomy& taxonomy, QObject* parent)
    : QAbstractItemModel(parent), taxonomy_(taxonomy) {
    rebuildVisibility();
}

void TaxonomyTreeModel::setProbabilities(std::vector<double> nodeProbabilities) {
    beginResetModel();
    probabilities_ = std::move(nodeProbabilities);
    rebuildVisibility();
    endResetModel();
}

void TaxonomyTreeModel::setHideZeroProbability(bool hide) {
    beginResetModel();
    hideZero_ = hide;
    rebuildVisibility();
    endResetModel();
}

void TaxonomyTreeModel::rebuildVisibility() {
    const bool filter = hideZero_ && probabilities_.size() == taxonomy_.size();
    auto visible = [&](tax::NodeIndex n) {
        return !filter || probabilities_[static_cast<std::size_t>(n)] > 0.0;
    };
    visibleRoots_.clear();
    visibleChildren_.assign(taxonomy_.size(), {});
    rowInParent_.assign(taxonomy_.size(), -1);
    for (tax::NodeIndex root : taxonomy_.roots()) {
        if (!visible(root))
            continue;
        rowInParent_[static_cast<std::size_t>(root)] = static_cast<int>(visibleRoots_.size());
        visibleRoots_.push_back(root);
    }
    for (std::size_t n = 0; n < taxonomy_.size(); ++n) {
        for (tax::NodeIndex child : taxonomy_.node(static_cast<tax::NodeIndex>(n)).children) {
            if (!visible(child))
                continue;
            rowInParent_[static_cast<std::size_t>(child)] =
                static_cast<int>(visibleChildren_[n].size());
            visibleChildren_[n].push_back(child);
        }
    }
}

const std::vector<tax::NodeIndex>& TaxonomyTreeModel::visibleChildren(tax::NodeIndex parent) const {
    return parent == tax::kNoNode ? visibleRoots_
                                  : visibleChildren_[static_cast<std::size_t>(parent)];
}

QModelIndex TaxonomyTreeModel::indexOf(tax::NodeIndex node, int column) const {
    if (node == tax::kNoNode || rowInParent_[static_cast<std::size_t>(node)] < 0)
        return {};
    return createIndex(rowInParent_[static_cast<std::size_t>(node)], column, toId(node));
}

tax::NodeIndex TaxonomyTreeModel::nodeAt(const QModelIndex& index) const {
    return index.isValid() ? fromId(index.internalId()) : tax::kNoNode;
}

QList<QModelIndex> TaxonomyTreeModel::mostProbablePath() const {
    QList<QModelIndex> path;
    if (probabilities_.size() != taxonomy_.size())
        return path;
    tax::NodeIndex current = tax::kNoNode;
    for (;;) {
        const auto& children = visibleChildren(current);
        if (children.empty())
            break;
        current = *std::max_element(children.begin(), children.end(), [&](auto a, auto b) {
            return probabilities_[static_cast<std::size_t>(a)] <
                   probabilities_[static_cast<std::size_t>(b)];
        });
        path.push_back(indexOf(current));
    }
    return path;
}

QModelIndex TaxonomyTreeModel::index(int row, int column, const QModelIndex& parent) const {
    if (column < 0 || column >= ColumnCount)
        return {};
    const auto& children = visibleChildren(nodeAt(parent));
    if (row < 0 || row >= static_cast<int>(children.size()))
        return {};
    return createIndex(row, column, toId(children[static_cast<std::size_t>(row)]));
}

QModelIndex TaxonomyTreeModel::parent(const QModelIndex& child) const {
    const tax::NodeIndex node = nodeAt(child);
    if (node == tax::kNoNode)
        return {};
    return indexOf(taxonomy_.node(node).parent);
}

int TaxonomyTreeModel::rowCount(const QModelIndex& parent) const {
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return static_cast<int>(visibleChildren(nodeAt(parent)).size());
}

int TaxonomyTreeModel::columnCount(const QModelIndex&) const {
    return ColumnCount;
}

QVariant TaxonomyTreeModel::data(const QModelIndex& index, int role) const {
    const tax::NodeIndex node = nodeAt(index);
    if (node == tax::kNoNode)
        return {};
    const auto& n = taxonomy_.node(node);
    const bool haveP = probabilities_.size() == taxonomy_.size();
    const double p = haveP ? probabilities_[static_cast<std::size_t>(node)] : 0.0;
    switch (role) {
        case Qt::DisplayRole:
            if (index.column() == NameColumn)
                return QString::fromStdString(n.name);
            return haveP ? QVariant(QStringLiteral("%1 %").arg(100.0 * p, 0, 'f', 1)) : QVariant();
        case Qt::ToolTipRole:
            return QStringLiteral("%1\nid: %2\ngroup: %3")
                .arg(QString::fromStdString(n.name), QString::fromStdString(n.id),
                     QString::fromStdString(std::string(tax::toString(n.group))));
        case ProbabilityRole:
            return haveP ? QVariant(p) : QVariant();
        case NodeIdRole:
            return QString::fromStdString(n.id);
        case Qt::TextAlignmentRole:
            return index.column() == ProbabilityColumn ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                                       : QVariant();
        default:
            return {};
    }
}

QVariant TaxonomyTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == NameColumn ? tr("Diagnosis") : tr("Probability");
}

}  // namespace dermreader::ui
