#pragma once
// The workstation's one way to run work off the UI thread (as QuPath has one pool): jobs run
// on a shared thread pool, report progress, can be cancelled, and deliver their result (or
// their error) on the UI thread. A failed job also reports through the session's error
// channel, so no error is lost because no window listened.
//
//   Job* job = session.jobs().start<Report>(tr("Import"), [](JobContext& context) {
//       ... context.setProgress(done, total); if (context.cancelled()) return {}; ...
//   }, this, [this](const Report& report) { show(report); });
//   connect(job, &Job::progressChanged, bar, ...);

#include <QObject>
#include <QPointer>
#include <QString>
#include <QThreadPool>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>

namespace dermreader::workstation {

// Thrown by work that stops because it was cancelled (JobContext::throwIfCancelled).
class JobCancelled : public std::runtime_error {
  public:
    JobCancelled() : std::runtime_error("cancelled") {}
};

// What a running job sees: progress to report and whether it has been cancelled.
class JobContext {
  public:
    bool cancelled() const { return cancelled_->load(); }
    void throwIfCancelled() const;
    // Thread-safe; arrives on the UI thread as Job::progressChanged.
    void setProgress(qint64 done, qint64 total);

  private:
    friend class JobRunner;
    JobContext(std::shared_ptr<std::atomic<bool>> cancelled,
               std::function<void(qint64, qint64)> report)
        : cancelled_(std::move(cancelled)), report_(std::move(report)) {}
    std::shared_ptr<std::atomic<bool>> cancelled_;
    std::function<void(qint64, qint64)> report_;
};

// A handle on one background job; lives on the UI thread, owned by the runner (deleted after
// `finished`).
class Job : public QObject {
    Q_OBJECT

  public:
    QString title() const { return title_; }
    void cancel() { cancelled_->store(true); }
    bool isCancelled() const { return cancelled_->load(); }
    bool isFinished() const { return finished_; }

  Q_SIGNALS:
    void progressChanged(qint64 done, qint64 total);
    void failed(const QString& message);
    // Always the last signal: after the result was delivered, the error reported, or the
    // cancellation taken.
    void finished();

  private:
    friend class JobRunner;
    Job(QString title, QObject* parent)
        : QObject(parent),
          title_(std::move(title)),
          cancelled_(std::make_shared<std::atomic<bool>>(false)) {}
    QString title_;
    std::shared_ptr<std::atomic<bool>> cancelled_;
    bool finished_ = false;
};

// Work a person waits for (the image on screen) runs in its own one-thread lane, so it never
// waits behind bulk work (imports, scoring, thumbnails); Low queues behind Normal.
enum class JobPriority { Low = 0, Normal = 5, Interactive = 10 };

class JobRunner : public QObject {
    Q_OBJECT

  public:
    // `threads`: the pool's size (0: one per core).
    explicit JobRunner(int threads = 0, QObject* parent = nullptr);
    ~JobRunner() override;  // cancels what runs and waits for it

    // Runs `work` on the pool; `onResult` runs on the UI thread unless the job failed, was
    // cancelled, or `receiver` is gone by then.
    template <typename Result>
    Job* start(const QString& title, std::function<Result(JobContext&)> work, QObject* receiver,
               std::function<void(const Result&)> onResult,
               JobPriority priority = JobPriority::Normal) {
        auto result = std::make_shared<std::optional<Result>>();
        return startErased(
            title, [work = std::move(work), result](JobContext& c) { *result = work(c); }, receiver,
            [onResult = std::move(onResult), result] { onResult(**result); }, priority);
    }
    // Work without a result.
    Job* start(const QString& title, std::function<void(JobContext&)> work,
               QObject* receiver = nullptr, std::function<void()> onDone = {},
               JobPriority priority = JobPriority::Normal);

    void cancelAll();
    // Waits for every job to finish its work (not for the UI-thread delivery); for shutdown
    // and tests. Qt 6 ends the pool's threads when it has waited: call it only when no thread
    // will use its database connection again.
    bool waitForIdle(int milliseconds = -1);
    int running() const { return running_; }

  Q_SIGNALS:
    // A job failed (not cancelled): the session forwards this to its error channel.
    void jobFailed(const QString& title, const QString& message);

  private:
    Job* startErased(const QString& title, std::function<void(JobContext&)> work, QObject* receiver,
                     std::function<void()> deliver, JobPriority priority);
    QThreadPool pool_;             // bulk work, one thread per core
    QThreadPool interactivePool_;  // one thread for JobPriority::Interactive
    int running_ = 0;
};

}  // namespace dermreader::workstation
