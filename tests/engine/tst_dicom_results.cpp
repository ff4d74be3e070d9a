// Results back as DICOM (issue 16.2): the structured report, the overlay as Secondary Capture
// and the case report as Encapsulated PDF, read back as a PACS would (dsrdump / dcmdump).
#include <QtTest>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmsr/dsrdoc.h>
#include <QTemporaryDir>
#include <fstream>
#include <set>

#include "DicomFixtures.h"
#include "dermreader/engine/DicomResults.h"
#include "dermreader/engine/ImageLoader.h"

using namespace dermreader::engine;
namespace fs = std::filesystem;

namespace {

std::string text(DcmItem& d, const DcmTagKey& tag) {
    OFString value;
    d.findAndGetOFString(tag, value);
    return value.c_str();
}

std::unique_ptr<DcmFileFormat> load(const fs::path& path) {
    auto file = std::make_unique<DcmFileFormat>();
    if (file->loadFile(path.c_str()).bad())
        throw std::runtime_error("cannot read back " + path.string());
    return file;
}

// Patient and study attributes are the source's; series and instance are new.
void sameStudyNewInstance(DcmDataset& written, DcmDataset& source) {
    for (const DcmTagKey& tag :
         {DCM_PatientName, DCM_PatientID, DCM_StudyInstanceUID, DCM_StudyDate}) {
        QCOMPARE(QString::fromStdString(text(written, tag)),
                 QString::fromStdString(text(source, tag)));
    }
    QVERIFY(text(written, DCM_SOPInstanceUID) != text(source, DCM_SOPInstanceUID));
    QVERIFY(text(written, DCM_SeriesInstanceUID) != text(source, DCM_SeriesInstanceUID));
    QVERIFY(!text(written, DCM_SOPInstanceUID).empty());
}

}  // namespace

