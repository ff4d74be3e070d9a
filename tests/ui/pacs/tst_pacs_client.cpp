// PacsClient against a real Orthanc: push fixtures (C-STORE), query (C-FIND study/series),
// retrieve (C-GET and C-MOVE), cancel, and the errors a clinic meets (unreachable node,
// rejected association, timeout, a study with no dermatology images, a refused query).

#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmimage/diregist.h>  // colour images for the JPEG encoder
#include <dcmtk/dcmjpeg/djencode.h>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QtTest>

#include <set>

#include "DicomFixtures.h"
#include "OrthancServer.h"
#include "dermreader/pacs/PacsClient.h"

namespace fs = std::filesystem;
using dermreader::pacs::DicomNode;
using dermreader::pacs::LocalEntity;
using dermreader::pacs::PacsClient;
using dermreader::pacs::PacsError;
using dermreader::pacs::RetrieveMethod;
using dermreader::pacs::StudyQuery;

namespace {

constexpr const char* kDermStudy = "1.2.826.0.1.3680043.10.1234.1";
constexpr const char* kDermSeries = "1.2.826.0.1.3680043.10.1234.1.1";
constexpr const char* kOtherStudy = "1.2.826.0.1.3680043.10.1234.2";
constexpr const char* kOtherSeries = "1.2.826.0.1.3680043.10.1234.2.1";

std::vector<std::uint8_t> gradient(int width, int height, int seed) {
    std::vector<std::uint8_t> rgb(static_cast<std::size_t>(width * height * 3));
    for (std::size_t i = 0; i < rgb.size(); ++i)
        rgb[i] = static_cast<std::uint8_t>((i * 7 + static_cast<std::size_t>(seed) * 31) % 251);
    return rgb;
}

std::string sopInstanceOf(const fs::path& file) {
    DcmFileFormat format;
    OFString uid;
    if (format.loadFile(file.c_str()).good())
        format.getDataset()->findAndGetOFString(DCM_SOPInstanceUID, uid);
    return uid.c_str();
}

template <typename Call>
PacsError::Kind failureKind(Call call, QString* message) {
    try {
        call();
    } catch (const PacsError& error) {
        *message = QString::fromStdString(error.what());
        return error.kind();
    }
    *message = QStringLiteral("no error");
    return PacsError::Kind::Protocol;
}

}  // namespace

Q_DECLARE_METATYPE(RetrieveMethod)

