#pragma once
// Thumbnails made on the session's job pool (low priority: the image on screen goes first)
// and kept in a bounded cache, so browsing thousands of images keeps memory flat.

#include <QCache>
#include <QImage>
#include <QObject>
#include <QSet>
#include <QString>

namespace dermreader::workstation {

class JobRunner;

class ThumbnailCache : public QObject {
    Q_OBJECT

  public:
    ThumbnailCache(JobRunner& jobs, int size, int capacity, QObject* parent = nullptr);

    int size() const { return size_; }
    // The thumbnail if made; null otherwise (then request() it).
    const QImage* find(const QString& path) const { return cache_.object(path); }
    // Makes the thumbnail in the background unless it is on its way; `ready` follows. An
    // unreadable file gets a dark tile (the viewer says why when it is opened).
    void request(const QString& path);

  Q_SIGNALS:
    void ready(const QString& path);

  private:
    JobRunner& jobs_;
    int size_;
    QCache<QString, QImage> cache_;
    QSet<QString> pending_;
};

}  // namespace dermreader::workstation
