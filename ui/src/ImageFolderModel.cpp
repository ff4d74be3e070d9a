#include "dermreader/ui/ImageFolderModel.h"

#include <QDirIterator>
#include <QFileInfo>
#include <QPixmap>
#include <QPointer>
#include <QtConcurrent>

#include "dermreader/engine/ImageLoader.h"
#include "dermreader/ui/QtImage.h"

namespace dermreader::ui {

namespace {
const QStringList kPatterns = {"*.jpg",  "*.jpeg", "*.png",  "*.tif",  "*.tiff", "*.bmp",
                               "*.webp", "*.dcm",  "*.JPG",  "*.JPEG", "*.PNG",  "*.TIF",
                               "*.TIFF", "*.BMP",  "*.WEBP", "*.DCM"};
}

ImageFolderModel::ImageFolderModel(QObject* parent) : QAbstractListModel(parent) {
    thumbnails_.setMaxCost(2000);  // thumbnails, about 30 KB each: bounded at ~60 MB
}

void ImageFolderModel::setFolder(const QString& folder) {
    QStringList files;
    QDirIterator it(folder, kPatterns, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << it.next();
    files.sort();
    folder_ = folder;
    setFiles(files);
}

void ImageFolderModel::setFiles(const QStringList& files) {
    beginResetModel();
    files_ = files;
    pending_.clear();
    endResetModel();
}

int ImageFolderModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : files_.size();
}

QVariant ImageFolderModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= files_.size())
        return {};
    const QString& path = files_[index.row()];
    switch (role) {
        case Qt::DisplayRole:
            return QFileInfo(path).fileName();
        case Qt::ToolTipRole:
        case PathRole:
            return path;
        case Qt::DecorationRole: {
            if (const QImage* thumbnail = thumbnails_.object(path))
                return QPixmap::fromImage(*thumbnail);
            requestThumbnail(index.row());
            // A placeholder of the final size, so views size their items right from the start.
            QPixmap placeholder(kThumbnailSize, kThumbnailSize);
            placeholder.fill(QColor(200, 200, 200));
            return placeholder;
        }
        default:
            return {};
    }
}

void ImageFolderModel::requestThumbnail(int row) const {
    const QString path = files_[row];
    if (pending_.contains(path))
        return;
    pending_.insert(path);
    QPointer<const ImageFolderModel> self(this);
    auto* watcher = new QFutureWatcher<QImage>(const_cast<ImageFolderModel*>(this));
    connect(watcher, &QFutureWatcher<QImage>::finished, this, [self, watcher, path] {
        watcher->deleteLater();
        if (!self)
            return;
        auto* model = const_cast<ImageFolderModel*>(self.data());
        model->pending_.remove(path);  // evicted thumbnails may be requested again
        QImage thumbnail = watcher->result();
        if (thumbnail.isNull()) {  // unreadable: a grey tile, the viewer says why
            thumbnail = QImage(kThumbnailSize, kThumbnailSize, QImage::Format_RGB888);
            thumbnail.fill(QColor(90, 90, 90));
        }
        model->thumbnails_.insert(path, new QImage(thumbnail), 1);
        const int r = model->files_.indexOf(path);
        if (r >= 0)
            Q_EMIT model->dataChanged(model->index(r), model->index(r), {Qt::DecorationRole});
    });
    watcher->setFuture(QtConcurrent::run([path] {
        try {
            return toQImage(engine::loadImage(path.toStdString()).image)
                .scaled(kThumbnailSize, kThumbnailSize, Qt::KeepAspectRatio,
                        Qt::SmoothTransformation);
        } catch (const std::exception&) {
            return QImage();
        }
    }));
}

}  // namespace dermreader::ui