class TestPacsClient : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir work_;
    std::unique_ptr<testdata::OrthancServer> orthanc_;
    LocalEntity local_;
    std::vector<fs::path> fixtures_;
    std::set<std::string> dermInstances_;

    DicomNode node(RetrieveMethod method = RetrieveMethod::Get) const {
        DicomNode node = orthanc_->node("Test PACS");
        node.retrieve = method;
        return node;
    }

  private Q_SLOTS:
    void initTestCase() {
        DJEncoderRegistration::registerCodecs();
        local_.storePort = testdata::freeLoopbackPort();
        testdata::OrthancServer::Options options;
        options.ourStorePort = local_.storePort;
        orthanc_ = std::make_unique<testdata::OrthancServer>(options);
        DERMREADER_START_ORTHANC_OR_SKIP(*orthanc_);
        // Study 1: three clinical photographs (XC) of one patient; study 2: a Secondary
        // Capture (OT) of another, which is not a dermatology image.
        for (int i = 0; i < 3; ++i) {
            testdata::DicomSpec spec{UID_VLPhotographicImageStorage};
            spec.modality = "XC";
            spec.patientId = "DERM-001";
            spec.patientName = "Doe^Jane";
            spec.studyUid = kDermStudy;
            spec.seriesUid = kDermSeries;
            spec.studyDate = "20260315";
            if (i == 2)
                spec.syntax = EXS_JPEGProcess1;
            const fs::path file = fs::path(work_.filePath("fixtures").toStdString()) /
                                  ("derm" + std::to_string(i) + ".dcm");
            fs::create_directories(file.parent_path());
            testdata::writeDicom(file, 48, 40, gradient(48, 40, i), spec);
            fixtures_.push_back(file);
            dermInstances_.insert(sopInstanceOf(file));
        }
        testdata::DicomSpec other{UID_SecondaryCaptureImageStorage};
        other.modality = "OT";
        other.patientId = "OTHER-002";
        other.patientName = "Roe^Richard";
        other.studyUid = kOtherStudy;
        other.seriesUid = kOtherSeries;
        other.studyDate = "20250101";
        const fs::path otherFile = fs::path(work_.filePath("fixtures").toStdString()) / "other.dcm";
        testdata::writeDicom(otherFile, 32, 32, gradient(32, 32, 9), other);
        fixtures_.push_back(otherFile);
    }

    void echoAndStoreFixtures() {
        PacsClient client(node(), local_);
        client.echo();
        std::vector<fs::path> files = fixtures_;
        files.push_back(work_.filePath("fixtures").toStdString() + "/missing.dcm");
        int lastDone = -1, lastTotal = -1;
        const auto report = client.store(files, [&](int done, int total) {
            lastDone = done;
            lastTotal = total;
            return true;
        });
        QCOMPARE(report.stored.size(), fixtures_.size());
        QCOMPARE(report.problems.size(), std::size_t{1});
        QVERIFY2(QString::fromStdString(report.problems[0]).contains("missing.dcm"),
                 report.problems[0].c_str());
        QCOMPARE(lastDone, lastTotal);
        QCOMPARE(orthanc_->instanceCount(), static_cast<int>(fixtures_.size()));
        for (const std::string& uid : dermInstances_)
            QCOMPARE(orthanc_->instanceTags(QString::fromStdString(uid))["Modality"].toString(),
                     QStringLiteral("XC"));
    }

    void findStudies() {
        PacsClient client(node(), local_);
        StudyQuery byId;
        byId.patientId = "DERM-001";
        auto studies = client.findStudies(byId);
        QCOMPARE(studies.size(), std::size_t{1});
        QCOMPARE(studies[0].studyUid, std::string(kDermStudy));
        QCOMPARE(studies[0].patientName, std::string("Doe^Jane"));
        QCOMPARE(studies[0].studyDate, std::string("20260315"));
        QCOMPARE(studies[0].instanceCount, 3);

        StudyQuery byName;  // a prefix, as people type it
        byName.patientName = "Roe";
        studies = client.findStudies(byName);
        QCOMPARE(studies.size(), std::size_t{1});
        QCOMPARE(studies[0].studyUid, std::string(kOtherStudy));

        StudyQuery everything;
        QCOMPARE(client.findStudies(everything).size(), std::size_t{2});
        StudyQuery inRange;
        inRange.dateFrom = "20260101";
        inRange.dateTo = "20261231";
        studies = client.findStudies(inRange);
        QCOMPARE(studies.size(), std::size_t{1});
        QCOMPARE(studies[0].studyUid, std::string(kDermStudy));
        StudyQuery byModality;
        byModality.modality = "OT";
        studies = client.findStudies(byModality);
        QCOMPARE(studies.size(), std::size_t{1});
        QCOMPARE(studies[0].studyUid, std::string(kOtherStudy));
        StudyQuery badDate;
        badDate.dateFrom = "2026-01-01";
        QString message;
        QCOMPARE(failureKind([&] { client.findStudies(badDate); }, &message),
                 PacsError::Kind::Configuration);
    }

    void findSeries() {
        PacsClient client(node(), local_);
        const auto series = client.findSeries(kDermStudy);
        QCOMPARE(series.size(), std::size_t{1});
        QCOMPARE(series[0].seriesUid, std::string(kDermSeries));
        QCOMPARE(series[0].modality, std::string("XC"));
        QVERIFY(series[0].isDermatology());
        QCOMPARE(series[0].instanceCount, 3);
    }

    void retrieve_data() {
        QTest::addColumn<RetrieveMethod>("method");
        QTest::newRow("C-GET") << RetrieveMethod::Get;
        QTest::newRow("C-MOVE") << RetrieveMethod::Move;
    }

    void retrieve() {
        QFETCH(RetrieveMethod, method);
        PacsClient client(node(method), local_);
        const fs::path into = work_.filePath(QTest::currentDataTag()).toStdString();
        int finalDone = 0, finalTotal = 0;
        const auto report = client.retrieve(kDermStudy, {}, into, [&](int done, int total) {
            finalDone = done;
            finalTotal = total;
            return true;
        });
        QCOMPARE(report.files.size(), std::size_t{3});
        QCOMPARE(report.failed, 0);
        QCOMPARE(finalDone, 3);
        QCOMPARE(finalTotal, 3);
        std::set<std::string> received;
        for (const fs::path& file : report.files) {
            QCOMPARE(file.parent_path(), into);
            QCOMPARE(file.extension().string(), std::string(".dcm"));
            QCOMPARE(fs::status(file).permissions() & fs::perms::others_read, fs::perms::none);
            received.insert(sopInstanceOf(file));
        }
        QVERIFY(received == dermInstances_);
        for (const auto& entry : fs::directory_iterator(into))
            QVERIFY2(entry.path().extension() == ".dcm", entry.path().c_str());
    }

    // During a C-MOVE our C-STORE SCP takes stores only from the node's address: reached as
    // 127.0.0.2, the node's stores come from 127.0.0.1 and are refused.
    void moveStoresOnlyFromTheNode() {
        DicomNode elsewhere = node(RetrieveMethod::Move);
        elsewhere.host = "127.0.0.2";
        QString message;
        QCOMPARE(failureKind(
                     [&] {
                         PacsClient(elsewhere, local_)
                             .retrieve(kDermStudy, {}, work_.filePath("elsewhere").toStdString());
                     },
                     &message),
                 PacsError::Kind::Refused);
        QVERIFY(QDir(work_.filePath("elsewhere")).entryList({"*.dcm"}).isEmpty());
        DicomNode byName = node(RetrieveMethod::Move);  // a host name resolves to the address
        byName.host = "localhost";
        QCOMPARE(PacsClient(byName, local_)
                     .retrieve(kDermStudy, {}, work_.filePath("by-name").toStdString())
                     .files.size(),
                 std::size_t{3});
    }

    void cancelStopsTheRetrieval() {
        PacsClient client(node(), local_);
        const fs::path into = work_.filePath("cancelled").toStdString();
        QString message;
        const auto kind = failureKind(
            [&] { client.retrieve(kDermStudy, {}, into, [](int done, int) { return done < 1; }); },
            &message);
        QCOMPARE(kind, PacsError::Kind::Cancelled);
        int files = 0;
        for (const auto& entry : fs::directory_iterator(into)) {
            QVERIFY2(entry.path().extension() == ".dcm", entry.path().c_str());  // no .part
            ++files;
        }
        QVERIFY(files <= 1);
        client.echo();  // the node is still fine
    }

    // Sending cancelled after one object went through: the report says what is in the PACS.
    void cancelledSendReportsWhatWasStored() {
        const auto report = PacsClient(node(), local_)
                                .store({fixtures_[0], fixtures_[1], fixtures_[2]},
                                       [](int done, int) { return done < 1; });
        QCOMPARE(report.stored.size(), std::size_t{1});
        QCOMPARE(report.problems.size(), std::size_t{1});
        QVERIFY2(report.problems[0].find("cancelled; 2 object(s) not sent") != std::string::npos,
                 report.problems[0].c_str());
        QString message;  // nothing stored yet: a plain cancel
        QCOMPARE(failureKind(
                     [&] {
                         PacsClient(node(), local_).store({fixtures_[0]}, [](int, int) {
                             return false;
                         });
                     },
                     &message),
                 PacsError::Kind::Cancelled);
    }

    void studyWithoutDermatologyImages() {
        PacsClient client(node(), local_);
        QString message;
        QCOMPARE(
            failureKind(
                [&] { client.retrieve(kOtherStudy, {}, work_.filePath("none").toStdString()); },
                &message),
            PacsError::Kind::NoDermatologyImages);
        QVERIFY2(message.contains("no dermatology images") && message.contains("OT"),
                 qPrintable(message));
        // Asked for by series, it comes anyway: the person chose it.
        const auto report =
            client.retrieve(kOtherStudy, {kOtherSeries}, work_.filePath("chosen").toStdString());
        QCOMPARE(report.files.size(), std::size_t{1});
    }

    void unreachableNode() {
        DicomNode closed = node();
        closed.port = testdata::freeLoopbackPort();
        QString message;
        QCOMPARE(failureKind([&] { PacsClient(closed, local_).echo(); }, &message),
                 PacsError::Kind::Unreachable);
        QVERIFY2(message.contains(QString::number(closed.port)) && message.contains("Test PACS"),
                 qPrintable(message));
    }

    void rejectedAssociation() {
        DicomNode wrong = node();
        wrong.aeTitle = "NOT-ORTHANC";
        QString message;
        QCOMPARE(failureKind([&] { PacsClient(wrong, local_).echo(); }, &message),
                 PacsError::Kind::Rejected);
        QVERIFY2(message.contains("NOT-ORTHANC") && message.contains("DERMREADER"),
                 qPrintable(message));
    }

    void unknownCallerIsRefused() {
        LocalEntity stranger = local_;
        stranger.aeTitle = "STRANGER";
        QString message;
        QCOMPARE(failureKind([&] { PacsClient(node(), stranger).findStudies({}); }, &message),
                 PacsError::Kind::Rejected);
        QVERIFY2(message.contains("Test PACS") && message.contains("STRANGER"),
                 qPrintable(message));
    }

    void silentNodeTimesOut() {
        QTcpServer silent;  // accepts TCP, never answers the association request
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        DicomNode node = this->node();
        node.port = silent.serverPort();
        dermreader::pacs::Timeouts quick;
        quick.connectSeconds = 2;
        quick.responseSeconds = 2;
        QElapsedTimer timer;
        timer.start();
        QString message;
        QCOMPARE(failureKind([&] { PacsClient(node, local_, quick).echo(); }, &message),
                 PacsError::Kind::Timeout);
        QVERIFY2(timer.elapsed() < 15000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY2(message.contains("did not answer"), qPrintable(message));
    }

    void badConfigurationIsNamed() {
        DicomNode bad = node();
        bad.aeTitle = "THIS-AE-TITLE-IS-TOO-LONG";
        QString message;
        QCOMPARE(failureKind([&] { PacsClient(bad, local_).echo(); }, &message),
                 PacsError::Kind::Configuration);
        QVERIFY2(message.contains("AE title"), qPrintable(message));
    }

    // TLS protects the query and a C-GET; our C-MOVE receiver is plain, so the two together are
    // refused before anything goes on the wire.
    void tlsWithMoveIsRefused() {
        DicomNode secure = node(RetrieveMethod::Move);
        secure.tls.enabled = true;
        secure.tls.trustedCertificates = "/nonexistent/ca.pem";
        QVERIFY(QString::fromStdString(dermreader::pacs::problemWith(secure)).contains("C-GET"));
        QString message;
        QCOMPARE(failureKind([&] { PacsClient(secure, local_).echo(); }, &message),
                 PacsError::Kind::Configuration);
        QVERIFY2(message.contains("unencrypted"), qPrintable(message));
        secure.retrieve = RetrieveMethod::Get;
        QVERIFY(dermreader::pacs::problemWith(secure).empty());
    }

    // The node knows our AE title at a port where nothing listens (a firewall, a wrong port):
    // its failure status alone ("out of resources") would not say what to fix.
    void moveThatCannotReachUsSaysWhy() {
        LocalEntity elsewhere = local_;
        elsewhere.storePort = testdata::freeLoopbackPort();  // we listen here; the node sends
                                                             // to local_.storePort, closed now
        QString message;
        QCOMPARE(failureKind(
                     [&] {
                         PacsClient(node(RetrieveMethod::Move), elsewhere)
                             .retrieve(kDermStudy, {}, work_.filePath("unreached").toStdString());
                     },
                     &message),
                 PacsError::Kind::Refused);
        QVERIFY2(message.contains("connect back") &&
                     message.contains(QString::number(elsewhere.storePort)),
                 qPrintable(message));
    }

    void moveToABusyPortIsNamed() {
        QTcpServer busy;
        QVERIFY(busy.listen(QHostAddress::Any, 0));
        LocalEntity local = local_;
        local.storePort = busy.serverPort();
        QString message;
        QCOMPARE(failureKind(
                     [&] {
                         PacsClient(node(RetrieveMethod::Move), local)
                             .retrieve(kDermStudy, {}, work_.filePath("busy").toStdString());
                     },
                     &message),
                 PacsError::Kind::Configuration);
        QVERIFY2(message.contains(QString::number(local.storePort)), qPrintable(message));
    }

    // DICOM TLS: a node with TLS answers a client that trusts its certificate; one without the
    // certificate, or without TLS, gets a clear error instead of a hang.
    void tls() {
        const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
        if (openssl.isEmpty())
            QSKIP("openssl is not installed");
        const QString certificate = work_.filePath("orthanc.crt");
        const QString key = work_.filePath("orthanc.key");
        QProcess generate;
        generate.start(openssl, {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                                 "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", certificate});
        QVERIFY(generate.waitForFinished(60000) && generate.exitCode() == 0);
        testdata::OrthancServer::Options options;
        options.ourStorePort = local_.storePort;
        options.tlsCertificate = certificate;
        options.tlsPrivateKey = key;
        testdata::OrthancServer secure(options);
        QString error;
        QVERIFY2(secure.start(&error), qPrintable(error));
        DicomNode node = this->node();
        node.port = secure.dicomPort();
        node.tls.enabled = true;
        node.tls.trustedCertificates = certificate.toStdString();
        PacsClient(node, local_).echo();
        QCOMPARE(PacsClient(node, local_).store({fixtures_[0]}).stored.size(), std::size_t{1});

        dermreader::pacs::Timeouts quick;
        quick.connectSeconds = quick.responseSeconds = 3;
        QString message;
        DicomNode plain = node;
        plain.tls = {};
        QVERIFY(failureKind([&] { PacsClient(plain, local_, quick).echo(); }, &message) !=
                PacsError::Kind::Protocol);
        QVERIFY2(message.contains("TLS") || message.contains("did not answer"),
                 qPrintable(message));
        DicomNode untrusted = node;
        untrusted.tls.trustedCertificates = work_.filePath("other.crt").toStdString();
        QCOMPARE(failureKind([&] { PacsClient(untrusted, local_, quick).echo(); }, &message),
                 PacsError::Kind::Configuration);
        QVERIFY2(message.contains("other.crt"), qPrintable(message));
        generate.start(openssl, {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                                 "-subj", "/CN=elsewhere", "-keyout", work_.filePath("other.key"),
                                 "-out", work_.filePath("other.crt")});
        QVERIFY(generate.waitForFinished(60000) && generate.exitCode() == 0);
        QCOMPARE(failureKind([&] { PacsClient(untrusted, local_, quick).echo(); }, &message),
                 PacsError::Kind::Rejected);
        QVERIFY2(message.contains("Test PACS") && message.contains("certificate"),
                 qPrintable(message));
    }
};

QTEST_GUILESS_MAIN(TestPacsClient)
#include "tst_pacs_client.moc"
