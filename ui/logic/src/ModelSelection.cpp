#include "dermreader/workstation/ModelSelection.h"

#include <QCoreApplication>

namespace dermreader::workstation {

QString describe(ModelSource source) {
    switch (source) {
        case ModelSource::Session:
            return QCoreApplication::translate("ModelSelection", "opened for this session");
        case ModelSource::Registry:
            return QCoreApplication::translate("ModelSelection", "active in the model registry");
        case ModelSource::Settings:
            return QCoreApplication::translate("ModelSelection", "chosen in Settings");
        case ModelSource::EmbeddedDefault:
            return QCoreApplication::translate("ModelSelection", "the embedded default");
        case ModelSource::None:
            break;
    }
    return QCoreApplication::translate("ModelSelection", "no model");
}

bool ModelChoice::sameAs(const ModelChoice& other) const {
    return bundle == other.bundle && options.device == other.options.device &&
           options.testTimeAugmentation == other.options.testTimeAugmentation &&
           options.cpuThreads == other.options.cpuThreads &&
           options.cudaBFloat16 == other.options.cudaBFloat16;
}

engine::PredictorOptions effectiveOptions(const ModelSelectionInputs& in) {
    WorkstationSettings effective = in.settings;
    if (in.commandLineDevice)
        effective.device = *in.commandLineDevice;
    if (in.commandLineTta)
        effective.testTimeAugmentation = true;
    return effective.predictorOptions();
}

std::vector<ModelChoice> modelCandidates(const ModelSelectionInputs& in) {
    const engine::PredictorOptions options = effectiveOptions(in);
    std::vector<ModelChoice> candidates;
    auto offer = [&](const QString& bundle, ModelSource source) {
        if (bundle.isEmpty())
            return;
        for (const ModelChoice& c : candidates)
            if (c.bundle == bundle)
                return;  // tried already, under a stronger source
        candidates.push_back({bundle, source, options});
    };
    offer(in.sessionBundle, ModelSource::Session);
    offer(in.registryActiveBundle, ModelSource::Registry);
    offer(in.settings.modelBundle, ModelSource::Settings);
    offer(in.embeddedDefaultBundle, ModelSource::EmbeddedDefault);
    return candidates;
}

ModelChoice chooseModel(const ModelSelectionInputs& in) {
    const auto candidates = modelCandidates(in);
    if (!candidates.empty())
        return candidates.front();
    ModelChoice none;
    none.options = effectiveOptions(in);
    return none;
}

}  // namespace dermreader::workstation
