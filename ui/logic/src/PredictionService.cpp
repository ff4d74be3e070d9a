#include "dermreader/workstation/PredictionService.h"

#include <QMetaObject>
#include <chrono>

#include "dermreader/engine/ImageLoader.h"
#include "dermreader/engine/Predictor.h"
#include "dermreader/records/ImageLibrary.h"
#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/QtImage.h"

namespace dermreader::workstation {
namespace eng = dermreader::engine;

namespace {
double millisecondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}
}  // namespace

PredictionService::PredictionService(const taxonomy::Taxonomy& taxonomy, JobRunner& jobs,
                                     QObject* parent)
    : QObject(parent), taxonomy_(taxonomy), jobs_(jobs) {
    qRegisterMetaType<dermreader::workstation::ImageResult>();
    qRegisterMetaType<dermreader::engine::Prediction>();
    qRegisterMetaType<dermreader::engine::SaliencyMap>();
}

PredictionService::~PredictionService() {
    std::unique_lock<std::mutex> lock(mutex_);
    latest_ = ~quint64{0};  // everything in flight is stale now
    pending_.reset();
    drained_.wait(lock, [this] { return !draining_; });
}

bool PredictionService::loadModel(const QString& bundle, const eng::PredictorOptions& options,
                                  QString* error) {
    try {
        auto predictor = std::make_unique<eng::Predictor>(bundle.toStdString(), taxonomy_, options);
        std::lock_guard<std::mutex> lock(mutex_);
        predictor_ = std::move(predictor);
        identity_ = engine::ModelIdentity::of(bundle.toStdString(), predictor_->manifest());
        predictionCache_.clear();
        saliencyCache_.clear();
        return true;
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;  // the model in use (if any) stays
    }
}

void PredictionService::unloadModel() {
    std::lock_guard<std::mutex> lock(mutex_);
    predictor_.reset();
    identity_.reset();
}

bool PredictionService::hasModel() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return predictor_ != nullptr;
}

QString PredictionService::modelName() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return predictor_ ? QString::fromStdString(predictor_->manifest().name) : QString();
}

std::shared_ptr<engine::Predictor> PredictionService::predictor() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return predictor_;
}

std::optional<engine::ModelIdentity> PredictionService::modelIdentity() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return identity_;
}

QString PredictionService::modelKey() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return identity_ ? QString::fromStdString(identity_->key()) : QString();
}

QString PredictionService::modelLabel() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return identity_ ? QStringLiteral("%1 (created %2)")
                           .arg(QString::fromStdString(identity_->name),
                                QString::fromStdString(identity_->created))
                     : QString();
}

QString PredictionService::modelCard() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!predictor_)
        return {};
    const auto& m = predictor_->manifest();
    return QStringLiteral("%1\ncreated %2, %3 classes, input %4 px\ntraining: %5\nmetrics: %6")
        .arg(QString::fromStdString(m.name), QString::fromStdString(m.created))
        .arg(m.classes.size())
        .arg(m.inputSize)
        .arg(QString::fromStdString(m.trainingJson).left(400),
             QString::fromStdString(m.metricsJson).left(400));
}

QString PredictionService::deviceDescription() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return predictor_ ? QString::fromStdString(predictor_->deviceDescription()) : QString();
}

quint64 PredictionService::analyse(const QString& path, bool withSaliency,
                                   eng::SaliencyMethod method) {
    return submit(path, true, withSaliency, method);
}

quint64 PredictionService::requestSaliency(const QString& path, eng::SaliencyMethod method) {
    return submit(path, false, true, method);
}

quint64 PredictionService::submit(const QString& path, bool predict, bool saliency,
                                  eng::SaliencyMethod method) {
    std::lock_guard<std::mutex> lock(mutex_);
    const quint64 id = latest_ + 1;
    latest_ = id;  // everything older is stale from now on
    pending_ = Job{id, path, predict, saliency, method};
    if (!draining_) {
        draining_ = true;
        jobs_.start(
            tr("Analysing images"), [this](JobContext&) { drain(); }, nullptr, {},
            JobPriority::Interactive);
    }
    return id;
}

void PredictionService::drain() {
    for (;;) {
        Job job;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!pending_) {
                draining_ = false;
                drained_.notify_all();
                return;
            }
            job = *pending_;
            pending_.reset();
        }
        try {
            runJob(job);
        } catch (const std::exception& e) {  // e.g. out of memory converting a huge image
            reportFailure(job, QString::fromUtf8(e.what()));
        } catch (...) {  // whatever it was, the loop goes on: `draining_` must reach false
            reportFailure(job, tr("unknown error"));
        }
    }
}

