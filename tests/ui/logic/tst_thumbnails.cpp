// Thumbnails: made in the background, and a cancelled one can be asked for again.
#include <QtTest>

#include <QSignalSpy>
#include <QTemporaryDir>
#include <atomic>

#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/Thumbnails.h"

namespace ws = dermreader::workstation;

class TestThumbnails : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    QString writeImage(const QString& name) {
        QImage image(200, 100, QImage::Format_RGB888);
        image.fill(QColor(180, 120, 90));
        const QString path = dir_.filePath(name);
        return image.save(path) ? path : QString();
    }

  private Q_SLOTS:
    void madeInTheBackgroundAndKept() {
        ws::JobRunner runner(1);
        ws::ThumbnailCache cache(runner, 32, 10);
        const QString path = writeImage("lesion.png");
        QVERIFY(!path.isEmpty());
        QVERIFY(cache.find(path) == nullptr);
        QSignalSpy ready(&cache, &ws::ThumbnailCache::ready);
        cache.request(path);
        QVERIFY(ready.wait(10000));
        QCOMPARE(ready.first().at(0).toString(), path);
        QVERIFY(cache.find(path) != nullptr);
        QCOMPARE(cache.find(path)->size(), QSize(32, 16));
    }

    // A thumbnail job cancelled before it delivered used to stay "on its way" for ever: the
    // tile never appeared, however often it was asked for.
    void aCancelledThumbnailCanBeRequestedAgain() {
        ws::JobRunner runner(1);
        ws::ThumbnailCache cache(runner, 32, 10);
        const QString path = writeImage("again.png");
        std::atomic<bool> release{false};
        const auto releaseOnExit = qScopeGuard([&release] { release = true; });  // never hang
        runner.start("blocker", [&release](ws::JobContext&) {
            while (!release)
                QThread::msleep(2);
        });
        QSignalSpy ready(&cache, &ws::ThumbnailCache::ready);
        cache.request(path);
        runner.cancelAll();
        release = true;
        QVERIFY(runner.waitForIdle(10000));
        QTRY_COMPARE(runner.running(), 0);
        QVERIFY(ready.isEmpty());
        QVERIFY(cache.find(path) == nullptr);
        cache.request(path);
        QVERIFY(ready.wait(10000));
        QVERIFY(cache.find(path) != nullptr);
    }
};

QTEST_GUILESS_MAIN(TestThumbnails)
#include "tst_thumbnails.moc"
