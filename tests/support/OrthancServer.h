#pragma once
// A real Orthanc PACS for tests (Debian's `orthanc` package): started on free loopback ports
// with a throw-away storage folder, our AE title registered as a modality that may echo, find,
// get, move and store, and stopped when the object goes. Its REST API is how tests see what
// Orthanc holds, independently of the workstation's DICOM code.
//
// Header-only; link Qt6::Network. Where Orthanc is not installed the tests skip, unless
// DERMREADER_REQUIRE_ORTHANC is set (CI sets it: packaging/run-tests.sh), then they fail
// (DERMREADER_START_ORTHANC_OR_SKIP).

#include <QEventLoop>
#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <memory>
#include <string>

#include <signal.h>
#include <sys/prctl.h>

#include "dermreader/pacs/DicomNode.h"

// In a test function: starts `server`, or skips (fails where Orthanc is required).
#define DERMREADER_START_ORTHANC_OR_SKIP(server)     \
    do {                                             \
        QString orthancError;                        \
        if (!(server).start(&orthancError)) {        \
            if (testdata::OrthancServer::required()) \
                QFAIL(qPrintable(orthancError));     \
            QSKIP(qPrintable(orthancError));         \
        }                                            \
    } while (false)

namespace testdata {

// A loopback port nobody listens on now.
inline quint16 freeLoopbackPort() {
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

class OrthancServer {
  public:
    struct Options {
        QString ourAeTitle = QStringLiteral("DERMREADER");
        quint16 ourStorePort = 0;  // where Orthanc sends C-MOVE results
        QString aeTitle = QStringLiteral("ORTHANC");
        // TLS (PEM files); empty: plain DICOM.
        QString tlsCertificate, tlsPrivateKey;
    };

    static QString binary() {
        const QString configured = qEnvironmentVariable("DERMREADER_ORTHANC");
        if (!configured.isEmpty())
            return configured;
        QString found = QStandardPaths::findExecutable(QStringLiteral("Orthanc"));
        if (found.isEmpty())
            found = QStandardPaths::findExecutable(QStringLiteral("Orthanc"),
                                                   {QStringLiteral("/usr/sbin")});
        return found;
    }
    static bool required() { return qEnvironmentVariableIsSet("DERMREADER_REQUIRE_ORTHANC"); }

    explicit OrthancServer(Options options) : options_(std::move(options)) {}
    ~OrthancServer() { stop(); }

    // Starts and waits until the REST API answers; false and `error` otherwise. The free
    // ports are found by probing, which another process may race for: three tries.
    bool start(QString* error) {
        if (binary().isEmpty()) {
            *error = QStringLiteral("Orthanc is not installed (Debian package 'orthanc')");
            return false;
        }
        for (int attempt = 0; attempt < 3; ++attempt) {
            if (startOnce(error))
                return true;
            stop();
        }
        return false;
    }

  private:
    bool startOnce(QString* error) {
        dicomPort_ = freeLoopbackPort();
        httpPort_ = freeLoopbackPort();
        QJsonObject modality{{"AET", options_.ourAeTitle},
                             {"Host", "127.0.0.1"},
                             {"Port", options_.ourStorePort ? options_.ourStorePort : 1},
                             {"AllowEcho", true},
                             {"AllowFind", true},
                             {"AllowGet", true},
                             {"AllowMove", true},
                             {"AllowStore", true}};
        QJsonObject config{{"Name", "dermreader-test"},
                           {"StorageDirectory", folder_.filePath("storage")},
                           {"IndexDirectory", folder_.filePath("index")},
                           {"HttpPort", httpPort_},
                           {"DicomPort", dicomPort_},
                           {"DicomAet", options_.aeTitle},
                           {"DicomCheckCalledAet", true},
                           {"DicomAlwaysAllowEcho", false},
                           {"DicomAlwaysAllowStore", false},
                           {"DicomAlwaysAllowFind", false},
                           {"DicomAlwaysAllowGet", false},
                           {"DicomAlwaysAllowMove", false},
                           {"DicomModalities", QJsonObject{{"dermreader", modality}}},
                           {"RemoteAccessAllowed", false},
                           {"AuthenticationEnabled", false},
                           {"Plugins", QJsonArray{}},
                           {"DicomScpTimeout", 30},
                           {"DicomAssociationCloseDelay", 0},
                           {"SaveJobs", false},
                           {"StableAge", 1}};
        if (!options_.tlsCertificate.isEmpty()) {
            config["DicomTlsEnabled"] = true;
            config["DicomTlsCertificate"] = options_.tlsCertificate;
            config["DicomTlsPrivateKey"] = options_.tlsPrivateKey;
            config["DicomTlsTrustedCertificates"] = options_.tlsCertificate;
            config["DicomTlsRemoteCertificateRequired"] = false;
        }
        const QString configFile = folder_.filePath("orthanc.json");
        QFile file(configFile);
        if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(config).toJson()) < 0) {
            *error = QStringLiteral("cannot write ") + configFile;
            return false;
        }
        file.close();
        process_ = std::make_unique<QProcess>();
        process_->setProcessChannelMode(QProcess::MergedChannels);
        process_->setStandardOutputFile(folder_.filePath("orthanc.log"));
        // Orthanc ends with the test even when the test crashes.
        process_->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
        process_->start(binary(), {configFile});
        if (!process_->waitForStarted(10000)) {
            *error = QStringLiteral("Orthanc did not start: ") + process_->errorString();
            return false;
        }
        for (int attempt = 0; attempt < 300; ++attempt) {
            if (get(QStringLiteral("/system")).isObject())
                return true;
            if (process_->state() != QProcess::Running)
                break;
            QThread::msleep(100);
        }
        *error = QStringLiteral("Orthanc did not come up; its log: ") + log();
        return false;
    }

