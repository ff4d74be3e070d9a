#pragma once
// Query/retrieve and storage against a PACS with DCMTK's networking (dcmnet, dcmtls): C-ECHO,
// C-FIND at study and series level (Study Root), C-GET or C-MOVE of series into a folder, and
// C-STORE of files. Blocking calls for a worker thread; each opens its own association, reports
// progress and stops when the progress callback says so. No Qt.

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dermreader/pacs/DicomNode.h"

namespace dermreader::pacs {

namespace detail {
class ReceivedInstances;
}

// Every failure names the node and says what went wrong in words a clinician can act on.
class PacsError : public std::runtime_error {
  public:
    enum class Kind {
        Configuration,        // the node or our own entity is not usable as configured
        Unreachable,          // no TCP connection (refused, no route, unknown host)
        Rejected,             // the node refused the association (AE titles, no service)
        Timeout,              // no answer in time
        Refused,              // the node answered the request with a failure status
        Protocol,             // anything else on the wire
        Cancelled,            // the caller stopped it
        NoDermatologyImages,  // the study has no clinical or dermoscopic photographs
        LocalStorage,         // a received image could not be written here
    };
    PacsError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    Kind kind() const { return kind_; }

  private:
    Kind kind_;
};

struct StudyQuery {
    std::string patientId;         // exact, or with DICOM wildcards (* ?); empty: any
    std::string patientName;       // "Smith" finds "Smith^Jane" (a trailing * is added); empty: any
    std::string dateFrom, dateTo;  // YYYYMMDD, either may be empty (open range)
    std::string modality;          // one of the study's modalities ("XC"); empty: any
};

struct StudyRecord {
    std::string studyUid, patientId, patientName, patientBirthDate, studyDate, studyTime,
        description, accessionNumber;
    std::vector<std::string> modalities;
    int seriesCount = 0, instanceCount = 0;  // 0 when the node does not say
};

struct SeriesRecord {
    std::string studyUid, seriesUid, modality, description, bodyPart;
    int number = 0, instanceCount = 0;
    bool isDermatology() const;
};

// Photographs of skin: XC (external-camera photography, clinical images) and DMS (dermoscopy).
bool isDermatologyModality(std::string_view modality);

// Called as work proceeds (instances or files done of total; total 0 when not yet known).
// Return false to cancel: the call then throws PacsError::Cancelled.
using Progress = std::function<bool(int done, int total)>;

struct RetrieveReport {
    std::vector<std::filesystem::path> files;  // what arrived, one file per instance
    int failed = 0;                            // instances the node could not send
    // Series the node refused while others came, and instances refused as not asked for.
    std::vector<std::string> problems;
};

struct StoreReport {
    std::vector<std::string> stored;    // SOP Instance UIDs the node accepted
    std::vector<std::string> problems;  // one line per file it did not, naming the file
};

class PacsClient {
  public:
    PacsClient(DicomNode node, LocalEntity local, Timeouts timeouts = {});

    const DicomNode& node() const { return node_; }

    // C-ECHO: "Test connection".
    void echo() const;
    std::vector<StudyRecord> findStudies(const StudyQuery& query) const;
    std::vector<SeriesRecord> findSeries(const std::string& studyUid) const;
    // Retrieves the given series of one study into `folder` (created; each instance written
    // whole as <SOP Instance UID>.dcm, owner-only). With no series given, the study's
    // dermatology series; NoDermatologyImages when it has none.
    RetrieveReport retrieve(const std::string& studyUid, std::vector<std::string> seriesUids,
                            const std::filesystem::path& folder,
                            const Progress& progress = {}) const;
    // C-STORE of DICOM files (one association). A file that cannot be read or that the node
    // refuses is a problem line; a failure of the connection throws, or, once some objects are
    // stored, ends the report with a problem line (so the caller knows what went through).
    StoreReport store(const std::vector<std::filesystem::path>& files,
                      const Progress& progress = {}) const;

  private:
    RetrieveReport getSeries(const std::string& studyUid, const std::vector<std::string>& series,
                             detail::ReceivedInstances& received) const;
    RetrieveReport moveSeries(const std::string& studyUid, const std::vector<std::string>& series,
                              detail::ReceivedInstances& received) const;

    DicomNode node_;
    LocalEntity local_;
    Timeouts timeouts_;
};

}  // namespace dermreader::pacs
