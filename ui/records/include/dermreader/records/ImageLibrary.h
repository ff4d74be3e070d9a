#pragma once
// The local image library: every image a user opened or imported, with its content hash,
// modality, known diagnosis (from a labelled dataset) and DICOM patient/study attributes,
// plus the last P(malignant) each model gave it, so the browser can filter and search
// without touching the files.
//
// Ground truth (diagnosis, biopsy status) is study material: a reader who saw it while browsing
// would not be blind in the next study. So it is shown to, and imported by, coordinators and
// trainers only; everyone else gets the images without labels and cannot filter or search by
// diagnosis. The viewer's account is re-checked against the database on every call.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dermreader/engine/Image.h"
#include "dermreader/records/Accounts.h"
#include "dermreader/records/Database.h"
#include "dermreader/taxonomy/Taxonomy.h"

namespace dermreader::training {
struct Dataset;
}

namespace dermreader::records {

struct LibraryImage {
    std::int64_t id = 0;
    std::filesystem::path path;
    std::string contentHash;  // SHA-256 of the file, hex
    std::string format;
    int width = 0, height = 0;
    engine::ImageModality modality = engine::ImageModality::Unknown;
    std::optional<std::string> diagnosisNode;  // taxonomy node id
    std::string diagnosisLabel;
    std::optional<bool> biopsyProven;
    std::string lesionGroup;
    std::string collection;  // the first folder or dataset it was added from
    std::string patientId, patientName, studyDate, studyDescription;
    std::string addedAt;
    std::string problem;              // why the file cannot be used as an image; empty when it can
    std::optional<double> malignant;  // for the filter's model; nullopt if not yet predicted
    bool hasLabels() const { return diagnosisNode.has_value() || !diagnosisLabel.empty(); }
};

// Who may see and import ground truth.
bool maySeeLabels(Role role);

// Where a labelled import's labels come from: a signed-in coordinator or trainer, or the
// program's own embedded samples (imported at start-up, audited without a user).
enum class LabelSource { Viewer, ShippedSamples };

struct LibraryFilter {
    enum class Diagnosis { Any, Known, Unknown };
    enum class Risk { Any, NotPredicted, Below, AtLeast };

    std::optional<engine::ImageModality> modality;
    Diagnosis diagnosis = Diagnosis::Any;
    std::optional<std::string> collection;
    // Risk filters use the P(malignant) recorded for `riskModel`, against `riskThreshold`
    // (the caller's review or biopsy threshold: workstation::RiskThresholds).
    Risk risk = Risk::Any;
    double riskThreshold = 0.0;
    std::string riskModel;
    // Case-insensitive substring of the path, diagnosis, patient, study or collection.
    std::string search;
};

struct AddReport {
    int added = 0;
    int updated = 0;  // known path, new content or new labels
    int unchanged = 0;
    // One line per file that is not a usable image. Such files are still recorded (with
    // their problem), so the browser lists them and says why they cannot be analysed.
    std::vector<std::string> problems;
    bool cancelled = false;
    std::string collection;  // where the images went
};

// Called after each file; return false to stop (what was added so far stays).
using AddProgress = std::function<bool(std::size_t done, std::size_t total)>;

class ImageLibrary {
  public:
    // `viewer`: who is looking; without one (or one whose account may not see labels) the
    // library answers without ground truth.
    explicit ImageLibrary(Database& database, std::optional<User> viewer = std::nullopt)
        : database_(database), viewer_(std::move(viewer)) {}

    // Whether answers carry labels now (the viewer's account as the database holds it).
    bool labelsVisible() const;

    // Adds every image file below `folder` (by extension).
    AddReport addFolder(const std::filesystem::path& folder, const AddProgress& progress = {});
    // Adds a labelled dataset's images with their diagnoses (and lesion groups, modality,
    // biopsy status); the collection is the dataset's name. Audited. AccessDenied unless the
    // viewer may see labels (LabelSource::Viewer).
    AddReport addDataset(const training::Dataset& dataset, const taxonomy::Taxonomy& taxonomy,
                         const AddProgress& progress = {},
                         LabelSource source = LabelSource::Viewer);

    std::vector<LibraryImage> query(const LibraryFilter& filter) const;
    std::optional<LibraryImage> find(const std::filesystem::path& path) const;
    // Other images of the same patient (DICOM Patient ID) or lesion (dataset lesion group),
    // oldest study first: what a side-by-side comparison offers.
    std::vector<LibraryImage> related(const LibraryImage& image) const;
    // The images linked to a lesion (records/Lesions.h), dated ones oldest first, then the
    // undated ones in the order they were added.
    std::vector<LibraryImage> lesionTimeline(std::int64_t lesion) const;
    std::vector<std::string> collections() const;
    std::int64_t size() const;

    void recordRisk(const std::string& contentHash, const std::string& model, double malignant,
                    const std::string& topNode);

  private:
    struct Entry;
    AddReport addEntries(std::vector<Entry> entries, const AddProgress& progress);
    // AccessDenied naming `action` unless the viewer's account may see labels now.
    void requireLabelAccess(std::string_view action) const;
    // Runs a statement of kSelectImages rows; without `withLabels` the rows lose their labels.
    static std::vector<LibraryImage> readImages(Statement& statement, bool withLabels);

    Database& database_;
    std::optional<User> viewer_;
};

// SHA-256 of a file's bytes as lower-case hex; throws std::runtime_error naming the file.
std::string hashFile(const std::filesystem::path& path);

}  // namespace dermreader::records
