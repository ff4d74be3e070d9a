#include "dermreader/workstation/Settings.h"

#include <QSettings>

namespace dermreader::workstation {

namespace {

PacsSettings loadPacs(QSettings& s) {
    PacsSettings pacs;
    const int count = s.beginReadArray("pacs/nodes");
    for (int i = 0; i < count; ++i) {
        s.setArrayIndex(i);
        pacs::DicomNode node;
        node.name = s.value("name").toString().toStdString();
        node.aeTitle = s.value("aeTitle").toString().toStdString();
        node.host = s.value("host").toString().toStdString();
        node.port = static_cast<std::uint16_t>(s.value("port", 104).toUInt());
        node.retrieve = s.value("retrieve").toString() == "move" ? pacs::RetrieveMethod::Move
                                                                 : pacs::RetrieveMethod::Get;
        node.tls.enabled = s.value("tls", false).toBool();
        node.tls.trustedCertificates = s.value("tlsTrusted").toString().toStdString();
        node.tls.certificate = s.value("tlsCertificate").toString().toStdString();
        node.tls.privateKey = s.value("tlsPrivateKey").toString().toStdString();
        pacs.nodes.push_back(node);
    }
    s.endArray();
    const pacs::LocalEntity localDefaults;
    pacs.local.aeTitle = s.value("pacs/aeTitle", QString::fromStdString(localDefaults.aeTitle))
                             .toString()
                             .toStdString();
    pacs.local.storePort =
        static_cast<std::uint16_t>(s.value("pacs/storePort", localDefaults.storePort).toUInt());
    const pacs::Timeouts timeoutDefaults;
    pacs.timeouts.connectSeconds =
        s.value("pacs/connectTimeout", timeoutDefaults.connectSeconds).toInt();
    pacs.timeouts.responseSeconds =
        s.value("pacs/responseTimeout", timeoutDefaults.responseSeconds).toInt();
    return pacs;
}

void savePacs(QSettings& s, const PacsSettings& pacs) {
    s.remove("pacs/nodes");
    s.beginWriteArray("pacs/nodes", static_cast<int>(pacs.nodes.size()));
    for (int i = 0; i < static_cast<int>(pacs.nodes.size()); ++i) {
        const pacs::DicomNode& node = pacs.nodes[static_cast<std::size_t>(i)];
        s.setArrayIndex(i);
        s.setValue("name", QString::fromStdString(node.name));
        s.setValue("aeTitle", QString::fromStdString(node.aeTitle));
        s.setValue("host", QString::fromStdString(node.host));
        s.setValue("port", node.port);
        s.setValue("retrieve", node.retrieve == pacs::RetrieveMethod::Move ? "move" : "get");
        s.setValue("tls", node.tls.enabled);
        s.setValue("tlsTrusted", QString::fromStdString(node.tls.trustedCertificates));
        s.setValue("tlsCertificate", QString::fromStdString(node.tls.certificate));
        s.setValue("tlsPrivateKey", QString::fromStdString(node.tls.privateKey));
    }
    s.endArray();
    s.setValue("pacs/aeTitle", QString::fromStdString(pacs.local.aeTitle));
    s.setValue("pacs/storePort", pacs.local.storePort);
    s.setValue("pacs/connectTimeout", pacs.timeouts.connectSeconds);
    s.setValue("pacs/responseTimeout", pacs.timeouts.responseSeconds);
}

}  // namespace

std::optional<pacs::DicomNode> PacsSettings::find(const QString& name) const {
    for (const pacs::DicomNode& node : nodes)
        if (QString::fromStdString(node.name) == name)
            return node;
    return std::nullopt;
}

bool operator==(const PacsSettings& a, const PacsSettings& b) {
    return a.nodes == b.nodes && a.local == b.local &&
           a.timeouts.connectSeconds == b.timeouts.connectSeconds &&
           a.timeouts.responseSeconds == b.timeouts.responseSeconds;
}

WorkstationSettings WorkstationSettings::load() {
    QSettings s;
    const RiskThresholds defaults;
    WorkstationSettings w;
    w.modelBundle = s.value("model/bundle").toString();
    w.device = s.value("model/device", "auto").toString();
    w.testTimeAugmentation = s.value("model/tta", false).toBool();
    w.thresholds.review = s.value("thresholds/review", defaults.review).toDouble();
    w.thresholds.biopsy = s.value("thresholds/biopsy", defaults.biopsy).toDouble();
    w.pacs = loadPacs(s);
    return w;
}

void WorkstationSettings::save() const {
    QSettings s;
    s.setValue("model/bundle", modelBundle);
    s.setValue("model/device", device);
    s.setValue("model/tta", testTimeAugmentation);
    s.setValue("thresholds/review", thresholds.review);
    s.setValue("thresholds/biopsy", thresholds.biopsy);
    savePacs(s, pacs);
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
           thresholds.review == o.thresholds.review && thresholds.biopsy == o.thresholds.biopsy &&
           pacs == o.pacs;
}

}  // namespace dermreader::workstation
