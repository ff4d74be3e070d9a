#include "dermreader/engine/DicomResults.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmsr/dsrdoc.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>

#include "DicomReader.h"
#include "ImageFormats.h"

namespace dermreader::engine {
namespace fs = std::filesystem;

namespace {

// The coding scheme of dermreader's own concepts (DICOM allows private "99" schemes).
constexpr const char* kScheme = "99DERMREADER";
// Series numbers of what dermreader writes, apart from the modality's own series.
constexpr const char* kReportSeries = "9001";
constexpr const char* kOverlaySeries = "9002";
constexpr const char* kPdfSeries = "9003";

[[noreturn]] void fail(const fs::path& file, const std::string& problem) {
    throw ImageError("'" + file.string() + "': " + problem);
}

std::string newUid(const char* root) {
    char uid[100];
    return dcmGenerateUniqueIdentifier(uid, root);
}

// "YYYYMMDD" and "HHMMSS" now (UTC), for content and series dates.
std::pair<std::string, std::string> now() {
    const std::time_t t = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char date[9], time[7];
    std::strftime(date, sizeof date, "%Y%m%d", &utc);
    std::strftime(time, sizeof time, "%H%M%S", &utc);
    return {date, time};
}

// The source image's attributes (pixel data left on disk), after the same structure check the
// loader makes; a file that is not DICOM has no patient or study to file results under.
struct Source {
    DcmFileFormat file;
    std::string sopClassUid, sopInstanceUid, studyInstanceUid, seriesInstanceUid;
};

std::unique_ptr<Source> readSource(const fs::path& path) {
    const detail::Bytes bytes = detail::readFileBytes(path);
    if (detail::detectFormat(bytes) != detail::Format::Dicom)
        fail(path, "is not a DICOM file: results go back to the PACS only for DICOM images");
    detail::refuseUnsafeDicom(path, bytes);
    auto source = std::make_unique<Source>();
    constexpr Uint32 kMaxValueLength = 4096;
    if (source->file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, kMaxValueLength).bad())
        fail(path, "cannot be parsed as DICOM");
    // Names are copied into objects that also hold dermreader's own (UTF-8) text: one
    // character set for all, or a Latin-1 "Zoë" would read as "ZoÃ«" in the PACS.
    if (source->file.convertToUTF8().bad())
        fail(path, "its character set cannot be converted to UTF-8");
    DcmDataset& d = *source->file.getDataset();
    auto text = [&](const DcmTagKey& tag) {
        OFString value;
        d.findAndGetOFString(tag, value);
        return std::string(value.c_str());
    };
    source->sopClassUid = text(DCM_SOPClassUID);
    source->sopInstanceUid = text(DCM_SOPInstanceUID);
    source->studyInstanceUid = text(DCM_StudyInstanceUID);
    source->seriesInstanceUid = text(DCM_SeriesInstanceUID);
    if (source->sopInstanceUid.empty() || source->studyInstanceUid.empty())
        fail(path, "has no SOP Instance UID or Study Instance UID to refer to");
    return source;
}

// Patient and General Study modules, copied whole (type 2 attributes present, maybe empty).
void copyPatientAndStudy(DcmDataset& from, DcmDataset& to) {
    static const DcmTagKey kTags[] = {
        DCM_PatientName,      DCM_PatientID,       DCM_IssuerOfPatientID,
        DCM_PatientBirthDate, DCM_PatientSex,      DCM_StudyInstanceUID,
        DCM_StudyDate,        DCM_StudyTime,       DCM_ReferringPhysicianName,
        DCM_StudyID,          DCM_AccessionNumber, DCM_StudyDescription};
    for (const DcmTagKey& tag : kTags) {
        DcmElement* element = nullptr;
        if (from.findAndGetElement(tag, element).good() && element) {
            to.insert(static_cast<DcmElement*>(element->clone()), /*replaceOld=*/true);
        } else if (tag != DCM_IssuerOfPatientID && tag != DCM_StudyDescription) {
            to.insertEmptyElement(tag, /*replaceOld=*/true);
        }
    }
    // The source was converted to UTF-8 (readSource), like everything written here.
    to.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
}

// A new series and instance in the source's study; returns the new UIDs.
DicomObject newInstance(DcmDataset& d, const char* sopClass, const char* modality,
                        const char* seriesNumber, const std::string& seriesDescription) {
    DicomObject object;
    object.sopClassUid = sopClass;
    object.sopInstanceUid = newUid(SITE_INSTANCE_UID_ROOT);
    object.seriesInstanceUid = newUid(SITE_SERIES_UID_ROOT);
    const auto [date, time] = now();
    d.putAndInsertString(DCM_SOPClassUID, sopClass);
    d.putAndInsertString(DCM_SOPInstanceUID, object.sopInstanceUid.c_str());
    d.putAndInsertString(DCM_SeriesInstanceUID, object.seriesInstanceUid.c_str());
    d.putAndInsertString(DCM_Modality, modality);
    d.putAndInsertString(DCM_SeriesNumber, seriesNumber);
    d.putAndInsertString(DCM_InstanceNumber, "1");
    d.putAndInsertString(DCM_SeriesDescription, seriesDescription.c_str());
    d.putAndInsertString(DCM_SeriesDate, date.c_str());
    d.putAndInsertString(DCM_SeriesTime, time.c_str());
    d.putAndInsertString(DCM_ContentDate, date.c_str());
    d.putAndInsertString(DCM_ContentTime, time.c_str());
    d.putAndInsertString(DCM_InstanceCreationDate, date.c_str());
    d.putAndInsertString(DCM_InstanceCreationTime, time.c_str());
    d.putAndInsertString(DCM_Manufacturer, "dermreader");
    return object;
}

// The referenced source image (Source Image Sequence / Referenced Image Sequence item).
void referenceSource(DcmDataset& d, const DcmTagKey& sequence, const Source& source) {
    DcmItem* item = nullptr;
    if (d.findOrCreateSequenceItem(sequence, item, -2).good() && item) {
        item->putAndInsertString(DCM_ReferencedSOPClassUID, source.sopClassUid.c_str());
        item->putAndInsertString(DCM_ReferencedSOPInstanceUID, source.sopInstanceUid.c_str());
    }
}

// Saves beside `out` and renames it over `out`: a half-written object never reaches the PACS.
void save(DcmFileFormat& file, const fs::path& out) {
    if (fs::exists(out))  // another image's results, or an earlier export: never replaced
        fail(out, "exists already; choose another folder");
    const fs::path partial = out.string() + ".partial";
    const OFCondition status = file.saveFile(partial.c_str(), EXS_LittleEndianExplicit);
    if (status.bad()) {
        std::error_code ignored;
        fs::remove(partial, ignored);
        fail(out, std::string("cannot be written (") + status.text() + ")");
    }
    std::error_code error;
    fs::rename(partial, out, error);
    if (error)
        fail(out, "cannot be written (" + error.message() + ")");
}

std::string decimal(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4f", value);
    return text;
}

// One "probability" numeric item under the current node of `tree`.
void addProbability(DSRDocumentTree& tree, const char* code, const std::string& meaning,
                    double value, DSRTypes::E_AddMode mode) {
    tree.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Num, mode);
    tree.getCurrentContentItem().setConceptName(DSRCodedEntryValue(code, kScheme, meaning));
    tree.getCurrentContentItem().setNumericValue(DSRNumericMeasurementValue(
        decimal(value).c_str(), DSRCodedEntryValue("1", "UCUM", "no units")));
}

