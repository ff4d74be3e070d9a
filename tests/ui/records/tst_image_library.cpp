// The image library: adding folders and labelled datasets, re-adding, bad files, DICOM
// attributes, every filter the browser offers, and who may see ground truth.
#include <QtTest>

#include <QTemporaryDir>
#include <fstream>

#include "DicomFixtures.h"
#include "LibraryImages.h"
#include "dermreader/engine/ImageLoader.h"
#include "dermreader/records/ImageLibrary.h"
#include "dermreader/records/Schema.h"
#include "dermreader/training/Dataset.h"

using namespace dermreader::records;
namespace eng = dermreader::engine;
namespace trn = dermreader::training;
namespace fs = std::filesystem;

namespace {

void writePng(const fs::path& path, std::uint8_t shade) {
    fs::create_directories(path.parent_path());
    eng::saveImage(eng::RgbImage::filled(32, 24, shade, 80, 40), path);
}

// The first account of a database: a coordinator, who may see and import labels.
User coordinatorOf(Database& db) {
    return Accounts(db).create(std::nullopt, "coordinator", Role::Coordinator, 5, "password-123");
}

QStringList names(const std::vector<LibraryImage>& images) {
    return testdata::fileNames(images);
}

}  // namespace

class TestImageLibrary : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    fs::path root() const { return dir_.path().toStdString(); }

  private Q_SLOTS:
    // What "Compare with…" offers: the patient's (or lesion's) other images, not itself.
    void relatedImagesShareThePatientOrLesion() {
        const fs::path folder = root() / "related";
        fs::create_directories(folder);
        const std::vector<std::uint8_t> pixels(8 * 6 * 3, 90);
        const char* sop = "1.2.840.10008.5.1.4.1.1.77.1.7";
        for (const char* name : {"visit1.dcm", "visit2.dcm"})
            testdata::writeDicom(folder / name, 8, 6, pixels, {sop});
        testdata::DicomSpec other{sop};
        other.patientId = "P999";
        testdata::writeDicom(folder / "someone-else.dcm", 8, 6, pixels, other);
        // Anonymised exports give everyone the same placeholder: it names no patient.
        testdata::DicomSpec anonymous{sop};
        anonymous.patientId = "ANONYMOUS";
        for (const char* name : {"anon1.dcm", "anon2.dcm"})
            testdata::writeDicom(folder / name, 8, 6, pixels, anonymous);
        writePng(folder / "plain.png", 10);
        // Two patients' "lesion 1" (DICOM Lesion Number) in one folder are not one lesion.
        for (const char* patient : {"P5", "P6"}) {
            testdata::DicomSpec numbered{sop};
            numbered.patientId = patient;
            numbered.lesionNumber = "1";
            testdata::writeDicom(folder / (std::string(patient) + ".dcm"), 8, 6, pixels, numbered);
        }
        Database db = openWorkstationDatabase(root() / "related.sqlite");
        ImageLibrary library(db);
        library.addFolder(folder);
        const auto visit1 = library.find(folder / "visit1.dcm");
        QVERIFY(visit1.has_value());
        QCOMPARE(names(library.related(*visit1)), QStringList{"visit2.dcm"});
        QVERIFY(library.related(*library.find(folder / "anon1.dcm")).empty());
        QVERIFY(library.related(*library.find(folder / "plain.png")).empty());
        const auto p5 = library.find(folder / "P5.dcm");
        QCOMPARE(p5->lesionGroup, std::string("lesion 1"));
        QVERIFY(library.related(*p5).empty());
    }

    void addFolderRecordsImagesAndReportsBadFiles() {
        const fs::path folder = root() / "folder";
        writePng(folder / "a.png", 10);
        writePng(folder / "sub" / "b.png", 20);
        std::ofstream(folder / "broken.jpg", std::ios::binary) << "not a jpeg";
        // A JPEG whose header is fine but whose data stops early (issue 13.3: it was counted
        // usable, and the folder message said 1 unusable file when there were 2).
        {
            const fs::path whole = root() / "whole.jpg";
            eng::saveImage(eng::RgbImage::filled(64, 48, 120, 80, 40), whole);
            std::ifstream in(whole, std::ios::binary);
            const std::string full((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
            std::ofstream(folder / "truncated.jpg", std::ios::binary)
                << full.substr(0, full.size() / 2);
        }
        std::ofstream(folder / "notes.txt") << "ignored: not an image extension";
        testdata::writeDicom(folder / "c.dcm", 8, 6, std::vector<std::uint8_t>(8 * 6 * 3, 90),
                             {"1.2.840.10008.5.1.4.1.1.77.1.7"});

        Database db = openWorkstationDatabase(root() / "library.sqlite");
        ImageLibrary library(db);
        std::vector<std::size_t> progress;
        const AddReport report = library.addFolder(folder, [&](std::size_t done, std::size_t) {
            progress.push_back(done);
            return true;
        });
        QCOMPARE(report.added, 5);
        QCOMPARE(int(report.problems.size()), 2);
        QVERIFY(QString::fromStdString(report.problems[0]).contains("broken.jpg"));
        QVERIFY(QString::fromStdString(report.problems[1]).contains("truncated.jpg"));
        QVERIFY(QString::fromStdString(report.problems[1]).contains("is truncated"));
        QCOMPARE(int(progress.size()), 5);
        QCOMPARE(library.size(), 5);
        // An unusable file is listed with its problem, so the browser can say why.
        const auto broken = library.find(folder / "broken.jpg");
        QVERIFY(broken.has_value());
        QVERIFY(QString::fromStdString(broken->problem).contains("not a supported image"));
        QVERIFY(library.find(folder / "a.png")->problem.empty());

        const auto dicom = library.find(folder / "c.dcm");
        QVERIFY(dicom.has_value());
        QCOMPARE(QString::fromStdString(eng::toString(dicom->modality)), QString("dermoscopic"));
        QCOMPARE(QString::fromStdString(dicom->patientId), QString("P123"));
        QCOMPARE(QString::fromStdString(dicom->patientName), QString("Test^Patient"));
        QCOMPARE(QString::fromStdString(dicom->studyDate), QString("20261127"));
        QCOMPARE(dicom->width, 8);
        QCOMPARE(dicom->height, 6);
        const auto png = library.find(folder / "a.png");
        QVERIFY(png.has_value());
        QCOMPARE(QString::fromStdString(png->format), QString("PNG"));
        QCOMPARE(png->contentHash, hashFile(folder / "a.png"));
        QCOMPARE(int(png->contentHash.size()), 64);
        QVERIFY(!png->diagnosisNode.has_value());

        // Adding again changes nothing; a changed file is updated with its new hash.
        AddReport again = library.addFolder(folder);
        QCOMPARE(again.added, 0);
        QCOMPARE(again.unchanged, 5);
        writePng(folder / "a.png", 200);
        again = library.addFolder(folder);
        QCOMPARE(again.updated, 1);
        QCOMPARE(library.find(folder / "a.png")->contentHash, hashFile(folder / "a.png"));
        QCOMPARE(library.size(), 5);
    }

    void cancellingKeepsWhatWasAdded() {
        const fs::path folder = root() / "many";
        for (int i = 0; i < 5; ++i)
            writePng(folder / ("m" + std::to_string(i) + ".png"), static_cast<std::uint8_t>(i));
        Database db = openWorkstationDatabase(root() / "cancel.sqlite");
        ImageLibrary library(db);
        const AddReport report =
            library.addFolder(folder, [](std::size_t done, std::size_t) { return done < 2; });
        QVERIFY(report.cancelled);
        QCOMPARE(report.added, 2);
        QCOMPARE(library.size(), 2);
    }

    void datasetImportAndFilters() {
        const fs::path data = root() / "dataset";
        writePng(data / "mel_1.png", 1);
        writePng(data / "nev_1.png", 2);
        writePng(data / "bcc_1.png", 3);
        writePng(data / "plain" / "unlabelled.png", 4);
        std::ofstream(data / "labels.csv") << "path,label,group,modality,biopsy_proven\n"
                                              "mel_1.png,melanoma,L1,dermoscopic,1\n"
                                              "nev_1.png,nevus,L2,dermoscopic,0\n"
                                              "bcc_1.png,basal cell carcinoma,L3,clinical,1\n";
        const auto& taxonomy = dermreader::taxonomy::Taxonomy::builtin();
        const trn::Dataset dataset =
            trn::importDataset(data / "labels.csv", trn::DatasetFormat::GenericCsv, taxonomy);

        Database db = openWorkstationDatabase(root() / "filters.sqlite");
        ImageLibrary library(db, coordinatorOf(db));
        QCOMPARE(library.addDataset(dataset, taxonomy).added, 3);
        QCOMPARE(library.addFolder(data / "plain").added, 1);
        // Adding the dataset's folder as a plain folder keeps the known labels.
        library.addFolder(data);
        QCOMPARE(library.size(), 4);
        const auto melanoma = library.find(data / "mel_1.png");
        QVERIFY(melanoma->diagnosisNode.has_value());
        QCOMPARE(QString::fromStdString(*melanoma->diagnosisNode),
                 QString::fromStdString(taxonomy.node(*taxonomy.resolveLabel("", "melanoma")).id));
        QCOMPARE(melanoma->biopsyProven, std::optional<bool>(true));
        QCOMPARE(QString::fromStdString(melanoma->lesionGroup), QString("L1"));
        QCOMPARE(QString::fromStdString(melanoma->collection),
                 QString::fromStdString(dataset.name));

        LibraryFilter filter;
        QCOMPARE(int(library.query(filter).size()), 4);
        filter.modality = eng::ImageModality::Dermoscopic;
        QCOMPARE(names(library.query(filter)), QStringList({"mel_1.png", "nev_1.png"}));
        filter = {};
        filter.diagnosis = LibraryFilter::Diagnosis::Unknown;
        QCOMPARE(names(library.query(filter)), QStringList({"unlabelled.png"}));
        filter.diagnosis = LibraryFilter::Diagnosis::Known;
        QCOMPARE(int(library.query(filter).size()), 3);
        filter = {};
        filter.search = "CARCINOMA";  // the label, case-insensitive
        QCOMPARE(names(library.query(filter)), QStringList({"bcc_1.png"}));
        filter.search = "mel_";  // '_' is a literal, not a wildcard
        QCOMPARE(names(library.query(filter)), QStringList({"mel_1.png"}));
        filter = {};
        filter.collection = dataset.name;
        QCOMPARE(int(library.query(filter).size()), 3);
        // An image belongs to every folder and dataset it was added from.
        filter.collection = fs::absolute(data).lexically_normal().string();
        QCOMPARE(int(library.query(filter).size()), 4);
        QCOMPARE(int(library.collections().size()), 3);

        // Risk filters use the probabilities recorded for one model.
        library.recordRisk(melanoma->contentHash, "model-a", 0.8, "melanoma");
        library.recordRisk(library.find(data / "nev_1.png")->contentHash, "model-a", 0.1, "nevus");
        library.recordRisk(library.find(data / "bcc_1.png")->contentHash, "model-b", 0.9, "bcc");
        filter = {};
        filter.riskModel = "model-a";
        filter.risk = LibraryFilter::Risk::AtLeast;
        filter.riskThreshold = 0.5;
        QCOMPARE(names(library.query(filter)), QStringList({"mel_1.png"}));
        filter.risk = LibraryFilter::Risk::Below;
        QCOMPARE(names(library.query(filter)), QStringList({"nev_1.png"}));
        filter.risk = LibraryFilter::Risk::NotPredicted;
        QCOMPARE(names(library.query(filter)), QStringList({"bcc_1.png", "unlabelled.png"}));
        QCOMPARE(library.query(filter).front().malignant, std::optional<double>());
        library.recordRisk(melanoma->contentHash, "model-a", 0.3, "melanoma");  // replaced
        filter.risk = LibraryFilter::Risk::AtLeast;
        QVERIFY(library.query(filter).empty());
    }

    // Issue 14.9: the library returned ground truth with no user at all. Labels are for
    // coordinators and trainers, re-checked against the database on every call; nobody else
    // gets them, filters or searches by them, or imports them.
    void groundTruthOnlyForCoordinatorsAndTrainers() {
        const fs::path data = root() / "truth";
        writePng(data / "mel.png", 31);
        writePng(data / "nev.png", 32);
        writePng(data / "unlabelled.png", 33);
        writePng(data / "melanoma" / "m2.png", 34);  // a class folder names the label too
        std::ofstream(data / "labels.csv") << "path,label,modality,biopsy_proven\n"
                                              "mel.png,melanoma,dermoscopic,1\n"
                                              "nev.png,nevus,dermoscopic,0\n"
                                              "melanoma/m2.png,melanoma,dermoscopic,1\n";
        const auto& taxonomy = dermreader::taxonomy::Taxonomy::builtin();
        const trn::Dataset dataset =
            trn::importDataset(data / "labels.csv", trn::DatasetFormat::GenericCsv, taxonomy);
        Database db = openWorkstationDatabase(root() / "truth.sqlite");
        const User coordinator = coordinatorOf(db);
        Accounts accounts(db);
        const User reader = accounts.create(coordinator, "reader", Role::Reader, 3, "password-123");
        const User trainer =
            accounts.create(coordinator, "trainer", Role::Trainer, 1, "password-123");

        // Importing labels: not without a user, not as a reader.
        QVERIFY_THROWS_EXCEPTION(AccessDenied, ImageLibrary(db).addDataset(dataset, taxonomy));
        QVERIFY_THROWS_EXCEPTION(AccessDenied,
                                 ImageLibrary(db, reader).addDataset(dataset, taxonomy));
        QCOMPARE(ImageLibrary(db).size(), 0);
        QCOMPARE(ImageLibrary(db, trainer).addDataset(dataset, taxonomy).added, 3);
        ImageLibrary(db).addFolder(data);

        LibraryFilter known;
        known.diagnosis = LibraryFilter::Diagnosis::Known;
        LibraryFilter byLabel;
        byLabel.search = "melanoma";
        for (const std::optional<User>& viewer : {std::optional<User>(), std::optional(reader)}) {
            const ImageLibrary library(db, viewer);
            QVERIFY(!library.labelsVisible());
            const auto all = library.query({});
            QCOMPARE(int(all.size()), 4);
            for (const LibraryImage& image : all) {
                QVERIFY(!image.hasLabels());
                QVERIFY(!image.biopsyProven.has_value());
            }
            QVERIFY(!library.find(data / "mel.png")->hasLabels());
            // Neither the diagnosis filter nor the search (not even by a class folder's name)
            // tells labelled images apart; file names are still found.
            QCOMPARE(int(library.query(known).size()), 4);
            QVERIFY(library.query(byLabel).empty());
            LibraryFilter byName;
            byName.search = "M2.PNG";
            QCOMPARE(names(library.query(byName)), QStringList{"m2.png"});
        }
        for (const User& viewer : {coordinator, trainer}) {
            const ImageLibrary library(db, viewer);
            QVERIFY(library.labelsVisible());
            QVERIFY(library.find(data / "mel.png")->hasLabels());
            QCOMPARE(library.find(data / "mel.png")->biopsyProven, std::optional<bool>(true));
            QCOMPARE(int(library.query(known).size()), 3);
            QCOMPARE(names(library.query(byLabel)), QStringList({"mel.png", "m2.png"}));
        }

        // The account as the database holds it decides: a deactivated trainer sees nothing,
        // whatever User the caller still holds.
        const ImageLibrary stale(db, trainer);
        accounts.deactivate(coordinator, trainer.id);
        QVERIFY(!stale.labelsVisible());
        QVERIFY(!stale.find(data / "mel.png")->hasLabels());

        // The program's own samples are imported without a user; both imports are audited.
        const AddReport samples =
            ImageLibrary(db).addDataset(dataset, taxonomy, {}, LabelSource::ShippedSamples);
        QCOMPARE(samples.added + samples.updated + samples.unchanged, 3);
        QStringList actions;
        for (const AuditEntry& entry : readAuditLog(db))
            actions << QString::fromStdString(entry.userName + ": " + entry.action);
        QVERIFY2(actions.contains("trainer: labelled images imported"),
                 qPrintable(actions.join("; ")));
        QVERIFY2(actions.filter("sample labels imported").size() == 1,
                 qPrintable(actions.join("; ")));
    }

    void missingFolderIsAnError() {
        Database db = openWorkstationDatabase(root() / "missing.sqlite");
        ImageLibrary library(db);
        QVERIFY_THROWS_EXCEPTION(DatabaseError, library.addFolder(root() / "does-not-exist"));
    }
};

QTEST_GUILESS_MAIN(TestImageLibrary)
#include "tst_image_library.moc"
