// Lesion follow-up records: lesions from DICOM Patient ID + Lesion Number, a lesion's visits
// oldest first, assignment by hand (audited, never overridden by a later import), and
// placeholder patient IDs of anonymised exports kept out.
#include <QtTest>

#include <QTemporaryDir>

#include "DicomFixtures.h"
#include "LibraryImages.h"
#include "dermreader/engine/ImageLoader.h"
#include "dermreader/records/ImageLibrary.h"
#include "dermreader/records/Lesions.h"
#include "dermreader/records/Schema.h"

using namespace dermreader::records;
namespace fs = std::filesystem;

namespace {

constexpr const char* kDermoscopic = "1.2.840.10008.5.1.4.1.1.77.1.7";

void writeVisit(const fs::path& file, const char* patient, const char* lesion, const char* date) {
    testdata::DicomSpec spec{kDermoscopic};
    spec.patientId = patient;
    spec.lesionNumber = lesion;
    spec.studyDate = date;
    testdata::writeDicom(file, 8, 6, std::vector<std::uint8_t>(8 * 6 * 3, 90), spec);
}

QStringList names(const std::vector<LibraryImage>& images) {
    return testdata::fileNames(images);
}

}  // namespace

class TestLesions : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    fs::path root() const { return dir_.path().toStdString(); }

  private Q_SLOTS:
    void lesionsComeFromTheRecordsAndByHand() {
        const fs::path folder = root() / "clinic";
        fs::create_directories(folder);
        writeVisit(folder / "b-2026.dcm", "P1", "1", "20260110");
        writeVisit(folder / "a-2025.dcm", "P1", "1", "20250105");
        writeVisit(folder / "c-other.dcm", "P1", "2", "20260110");
        writeVisit(folder / "anonymous.dcm", "ANONYMOUS", "1", "20260110");
        dermreader::engine::saveImage(dermreader::engine::RgbImage::filled(8, 6, 1, 2, 3),
                                      folder / "phone.png");
        Database db = openWorkstationDatabase(root() / "lesions.sqlite");
        ImageLibrary library(db);
        QCOMPARE(library.addFolder(folder).added, 5);
        Lesions lesions(db);
        QCOMPARE(lesions.linkFromRecords(), 3);
        QCOMPARE(lesions.linkFromRecords(), 0);  // once only
        QCOMPARE(lesions.patients(), std::vector<std::string>{"P1"});
        auto ofP1 = lesions.ofPatient("P1");
        QCOMPARE(ofP1.size(), std::size_t{2});
        QCOMPARE(ofP1[0].label, std::string("lesion 1"));
        QCOMPARE(ofP1[0].images, 2);
        QCOMPARE(ofP1[0].firstStudyDate, std::string("20250105"));
        QCOMPARE(ofP1[0].lastStudyDate, std::string("20260110"));
        QCOMPARE(names(library.lesionTimeline(ofP1[0].id)),
                 QStringList({"a-2025.dcm", "b-2026.dcm"}));
        QVERIFY(!lesions.ofImage(folder / "anonymous.dcm"));

        // By hand: the phone photo joins lesion 1 (undated: after the dated visits), and the
        // second lesion's image is moved to lesion 1; a later import keeps both.
        const Lesion joined = lesions.assign(folder / "phone.png", "P1", "lesion 1", std::nullopt);
        QCOMPARE(joined.id, ofP1[0].id);
        QCOMPARE(joined.images, 3);
        QCOMPARE(names(library.lesionTimeline(joined.id)),
                 QStringList({"a-2025.dcm", "b-2026.dcm", "phone.png"}));
        const User nurse =
            Accounts(db).create(std::nullopt, "nurse", Role::Coordinator, 3, "password-123");
        lesions.assign(folder / "c-other.dcm", "P1", "lesion 1", nurse);
        library.addFolder(folder);
        lesions.linkFromRecords();
        QCOMPARE(lesions.ofImage(folder / "c-other.dcm")->label, std::string("lesion 1"));
        QCOMPARE(lesions.find(ofP1[1].id)->images, 0);
        const auto log = readAuditLog(db);
        QVERIFY(std::any_of(log.begin(), log.end(), [](const AuditEntry& entry) {
            return entry.action == "lesion assigned" &&
                   entry.detail.find("c-other.dcm") != std::string::npos;
        }));

        // A new lesion by hand; bad requests are named.
        const Lesion fresh = lesions.assign(folder / "phone.png", "P1", "left shoulder", nurse);
        QCOMPARE(fresh.label, std::string("left shoulder"));
        QCOMPARE(lesions.ofPatient("P1").size(), std::size_t{3});
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 lesions.assign(folder / "missing.png", "P1", "x", nurse));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 lesions.assign(folder / "phone.png", "", "x", nurse));
        // A placeholder ID would pool every anonymised patient's images into one lesion.
        for (const char* placeholder : {"ANONYMOUS", "anon", "0"})
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                     lesions.assign(folder / "phone.png", placeholder, "x", nurse));
        // A DICOM image of P1 cannot join another patient's lesion.
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 lesions.assign(folder / "a-2025.dcm", "P2", "lesion 1", nurse));
    }
};

QTEST_GUILESS_MAIN(TestLesions)
#include "tst_lesions.moc"