class TestDicomResults : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    fs::path root() const { return dir_.path().toStdString(); }
    fs::path source_;
    std::unique_ptr<DcmFileFormat> sourceFile_;

  private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        source_ = root() / "lesion.dcm";
        testdata::writeDicom(source_, 16, 12, std::vector<std::uint8_t>(16 * 12 * 3, 120),
                             {"1.2.840.10008.5.1.4.1.1.77.1.4"});
        sourceFile_ = load(source_);
    }

    void structuredReportCarriesTheResultAndReferencesTheImage() {
        ReportedPrediction p;
        p.modelName = "test model";
        p.modelVersion = "sha256:abc";
        p.malignant = 0.7342;
        p.melanocyticMalignant = 0.81;
        p.topClasses = {{"Melanoma", 0.6}, {"Nevus", 0.3}};
        p.readerDecision = "biopsy";
        p.readerName = "Dr Reader";
        const fs::path out = root() / "report.dcm";
        const DicomObject written = writeStructuredReport(source_, p, out);
        QCOMPARE(QString::fromStdString(written.sopClassUid), QString(UID_ComprehensiveSRStorage));

        auto file = load(out);
        DcmDataset& d = *file->getDataset();
        sameStudyNewInstance(d, *sourceFile_->getDataset());
        QCOMPARE(QString::fromStdString(text(d, DCM_SOPInstanceUID)),
                 QString::fromStdString(written.sopInstanceUid));
        QCOMPARE(QString::fromStdString(text(d, DCM_Modality)), QString("SR"));
        DSRDocument document;
        QVERIFY(document.read(d).good());
        QCOMPARE(document.getDocumentType(), DSRTypes::DT_ComprehensiveSR);
        QCOMPARE(document.getVerificationFlag(), DSRTypes::VF_Unverified);
        // Walk the content: the numbers and the image reference are there, as written.
        DSRDocumentTree& tree = document.getTree();
        QVERIFY(tree.gotoRoot() > 0);
        std::set<std::string> seen;
        std::string referenced, decision;
        double malignant = -1;
        DSRDocumentTreeNodeCursor cursor;
        do {
            const DSRContentItem& item = tree.getCurrentContentItem();
            const std::string code = item.getConceptName().getCodeValue().c_str();
            seen.insert(code);
            if (code == "DR-P-MALIGNANT")
                malignant = std::stod(item.getNumericValue().getNumericValue().c_str());
            if (code == "DR-IMAGE")
                referenced = item.getImageReference().getSOPInstanceUID().c_str();
            if (code == "DR-DECISION")
                decision = item.getStringValue().c_str();
        } while (tree.iterate());
        QCOMPARE(malignant, 0.7342);
        QCOMPARE(QString::fromStdString(referenced),
                 QString::fromStdString(text(*sourceFile_->getDataset(), DCM_SOPInstanceUID)));
        QCOMPARE(QString::fromStdString(decision), QString("biopsy"));
        for (const char* code :
             {"DR-MODEL", "DR-MODEL-VERSION", "DR-P-MELANOMA", "DR-P-CLASS", "DR-READER"})
            QVERIFY2(seen.count(code), code);
        QVERIFY(!seen.count("DR-P-CARCINOMA"));  // not computed, not written
    }

    void overlayIsASecondaryCaptureOurLoaderReads() {
        RgbImage overlay = RgbImage::filled(20, 10, 0, 0, 0);
        for (std::size_t i = 0; i < overlay.pixels.size(); ++i)
            overlay.pixels[i] = static_cast<std::uint8_t>(i * 7);
        const fs::path out = root() / "overlay.dcm";
        const DicomObject written = writeSecondaryCapture(source_, overlay, "saliency", out);
        auto file = load(out);
        DcmDataset& d = *file->getDataset();
        sameStudyNewInstance(d, *sourceFile_->getDataset());
        QCOMPARE(QString::fromStdString(text(d, DCM_SOPClassUID)),
                 QString(UID_SecondaryCaptureImageStorage));
        QVERIFY(written.seriesInstanceUid !=
                text(*sourceFile_->getDataset(), DCM_SeriesInstanceUID));
        const LoadedImage back = loadImage(out);
        QCOMPARE(back.image.width, 20);
        QCOMPARE(back.image.height, 10);
        QVERIFY(back.image.pixels == overlay.pixels);
    }

    void reportIsAnEncapsulatedPdf() {
        const fs::path pdf = root() / "report.pdf";
        const std::string content = "%PDF-1.4\n% a tiny document.\n%%EOF";
        QCOMPARE(content.size() % 2, std::size_t{1});  // odd: the writer pads it
        std::ofstream(pdf, std::ios::binary) << content;
        const fs::path out = root() / "report-pdf.dcm";
        writeEncapsulatedPdf(source_, pdf, "Case report", out);
        auto file = load(out);
        DcmDataset& d = *file->getDataset();
        sameStudyNewInstance(d, *sourceFile_->getDataset());
        QCOMPARE(QString::fromStdString(text(d, DCM_SOPClassUID)),
                 QString(UID_EncapsulatedPDFStorage));
        QCOMPARE(QString::fromStdString(text(d, DCM_MIMETypeOfEncapsulatedDocument)),
                 QString("application/pdf"));
        const Uint8* bytes = nullptr;
        unsigned long length = 0;
        QVERIFY(d.findAndGetUint8Array(DCM_EncapsulatedDocument, bytes, &length).good());
        QCOMPARE(length, static_cast<unsigned long>(content.size() + 1));  // padded to even
        QCOMPARE(std::string(reinterpret_cast<const char*>(bytes), content.size()), content);
    }

    // A Latin-1 source's names arrive in the report as UTF-8, declared as such.
    void namesKeepTheirMeaningAcrossCharacterSets() {
        const fs::path latin1 = root() / "latin1.dcm";
        {
            auto file = load(source_);
            DcmDataset& d = *file->getDataset();
            d.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 100");
            d.putAndInsertString(DCM_PatientName, "Zo\xEB^Test");
            QVERIFY(file->saveFile(latin1.c_str(), EXS_LittleEndianExplicit).good());
        }
        ReportedPrediction p;
        p.modelName = "trained by Zo\xC3\xAB";  // UTF-8, as the workstation writes it
        const fs::path out = root() / "latin1-report.dcm";
        writeStructuredReport(latin1, p, out);
        auto file = load(out);
        QCOMPARE(QString::fromStdString(text(*file->getDataset(), DCM_SpecificCharacterSet)),
                 QString("ISO_IR 192"));
        QCOMPARE(QString::fromStdString(text(*file->getDataset(), DCM_PatientName)),
                 QString::fromUtf8("Zo\xC3\xAB^Test"));
    }

    // An existing file is another image's results or an earlier export: never replaced.
    void existingResultsAreNotReplaced() {
        const fs::path out = root() / "taken.dcm";
        std::ofstream(out) << "earlier";
        QVERIFY_THROWS_EXCEPTION(ImageError, writeStructuredReport(source_, {}, out));
        std::ifstream in(out);
        std::string kept;
        in >> kept;
        QCOMPARE(QString::fromStdString(kept), QString("earlier"));
    }

    void badInputIsAClearError() {
        const fs::path jpeg = root() / "photo.jpg";
        saveImage(RgbImage::filled(8, 8, 1, 2, 3), jpeg);
        ReportedPrediction p;
        try {
            writeStructuredReport(jpeg, p, root() / "x.dcm");
            QFAIL("a JPEG source was accepted");
        } catch (const ImageError& e) {
            QVERIFY2(QString(e.what()).contains("photo.jpg") &&
                         QString(e.what()).contains("not a DICOM file"),
                     e.what());
        }
        const fs::path notPdf = root() / "notes.pdf";
        std::ofstream(notPdf) << "plain text";
        QVERIFY_THROWS_EXCEPTION(ImageError,
                                 writeEncapsulatedPdf(source_, notPdf, "x", root() / "y.dcm"));
        QVERIFY(!fs::exists(root() / "x.dcm") && !fs::exists(root() / "y.dcm"));
        QVERIFY_THROWS_EXCEPTION(
            ImageError, writeSecondaryCapture(source_, RgbImage{}, "empty", root() / "z.dcm"));
    }
};

QTEST_GUILESS_MAIN(TestDicomResults)
#include "tst_dicom_results.moc"
