#include "dermreader/ui/LibraryModel.h"

#include <QFileInfo>
#include <QPixmap>

#include "dermreader/engine/ImageLoader.h"
#include "dermreader/workstation/Thumbnails.h"

namespace dermreader::ui {

LibraryModel::LibraryModel(const taxonomy::Taxonomy& taxonomy, workstation::JobRunner& jobs,
                           QObject* parent)
    : QAbstractTableModel(parent),
      taxonomy_(taxonomy),
      // About 30 KB each: bounded at ~60 MB.
      thumbnails_(new workstation::ThumbnailCache(jobs, kThumbnailSize, 2000, this)) {
    connect(thumbnails_, &workstation::ThumbnailCache::ready, this, [this](const QString& path) {
        const int r = rowOf(path);
        if (r >= 0)
            Q_EMIT dataChanged(index(r, 0), index(r, 0), {Qt::DecorationRole});
    });
}

QStringList LibraryModel::listImages(const QString& folder) {
    QStringList files;
    for (const auto& file : engine::listImageFiles(folder.toStdString()))
        files << QString::fromStdString(file.string());
    return files;
}

void LibraryModel::setPaths(const QStringList& paths) {
    beginResetModel();
    rows_.clear();
    for (const QString& path : paths)
        rows_.push_back({path, std::nullopt});
    indexRows();
    endResetModel();
}

void LibraryModel::setImages(std::vector<records::LibraryImage> images) {
    bool samePaths = images.size() == rows_.size();
    for (std::size_t i = 0; samePaths && i < images.size(); ++i)
        samePaths = QString::fromStdString(images[i].path.string()) == rows_[i].path;
    if (samePaths) {
        for (std::size_t i = 0; i < images.size(); ++i)
            rows_[i].record = std::move(images[i]);
        if (!rows_.empty())
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    rows_.clear();
    for (auto& image : images) {
        const QString path = QString::fromStdString(image.path.string());
        rows_.push_back({path, std::move(image)});
    }
    indexRows();
    endResetModel();
}

void LibraryModel::setRisk(const QString& path, double malignant) {
    const int row = rowOf(path);
    if (row < 0 || !rows_[row].record)
        return;
    rows_[row].record->malignant = malignant;
    Q_EMIT dataChanged(index(row, RiskColumn), index(row, RiskColumn));
}

QString LibraryModel::pathAt(int row) const {
    return row >= 0 && row < rowCount() ? rows_[row].path : QString();
}

int LibraryModel::rowOf(const QString& path) const {
    return rowByPath_.value(path, -1);
}

void LibraryModel::indexRows() {
    rowByPath_.clear();
    rowByPath_.reserve(static_cast<qsizetype>(rows_.size()));
    for (std::size_t i = 0; i < rows_.size(); ++i)
        rowByPath_.insert(rows_[i].path, static_cast<int>(i));
}

const records::LibraryImage* LibraryModel::recordAt(int row) const {
    if (row < 0 || row >= rowCount() || !rows_[row].record)
        return nullptr;
    return &*rows_[row].record;
}

int LibraryModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int LibraryModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QString LibraryModel::diagnosisText(const records::LibraryImage& record) const {
    if (!record.diagnosisNode)
        return {};
    if (auto node = taxonomy_.find(*record.diagnosisNode))
        return QString::fromStdString(taxonomy_.node(*node).name);
    return QString::fromStdString(record.diagnosisLabel);
}

QVariant LibraryModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
        case NameColumn:
            return tr("Image");
        case ModalityColumn:
            return tr("Modality");
        case DiagnosisColumn:
            return tr("Known diagnosis");
        case RiskColumn:
            return tr("P(malignant)");
        case PatientColumn:
            return tr("Patient");
        case CollectionColumn:
            return tr("Collection");
        default:
            return {};
    }
}

QVariant LibraryModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const Row& row = rows_[index.row()];
    if (role == PathRole)
        return row.path;
    if (role == Qt::DecorationRole && index.column() == NameColumn)
        return thumbnail(index.row());
    if (role == Qt::ToolTipRole) {
        if (row.record && !row.record->problem.empty())
            return QString::fromStdString(row.record->problem);
        return row.path;
    }
    if (role != Qt::DisplayRole && role != SortRole)
        return {};
    const records::LibraryImage* record = row.record ? &*row.record : nullptr;
    switch (index.column()) {
        case NameColumn:
            return QFileInfo(row.path).fileName();
        case ModalityColumn:
            return record ? QString::fromStdString(engine::toString(record->modality)) : QString();
        case DiagnosisColumn:
            return record ? diagnosisText(*record) : QString();
        case RiskColumn:
            if (!record || !record->malignant)
                return role == SortRole ? QVariant(-1.0) : QVariant();
            return role == SortRole ? QVariant(*record->malignant)
                                    : QVariant(QString::number(100 * *record->malignant, 'f', 1) +
                                               QStringLiteral(" %"));
        case PatientColumn:
            return record ? QString::fromStdString(record->patientId.empty() ? record->patientName
                                                                             : record->patientId)
                          : QString();
        case CollectionColumn:
            return record ? QString::fromStdString(record->collection) : QString();
        default:
            return {};
    }
}

QVariant LibraryModel::thumbnail(int row) const {
    if (const QImage* cached = thumbnails_->find(rows_[row].path))
        return QPixmap::fromImage(*cached);
    thumbnails_->request(rows_[row].path);
    // A placeholder of the final size, so views size their items right from the start.
    QPixmap placeholder(kThumbnailSize, kThumbnailSize);
    placeholder.fill(QColor(200, 200, 200));
    return placeholder;
}

}  // namespace dermreader::ui
