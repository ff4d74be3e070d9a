#include "dermreader/records/ImageLibrary.h"

#include "PatientIds.h"

#include "dermreader/engine/FileDigest.h"

#include <algorithm>
#include <cctype>
#include <fstream>

#include "dermreader/engine/ImageLoader.h"
#include "dermreader/training/Dataset.h"

namespace dermreader::records {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kFilesPerTransaction = 100;

std::string tag(const std::map<std::string, std::string>& tags, const char* key) {
    auto it = tags.find(key);
    return it == tags.end() ? std::string() : it->second;
}

// A dataset's lesion group, else the DICOM Lesion Number (0018,3105) as "lesion 3".
std::string lesionLabel(const std::string& group, const std::map<std::string, std::string>& tags) {
    if (!group.empty())
        return group;
    const std::string number = tag(tags, "LesionNumber");
    return number.empty() ? std::string() : "lesion " + number;
}

// SQL LIKE pattern matching `text` anywhere, with the wildcards in it escaped.
std::string containsPattern(const std::string& text) {
    std::string pattern = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\')
            pattern += '\\';
        pattern += c;
    }
    return pattern + "%";
}

// Case-insensitive (ASCII) substring test.
bool containsText(const std::string& text, const std::string& part) {
    return std::search(text.begin(), text.end(), part.begin(), part.end(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           }) != text.end();
}

// The search for a viewer without labels: file and collection names (not their folders, which
// may be class names), patient and study.
bool matchesWithoutLabels(const LibraryImage& image, const std::string& search) {
    const std::string collection = fs::path(image.collection).filename().string();
    for (const std::string& field :
         {image.path.filename().string(), collection.empty() ? image.collection : collection,
          image.patientId, image.patientName, image.studyDescription}) {
        if (containsText(field, search))
            return true;
    }
    return false;
}

}  // namespace

// What one file contributes, before it is written.
struct ImageLibrary::Entry {
    Entry(fs::path file, std::string from) : path(std::move(file)), collection(std::move(from)) {}
    fs::path path;
    std::string collection;
    engine::ImageModality modality = engine::ImageModality::Unknown;
    std::optional<std::string> diagnosisNode;
    std::string diagnosisLabel;
    std::optional<bool> biopsyProven;
    std::string lesionGroup;
};

std::string hashFile(const fs::path& path) {
    const auto digest = engine::fileSha256(path);  // throws naming the file
    if (!digest)
        throw std::runtime_error("'" + path.string() +
                                 "' cannot be hashed: built without libsodium");
    return *digest;
}

bool maySeeLabels(Role role) {
    return role == Role::Coordinator || role == Role::Trainer;
}

// The roles of maySeeLabels, checked against the account as the database holds it.
void ImageLibrary::requireLabelAccess(std::string_view action) const {
    if (!viewer_)
        throw AccessDenied("to " + std::string(action) + ", a coordinator or trainer must sign in");
    requireRole(database_, *viewer_, {Role::Coordinator, Role::Trainer}, action);
}

bool ImageLibrary::labelsVisible() const {
    try {
        requireLabelAccess("see diagnoses");
        return true;
    } catch (const AccessDenied&) {
        return false;
    }
}

AddReport ImageLibrary::addFolder(const fs::path& folder, const AddProgress& progress) {
    std::error_code error;
    if (!fs::is_directory(folder, error))
        throw DatabaseError("'" + folder.string() + "' is not a folder");
    fs::path normal = fs::absolute(folder).lexically_normal();
    if (!normal.has_filename())  // "photos/" and "photos" are one collection
        normal = normal.parent_path();
    const std::string collection = normal.string();
    std::vector<Entry> entries;
    for (const fs::path& file : engine::listImageFiles(folder))
        entries.emplace_back(file, collection);
    AddReport report = addEntries(std::move(entries), progress);
    report.collection = collection;
    return report;
}