  public:
    void stop() {
        if (!process_ || process_->state() == QProcess::NotRunning)
            return;
        process_->terminate();
        if (!process_->waitForFinished(10000)) {
            process_->kill();
            process_->waitForFinished(5000);
        }
    }

    quint16 dicomPort() const { return dicomPort_; }
    // This server as a node of the workstation's settings.
    dermreader::pacs::DicomNode node(const std::string& name) const {
        dermreader::pacs::DicomNode node;
        node.name = name;
        node.aeTitle = options_.aeTitle.toStdString();
        node.host = "127.0.0.1";
        node.port = dicomPort_;
        return node;
    }
    QString aeTitle() const { return options_.aeTitle; }
    QString log() const {
        QFile file(folder_.filePath("orthanc.log"));
        return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll().right(4000))
                                              : QString();
    }

    // --- REST: what Orthanc holds ---
    QJsonValue get(const QString& path) { return request(path, {}, false); }
    QJsonValue post(const QString& path, const QJsonObject& body) {
        return request(path, QJsonDocument(body).toJson(), true);
    }
    int instanceCount() { return get(QStringLiteral("/instances")).toArray().size(); }
    // The instance's main DICOM tags ("SOPClassUID", "Modality", ...) by SOP Instance UID;
    // empty when Orthanc does not hold it.
    QJsonObject instanceTags(const QString& sopInstanceUid) {
        const QJsonArray ids = post(QStringLiteral("/tools/find"),
                                    {{"Level", "Instance"},
                                     {"Query", QJsonObject{{"SOPInstanceUID", sopInstanceUid}}}})
                                   .toArray();
        if (ids.size() != 1)
            return {};
        return get(QStringLiteral("/instances/%1/simplified-tags").arg(ids[0].toString()))
            .toObject();
    }

  private:
    QJsonValue request(const QString& path, const QByteArray& body, bool isPost) {
        QNetworkRequest request(
            QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(httpPort_).arg(path)));
        request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        QNetworkReply* reply = isPost ? network_.post(request, body) : network_.get(request);
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(10000, &loop, &QEventLoop::quit);
        loop.exec();
        QJsonValue value;
        if (reply->isFinished() && reply->error() == QNetworkReply::NoError) {
            const QJsonDocument document = QJsonDocument::fromJson(reply->readAll());
            value =
                document.isArray() ? QJsonValue(document.array()) : QJsonValue(document.object());
        }
        reply->abort();
        reply->deleteLater();
        return value;
    }

    Options options_;
    QTemporaryDir folder_;
    std::unique_ptr<QProcess> process_;
    quint16 dicomPort_ = 0, httpPort_ = 0;
    QNetworkAccessManager network_;
};

}  // namespace testdata
