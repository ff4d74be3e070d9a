// The one way to run background work: results and progress arrive on the UI thread, a
// cancelled job delivers nothing, a failure reaches the error channel, interactive work goes
// before bulk work.
#include <QtTest>

#include <QSignalSpy>
#include <QThread>
#include <atomic>

#include "dermreader/workstation/Jobs.h"

namespace ws = dermreader::workstation;

class TestJobs : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void deliversTheResultAndProgressOnTheUiThread() {
        ws::JobRunner runner(2);
        QObject receiver;
        std::optional<int> result;
        QThread* deliveredOn = nullptr;
        ws::Job* job = runner.start<int>(
            "sum",
            [](ws::JobContext& context) {
                int sum = 0;
                for (int i = 1; i <= 10; ++i) {
                    sum += i;
                    context.setProgress(i, 10);
                }
                return sum;
            },
            &receiver,
            [&](const int& value) {
                result = value;
                deliveredOn = QThread::currentThread();
            });
        QSignalSpy progress(job, &ws::Job::progressChanged);
        QSignalSpy finished(job, &ws::Job::finished);
        QVERIFY(finished.wait(10000));
        QCOMPARE(result, std::optional<int>(55));
        QCOMPARE(deliveredOn, QThread::currentThread());
        QVERIFY(!progress.isEmpty());
        QCOMPARE(progress.last().at(0).toLongLong(), 10);
    }

    void aCancelledJobDeliversNothing() {
        ws::JobRunner runner(1);
        QObject receiver;
        std::atomic<bool> started{false};
        bool delivered = false;
        ws::Job* job = runner.start<int>(
            "endless",
            [&started](ws::JobContext& context) {
                started = true;
                for (;;) {
                    context.throwIfCancelled();
                    QThread::msleep(5);
                }
                return 0;
            },
            &receiver, [&delivered](const int&) { delivered = true; });
        QSignalSpy failed(&runner, &ws::JobRunner::jobFailed);
        QSignalSpy finished(job, &ws::Job::finished);
        QTRY_VERIFY(started.load());
        job->cancel();
        QVERIFY(finished.wait(10000));
        QVERIFY(!delivered);
        QVERIFY(failed.isEmpty());  // cancelling is not an error
    }

    void aFailureReachesTheErrorChannel() {
        ws::JobRunner runner(1);
        QSignalSpy failed(&runner, &ws::JobRunner::jobFailed);
        ws::Job* job = runner.start(
            "import", [](ws::JobContext&) { throw std::runtime_error("'x.csv': row 3 is bad"); });
        QSignalSpy jobFailed(job, &ws::Job::failed);
        QVERIFY(failed.wait(10000));
        QCOMPARE(failed.first().at(0).toString(), QString("import"));
        QCOMPARE(failed.first().at(1).toString(), QString("'x.csv': row 3 is bad"));
        QCOMPARE(jobFailed.size(), 1);
    }

    void aGoneReceiverGetsNothing() {
        ws::JobRunner runner(1);
        auto* receiver = new QObject;
        bool delivered = false;
        std::atomic<bool> release{false};
        const auto releaseOnExit = qScopeGuard([&release] { release = true; });  // never hang
        ws::Job* job = runner.start<int>(
            "slow",
            [&release](ws::JobContext&) {
                while (!release)
                    QThread::msleep(2);
                return 1;
            },
            receiver, [&delivered](const int&) { delivered = true; });
        QSignalSpy finished(job, &ws::Job::finished);
        delete receiver;  // e.g. the window was closed
        release = true;
        QVERIFY(finished.wait(10000));
        QVERIFY(!delivered);
    }

    // The image on screen is analysed while every bulk thread is busy: it has its own lane.
    void interactiveWorkNeverWaitsBehindBulkWork() {
        ws::JobRunner runner(1);
        std::atomic<bool> release{false};
        const auto releaseOnExit = qScopeGuard([&release] { release = true; });  // never hang
        ws::Job* blocker = runner.start("import", [&release](ws::JobContext&) {
            while (!release)
                QThread::msleep(2);
        });
        QSignalSpy blockerFinished(blocker, &ws::Job::finished);
        QObject receiver;
        bool analysed = false;
        ws::Job* interactive = runner.start(
            "the image on screen", [](ws::JobContext&) {}, &receiver,
            [&analysed] { analysed = true; }, ws::JobPriority::Interactive);
        QSignalSpy finished(interactive, &ws::Job::finished);
        QVERIFY(finished.wait(10000));
        QVERIFY(analysed);
        QVERIFY(blockerFinished.isEmpty());  // the bulk job still runs
        release = true;
        QVERIFY(blockerFinished.wait(10000));
    }

    void normalWorkGoesBeforeLow() {
        ws::JobRunner runner(1);
        std::atomic<bool> release{false};
        const auto releaseOnExit = qScopeGuard([&release] { release = true; });  // never hang
        runner.start("blocker", [&release](ws::JobContext&) {
            while (!release)
                QThread::msleep(2);
        });
        QStringList order;
        QObject receiver;
        for (int i = 0; i < 3; ++i) {
            runner.start(
                "thumbnail", [](ws::JobContext&) {}, &receiver, [&order] { order << "low"; },
                ws::JobPriority::Low);
        }
        runner.start(
            "import", [](ws::JobContext&) {}, &receiver, [&order] { order << "normal"; },
            ws::JobPriority::Normal);
        release = true;
        QTRY_COMPARE(order.size(), 4);
        QCOMPARE(order.front(), QString("normal"));
    }
};

QTEST_GUILESS_MAIN(TestJobs)
#include "tst_jobs.moc"
