#pragma once
// The images the browser shows: a folder's files or a library query, one row per image with
// columns for the list view (name, modality, diagnosis, P(malignant), patient, collection)
// and a thumbnail made in the background and kept in a bounded cache, so browsing thousands
// of images keeps memory flat.

#include <QAbstractTableModel>
#include <QHash>
#include <QImage>
#include <QStringList>
#include <optional>
#include <vector>

#include "dermreader/records/ImageLibrary.h"

namespace dermreader::workstation {
class JobRunner;
class ThumbnailCache;
}  // namespace dermreader::workstation

namespace dermreader::ui {

class LibraryModel : public QAbstractTableModel {
    Q_OBJECT

  public:
    enum Role { PathRole = Qt::UserRole + 1, SortRole };
    enum Column {
        NameColumn,
        ModalityColumn,
        DiagnosisColumn,
        RiskColumn,
        PatientColumn,
        CollectionColumn,
        ColumnCount
    };
    static constexpr int kThumbnailSize = 96;

    LibraryModel(const taxonomy::Taxonomy& taxonomy, workstation::JobRunner& jobs,
                 QObject* parent = nullptr);

    // Image files below `folder` (by extension), sorted by path, not yet in the library.
    static QStringList listImages(const QString& folder);
    void setPaths(const QStringList& paths);
    // Library records. When they are the rows already shown (same paths, same order) the rows
    // are updated in place, so the current selection and view stay where they are.
    void setImages(std::vector<records::LibraryImage> images);
    void setRisk(const QString& path, double malignant);

    QString pathAt(int row) const;
    int rowOf(const QString& path) const;
    const records::LibraryImage* recordAt(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

  private:
    struct Row {
        QString path;
        std::optional<records::LibraryImage> record;
    };
    QVariant thumbnail(int row) const;
    QString diagnosisText(const records::LibraryImage& record) const;
    void indexRows();

    const taxonomy::Taxonomy& taxonomy_;
    std::vector<Row> rows_;
    QHash<QString, int> rowByPath_;
    workstation::ThumbnailCache* thumbnails_;
};

}  // namespace dermreader::ui
