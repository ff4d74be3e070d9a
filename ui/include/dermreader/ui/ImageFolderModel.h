#pragma once
// The images of a folder (and its subfolders) as a list model with thumbnails made in the
// background and kept in a bounded cache, so browsing thousands of images keeps memory flat.

#include <QAbstractListModel>
#include <QCache>
#include <QFutureWatcher>
#include <QImage>
#include <QSet>
#include <QStringList>

namespace dermreader::ui {

class ImageFolderModel : public QAbstractListModel {
    Q_OBJECT

  public:
    enum Role { PathRole = Qt::UserRole + 1 };
    static constexpr int kThumbnailSize = 96;

    explicit ImageFolderModel(QObject* parent = nullptr);

    // Lists image files (by extension) below `folder`, sorted by path.
    void setFolder(const QString& folder);
    void setFiles(const QStringList& files);
    QString folder() const { return folder_; }
    QString pathAt(int row) const { return files_.value(row); }
    int rowOf(const QString& path) const { return files_.indexOf(path); }

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

  private:
    void requestThumbnail(int row) const;

    QString folder_;
    QStringList files_;
    mutable QCache<QString, QImage> thumbnails_;
    mutable QSet<QString> pending_;
};

}  // namespace dermreader::ui