void addText(DSRDocumentTree& tree, const char* code, const std::string& meaning,
             const std::string& value, DSRTypes::E_AddMode mode) {
    tree.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Text, mode);
    tree.getCurrentContentItem().setConceptName(DSRCodedEntryValue(code, kScheme, meaning));
    tree.getCurrentContentItem().setStringValue(value.empty() ? "-" : value);
}

}  // namespace

DicomObject writeStructuredReport(const fs::path& source, const ReportedPrediction& prediction,
                                  const fs::path& out) {
    const auto origin = readSource(source);
    DSRDocument document(DSRTypes::DT_ComprehensiveSR);
    document.setSpecificCharacterSetType(DSRTypes::CS_UTF8);
    document.createNewSeriesInStudy(origin->studyInstanceUid.c_str());
    document.setSeriesDescription("dermreader CNN result");
    document.setManufacturer("dermreader");
    document.getCurrentRequestedProcedureEvidence().addItem(
        origin->studyInstanceUid.c_str(), origin->seriesInstanceUid.c_str(),
        origin->sopClassUid.c_str(), origin->sopInstanceUid.c_str());

    DSRDocumentTree& tree = document.getTree();
    tree.addContentItem(DSRTypes::RT_isRoot, DSRTypes::VT_Container);
    tree.getCurrentContentItem().setConceptName(
        DSRCodedEntryValue("DR-REPORT", kScheme, "Skin lesion CNN assessment"));
    tree.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Image, DSRTypes::AM_belowCurrent);
    tree.getCurrentContentItem().setConceptName(
        DSRCodedEntryValue("DR-IMAGE", kScheme, "Assessed image"));
    tree.getCurrentContentItem().setImageReference(
        DSRImageReferenceValue(origin->sopClassUid.c_str(), origin->sopInstanceUid.c_str()));
    addText(tree, "DR-MODEL", "Model", prediction.modelName, DSRTypes::AM_afterCurrent);
    addText(tree, "DR-MODEL-VERSION", "Model version", prediction.modelVersion,
            DSRTypes::AM_afterCurrent);
    addProbability(tree, "DR-P-MALIGNANT", "Probability of malignancy", prediction.malignant,
                   DSRTypes::AM_afterCurrent);
    if (prediction.melanocyticMalignant)
        addProbability(tree, "DR-P-MELANOMA", "Probability of melanoma among melanocytic lesions",
                       *prediction.melanocyticMalignant, DSRTypes::AM_afterCurrent);
    if (prediction.epidermalMalignant)
        addProbability(tree, "DR-P-CARCINOMA", "Probability of carcinoma among epidermal lesions",
                       *prediction.epidermalMalignant, DSRTypes::AM_afterCurrent);
    for (const auto& [name, probability] : prediction.topClasses)
        addProbability(tree, "DR-P-CLASS", "Probability of " + name, probability,
                       DSRTypes::AM_afterCurrent);
    if (!prediction.readerDecision.empty()) {
        addText(tree, "DR-DECISION", "Reader decision", prediction.readerDecision,
                DSRTypes::AM_afterCurrent);
        addText(tree, "DR-READER", "Reader", prediction.readerName, DSRTypes::AM_afterCurrent);
    }
    addText(tree, "DR-NOTE", "Note",
            "Decision support for research use; not a diagnosis. Machine output, not verified.",
            DSRTypes::AM_afterCurrent);

    DcmFileFormat file;
    DcmDataset& d = *file.getDataset();
    if (document.write(d).bad())
        fail(out, "the structured report could not be assembled");
    copyPatientAndStudy(*origin->file.getDataset(), d);
    d.putAndInsertString(DCM_SeriesNumber, kReportSeries);
    DicomObject object;
    object.file = out;
    object.sopClassUid = UID_ComprehensiveSRStorage;
    OFString value;
    d.findAndGetOFString(DCM_SOPInstanceUID, value);
    object.sopInstanceUid = value.c_str();
    d.findAndGetOFString(DCM_SeriesInstanceUID, value);
    object.seriesInstanceUid = value.c_str();
    save(file, out);
    return object;
}

