#include "dermreader/records/Lesions.h"

#include <stdexcept>

#include "PatientIds.h"

namespace dermreader::records {

namespace {

// Lesions with their image counts and date range; `%s` takes the WHERE clause.
constexpr const char* kSelectLesions = R"sql(
    SELECT l.id, l.patient_id, l.label, COUNT(il.image_id),
           COALESCE(MIN(NULLIF(i.study_date, '')), ''), COALESCE(MAX(NULLIF(i.study_date, '')), '')
    FROM lesions l
    LEFT JOIN image_lesions il ON il.lesion_id = l.id
    LEFT JOIN images i ON i.id = il.image_id
    WHERE )sql";

// Placeholder patient IDs of anonymised exports name nobody: no lesions are made for them.
const std::string kRealPatient = detail::namesAPatientSql("i.patient_id");

}  // namespace

int Lesions::linkFromRecords() {
    int linked = 0;
    database_.transaction([&] {
        Statement create = database_.prepare(
            std::string("INSERT OR IGNORE INTO lesions(patient_id, label, created_at) "
                        "SELECT DISTINCT i.patient_id, i.lesion_group, ?1 FROM images i "
                        "WHERE i.lesion_group != '' AND ") +
            kRealPatient);
        create.bind(1, nowUtc()).run();
        Statement link = database_.prepare(
            std::string("INSERT INTO image_lesions(image_id, lesion_id, assigned_by, assigned_at) "
                        "SELECT i.id, l.id, 'automatic', ?1 FROM images i JOIN lesions l "
                        "ON l.patient_id = i.patient_id AND l.label = i.lesion_group "
                        "WHERE i.id NOT IN (SELECT image_id FROM image_lesions) AND ") +
            kRealPatient);
        link.bind(1, nowUtc()).run();
        linked = database_.changes();
    });
    return linked;
}

std::vector<std::string> Lesions::patients() const {
    Statement statement =
        database_.prepare("SELECT DISTINCT patient_id FROM lesions ORDER BY patient_id");
    std::vector<std::string> patients;
    while (statement.step())
        patients.push_back(statement.text(0));
    return patients;
}

std::vector<Lesion> Lesions::select(const std::string& where, const std::string& key,
                                    std::int64_t id) const {
    Statement statement =
        database_.prepare(std::string(kSelectLesions) + where + " GROUP BY l.id ORDER BY l.label");
    statement.bind(1, key).bind(2, id);
    std::vector<Lesion> lesions;
    while (statement.step()) {
        Lesion lesion;
        lesion.id = statement.integer(0);
        lesion.patientId = statement.text(1);
        lesion.label = statement.text(2);
        lesion.images = static_cast<int>(statement.integer(3));
        lesion.firstStudyDate = statement.text(4);
        lesion.lastStudyDate = statement.text(5);
        lesions.push_back(std::move(lesion));
    }
    return lesions;
}

std::vector<Lesion> Lesions::ofPatient(const std::string& patientId) const {
    return select("l.patient_id = ?1 AND ?2 = ?2", patientId, 0);
}

std::optional<Lesion> Lesions::find(std::int64_t lesion) const {
    auto found = select("?1 = ?1 AND l.id = ?2", {}, lesion);
    if (found.empty())
        return std::nullopt;
    return found.front();
}

std::optional<Lesion> Lesions::ofImage(const std::filesystem::path& image) const {
    Statement statement = database_.prepare(
        "SELECT il.lesion_id FROM image_lesions il JOIN images i ON i.id = il.image_id "
        "WHERE i.path = ?1");
    statement.bind(1, image.string());
    if (!statement.step())
        return std::nullopt;
    return find(statement.integer(0));
}

Lesion Lesions::assign(const std::filesystem::path& image, const std::string& patientId,
                       const std::string& label, const std::optional<User>& by) {
    if (patientId.empty() || label.empty())
        throw std::invalid_argument("a lesion needs a patient ID and a label");
    if (!detail::namesAPatient(patientId))
        throw std::invalid_argument("'" + patientId +
                                    "' is a placeholder from an anonymised export, not a patient "
                                    "ID: enter the patient's own ID");
    std::int64_t lesionId = 0;
    database_.transaction([&] {
        Statement imageRow =
            database_.prepare(std::string("SELECT i.id, CASE WHEN ") + kRealPatient +
                              " THEN i.patient_id ELSE '' END FROM images i WHERE i.path = ?1");
        imageRow.bind(1, image.string());
        if (!imageRow.step())
            throw std::invalid_argument(image.string() + " is not in the image library");
        const std::int64_t imageId = imageRow.integer(0);
        // A DICOM image names its patient: it cannot join another patient's lesion.
        if (const std::string own = imageRow.text(1); !own.empty() && own != patientId)
            throw std::invalid_argument(image.string() + " belongs to patient " + own + ", not " +
                                        patientId);
        database_
            .prepare(
                "INSERT OR IGNORE INTO lesions(patient_id, label, created_at) "
                "VALUES (?1, ?2, ?3)")
            .bind(1, patientId)
            .bind(2, label)
            .bind(3, nowUtc())
            .run();
        Statement lesionRow =
            database_.prepare("SELECT id FROM lesions WHERE patient_id = ?1 AND label = ?2");
        lesionRow.bind(1, patientId).bind(2, label);
        lesionRow.step();
        lesionId = lesionRow.integer(0);
        database_
            .prepare(
                "INSERT INTO image_lesions(image_id, lesion_id, assigned_by, assigned_at) "
                "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(image_id) DO UPDATE SET "
                "lesion_id = excluded.lesion_id, assigned_by = excluded.assigned_by, "
                "assigned_at = excluded.assigned_at")
            .bind(1, imageId)
            .bind(2, lesionId)
            .bind(3, by ? by->name : std::string("workstation"))
            .bind(4, nowUtc())
            .run();
        audit(database_, by, "lesion assigned",
              image.string() + " -> patient " + patientId + ", " + label);
    });
    return *find(lesionId);
}

}  // namespace dermreader::records