void PredictionService::reportFailure(const Job& job, const QString& message) {
    QMetaObject::invokeMethod(
        this, [this, id = job.id, path = job.path, message] { Q_EMIT failed(id, path, message); });
}

void PredictionService::runJob(const Job& job) {
    // 1. Decode and hash.
    eng::LoadedImage loaded;
    try {
        loaded = eng::loadImage(job.path.toStdString());
    } catch (const std::exception& e) {
        if (!stale(job)) {
            QMetaObject::invokeMethod(
                this, [this, id = job.id, path = job.path, message = QString::fromUtf8(e.what())] {
                    Q_EMIT imageFailed(id, path, message);
                });
        }
        return;
    }
    // Results are cached by content, with the library's hash (the key its risks are recorded
    // under); a file that cannot be hashed is simply not cached.
    QString hash;
    try {
        hash = QString::fromStdString(records::hashFile(job.path.toStdString()));
    } catch (const std::exception&) {
    }
    const ImageResult image{job.path, toQImage(loaded.image), loaded.info, hash};
    if (stale(job))
        return;
    if (job.predict) {
        QMetaObject::invokeMethod(this,
                                  [this, id = job.id, image] { Q_EMIT imageReady(id, image); });
    }
    std::unique_lock<std::mutex> lock(mutex_);
    // The model and its cache key are taken together, so a model loaded meanwhile cannot mix in.
    const std::shared_ptr<eng::Predictor> predictor = predictor_;
    const QString modelKey = identity_ ? QString::fromStdString(identity_->key()) : QString();
    auto cacheKey = [&](const QString& what) {
        return image.hash.isEmpty() ? QString() : image.hash + "|" + modelKey + "|" + what;
    };
    if (!predictor)
        return;

    // 2. Predict (cached per content hash and model).
    if (job.predict) {
        const QString key = cacheKey("prediction");
        const eng::Prediction* cached = key.isEmpty() ? nullptr : predictionCache_.find(key);
        if (cached) {
            const auto prediction = *cached;
            lock.unlock();
            QMetaObject::invokeMethod(
                this, [this, id = job.id, path = job.path, prediction, modelKey] {
                    Q_EMIT predictionReady(id, path, prediction, 0.0, true, modelKey);
                });
        } else {
            lock.unlock();
            try {
                const auto start = std::chrono::steady_clock::now();
                const auto prediction = predictor->predict(loaded.image);
                const double ms = millisecondsSince(start);
                lock.lock();
                if (!key.isEmpty())
                    predictionCache_.insert(key, prediction);
                lock.unlock();
                if (!stale(job)) {
                    QMetaObject::invokeMethod(
                        this, [this, id = job.id, path = job.path, prediction, ms, modelKey] {
                            Q_EMIT predictionReady(id, path, prediction, ms, false, modelKey);
                        });
                }
            } catch (const std::exception& e) {
                QMetaObject::invokeMethod(this, [this, id = job.id, path = job.path,
                                                 message = QString::fromUtf8(e.what())] {
                    Q_EMIT failed(id, path, message);
                });
                return;
            }
        }
        if (lock.owns_lock())
            lock.unlock();
    } else {
        lock.unlock();
    }
    if (!job.saliency || stale(job))
        return;

    // 3. Saliency (cached for the last few images).
    lock.lock();
    const QString key = cacheKey("saliency-" + QString::fromStdString(eng::toString(job.method)));
    if (const eng::SaliencyMap* cached = key.isEmpty() ? nullptr : saliencyCache_.find(key)) {
        const auto map = *cached;
        lock.unlock();
        QMetaObject::invokeMethod(this, [this, id = job.id, path = job.path, map] {
            Q_EMIT saliencyReady(id, path, map, 0.0);
        });
        return;
    }
    lock.unlock();
    try {
        const auto start = std::chrono::steady_clock::now();
        const auto map = predictor->saliency(loaded.image, job.method);
        const double ms = millisecondsSince(start);
        lock.lock();
        if (!key.isEmpty())
            saliencyCache_.insert(key, map);
        lock.unlock();
        if (!stale(job)) {
            QMetaObject::invokeMethod(this, [this, id = job.id, path = job.path, map, ms] {
                Q_EMIT saliencyReady(id, path, map, ms);
            });
        }
    } catch (const std::exception& e) {
        QMetaObject::invokeMethod(
            this, [this, id = job.id, path = job.path, message = QString::fromUtf8(e.what())] {
                Q_EMIT failed(id, path, message);
            });
    }
}

}  // namespace dermreader::workstation