AddReport ImageLibrary::addDataset(const training::Dataset& dataset,
                                   const taxonomy::Taxonomy& taxonomy, const AddProgress& progress,
                                   LabelSource source) {
    if (source == LabelSource::Viewer)
        requireLabelAccess("import labelled images");
    std::vector<Entry> entries;
    entries.reserve(dataset.images.size());
    for (const training::LabelledImage& image : dataset.images) {
        Entry entry(fs::absolute(image.path).lexically_normal(), dataset.name);
        entry.modality = image.modality;
        if (image.node != taxonomy::kNoNode)
            entry.diagnosisNode = taxonomy.node(image.node).id;
        entry.diagnosisLabel = image.label;
        entry.biopsyProven = image.biopsyProven;
        entry.lesionGroup = image.group;
        entries.push_back(std::move(entry));
    }
    AddReport report = addEntries(std::move(entries), progress);
    report.collection = dataset.name;
    audit(database_, source == LabelSource::Viewer ? viewer_ : std::nullopt,
          source == LabelSource::Viewer ? "labelled images imported" : "sample labels imported",
          dataset.name + ": " + std::to_string(report.added) + " added, " +
              std::to_string(report.updated) + " updated" +
              (report.cancelled ? " (cancelled)" : ""));
    return report;
}

AddReport ImageLibrary::addEntries(std::vector<Entry> entries, const AddProgress& progress) {
    AddReport report;
    Statement existing = database_.prepare("SELECT content_hash FROM images WHERE path = ?");
    Statement addToCollection = database_.prepare(
        "INSERT OR IGNORE INTO image_collections(image_id, collection) "
        "SELECT id, ?2 FROM images WHERE path = ?1");
    // A labelled import overwrites labels; a plain folder import keeps labels already known.
    Statement upsert = database_.prepare(R"sql(
        INSERT INTO images(path, content_hash, format, width, height, modality, diagnosis_node,
                           diagnosis_label, biopsy_proven, lesion_group, collection, patient_id,
                           patient_name, study_date, study_uid, study_description, problem,
                           added_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
        ON CONFLICT(path) DO UPDATE SET
            content_hash = excluded.content_hash, format = excluded.format,
            width = excluded.width, height = excluded.height,
            modality = CASE WHEN excluded.modality = 'unknown' THEN modality
                            ELSE excluded.modality END,
            diagnosis_node = coalesce(excluded.diagnosis_node, diagnosis_node),
            diagnosis_label = CASE WHEN excluded.diagnosis_node IS NULL THEN diagnosis_label
                                   ELSE excluded.diagnosis_label END,
            biopsy_proven = coalesce(excluded.biopsy_proven, biopsy_proven),
            lesion_group = CASE WHEN excluded.lesion_group = '' THEN lesion_group
                                ELSE excluded.lesion_group END,
            patient_id = excluded.patient_id, patient_name = excluded.patient_name,
            study_date = excluded.study_date, study_uid = excluded.study_uid,
            study_description = excluded.study_description, problem = excluded.problem)sql");

    // Files are read (hashed, headers parsed) outside the transaction, so the write lock is
    // held for milliseconds and other connections (the UI recording risks) never wait long.
    struct Scanned {
        std::string hash;
        engine::ImageHeader header;
        std::string problem;
    };
    const std::size_t total = entries.size();
    std::size_t done = 0;
    while (done < total && !report.cancelled) {
        const std::size_t batchStart = done;
        std::vector<Scanned> scanned;
        for (; done < std::min(total, batchStart + kFilesPerTransaction); ++done) {
            Scanned file;
            try {
                file.hash = hashFile(entries[done].path);
                if (auto header = engine::peekImageHeader(entries[done].path)) {
                    file.header = std::move(*header);
                } else {
                    file.problem = "'" + entries[done].path.string() + "' is not a supported image";
                }
            } catch (const std::exception& e) {
                file.problem = e.what();
            }
            scanned.push_back(std::move(file));
            if (progress && !progress(done + 1, total)) {
                report.cancelled = true;
                ++done;
                break;
            }
        }
        database_.transaction([&] {
            for (std::size_t i = 0; i < scanned.size(); ++i) {
                const Entry& entry = entries[batchStart + i];
                const Scanned& file = scanned[i];
                existing.bind(1, entry.path.string());
                const bool known = existing.step();
                const bool sameContent = known && existing.text(0) == file.hash;
                existing.reset();
                const engine::ImageModality modality =
                    file.header.modality != engine::ImageModality::Unknown ? file.header.modality
                                                                           : entry.modality;
                const auto& tags = file.header.tags;
                upsert.bind(1, entry.path.string())
                    .bind(2, file.hash)
                    .bind(3, file.header.format)
                    .bind(4, file.header.width)
                    .bind(5, file.header.height)
                    .bind(6, engine::toString(modality))
                    .bind(7, entry.diagnosisNode)
                    .bind(8, entry.diagnosisLabel)
                    .bind(9, entry.biopsyProven ? std::optional<int>(*entry.biopsyProven)
                                                : std::nullopt)
                    .bind(10, lesionLabel(entry.lesionGroup, tags))
                    .bind(11, entry.collection)
                    .bind(12, tag(tags, "PatientID"))
                    .bind(13, tag(tags, "PatientName"))
                    .bind(14, tag(tags, "StudyDate"))
                    .bind(15, tag(tags, "StudyInstanceUID"))
                    .bind(16, tag(tags, "StudyDescription"))
                    .bind(17, file.problem)
                    .bind(18, nowUtc());
                upsert.run();
                addToCollection.bind(1, entry.path.string()).bind(2, entry.collection).run();
                if (!file.problem.empty())
                    report.problems.push_back(file.problem);
                if (!known) {
                    ++report.added;
                } else if (sameContent && !entry.diagnosisNode) {
                    ++report.unchanged;
                } else {
                    ++report.updated;
                }
            }
        });
    }
    return report;
}

namespace {

constexpr const char* kSelectImages = R"sql(
    SELECT i.id, i.path, i.content_hash, i.format, i.width, i.height, i.modality,
           i.diagnosis_node, i.diagnosis_label, i.biopsy_proven, i.lesion_group, i.collection,
           i.patient_id, i.patient_name, i.study_date, i.study_description, i.added_at,
           i.problem, r.malignant
    FROM images i LEFT JOIN image_risk r ON r.content_hash = i.content_hash AND r.model = ?1)sql";

LibraryImage readImage(const Statement& row) {
    LibraryImage image;
    image.id = row.integer(0);
    image.path = row.text(1);
    image.contentHash = row.text(2);
    image.format = row.text(3);
    image.width = static_cast<int>(row.integer(4));
    image.height = static_cast<int>(row.integer(5));
    image.modality = engine::parseModality(row.text(6));
    image.diagnosisNode = row.optionalText(7);
    image.diagnosisLabel = row.text(8);
    if (auto proven = row.optionalInteger(9))
        image.biopsyProven = *proven != 0;
    image.lesionGroup = row.text(10);
    image.collection = row.text(11);
    image.patientId = row.text(12);
    image.patientName = row.text(13);
    image.studyDate = row.text(14);
    image.studyDescription = row.text(15);
    image.addedAt = row.text(16);
    image.problem = row.text(17);
    image.malignant = row.optionalReal(18);
    return image;
}

}  // namespace

