#pragma once
// The workstation's logic layer (QtCore, no widgets), in the spirit of 3D Slicer's module
// Logic classes: one session is created in main() and handed to every window. It owns
//  - the database connections (one per thread, DatabaseConnections),
//  - the signed-in users,
//  - the model-selection policy (ModelSelection.h) and the loaded model (PredictionService),
//  - audited actions, which report failure through the one error channel (errorOccurred),
//  - the one pool for background work (JobRunner).
// Windows display and forward; every workstation policy lives here and is tested without a
// display (tests/ui/logic).

#include <QObject>
#include <QString>
#include <functional>
#include <memory>
#include <optional>

#include "dermreader/engine/Prediction.h"
#include "dermreader/records/Accounts.h"
#include "dermreader/records/ModelRegistry.h"
#include "dermreader/workstation/ModelSelection.h"
#include "dermreader/workstation/Settings.h"

namespace dermreader::taxonomy {
class Taxonomy;
}

namespace dermreader::workstation {

class DatabaseConnections;
class JobRunner;
class PredictionService;

struct SessionOptions {
    QString databasePath;  // "" for folder browsing only
    // Command line: --model (a bundle for this session), --device, --tta.
    QString sessionModel;
    std::optional<QString> commandLineDevice;
    bool commandLineTta = false;
    // The embedded default model; unset: the one shipped with the program, if any.
    std::optional<QString> embeddedDefaultModel;
    int jobThreads = 0;  // the pool's size; 0: one per core
};

class WorkstationSession : public QObject {
    Q_OBJECT

  public:
    WorkstationSession(const taxonomy::Taxonomy& taxonomy, SessionOptions options,
                       QObject* parent = nullptr);
    ~WorkstationSession() override;

    const taxonomy::Taxonomy& taxonomy() const { return taxonomy_; }
    JobRunner& jobs() { return *jobs_; }
    PredictionService& predictions() { return *predictions_; }

    // --- Database ---
    bool hasDatabase();             // configured and opens
    QString databaseError() const;  // why not, after hasDatabase() said false
    QString databasePath() const;
    // This thread's connection. Throws records::DatabaseError.
    records::Database& database();

    // --- Users ---
    bool needsFirstAccount();  // no accounts yet: the first to sign in becomes coordinator
    // Signs a user in (both outcomes audited by Accounts); nothing and `error` on failure.
    std::optional<records::User> signIn(const QString& name, const QString& password,
                                        QString* error);
    std::optional<records::User> createFirstCoordinator(const QString& name,
                                                        const QString& password, int years,
                                                        QString* error);
    const std::vector<records::User>& signedIn() const { return signedIn_; }
    // The signed-in user whose role may see ground truth (records::maySeeLabels), if any: the
    // library shows diagnoses only while one is signed in.
    std::optional<records::User> labelViewer() const;
    void signOut(std::int64_t userId);
    void signOutEveryone();

    // --- Blinding ---
    // A reader's session makes the workstation locked: no window that shows labels or CNN
    // output is reachable until a coordinator unlocks it, also after the reader pauses or
    // finishes. Windows follow lockChanged.
    void beginBlindedReading(const records::User& reader, std::int64_t study);
    void endBlindedReading();  // the reading window closed; the lock stays
    bool readingInProgress() const { return reading_; }
    bool locked() const { return locked_; }
    // Unlocks for a coordinator (audited); false with `error` otherwise.
    bool unlock(const QString& name, const QString& password, QString* error);

    // --- Quit ---
    // Signs everyone out, cancels background work and tells every window to close.
    void shutdown();

    // --- Settings and the model ---
    WorkstationSettings settings() const { return settings_; }
    RiskThresholds thresholds() const { return settings_.thresholds; }
    // Saves the settings; a new bundle, device or TTA reloads the model the policy picks (an
    // activated registry model stays).
    void applySettings(const WorkstationSettings& settings);
    // What the policy picks now, and what is loaded.
    ModelChoice modelChoice();
    const ModelChoice& loadedChoice() const { return loaded_; }
    QString modelError() const { return modelError_; }
    // Loads the best bundle of the policy's order that loads, unless it is loaded already;
    // false (and modelError) when the policy's first choice cannot be loaded, each failure
    // reported. `force` reloads even the same choice.
    bool reloadModel(bool force = false);
    // File > Open model bundle: this bundle for the rest of the session (like --model); one
    // that does not load is reported and the model in use stays.
    bool openModelBundle(const QString& bundle);
    // Registry actions (audited by the registry): activation makes the registry's model win
    // over a bundle opened for this session.
    std::optional<records::RegisteredModel> registerModel(const records::User& user,
                                                          const QString& bundle);
    bool activateModel(const records::User& user, std::int64_t model);
    bool rollbackModel(const records::User& user);

    // Remembers what the loaded model said about an image's content (for the library's risk
    // filters); false without a library, a content hash or a model, or on failure (reported).
    bool recordRisk(const QString& contentHash, const engine::Prediction& prediction);

    // --- Actions and errors ---
    // Appends to the audit log; a failure (e.g. the database stays busy) is reported, never
    // thrown into the event loop.
    bool audit(const std::optional<records::User>& user, const QString& action,
               const QString& detail = {});
    // Runs `action`; an exception becomes an error report titled `what`.
    bool perform(const QString& what, const std::function<void()>& action);
    void reportError(const QString& what, const QString& message);

  Q_SIGNALS:
    // The loaded model changed (or failed to load: predictions().hasModel() is false).
    void modelChanged();
    void thresholdsChanged(const dermreader::workstation::RiskThresholds& thresholds);
    // Nodes, our AE title or port, or timeouts changed (settings().pacs has the new ones).
    void pacsSettingsChanged();
    // The one error channel: every failure a person should see.
    void errorOccurred(const QString& what, const QString& message);
    void signedInChanged();
    void lockChanged(bool locked);
    void readingEnded();
    void shuttingDown();

  private:
    // `registryUnreadable`: the registry could not be read (reported), so its say is unknown.
    ModelSelectionInputs selectionInputs(bool* registryUnreadable = nullptr);

    const taxonomy::Taxonomy& taxonomy_;
    SessionOptions options_;
    WorkstationSettings settings_;
    std::unique_ptr<DatabaseConnections> connections_;
    QString databaseError_;
    std::unique_ptr<JobRunner> jobs_;
    std::unique_ptr<PredictionService> predictions_;
    ModelChoice loaded_;
    QString modelError_;
    std::vector<records::User> signedIn_;
    bool reading_ = false, locked_ = false;
};

}  // namespace dermreader::workstation

Q_DECLARE_METATYPE(dermreader::workstation::RiskThresholds)
