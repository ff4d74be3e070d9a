#include "DicomReader.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmimage/diregist.h>
#include <dcmtk/dcmimgle/dcmimage.h>
#include <dcmtk/dcmjpeg/djdecode.h>

#include <map>
#include <memory>
#include <mutex>

namespace dermreader::engine::detail {
namespace {

constexpr const char* kDermoscopicPhotographyStorage = "1.2.840.10008.5.1.4.1.1.77.1.7";

[[noreturn]] void refuse(const std::filesystem::path& path, const std::string& problem) {
    throw ImageError("DICOM file '" + path.string() + "': " + problem);
}

void registerDecoders() {
    static std::once_flag once;
    std::call_once(once, [] {
        DJDecoderRegistration::registerCodecs();
        DcmRLEDecoderRegistration::registerCodecs();
    });
}

std::string stringTag(DcmDataset& dataset, const DcmTagKey& key) {
    OFString value;
    if (dataset.findAndGetOFStringArray(key, value).good())
        return value.c_str();
    return {};
}

ImageModality modalityOf(const std::string& sopClass, const std::string& modalityTag) {
    if (sopClass == kDermoscopicPhotographyStorage || modalityTag == "DMS")
        return ImageModality::Dermoscopic;
    if (sopClass == UID_VLPhotographicImageStorage || modalityTag == "XC")
        return ImageModality::Clinical;
    return ImageModality::Unknown;
}

// Patient, study and acquisition attributes the UI shows and the library indexes.
void readAttributes(DcmDataset& dataset, std::map<std::string, std::string>& tags) {
    static const std::pair<const char*, DcmTagKey> kTags[] = {
        {"PatientName", DCM_PatientName},
        {"PatientID", DCM_PatientID},
        {"PatientBirthDate", DCM_PatientBirthDate},
        {"PatientSex", DCM_PatientSex},
        {"StudyDate", DCM_StudyDate},
        {"StudyDescription", DCM_StudyDescription},
        {"SeriesDescription", DCM_SeriesDescription},
        {"Modality", DCM_Modality},
        {"BodyPartExamined", DCM_BodyPartExamined},
        {"ImageLaterality", DCM_ImageLaterality},
        {"AcquisitionDateTime", DCM_AcquisitionDateTime},
        {"Manufacturer", DCM_Manufacturer},
        {"PixelSpacing", DCM_PixelSpacing},
        {"SOPClassUID", DCM_SOPClassUID},
        {"StudyInstanceUID", DCM_StudyInstanceUID},
        {"PhotometricInterpretation", DCM_PhotometricInterpretation}};
    for (const auto& [name, key] : kTags) {
        const std::string value = stringTag(dataset, key);
        if (!value.empty())
            tags[name] = value;
    }
}

ImageModality modalityOf(const std::map<std::string, std::string>& tags) {
    auto value = [&tags](const char* key) {
        auto it = tags.find(key);
        return it == tags.end() ? std::string() : it->second;
    };
    return modalityOf(value("SOPClassUID"), value("Modality"));
}

}  // namespace

LoadedImage readDicom(const std::filesystem::path& path, std::int64_t maxPixels) {
    registerDecoders();
    DcmFileFormat file;
    const OFCondition status = file.loadFile(path.c_str());
    if (status.bad())
        refuse(path, std::string("cannot be parsed (") + status.text() + ")");
    DcmDataset& dataset = *file.getDataset();

    Uint16 rows = 0, columns = 0;
    if (dataset.findAndGetUint16(DCM_Rows, rows).bad() ||
        dataset.findAndGetUint16(DCM_Columns, columns).bad()) {
        refuse(path, "holds no image (no Rows/Columns)");
    }
    if (std::int64_t{rows} * columns > maxPixels)
        refuse(path, "is larger than the pixel limit");
    if (!dataset.tagExists(DCM_PixelData))
        refuse(path, "holds no pixel data");

    LoadedImage loaded;
    loaded.info.path = path;
    loaded.info.format = "DICOM";
    readAttributes(dataset, loaded.info.tags);
    loaded.info.modality = modalityOf(loaded.info.tags);
    Uint16 bitsStored = 8;
    dataset.findAndGetUint16(DCM_BitsStored, bitsStored);
    loaded.info.sourceBitDepth = bitsStored;

    auto image = std::make_unique<DicomImage>(&file, dataset.getOriginalXfer(),
                                              CIF_MayDetachPixelData, 0, 1);
    if (image->getStatus() != EIS_Normal) {
        refuse(path, std::string("pixel data cannot be decoded (") +
                         DicomImage::getString(image->getStatus()) + ")");
    }
    const bool mono = image->isMonochrome();
    loaded.info.sourceChannels = mono ? 1 : 3;
    if (mono) {
        if (image->getWindowCount() > 0) {
            image->setWindow(0);
        } else {
            image->setMinMaxWindow();
        }
    }
    const unsigned long width = image->getWidth(), height = image->getHeight();
    const auto* data = static_cast<const Uint8*>(image->getOutputData(8, 0, 0));
    if (!data)
        refuse(path, "pixel data cannot be rendered");

    RgbImage& rgb = loaded.image;
    rgb.width = static_cast<int>(width);
    rgb.height = static_cast<int>(height);
    rgb.pixels.resize(static_cast<std::size_t>(width) * height * 3);
    for (std::size_t i = 0; i < static_cast<std::size_t>(width) * height; ++i) {
        for (int c = 0; c < 3; ++c)
            rgb.pixels[3 * i + c] = mono ? data[i] : data[3 * i + c];
    }
    return loaded;
}

ImageHeader readDicomHeader(const std::filesystem::path& path) {
    DcmFileFormat file;
    // Large values (the pixel data) stay on disk: only the attributes are read.
    constexpr Uint32 kMaxValueLength = 4096;
    const OFCondition status =
        file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, kMaxValueLength);
    if (status.bad())
        refuse(path, std::string("cannot be parsed (") + status.text() + ")");
    DcmDataset& dataset = *file.getDataset();
    ImageHeader header;
    header.format = "DICOM";
    Uint16 rows = 0, columns = 0;
    dataset.findAndGetUint16(DCM_Rows, rows);
    dataset.findAndGetUint16(DCM_Columns, columns);
    header.width = columns;
    header.height = rows;
    readAttributes(dataset, header.tags);
    header.modality = modalityOf(header.tags);
    return header;
}

}  // namespace dermreader::engine::detail