std::vector<LibraryImage> ImageLibrary::readImages(Statement& statement, bool withLabels) {
    std::vector<LibraryImage> images;
    while (statement.step()) {
        images.push_back(readImage(statement));
        if (!withLabels) {
            images.back().diagnosisNode.reset();
            images.back().diagnosisLabel.clear();
            images.back().biopsyProven.reset();
        }
    }
    return images;
}

std::vector<LibraryImage> ImageLibrary::related(const LibraryImage& image) const {
    const std::string patientId =
        detail::namesAPatient(image.patientId) ? image.patientId : std::string();
    if (patientId.empty() && image.lesionGroup.empty())
        return {};
    // Lesion groups are a dataset's own labels ("L1") or a DICOM Lesion Number ("lesion 1"):
    // they match only inside the collection, and only where no patient is named (an image with a
    // patient has its patient's images; another patient's "lesion 1" is not the same lesion).
    Statement statement =
        database_.prepare(std::string(kSelectImages) +
                          " WHERE i.path != ?2 AND ((?3 != '' AND i.patient_id = ?3) OR "
                          "(?3 = '' AND ?4 != '' AND i.lesion_group = ?4 AND i.collection = ?5)) "
                          "ORDER BY i.study_date, i.path");
    statement.bind(1, std::string());
    statement.bind(2, image.path.string());
    statement.bind(3, patientId);
    statement.bind(4, image.lesionGroup);
    statement.bind(5, image.collection);
    return readImages(statement, labelsVisible());
}

std::vector<LibraryImage> ImageLibrary::lesionTimeline(std::int64_t lesion) const {
    Statement statement =
        database_.prepare(std::string(kSelectImages) +
                          " JOIN image_lesions il ON il.image_id = i.id WHERE il.lesion_id = ?2 "
                          "ORDER BY i.study_date = '', i.study_date, i.added_at, i.id");
    statement.bind(1, std::string());
    statement.bind(2, lesion);
    return readImages(statement, labelsVisible());
}

