#include "dermreader/workstation/Thumbnails.h"

#include "dermreader/engine/ImageLoader.h"
#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/QtImage.h"

namespace dermreader::workstation {

ThumbnailCache::ThumbnailCache(JobRunner& jobs, int size, int capacity, QObject* parent)
    : QObject(parent), jobs_(jobs), size_(size) {
    cache_.setMaxCost(capacity);
}

void ThumbnailCache::request(const QString& path) {
    if (pending_.contains(path) || cache_.contains(path))
        return;
    pending_.insert(path);
    const int size = size_;
    Job* job = jobs_.start<QImage>(
        tr("Thumbnail"),
        [path, size](JobContext&) {
            try {
                return toQImage(engine::loadImage(path.toStdString()).image)
                    .scaled(size, size, Qt::KeepAspectRatio, Qt::SmoothTransformation);
            } catch (const std::exception&) {
                return QImage();
            }
        },
        this,
        [this, path](const QImage& made) {
            QImage thumbnail = made;
            if (thumbnail.isNull()) {
                thumbnail = QImage(size_, size_, QImage::Format_RGB888);
                thumbnail.fill(QColor(90, 90, 90));
            }
            cache_.insert(path, new QImage(std::move(thumbnail)), 1);
            Q_EMIT ready(path);
        },
        JobPriority::Low);
    // Made, failed or cancelled: either way it may be requested again (evicted ones too).
    connect(job, &Job::finished, this, [this, path] { pending_.remove(path); });
}

}  // namespace dermreader::workstation
