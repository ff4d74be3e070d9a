#pragma once
// Runs the engine off the UI thread, on the session's job pool. The latest request wins: a new
// request replaces the one waiting, and a running one stops before its next stage (decode ->
// predict -> saliency) when it has been overtaken, so fast browsing never shows a stale
// result. Results are cached per (image content hash, model). Signals arrive on the thread
// that owns the service.

#include <QImage>
#include <QObject>
#include <QString>
#include <atomic>
#include <condition_variable>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "dermreader/engine/Image.h"
#include "dermreader/engine/ModelIdentity.h"
#include "dermreader/engine/Prediction.h"

namespace dermreader::engine {
class Predictor;
}

namespace dermreader::workstation {

class JobRunner;

// A map that forgets its least recently used entries beyond `capacity`.
template <typename Value>
class LruCache {
  public:
    explicit LruCache(std::size_t capacity) : capacity_(capacity) {}
    const Value* find(const QString& key) {
        auto it = entries_.find(key);
        if (it == entries_.end())
            return nullptr;
        order_.splice(order_.begin(), order_, it->second.second);
        return &it->second.first;
    }
    void insert(const QString& key, Value value) {
        if (auto it = entries_.find(key); it != entries_.end()) {
            it->second.first = std::move(value);
            order_.splice(order_.begin(), order_, it->second.second);
            return;
        }
        order_.push_front(key);
        entries_.emplace(key, std::make_pair(std::move(value), order_.begin()));
        while (entries_.size() > capacity_) {
            entries_.erase(order_.back());
            order_.pop_back();
        }
    }
    void clear() {
        entries_.clear();
        order_.clear();
    }

  private:
    std::size_t capacity_;
    std::list<QString> order_;  // most recent first
    std::map<QString, std::pair<Value, std::list<QString>::iterator>> entries_;
};

struct ImageResult {
    QString path;
    QImage image;
    engine::ImageInfo info;
    QString hash;
};

class PredictionService : public QObject {
    Q_OBJECT

  public:
    PredictionService(const taxonomy::Taxonomy& taxonomy, JobRunner& jobs,
                      QObject* parent = nullptr);
    ~PredictionService() override;

    // Loads a bundle (on the calling thread); on failure the model in use (or none) stays and
    // `error` says why.
    bool loadModel(const QString& bundle, const engine::PredictorOptions& options, QString* error);
    void unloadModel();
    bool hasModel() const;
    QString modelName() const;
    QString modelCard() const;  // description, training and metrics, for the status bar
    QString deviceDescription() const;
    // Identifies the loaded model (bundle and creation time) for caches and recorded risks.
    std::optional<engine::ModelIdentity> modelIdentity() const;
    QString modelKey() const;  // modelIdentity()->key(), "" without a model
    // "name (created ...)" of the loaded model, for labelling results.
    QString modelLabel() const;
    const taxonomy::Taxonomy& taxonomy() const { return taxonomy_; }
    // The loaded model for batch work on other threads (the predictor is thread-safe);
    // null without a model.
    std::shared_ptr<engine::Predictor> predictor() const;

    // Returns the request id that tags its results.
    quint64 analyse(const QString& path, bool withSaliency, engine::SaliencyMethod method);
    // Computes (or fetches from cache) only the saliency map for the current image.
    quint64 requestSaliency(const QString& path, engine::SaliencyMethod method);
    quint64 latestRequest() const { return latest_; }

  Q_SIGNALS:
    void imageReady(quint64 request, const dermreader::workstation::ImageResult& result);
    void imageFailed(quint64 request, const QString& path, const QString& error);
    // `modelKey`: the model that computed it (ModelIdentity::key()); a result whose model is no
    // longer the loaded one must not be shown.
    void predictionReady(quint64 request, const QString& path,
                         const dermreader::engine::Prediction& prediction, double milliseconds,
                         bool cached, const QString& modelKey);
    void saliencyReady(quint64 request, const QString& path,
                       const dermreader::engine::SaliencyMap& map, double milliseconds);
    void failed(quint64 request, const QString& path, const QString& error);

  private:
    struct Job {
        quint64 id = 0;
        QString path;
        bool predict = true, saliency = false;
        engine::SaliencyMethod method = engine::SaliencyMethod::Gradient;
    };
    // Replaces the waiting job (the latest request wins) and returns its id.
    quint64 submit(const QString& path, bool predict, bool saliency, engine::SaliencyMethod method);
    // Runs on the pool while requests are waiting.
    void drain();
    void runJob(const Job& job);
    void reportFailure(const Job& job, const QString& message);
    bool stale(const Job& job) const { return job.id != latest_.load(); }

    const taxonomy::Taxonomy& taxonomy_;
    JobRunner& jobs_;
    std::shared_ptr<engine::Predictor> predictor_;  // shared: a running job keeps its model
    std::optional<engine::ModelIdentity> identity_;
    mutable std::mutex mutex_;
    std::condition_variable drained_;
    std::optional<Job> pending_;
    bool draining_ = false;  // a drain() runs on the pool
    std::atomic<quint64> latest_{0};
    LruCache<engine::Prediction> predictionCache_{20000};  // a few KB each
    LruCache<engine::SaliencyMap> saliencyCache_{8};       // megabytes each
};

}  // namespace dermreader::workstation

Q_DECLARE_METATYPE(dermreader::workstation::ImageResult)
Q_DECLARE_METATYPE(dermreader::engine::Prediction)
Q_DECLARE_METATYPE(dermreader::engine::SaliencyMap)
