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

ModelChoice chooseModel(const ModelSelectionInputs& in) {
    ModelChoice choice;
    if (!in.sessionBundle.isEmpty())
        choice = {in.sessionBundle, ModelSource::Session, {}};
    else if (!in.registryActiveBundle.isEmpty())
        choice = {in.registryActiveBundle, ModelSource::Registry, {}};
    else if (!in.settings.modelBundle.isEmpty())
        choice = {in.settings.modelBundle, ModelSource::Settings, {}};
    else if (!in.embeddedDefaultBundle.isEmpty())
        choice = {in.embeddedDefaultBundle, ModelSource::EmbeddedDefault, {}};
    WorkstationSettings effective = in.settings;
    if (in.commandLineDevice)
        effective.device = *in.commandLineDevice;
    if (in.commandLineTta)
        effective.testTimeAugmentation = true;
    choice.options = effective.predictorOptions();
    return choice;
}

}  // namespace dermreader::workstation
