#include "dermreader/workstation/Jobs.h"

#include <QDeadlineTimer>
#include <QMetaObject>
#include <QThread>

namespace dermreader::workstation {

void JobContext::throwIfCancelled() const {
    if (cancelled())
        throw JobCancelled();
}

void JobContext::setProgress(qint64 done, qint64 total) {
    if (report_)
        report_(done, total);
}

JobRunner::JobRunner(int threads, QObject* parent) : QObject(parent) {
    pool_.setMaxThreadCount(threads > 0 ? threads : std::max(2, QThread::idealThreadCount()));
    interactivePool_.setMaxThreadCount(1);
    // Threads live as long as the runner: each keeps its own database connection, which an
    // expired thread would leave behind.
    pool_.setExpiryTimeout(-1);
    interactivePool_.setExpiryTimeout(-1);
}

JobRunner::~JobRunner() {
    cancelAll();
    interactivePool_.waitForDone();
    pool_.waitForDone();
}

void JobRunner::cancelAll() {
    for (Job* job : findChildren<Job*>(QString(), Qt::FindDirectChildrenOnly))
        job->cancel();
}

bool JobRunner::waitForIdle(int milliseconds) {
    const QDeadlineTimer deadline(milliseconds < 0 ? QDeadlineTimer::Forever
                                                   : QDeadlineTimer(milliseconds));
    return interactivePool_.waitForDone(static_cast<int>(deadline.remainingTime())) &&
           pool_.waitForDone(static_cast<int>(deadline.remainingTime()));
}

Job* JobRunner::start(const QString& title, std::function<void(JobContext&)> work,
                      QObject* receiver, std::function<void()> onDone, JobPriority priority) {
    return startErased(title, std::move(work), receiver,
                       onDone ? std::move(onDone) : std::function<void()>([] {}), priority);
}

Job* JobRunner::startErased(const QString& title, std::function<void(JobContext&)> work,
                            QObject* receiver, std::function<void()> deliver,
                            JobPriority priority) {
    auto* job = new Job(title, this);
    ++running_;
    // Results and progress are posted to the runner, which outlives every job's work (its
    // destructor waits for the pool); the job and receiver are checked on the UI thread.
    QPointer<Job> handle(job);
    QPointer<QObject> target(receiver);
    const bool hasReceiver = receiver != nullptr;
    auto cancelled = job->cancelled_;
    auto finish = [this, handle](const QString& error, bool wasCancelled) {
        --running_;
        if (!handle)
            return;
        if (!error.isEmpty() && !wasCancelled) {
            Q_EMIT handle->failed(error);
            Q_EMIT jobFailed(handle->title(), error);
        }
        handle->finished_ = true;
        Q_EMIT handle->finished();
        handle->deleteLater();
    };
    QThreadPool& lane = priority == JobPriority::Interactive ? interactivePool_ : pool_;
    lane.start(
        [this, work = std::move(work), deliver = std::move(deliver), cancelled, handle, target,
         hasReceiver, finish] {
            JobContext context(cancelled, [this, handle](qint64 done, qint64 total) {
                QMetaObject::invokeMethod(this, [handle, done, total] {
                    if (handle)
                        Q_EMIT handle->progressChanged(done, total);
                });
            });
            QString error;
            try {
                work(context);
            } catch (const JobCancelled&) {
            } catch (const std::exception& e) {
                error = QString::fromUtf8(e.what());
            } catch (...) {
                error = QStringLiteral("unknown error");
            }
            QMetaObject::invokeMethod(
                this, [deliver, cancelled, target, hasReceiver, finish, error] {
                    const bool wasCancelled = cancelled->load();
                    QString problem = error;
                    if (problem.isEmpty() && !wasCancelled && (!hasReceiver || target)) {
                        try {
                            deliver();
                        } catch (const std::exception& e) {
                            problem = QString::fromUtf8(e.what());
                        }
                    }
                    finish(problem, wasCancelled);
                });
        },
        static_cast<int>(priority));
    return job;
}

}  // namespace dermreader::workstation
