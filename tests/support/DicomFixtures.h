#pragma once
// Writes small DICOM images with DCMTK for tests (header-only; link DCMTK::dcmdata and, for
// JPEG, DCMTK::dcmjpeg).

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmjpeg/djrploss.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace testdata {

struct DicomSpec {
    const char* sopClass;
    bool colour = true;
    E_TransferSyntax syntax = EXS_LittleEndianExplicit;
    const char* modality = nullptr;
    const char* pixelSpacing = nullptr;  // "0.05\\0.05" (mm)
    const char* patientId = "P123";
    // Unset: new UIDs for each file (its own study and series).
    const char* studyUid = nullptr;
    const char* seriesUid = nullptr;
    const char* patientName = "Test^Patient";
    const char* studyDate = "20261127";
    const char* lesionNumber = nullptr;  // (0018,3105)
    const char* characterSet = nullptr;  // Specific Character Set, e.g. "ISO_IR 192" (UTF-8)
};

// `rgb` holds width * height * 3 bytes; monochrome images take the green channel.
inline void writeDicom(const std::filesystem::path& path, int width, int height,
                       const std::vector<std::uint8_t>& rgb, const DicomSpec& spec) {
    DcmFileFormat file;
    DcmDataset* d = file.getDataset();
    char uid[100];
    d->putAndInsertString(DCM_SOPClassUID, spec.sopClass);
    d->putAndInsertString(DCM_SOPInstanceUID,
                          dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT));
    d->putAndInsertString(
        DCM_StudyInstanceUID,
        spec.studyUid ? spec.studyUid : dcmGenerateUniqueIdentifier(uid, SITE_STUDY_UID_ROOT));
    d->putAndInsertString(
        DCM_SeriesInstanceUID,
        spec.seriesUid ? spec.seriesUid : dcmGenerateUniqueIdentifier(uid, SITE_SERIES_UID_ROOT));
    d->putAndInsertString(DCM_PatientName, spec.patientName);
    d->putAndInsertString(DCM_PatientID, spec.patientId);
    d->putAndInsertString(DCM_StudyDate, spec.studyDate);
    if (spec.modality)
        d->putAndInsertString(DCM_Modality, spec.modality);
    if (spec.characterSet)
        d->putAndInsertString(DCM_SpecificCharacterSet, spec.characterSet);
    if (spec.lesionNumber)
        d->putAndInsertString(DCM_LesionNumber, spec.lesionNumber);
    if (spec.pixelSpacing)
        d->putAndInsertString(DCM_PixelSpacing, spec.pixelSpacing);
    d->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(height));
    d->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(width));
    d->putAndInsertUint16(DCM_BitsAllocated, 8);
    d->putAndInsertUint16(DCM_BitsStored, 8);
    d->putAndInsertUint16(DCM_HighBit, 7);
    d->putAndInsertUint16(DCM_PixelRepresentation, 0);
    std::vector<Uint8> pixels;
    if (spec.colour) {
        pixels.assign(rgb.begin(), rgb.end());
    } else {
        for (std::size_t i = 0; i + 2 < rgb.size(); i += 3)
            pixels.push_back(rgb[i + 1]);
    }
    d->putAndInsertUint16(DCM_SamplesPerPixel, spec.colour ? 3 : 1);
    d->putAndInsertString(DCM_PhotometricInterpretation, spec.colour ? "RGB" : "MONOCHROME2");
    if (spec.colour)
        d->putAndInsertUint16(DCM_PlanarConfiguration, 0);
    d->putAndInsertUint8Array(DCM_PixelData, pixels.data(),
                              static_cast<unsigned long>(pixels.size()));
    if (spec.syntax != EXS_LittleEndianExplicit) {
        DJ_RPLossy lossy(95);
        const OFCondition c = d->chooseRepresentation(
            spec.syntax, spec.syntax == EXS_JPEGProcess1 ? &lossy : nullptr);
        if (c.bad())
            throw std::runtime_error(std::string("DICOM encode: ") + c.text());
    }
    const OFCondition saved = file.saveFile(path.c_str(), spec.syntax);
    if (saved.bad())
        throw std::runtime_error(std::string("DICOM save: ") + saved.text());
}

}  // namespace testdata