std::vector<LibraryImage> ImageLibrary::query(const LibraryFilter& filter) const {
    // Without labels, neither the diagnosis filter nor the search may tell labels apart.
    const bool withLabels = labelsVisible();
    std::string sql = kSelectImages;
    std::vector<std::string> conditions;
    if (filter.modality)
        conditions.push_back("i.modality = ?2");
    if (withLabels && filter.diagnosis == LibraryFilter::Diagnosis::Known)
        conditions.push_back("i.diagnosis_node IS NOT NULL");
    if (withLabels && filter.diagnosis == LibraryFilter::Diagnosis::Unknown)
        conditions.push_back("i.diagnosis_node IS NULL");
    if (filter.collection)
        conditions.push_back(
            "EXISTS (SELECT 1 FROM image_collections c WHERE c.image_id = i.id AND "
            "c.collection = ?3)");
    if (filter.risk == LibraryFilter::Risk::NotPredicted)
        conditions.push_back("r.malignant IS NULL");
    if (filter.risk == LibraryFilter::Risk::Below)
        conditions.push_back("r.malignant < ?4");
    if (filter.risk == LibraryFilter::Risk::AtLeast)
        conditions.push_back("r.malignant >= ?4");
    // Without labels the search runs below, on names only: a folder-per-class dataset's
    // folders ("…/melanoma/x.jpg") are labels too.
    if (withLabels && !filter.search.empty()) {
        conditions.push_back(
            std::string("(i.path LIKE ?5 ESCAPE '\\' OR ") +
            (withLabels ? "i.diagnosis_label LIKE ?5 ESCAPE '\\' OR "
                          "coalesce(i.diagnosis_node, '') LIKE ?5 ESCAPE '\\' OR "
                        : "") +
            "i.patient_id LIKE ?5 ESCAPE '\\' OR i.patient_name LIKE ?5 ESCAPE '\\' OR "
            "i.study_description LIKE ?5 ESCAPE '\\' OR i.collection LIKE ?5 ESCAPE '\\')");
    }
    for (std::size_t i = 0; i < conditions.size(); ++i)
        sql += (i == 0 ? " WHERE " : " AND ") + conditions[i];
    sql += " ORDER BY i.path";

    Statement statement = database_.prepare(sql);
    statement.bind(1, filter.riskModel);
    if (filter.modality)
        statement.bind(2, engine::toString(*filter.modality));
    if (filter.collection)
        statement.bind(3, *filter.collection);
    if (filter.risk == LibraryFilter::Risk::Below || filter.risk == LibraryFilter::Risk::AtLeast)
        statement.bind(4, filter.riskThreshold);
    if (withLabels && !filter.search.empty())
        statement.bind(5, containsPattern(filter.search));
    std::vector<LibraryImage> images = readImages(statement, withLabels);
    if (!withLabels && !filter.search.empty()) {
        images.erase(std::remove_if(images.begin(), images.end(),
                                    [&](const LibraryImage& image) {
                                        return !matchesWithoutLabels(image, filter.search);
                                    }),
                     images.end());
    }
    return images;
}

std::optional<LibraryImage> ImageLibrary::find(const fs::path& path) const {
    Statement statement = database_.prepare(std::string(kSelectImages) + " WHERE i.path = ?2");
    statement.bind(1, std::string()).bind(2, fs::absolute(path).lexically_normal().string());
    std::vector<LibraryImage> images = readImages(statement, labelsVisible());
    if (images.empty())
        return std::nullopt;
    return std::move(images.front());
}

std::vector<std::string> ImageLibrary::collections() const {
    Statement statement =
        database_.prepare("SELECT DISTINCT collection FROM image_collections ORDER BY collection");
    std::vector<std::string> names;
    while (statement.step())
        names.push_back(statement.text(0));
    return names;
}

std::int64_t ImageLibrary::size() const {
    Statement statement = database_.prepare("SELECT count(*) FROM images");
    statement.step();
    return statement.integer(0);
}

void ImageLibrary::recordRisk(const std::string& contentHash, const std::string& model,
                              double malignant, const std::string& topNode) {
    database_
        .prepare(
            "INSERT INTO image_risk(content_hash, model, malignant, top_node, computed_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(content_hash, model) DO UPDATE SET "
            "malignant = excluded.malignant, top_node = excluded.top_node, "
            "computed_at = excluded.computed_at")
        .bind(1, contentHash)
        .bind(2, model)
        .bind(3, malignant)
        .bind(4, topNode)
        .bind(5, nowUtc())
        .run();
}

}  // namespace dermreader::records
