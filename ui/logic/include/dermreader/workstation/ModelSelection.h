#pragma once
// Which model the workstation uses, decided in one place:
//   a bundle named for this session (command line --model, or File > Open model bundle)
//   > the model a trainer activated in the registry
//   > the bundle chosen in Settings
//   > the embedded default model.
// Device and test-time augmentation always come from Settings, overridden by the command line,
// whichever bundle wins. A bundle that will not load gives way to the next one down the order
// (the session reports why). Activating or rolling back a model in the registry clears the
// session's bundle: the trainer's act is the latest word on the model.

#include <QString>
#include <optional>
#include <vector>

#include "dermreader/engine/Prediction.h"
#include "dermreader/workstation/Settings.h"

namespace dermreader::workstation {

enum class ModelSource { Session, Registry, Settings, EmbeddedDefault, None };
QString describe(ModelSource source);

struct ModelSelectionInputs {
    QString sessionBundle;  // --model or File > Open model bundle
    std::optional<QString> commandLineDevice;
    bool commandLineTta = false;
    QString registryActiveBundle;  // "" when nothing is active (or no database)
    WorkstationSettings settings;
    QString embeddedDefaultBundle;  // "" when the program ships none
};

struct ModelChoice {
    QString bundle;  // "" with source None
    ModelSource source = ModelSource::None;
    engine::PredictorOptions options;

    // Same bundle on the same device with the same augmentation: no reload needed.
    bool sameAs(const ModelChoice& other) const;
};

// Settings' device and TTA, overridden by the command line: what every candidate loads with.
engine::PredictorOptions effectiveOptions(const ModelSelectionInputs& inputs);
// Every bundle the inputs name, strongest first, each once, with the effective options.
std::vector<ModelChoice> modelCandidates(const ModelSelectionInputs& inputs);
// The first candidate, or source None (with the effective options) when there is none.
ModelChoice chooseModel(const ModelSelectionInputs& inputs);

}  // namespace dermreader::workstation