DicomObject writeSecondaryCapture(const fs::path& source, const RgbImage& image,
                                  const std::string& description, const fs::path& out) {
    if (image.width <= 0 || image.height <= 0 || image.width > 65535 || image.height > 65535 ||
        image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 3)
        fail(out, "the overlay image has no valid size");
    const auto origin = readSource(source);
    DcmFileFormat file;
    DcmDataset& d = *file.getDataset();
    copyPatientAndStudy(*origin->file.getDataset(), d);
    DicomObject object = newInstance(d, UID_SecondaryCaptureImageStorage, "OT", kOverlaySeries,
                                     "dermreader saliency overlay");
    object.file = out;
    d.putAndInsertString(DCM_ConversionType, "WSD");
    d.putAndInsertString(DCM_ImageType, "DERIVED\\SECONDARY");
    d.putAndInsertString(DCM_DerivationDescription, description.c_str());
    d.putAndInsertString(DCM_BurnedInAnnotation, "NO");
    referenceSource(d, DCM_SourceImageSequence, *origin);
    d.putAndInsertUint16(DCM_SamplesPerPixel, 3);
    d.putAndInsertString(DCM_PhotometricInterpretation, "RGB");
    d.putAndInsertUint16(DCM_PlanarConfiguration, 0);
    d.putAndInsertUint16(DCM_Rows, static_cast<Uint16>(image.height));
    d.putAndInsertUint16(DCM_Columns, static_cast<Uint16>(image.width));
    d.putAndInsertUint16(DCM_BitsAllocated, 8);
    d.putAndInsertUint16(DCM_BitsStored, 8);
    d.putAndInsertUint16(DCM_HighBit, 7);
    d.putAndInsertUint16(DCM_PixelRepresentation, 0);
    d.putAndInsertUint8Array(DCM_PixelData, image.pixels.data(),
                             static_cast<unsigned long>(image.pixels.size()));
    save(file, out);
    return object;
}

DicomObject writeEncapsulatedPdf(const fs::path& source, const fs::path& pdf,
                                 const std::string& title, const fs::path& out) {
    std::ifstream in(pdf, std::ios::binary);
    std::vector<Uint8> document((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
        fail(pdf, "cannot be read");
    if (document.size() < 5 || std::string(document.begin(), document.begin() + 5) != "%PDF-")
        fail(pdf, "is not a PDF document");
    const auto origin = readSource(source);
    DcmFileFormat file;
    DcmDataset& d = *file.getDataset();
    copyPatientAndStudy(*origin->file.getDataset(), d);
    DicomObject object =
        newInstance(d, UID_EncapsulatedPDFStorage, "DOC", kPdfSeries, "dermreader case report");
    object.file = out;
    const auto [date, time] = now();
    d.putAndInsertString(DCM_ConversionType, "WSD");
    d.putAndInsertString(DCM_AcquisitionDateTime, (date + time).c_str());
    d.putAndInsertString(DCM_BurnedInAnnotation, "YES");  // the report names the patient
    d.putAndInsertString(DCM_DocumentTitle, title.c_str());
    d.insertEmptyElement(DCM_ConceptNameCodeSequence);
    d.putAndInsertString(DCM_MIMETypeOfEncapsulatedDocument, "application/pdf");
    referenceSource(d, DCM_SourceInstanceSequence, *origin);
    if (document.size() % 2 != 0)
        document.push_back(0);  // OB values have even length
    d.putAndInsertUint8Array(DCM_EncapsulatedDocument, document.data(),
                             static_cast<unsigned long>(document.size()));
    save(file, out);
    return object;
}

}  // namespace dermreader::engine
