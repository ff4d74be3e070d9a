#pragma once
// Lesion follow-up records (issue 16.3): a patient's lesions and which image shows which. Links
// come from the library's records — DICOM Patient ID with the Lesion Number (0018,3105), or a
// labelled dataset's lesion group where the image has a patient ID — or from a person; a
// person's link is never overridden by a later import. A lesion's images, oldest first, come
// from ImageLibrary::lesionTimeline.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dermreader/records/Accounts.h"
#include "dermreader/records/Database.h"

namespace dermreader::records {

struct Lesion {
    std::int64_t id = 0;
    std::string patientId, label;
    int images = 0;
    std::string firstStudyDate, lastStudyDate;  // YYYYMMDD; empty when no image is dated
};

class Lesions {
  public:
    explicit Lesions(Database& database) : database_(database) {}

    // Links every unlinked image that names a patient and a lesion; how many it linked.
    int linkFromRecords();
    // Patients with at least one lesion, sorted.
    std::vector<std::string> patients() const;
    std::vector<Lesion> ofPatient(const std::string& patientId) const;
    std::optional<Lesion> find(std::int64_t lesion) const;
    std::optional<Lesion> ofImage(const std::filesystem::path& image) const;
    // Links an image of the library to the patient's lesion `label` (created when new), by
    // hand; audited. std::invalid_argument for an unknown image, an empty patient or label, a
    // placeholder patient ID ("ANONYMOUS": it would pool everyone's images), or an image whose
    // DICOM Patient ID names another patient.
    Lesion assign(const std::filesystem::path& image, const std::string& patientId,
                  const std::string& label, const std::optional<User>& by);

  private:
    std::vector<Lesion> select(const std::string& where, const std::string& key,
                               std::int64_t id) const;
    Database& database_;
};

}  // namespace dermreader::records
