// What a retrieval does with each instance that arrives (C-GET and C-MOVE alike): instances of
// the requested study and series are written whole; others are refused without ending the
// retrieval; a cancel or a write failure stops it. No network.

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <QtTest>

#include <filesystem>

#include "../../../ui/pacs/src/Association.h"

namespace fs = std::filesystem;
using dermreader::pacs::PacsError;
using dermreader::pacs::Progress;
using dermreader::pacs::detail::ReceivedInstances;

namespace {

constexpr const char* kStudy = "1.2.826.0.1.3680043.10.99.1";
constexpr const char* kSeries = "1.2.826.0.1.3680043.10.99.1.1";

DcmDataset instance(const std::string& uid, const char* study = kStudy,
                    const char* series = kSeries) {
    DcmDataset dataset;
    dataset.putAndInsertString(DCM_SOPClassUID, UID_VLPhotographicImageStorage);
    dataset.putAndInsertString(DCM_SOPInstanceUID, uid.c_str());
    dataset.putAndInsertString(DCM_StudyInstanceUID, study);
    dataset.putAndInsertString(DCM_SeriesInstanceUID, series);
    return dataset;
}

}  // namespace

class TestReceivedInstances : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir work_;

    fs::path folder(const char* name) const { return work_.filePath(name).toStdString(); }

  private Q_SLOTS:
    void unrequestedInstanceDoesNotStopTheRetrieval() {
        fs::create_directories(folder("mixed"));
        const Progress progress = [](int, int) { return true; };
        ReceivedInstances received(folder("mixed"), progress, 2, kStudy, {kSeries});
        DcmDataset stranger = instance("1.2.3.4", kStudy, "1.2.826.0.1.3680043.10.99.1.2");
        QCOMPARE(received.store(stranger), Uint16{0x0124});
        QVERIFY(!received.stopped());
        DcmDataset otherStudy = instance("1.2.3.5", "1.2.826.0.1.3680043.10.99.2");
        QCOMPARE(received.store(otherStudy), Uint16{0x0124});
        QVERIFY(!received.stopped());
        DcmDataset wanted = instance("1.2.3.6");
        QCOMPARE(received.store(wanted), Uint16{STATUS_Success});
        QCOMPARE(received.unrequested(), 2);
        QCOMPARE(received.files().size(), std::size_t{1});
        QVERIFY(fs::exists(folder("mixed") / "1.2.3.6.dcm"));
        QVERIFY(!fs::exists(folder("mixed") / "1.2.3.4.dcm"));
    }

    void cancelStopsTheRetrieval() {
        fs::create_directories(folder("cancelled"));
        const Progress progress = [](int done, int) { return done < 1; };
        ReceivedInstances received(folder("cancelled"), progress, 3, kStudy, {kSeries});
        DcmDataset first = instance("1.2.3.7");
        // Written and listed: the node hears success although the retrieval stops here.
        QCOMPARE(received.store(first), Uint16{STATUS_Success});
        QVERIFY(received.stopped() && received.cancelled());
        QCOMPARE(received.files().size(), std::size_t{1});
        DcmDataset second = instance("1.2.3.8");
        QVERIFY(received.store(second) != STATUS_Success);
        QVERIFY(!fs::exists(folder("cancelled") / "1.2.3.8.dcm"));
    }

    void hostileUidIsAProtocolError() {
        fs::create_directories(folder("hostile"));
        ReceivedInstances received(folder("hostile"), {}, 1, kStudy, {kSeries});
        DcmDataset hostile = instance("../../escape");
        QVERIFY(received.store(hostile) != STATUS_Success);
        QVERIFY(received.stopped());
        QVERIFY(received.error() && received.error()->kind() == PacsError::Kind::Protocol);
        QVERIFY(fs::is_empty(folder("hostile")));
    }
};

QTEST_GUILESS_MAIN(TestReceivedInstances)
#include "tst_received_instances.moc"
