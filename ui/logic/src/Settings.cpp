#include "dermreader/workstation/Settings.h"

#include <QSettings>

namespace dermreader::workstation {

WorkstationSettings WorkstationSettings::load() {
    const QSettings s;
    const RiskThresholds defaults;
    WorkstationSettings w;
    w.modelBundle = s.value("model/bundle").toString();
    w.device = s.value("model/device", "auto").toString();
    w.testTimeAugmentation = s.value("model/tta", false).toBool();
    w.thresholds.review = s.value("thresholds/review", defaults.review).toDouble();
    w.thresholds.biopsy = s.value("thresholds/biopsy", defaults.biopsy).toDouble();
    return w;
}

void WorkstationSettings::save() const {
    QSettings s;
    s.setValue("model/bundle", modelBundle);
    s.setValue("model/device", device);
    s.setValue("model/tta", testTimeAugmentation);
    s.setValue("thresholds/review", thresholds.review);
    s.setValue("thresholds/biopsy", thresholds.biopsy);
}

engine::PredictorOptions WorkstationSettings::predictorOptions() const {
    engine::PredictorOptions options;
    options.device = engine::parseDevicePreference(device.toStdString())
                         .value_or(engine::DevicePreference::Auto);
    options.testTimeAugmentation = testTimeAugmentation;
    return options;
}

bool WorkstationSettings::operator==(const WorkstationSettings& o) const {
    return modelBundle == o.modelBundle && device == o.device &&
           testTimeAugmentation == o.testTimeAugmentation &&
           thresholds.review == o.thresholds.review && thresholds.biopsy == o.thresholds.biopsy;
}

}  // namespace dermreader::workstation
