#pragma once
// What the workstation sends back to the PACS for an image it read (issue 16.2), as DICOM
// objects in the source image's patient and study, each in a new series with new UIDs from
// DCMTK's generator:
//  - a Comprehensive SR with the model (name, version), P(malignant), the binary-task
//    probabilities, the most probable taxonomy classes and the reader's decision, referencing
//    the source image's SOP Instance UID (verification flag UNVERIFIED: machine output);
//  - the saliency overlay as a Secondary Capture image;
//  - the PDF case report as Encapsulated PDF.
// Patient and study attributes are copied from the source file. A source that is not DICOM has
// no patient or study to file the results under: that is an error naming the file.

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dermreader/engine/Image.h"

namespace dermreader::engine {

struct ReportedPrediction {
    std::string modelName, modelVersion;  // the bundle's name and its identity (digest)
    double malignant = 0;
    std::optional<double> melanocyticMalignant, epidermalMalignant;
    std::vector<std::pair<std::string, double>> topClasses;  // taxonomy name, probability
    // The reader's decision ("biopsy", "reassure") and who made it; empty: none recorded.
    std::string readerDecision, readerName;
};

struct DicomObject {
    std::filesystem::path file;
    std::string sopClassUid, sopInstanceUid, seriesInstanceUid;
};

// Each writes `out` atomically and returns what it wrote; throws ImageError naming the source
// or the output file and the problem.
DicomObject writeStructuredReport(const std::filesystem::path& source,
                                  const ReportedPrediction& prediction,
                                  const std::filesystem::path& out);
DicomObject writeSecondaryCapture(const std::filesystem::path& source, const RgbImage& image,
                                  const std::string& description, const std::filesystem::path& out);
DicomObject writeEncapsulatedPdf(const std::filesystem::path& source,
                                 const std::filesystem::path& pdf, const std::string& title,
                                 const std::filesystem::path& out);

}  // namespace dermreader::engine
