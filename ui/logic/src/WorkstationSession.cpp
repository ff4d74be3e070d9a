#include "dermreader/workstation/WorkstationSession.h"

#include <algorithm>

#include "dermreader/engine/Resources.h"
#include "dermreader/records/Accounts.h"
#include "dermreader/records/ImageLibrary.h"
#include "dermreader/taxonomy/Taxonomy.h"
#include "dermreader/workstation/DatabaseConnections.h"
#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/PredictionService.h"

namespace dermreader::workstation {
namespace rec = dermreader::records;

namespace {

QString embeddedDefault() {
    const auto bundle = engine::defaultModelBundle();
    return bundle ? QString::fromStdString(bundle->string()) : QString();
}

}  // namespace

WorkstationSession::WorkstationSession(const taxonomy::Taxonomy& taxonomy, SessionOptions options,
                                       QObject* parent)
    : QObject(parent),
      taxonomy_(taxonomy),
      options_(std::move(options)),
      settings_(WorkstationSettings::load()),
      connections_(std::make_unique<DatabaseConnections>(options_.databasePath)),
      jobs_(std::make_unique<JobRunner>(options_.jobThreads)) {
    qRegisterMetaType<dermreader::workstation::RiskThresholds>();
    predictions_ = std::make_unique<PredictionService>(taxonomy_, *jobs_);
    if (!options_.embeddedDefaultModel)
        options_.embeddedDefaultModel = embeddedDefault();
    connect(jobs_.get(), &JobRunner::jobFailed, this, &WorkstationSession::reportError);
}

WorkstationSession::~WorkstationSession() {
    jobs_->cancelAll();    // nothing new starts its long part
    predictions_.reset();  // its running analysis ends before the pool goes
    jobs_.reset();         // waits for the other jobs (they may use the connections)
}

// --- Database ---

bool WorkstationSession::hasDatabase() {
    if (!connections_->configured()) {
        databaseError_ = tr("no workstation database");
        return false;
    }
    try {
        connections_->forThisThread();
        databaseError_.clear();
        return true;
    } catch (const std::exception& e) {
        databaseError_ = QString::fromUtf8(e.what());
        return false;
    }
}

QString WorkstationSession::databaseError() const {
    return databaseError_;
}

QString WorkstationSession::databasePath() const {
    return connections_->path();
}

rec::Database& WorkstationSession::database() {
    return connections_->forThisThread();
}

// --- Users ---

bool WorkstationSession::needsFirstAccount() {
    return hasDatabase() && rec::Accounts(database()).empty();
}

std::optional<rec::User> WorkstationSession::signIn(const QString& name, const QString& password,
                                                    QString* error) {
    try {
        const rec::User user =
            rec::Accounts(database())
                .authenticate(name.trimmed().toStdString(), password.toStdString());
        signOut(user.id);  // signed in once, however often they log in
        signedIn_.push_back(user);
        Q_EMIT signedInChanged();
        return user;
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return std::nullopt;
    }
}

std::optional<rec::User> WorkstationSession::createFirstCoordinator(const QString& name,
                                                                    const QString& password,
                                                                    int years, QString* error) {
    try {
        const rec::User user = rec::Accounts(database())
                                   .create(std::nullopt, name.trimmed().toStdString(),
                                           rec::Role::Coordinator, years, password.toStdString());
        signedIn_.push_back(user);
        Q_EMIT signedInChanged();
        return user;
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return std::nullopt;
    }
}

void WorkstationSession::signOut(std::int64_t userId) {
    const auto it = std::find_if(signedIn_.begin(), signedIn_.end(),
                                 [userId](const rec::User& u) { return u.id == userId; });
    if (it == signedIn_.end())
        return;
    const rec::User user = *it;
    signedIn_.erase(it);
    audit(user, QStringLiteral("sign out"));
    Q_EMIT signedInChanged();
}

std::optional<rec::User> WorkstationSession::labelViewer() const {
    for (const rec::User& user : signedIn_) {
        if (rec::maySeeLabels(user.role))
            return user;
    }
    return std::nullopt;
}

void WorkstationSession::signOutEveryone() {
    while (!signedIn_.empty())
        signOut(signedIn_.front().id);
}

// --- Blinding ---

void WorkstationSession::beginBlindedReading(const rec::User& reader, std::int64_t study) {
    reading_ = true;
    audit(reader, QStringLiteral("workstation locked for reading"),
          QStringLiteral("study %1").arg(study));
    if (!locked_) {
        locked_ = true;
        Q_EMIT lockChanged(true);
    }
}

void WorkstationSession::endBlindedReading() {
    if (!reading_)
        return;
    reading_ = false;
    Q_EMIT readingEnded();
}

bool WorkstationSession::unlock(const QString& name, const QString& password, QString* error) {
    if (reading_) {
        if (error)
            *error = tr("a reader's session is still open");
        return false;
    }
    try {
        const rec::User user =
            rec::Accounts(database())
                .authenticate(name.trimmed().toStdString(), password.toStdString());
        rec::requireRole(user, {rec::Role::Coordinator}, "unlock the workstation after a reading");
        audit(user, QStringLiteral("workstation unlocked"));
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;
    }
    // Whoever was signed in before the reading (the reader included) signs in again.
    signOutEveryone();
    locked_ = false;
    Q_EMIT lockChanged(false);
    return true;
}

// --- Quit ---

void WorkstationSession::shutdown() {
    signOutEveryone();
    jobs_->cancelAll();
    Q_EMIT shuttingDown();
}

// --- Settings and the model ---

ModelSelectionInputs WorkstationSession::selectionInputs(bool* registryUnreadable) {
    ModelSelectionInputs in;
    in.sessionBundle = options_.sessionModel;
    in.commandLineDevice = options_.commandLineDevice;
    in.commandLineTta = options_.commandLineTta;
    in.settings = settings_;
    in.embeddedDefaultBundle = options_.embeddedDefaultModel.value_or(QString());
    if (registryUnreadable)
        *registryUnreadable = false;
    if (connections_->configured()) {
        try {
            if (const auto active = rec::ModelRegistry(database(), taxonomy_).active())
                in.registryActiveBundle = QString::fromStdString(active->bundle.string());
        } catch (const std::exception& e) {
            reportError(tr("Model registry"), QString::fromUtf8(e.what()));
            if (registryUnreadable)
                *registryUnreadable = true;
        }
    }
    return in;
}

ModelChoice WorkstationSession::modelChoice() {
    return chooseModel(selectionInputs());
}

bool WorkstationSession::reloadModel(bool force) {
    bool registryUnreadable = false;
    const ModelSelectionInputs inputs = selectionInputs(&registryUnreadable);
    // A registry that cannot be read says nothing about the model: keep the one in use
    // rather than fall to Settings' or the default.
    if (registryUnreadable && predictions_->hasModel())
        return true;
    QStringList failures;
    bool keptInUse = false;  // the loaded model is the best candidate that loads
    for (const ModelChoice& candidate : modelCandidates(inputs)) {
        if (!force && candidate.sameAs(loaded_) && predictions_->hasModel()) {
            keptInUse = true;
            break;
        }
        QString error;
        if (predictions_->loadModel(candidate.bundle, candidate.options, &error)) {
            loaded_ = candidate;
            modelError_ = failures.join('\n');  // why the first choice is not the one in use
            if (!failures.isEmpty())
                reportError(tr("Model not loaded"), tr("%1\nUsing %2 (%3) instead.")
                                                        .arg(failures.join('\n'), candidate.bundle,
                                                             describe(candidate.source)));
            Q_EMIT modelChanged();
            return failures.isEmpty();
        }
        failures << tr("%1 (%2): %3").arg(candidate.bundle, describe(candidate.source), error);
    }
    if (keptInUse && failures.isEmpty())
        return true;  // the loaded model is still the policy's first choice
    if (keptInUse) {
        // Better candidates failed; the one in use is the next that works.
        modelError_ = failures.join('\n');
        reportError(tr("Model not loaded"),
                    tr("%1\nStill using %2.").arg(modelError_, loaded_.bundle));
        return false;
    }
    // Nothing the policy names loads: no model rather than one it no longer names (e.g. the
    // one a roll back just withdrew).
    loaded_ = ModelChoice{};
    loaded_.options = effectiveOptions(inputs);
    predictions_->unloadModel();
    modelError_ =
        failures.isEmpty() ? tr("no model bundle found (give --model)") : failures.join('\n');
    reportError(tr("Model not loaded"), modelError_);
    Q_EMIT modelChanged();
    return false;
}

void WorkstationSession::applySettings(const WorkstationSettings& settings) {
    const WorkstationSettings before = settings_;
    settings_ = settings;
    settings_.save();
    if (settings.thresholds.review != before.thresholds.review ||
        settings.thresholds.biopsy != before.thresholds.biopsy)
        Q_EMIT thresholdsChanged(settings_.thresholds);
    if (!(settings.pacs == before.pacs))
        Q_EMIT pacsSettingsChanged();
    reloadModel();  // a no-op unless the policy now picks another bundle, device or TTA
}

bool WorkstationSession::openModelBundle(const QString& bundle) {
    ModelSelectionInputs inputs = selectionInputs();
    inputs.sessionBundle = bundle;
    const ModelChoice choice = chooseModel(inputs);
    QString error;
    // Loaded before the policy changes: a bundle that fails leaves the model in use alone.
    if (!predictions_->loadModel(choice.bundle, choice.options, &error)) {
        reportError(tr("Model not loaded"), tr("%1: %2").arg(bundle, error));
        return false;
    }
    options_.sessionModel = bundle;
    loaded_ = choice;
    modelError_.clear();
    Q_EMIT modelChanged();
    return true;
}

std::optional<rec::RegisteredModel> WorkstationSession::registerModel(const rec::User& user,
                                                                      const QString& bundle) {
    std::optional<rec::RegisteredModel> model;
    perform(tr("Register model"), [&] {
        model =
            rec::ModelRegistry(database(), taxonomy_).registerBundle(user, bundle.toStdString());
    });
    return model;
}

bool WorkstationSession::activateModel(const rec::User& user, std::int64_t model) {
    if (!perform(tr("Activate model"),
                 [&] { rec::ModelRegistry(database(), taxonomy_).activate(user, model); }))
        return false;
    options_.sessionModel.clear();  // the trainer's act is the latest word on the model
    return reloadModel(true);       // a re-trained bundle may sit at the same path
}

bool WorkstationSession::rollbackModel(const rec::User& user) {
    bool rolled = false;
    if (!perform(tr("Roll back model"),
                 [&] { rolled = rec::ModelRegistry(database(), taxonomy_).rollback(user); }))
        return false;
    if (!rolled)
        return false;
    options_.sessionModel.clear();
    return reloadModel(true);
}

bool WorkstationSession::recordRisk(const QString& contentHash,
                                    const engine::Prediction& prediction) {
    const QString model = predictions_->modelKey();
    if (contentHash.isEmpty() || model.isEmpty() || prediction.topClasses.empty() ||
        !connections_->configured())
        return false;
    const std::string topNode = taxonomy_.node(prediction.topClasses.front().node).id;
    return perform(tr("Recording the predicted risk"), [&] {
        rec::ImageLibrary(database())
            .recordRisk(contentHash.toStdString(), model.toStdString(), prediction.malignant,
                        topNode);
    });
}

// --- Actions and errors ---

bool WorkstationSession::audit(const std::optional<rec::User>& user, const QString& action,
                               const QString& detail) {
    if (!connections_->configured())
        return false;
    return perform(tr("Audit log"), [&] {
        rec::audit(database(), user && user->id != 0 ? user : std::nullopt, action.toStdString(),
                   detail.toStdString());
    });
}

bool WorkstationSession::perform(const QString& what, const std::function<void()>& action) {
    try {
        action();
        return true;
    } catch (const std::exception& e) {
        reportError(what, QString::fromUtf8(e.what()));
        return false;
    }
}

void WorkstationSession::reportError(const QString& what, const QString& message) {
    Q_EMIT errorOccurred(what, message);
}

}  // namespace dermreader::workstation
