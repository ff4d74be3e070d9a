#include "dermreader/records/ReaderStudy.h"

#include "dermreader/engine/AtomicFile.h"
#include "dermreader/engine/ModelManifest.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

namespace dermreader::records {
namespace fs = std::filesystem;

namespace {

// A small, fully specified generator: case selection and reading orders must not change
// with the standard library's version (std::shuffle's algorithm is not specified).
class SplitMix64 {
  public:
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

  private:
    std::uint64_t state_;
};

template <typename T>
void seededShuffle(std::vector<T>& items, std::uint64_t seed) {
    SplitMix64 random(seed);
    for (std::size_t i = items.size(); i > 1; --i)
        std::swap(items[i - 1], items[random.next() % i]);
}

engine::ImageModality defaultModality(StudyTask task) {
    return task == StudyTask::MelanocyticDermoscopic ? engine::ImageModality::Dermoscopic
                                                     : engine::ImageModality::Clinical;
}

StudyState parseState(std::string_view text) {
    if (text == "open")
        return StudyState::Open;
    if (text == "closed")
        return StudyState::Closed;
    return StudyState::Draft;
}

constexpr const char* kSelectStudy =
    "SELECT id, name, task, malignant_cases, benign_cases, biopsy_proven_only, modality, seed, "
    "ask_malignancy, ask_confidence, ai_assisted, model, state, created_at FROM studies";

StudyInfo readStudy(const Statement& row) {
    StudyInfo info;
    info.id = row.integer(0);
    info.spec.name = row.text(1);
    info.spec.task = parseStudyTask(row.text(2)).value_or(StudyTask::Melanocytic);
    info.spec.malignantCases = static_cast<int>(row.integer(3));
    info.spec.benignCases = static_cast<int>(row.integer(4));
    info.spec.biopsyProvenOnly = row.integer(5) != 0;
    info.spec.modality = engine::parseModality(row.text(6));
    info.spec.seed = static_cast<std::uint64_t>(row.integer(7));
    info.spec.askMalignancy = row.integer(8) != 0;
    info.spec.askConfidence = row.integer(9) != 0;
    info.spec.aiAssisted = row.integer(10) != 0;
    info.model = row.text(11);
    info.state = parseState(row.text(12));
    info.createdAt = row.text(13);
    return info;
}

StudyInfo loadStudy(const Database& database, std::int64_t study) {
    Statement statement = database.prepare(std::string(kSelectStudy) + " WHERE id = ?1");
    if (!statement.bind(1, study).step())
        throw std::invalid_argument("there is no study " + std::to_string(study));
    return readStudy(statement);
}

std::vector<StudyCase> loadCases(const Database& database, std::int64_t study) {
    Statement statement = database.prepare(
        "SELECT id, position, image_path, content_hash, truth_node, malignant, cnn_score "
        "FROM study_cases WHERE study_id = ?1 ORDER BY position");
    statement.bind(1, study);
    std::vector<StudyCase> cases;
    while (statement.step()) {
        cases.push_back({statement.integer(0), static_cast<int>(statement.integer(1)),
                         statement.text(2), statement.text(3), statement.text(4),
                         statement.integer(5) != 0, statement.optionalReal(6)});
    }
    return cases;
}

struct DecisionRow {
    std::int64_t userId;
    Phase phase;
    std::int64_t caseId;
    Answer answer;
    double seconds;
    std::string decidedAt;
};

std::vector<DecisionRow> loadDecisions(const Database& database, std::int64_t study) {
    Statement statement = database.prepare(
        "SELECT d.user_id, d.phase, d.case_id, d.biopsy, d.malignant, d.confidence, d.seconds, "
        "d.decided_at FROM decisions d JOIN study_cases c ON c.id = d.case_id "
        "WHERE c.study_id = ?1 ORDER BY d.user_id, d.phase DESC, c.position");
    statement.bind(1, study);
    std::vector<DecisionRow> rows;
    while (statement.step()) {
        DecisionRow row{
            statement.integer(0), statement.text(1) == "aided" ? Phase::Aided : Phase::Unaided,
            statement.integer(2), {statement.integer(3) != 0, std::nullopt, std::nullopt},
            statement.real(6),    statement.text(7)};
        if (auto m = statement.optionalInteger(4))
            row.answer.malignant = *m != 0;
        if (auto c = statement.optionalInteger(5))
            row.answer.confidence = static_cast<int>(*c);
        rows.push_back(row);
    }
    return rows;
}

MeanPoint meanOf(const std::vector<ReaderResult>& readers, Phase phase) {
    std::vector<double> sens, spec;
    for (const auto& r : readers) {
        if (r.phase == phase && r.complete) {
            sens.push_back(r.sensitivity);
            spec.push_back(r.specificity);
        }
    }
    MeanPoint mean;
    mean.readers = static_cast<int>(sens.size());
    if (sens.empty())
        return mean;
    auto average = [](const std::vector<double>& v) {
        return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    };
    auto sd = [](const std::vector<double>& v, double m) {
        if (v.size() < 2)
            return 0.0;
        double sum = 0;
        for (double x : v)
            sum += (x - m) * (x - m);
        return std::sqrt(sum / static_cast<double>(v.size() - 1));
    };
    mean.sensitivity = average(sens);
    mean.specificity = average(spec);
    mean.sensitivitySd = sd(sens, mean.sensitivity);
    mean.specificitySd = sd(spec, mean.specificity);
    return mean;
}

std::string number(double value) {
    std::ostringstream out;
    out.precision(6);
    out << value;
    return out.str();
}

}  // namespace

// --- tasks -------------------------------------------------------------------------------

std::string_view toString(StudyTask task) {
    switch (task) {
        case StudyTask::Epidermal:
            return "epidermal";
        case StudyTask::MelanocyticDermoscopic:
            return "melanocytic_dermoscopic";
        default:
            return "melanocytic";
    }
}

std::optional<StudyTask> parseStudyTask(std::string_view text) {
    for (StudyTask task :
         {StudyTask::Epidermal, StudyTask::Melanocytic, StudyTask::MelanocyticDermoscopic}) {
        if (toString(task) == text)
            return task;
    }
    return std::nullopt;
}

std::string describe(StudyTask task) {
    switch (task) {
        case StudyTask::Epidermal:
            return "keratinocyte carcinoma vs benign seborrheic keratosis";
        case StudyTask::MelanocyticDermoscopic:
            return "melanoma vs benign nevus, dermoscopic images";
        default:
            return "melanoma vs benign nevus";
    }
}

std::string_view toString(StudyState state) {
    switch (state) {
        case StudyState::Open:
            return "open";
        case StudyState::Closed:
            return "closed";
        default:
            return "draft";
    }
}

double cnnScore(StudyTask task, const engine::Prediction& prediction) {
    const auto restricted = task == StudyTask::Epidermal ? prediction.epidermalMalignant
                                                         : prediction.melanocyticMalignant;
    return restricted.value_or(prediction.malignant);
}

std::string_view toString(Phase phase) {
    return phase == Phase::Aided ? "aided" : "unaided";
}

std::optional<bool> taskTruth(StudyTask task, const taxonomy::Taxonomy& taxonomy,
                              taxonomy::NodeIndex node) {
    // The paper's classes: keratinocyte carcinomas (basal and squamous cell carcinomas,
    // including in situ) vs seborrheic keratoses; melanomas vs nevi.
    static const std::vector<std::string> kEpidermalMalignant = {
        "basal_cell_carcinoma", "squamous_cell_carcinoma", "baso_squamous_carcinoma"};
    static const std::vector<std::string> kEpidermalBenign = {"seborrheic_keratosis"};
    static const std::vector<std::string> kMelanocyticMalignant = {"melanoma"};
    static const std::vector<std::string> kMelanocyticBenign = {"nevus"};
    const bool epidermal = task == StudyTask::Epidermal;
    auto under = [&](const std::vector<std::string>& roots) {
        for (const auto& id : roots) {
            if (auto root = taxonomy.find(id); root && taxonomy.isAncestorOrSelf(*root, node))
                return true;
        }
        return false;
    };
    if (node == taxonomy::kNoNode)
        return std::nullopt;
    if (under(epidermal ? kEpidermalMalignant : kMelanocyticMalignant))
        return true;
    if (under(epidermal ? kEpidermalBenign : kMelanocyticBenign))
        return false;
    return std::nullopt;
}

namespace {

// The eligible images for `spec` (its modality resolved), one per content and per lesion, in
// a seeded order; at most `maxMalignant`/`maxBenign` of each.
std::pair<std::vector<const StudyCandidate*>, std::vector<const StudyCandidate*>> selectEligible(
    const StudySpec& spec, const std::vector<StudyCandidate>& candidates,
    const taxonomy::Taxonomy& taxonomy, int maxMalignant, int maxBenign) {
    std::vector<const StudyCandidate*> eligible;
    for (const auto& candidate : candidates) {
        const auto node = taxonomy.find(candidate.diagnosisNode);
        if (!node || !taskTruth(spec.task, taxonomy, *node))
            continue;
        if (candidate.modality != *spec.modality)
            continue;
        if (spec.biopsyProvenOnly && candidate.biopsyProven != true)
            continue;
        eligible.push_back(&candidate);
    }
    std::sort(eligible.begin(), eligible.end(), [](const auto* a, const auto* b) {
        return std::tie(a->contentHash, a->path) < std::tie(b->contentHash, b->path);
    });
    seededShuffle(eligible, spec.seed);
    std::set<std::string> seenContent, seenLesions;
    std::vector<const StudyCandidate*> malignant, benign;
    for (const auto* candidate : eligible) {
        if (!seenContent.insert(candidate->contentHash).second)
            continue;
        if (!candidate->lesionGroup.empty() && !seenLesions.insert(candidate->lesionGroup).second)
            continue;
        const bool isMalignant =
            *taskTruth(spec.task, taxonomy, taxonomy.indexOf(candidate->diagnosisNode));
        auto& side = isMalignant ? malignant : benign;
        if (static_cast<int>(side.size()) < (isMalignant ? maxMalignant : maxBenign))
            side.push_back(candidate);
    }
    return {std::move(malignant), std::move(benign)};
}

}  // namespace

EligibleCounts countEligible(const StudySpec& specIn, const std::vector<StudyCandidate>& candidates,
                             const taxonomy::Taxonomy& taxonomy) {
    StudySpec spec = specIn;
    if (!spec.modality)
        spec.modality = defaultModality(spec.task);
    constexpr int kAll = std::numeric_limits<int>::max();
    const auto [malignant, benign] = selectEligible(spec, candidates, taxonomy, kAll, kAll);
    return {static_cast<int>(malignant.size()), static_cast<int>(benign.size())};
}

TrainingOverlap trainingOverlap(const std::vector<StudyCase>& cases,
                                const std::filesystem::path& bundle) {
    TrainingOverlap overlap;
    overlap.cases = static_cast<int>(cases.size());
    const auto trainedOn = engine::readTrainingImageIds(bundle);
    if (!trainedOn)
        return overlap;
    overlap.listed = true;
    for (const auto& c : cases) {
        const std::string id = c.path.stem().string();
        if (trainedOn->count(id))
            overlap.overlapping.push_back(id);
    }
    return overlap;
}

// --- ReaderStudies -----------------------------------------------------------------------

std::int64_t ReaderStudies::create(const User& coordinator, const StudySpec& specIn,
                                   const std::vector<StudyCandidate>& candidates) {
    requireRole(database_, coordinator, {Role::Coordinator}, "create studies");
    StudySpec spec = specIn;
    if (spec.name.empty())
        throw std::invalid_argument("a study needs a name");
    if (spec.malignantCases < 1 || spec.benignCases < 1)
        throw std::invalid_argument("a study needs at least one malignant and one benign case");
    if (!spec.modality)
        spec.modality = defaultModality(spec.task);
    auto [malignant, benign] =
        selectEligible(spec, candidates, taxonomy_, spec.malignantCases, spec.benignCases);
    if (static_cast<int>(malignant.size()) < spec.malignantCases ||
        static_cast<int>(benign.size()) < spec.benignCases) {
        throw std::invalid_argument(
            "not enough eligible images for '" + describe(spec.task) + "' (" +
            engine::toString(*spec.modality) + (spec.biopsyProvenOnly ? ", biopsy-proven" : "") +
            ", one per lesion): " + std::to_string(malignant.size()) + " malignant of " +
            std::to_string(spec.malignantCases) + " asked, " + std::to_string(benign.size()) +
            " benign of " + std::to_string(spec.benignCases) + " asked");
    }
    std::vector<const StudyCandidate*> chosen = malignant;
    chosen.insert(chosen.end(), benign.begin(), benign.end());
    seededShuffle(chosen, spec.seed ^ 0x5EEDCA5Eull);

    std::int64_t study = 0;
    database_.transaction([&] {
        database_
            .prepare(
                "INSERT INTO studies(name, task, malignant_cases, benign_cases, "
                "biopsy_proven_only, modality, seed, ask_malignancy, ask_confidence, ai_assisted, "
                "created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                "?12)")
            .bind(1, spec.name)
            .bind(2, toString(spec.task))
            .bind(3, spec.malignantCases)
            .bind(4, spec.benignCases)
            .bind(5, int(spec.biopsyProvenOnly))
            .bind(6, engine::toString(*spec.modality))
            .bind(7, static_cast<std::int64_t>(spec.seed))
            .bind(8, int(spec.askMalignancy))
            .bind(9, int(spec.askConfidence))
            .bind(10, int(spec.aiAssisted))
            .bind(11, coordinator.id)
            .bind(12, nowUtc())
            .run();
        study = database_.lastInsertId();
        Statement insert = database_.prepare(
            "INSERT INTO study_cases(study_id, position, image_path, content_hash, truth_node, "
            "malignant) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        for (std::size_t i = 0; i < chosen.size(); ++i) {
            const StudyCandidate& c = *chosen[i];
            const bool isMalignant =
                *taskTruth(spec.task, taxonomy_, taxonomy_.indexOf(c.diagnosisNode));
            insert.bind(1, study)
                .bind(2, static_cast<int>(i + 1))
                .bind(3, c.path.string())
                .bind(4, c.contentHash)
                .bind(5, c.diagnosisNode)
                .bind(6, int(isMalignant))
                .run();
        }
        audit(database_, coordinator, "create study",
              spec.name + ": " + describe(spec.task) + ", " + std::to_string(chosen.size()) +
                  " cases, seed " + std::to_string(spec.seed));
    });
    return study;
}

void ReaderStudies::requireDraft(std::int64_t study) const {
    if (loadStudy(database_, study).state != StudyState::Draft)
        throw std::invalid_argument("study " + std::to_string(study) +
                                    " is open: its cases are frozen");
}

void ReaderStudies::setCnnScores(const User& coordinator, std::int64_t study,
                                 const std::string& model,
                                 const std::vector<std::pair<std::int64_t, double>>& scores) {
    requireRole(database_, coordinator, {Role::Coordinator}, "score study cases");
    database_.transaction([&] {
        requireDraft(study);
        Statement update = database_.prepare(
            "UPDATE study_cases SET cnn_score = ?1 WHERE id = ?2 AND study_id = ?3");
        for (const auto& [caseId, score] : scores) {
            if (!(score >= 0.0 && score <= 1.0))
                throw std::invalid_argument("a CNN score must be a probability");
            update.bind(1, score).bind(2, caseId).bind(3, study).run();
        }
        database_.prepare("UPDATE studies SET model = ?1 WHERE id = ?2")
            .bind(1, model)
            .bind(2, study)
            .run();
        audit(database_, coordinator, "score study",
              "study " + std::to_string(study) + " with " + model);
    });
}

void ReaderStudies::open(const User& coordinator, std::int64_t study) {
    requireRole(database_, coordinator, {Role::Coordinator}, "open studies");
    database_.transaction([&] {
        requireDraft(study);
        database_.prepare("UPDATE studies SET state = 'open', opened_at = ?1 WHERE id = ?2")
            .bind(1, nowUtc())
            .bind(2, study)
            .run();
        audit(database_, coordinator, "open study", std::to_string(study));
    });
}

void ReaderStudies::close(const User& coordinator, std::int64_t study) {
    requireRole(database_, coordinator, {Role::Coordinator}, "close studies");
    database_.transaction([&] {
        database_.prepare("UPDATE studies SET state = 'closed' WHERE id = ?1 AND state = 'open'")
            .bind(1, study)
            .run();
        if (database_.changes() != 1)
            throw std::invalid_argument("study " + std::to_string(study) + " is not open");
        audit(database_, coordinator, "close study", std::to_string(study));
    });
}

void ReaderStudies::addReader(const User& coordinator, std::int64_t study, std::int64_t readerId) {
    requireRole(database_, coordinator, {Role::Coordinator}, "assign readers");
    Accounts accounts(database_);
    const auto reader = accounts.find(readerId);
    if (!reader)
        throw std::invalid_argument("there is no user " + std::to_string(readerId));
    const StudyInfo info = loadStudy(database_, study);
    std::vector<StudyCase> order = loadCases(database_, study);
    seededShuffle(order, info.spec.seed * 1000003ull + static_cast<std::uint64_t>(readerId));
    database_.transaction([&] {
        Statement exists = database_.prepare(
            "SELECT 1 FROM reading_order WHERE study_id = ?1 AND user_id = ?2 LIMIT 1");
        if (exists.bind(1, study).bind(2, readerId).step())
            return;  // already assigned: keep the order they may have started
        Statement insert = database_.prepare(
            "INSERT INTO reading_order(study_id, user_id, ordinal, case_id) "
            "VALUES (?1, ?2, ?3, ?4)");
        for (std::size_t i = 0; i < order.size(); ++i) {
            insert.bind(1, study)
                .bind(2, readerId)
                .bind(3, static_cast<int>(i + 1))
                .bind(4, order[i].id)
                .run();
        }
        audit(database_, coordinator, "assign reader",
              reader->name + " to study " + std::to_string(study));
    });
}

StudyInfo ReaderStudies::info(std::int64_t study) const {
    return loadStudy(database_, study);
}

std::vector<StudyInfo> ReaderStudies::studiesFor(const User& user) const {
    std::string sql = kSelectStudy;
    if (user.role != Role::Coordinator) {
        sql +=
            " WHERE state = 'open' AND id IN (SELECT study_id FROM reading_order "
            "WHERE user_id = ?1)";
    }
    Statement statement = database_.prepare(sql + " ORDER BY id");
    if (user.role != Role::Coordinator)
        statement.bind(1, user.id);
    std::vector<StudyInfo> studies;
    while (statement.step())
        studies.push_back(readStudy(statement));
    return studies;
}

std::vector<StudyCase> ReaderStudies::cases(const User& coordinator, std::int64_t study) const {
    requireRole(database_, coordinator, {Role::Coordinator}, "see study cases");
    return loadCases(database_, study);
}

std::vector<ReaderProgress> ReaderStudies::progress(const User& coordinator,
                                                    std::int64_t study) const {
    requireRole(database_, coordinator, {Role::Coordinator}, "see reader progress");
    const StudyInfo info = loadStudy(database_, study);
    Statement statement = database_.prepare(R"sql(
        SELECT u.id, u.name, u.role, u.experience_years,
               (SELECT count(*) FROM reading_order o WHERE o.study_id = ?1 AND o.user_id = u.id),
               (SELECT count(*) FROM decisions d JOIN study_cases c ON c.id = d.case_id
                WHERE c.study_id = ?1 AND d.user_id = u.id)
        FROM users u WHERE u.id IN (SELECT user_id FROM reading_order WHERE study_id = ?1)
        ORDER BY u.name)sql");
    statement.bind(1, study);
    std::vector<ReaderProgress> result;
    while (statement.step()) {
        ReaderProgress p;
        p.reader = {statement.integer(0), statement.text(1),
                    parseRole(statement.text(2)).value_or(Role::Reader),
                    static_cast<int>(statement.integer(3))};
        p.total = static_cast<int>(statement.integer(4)) * (info.spec.aiAssisted ? 2 : 1);
        p.decided = static_cast<int>(statement.integer(5));
        result.push_back(p);
    }
    return result;
}

// --- ReaderSession -----------------------------------------------------------------------

ReaderSession::ReaderSession(Database& database, const User& reader, std::int64_t study)
    : database_(database), reader_(reader), study_(loadStudy(database, study)) {
    requireRole(database_, reader_, {Role::Reader}, "read studies");
    if (study_.state != StudyState::Open)
        throw AccessDenied("study '" + study_.spec.name + "' is not open for reading");
    Statement assigned = database_.prepare(
        "SELECT 1 FROM reading_order WHERE study_id = ?1 AND user_id = ?2 LIMIT 1");
    if (!assigned.bind(1, study).bind(2, reader.id).step())
        throw AccessDenied("'" + reader.name + "' is not a reader of study '" + study_.spec.name +
                           "'");
    audit(database_, reader_, "start reading", "study " + std::to_string(study));
}

std::optional<CaseToRead> ReaderSession::next() const {
    Statement statement = database_.prepare(R"sql(
        SELECT o.ordinal, c.id, c.image_path, c.cnn_score, u.id IS NOT NULL,
               u.biopsy, u.malignant, u.confidence,
               (SELECT count(*) FROM reading_order WHERE study_id = ?1 AND user_id = ?2)
        FROM reading_order o JOIN study_cases c ON c.id = o.case_id
        LEFT JOIN decisions u ON u.case_id = c.id AND u.user_id = o.user_id
                              AND u.phase = 'unaided'
        LEFT JOIN decisions a ON a.case_id = c.id AND a.user_id = o.user_id
                              AND a.phase = 'aided'
        WHERE o.study_id = ?1 AND o.user_id = ?2 AND (u.id IS NULL OR (?3 AND a.id IS NULL))
        ORDER BY o.ordinal LIMIT 1)sql");
    statement.bind(1, study_.id).bind(2, reader_.id).bind(3, int(study_.spec.aiAssisted));
    if (!statement.step())
        return std::nullopt;
    CaseToRead item;
    item.ordinal = static_cast<int>(statement.integer(0));
    item.caseId = statement.integer(1);
    item.path = statement.text(2);
    item.total = static_cast<int>(statement.integer(8));
    if (statement.integer(4) != 0) {  // unaided done: the AI-assisted second read
        item.phase = Phase::Aided;
        item.cnnScore = statement.optionalReal(3);
        Answer first{statement.integer(5) != 0, std::nullopt, std::nullopt};
        if (auto m = statement.optionalInteger(6))
            first.malignant = *m != 0;
        if (auto c = statement.optionalInteger(7))
            first.confidence = static_cast<int>(*c);
        item.unaided = first;
    }
    return item;
}

void ReaderSession::record(const CaseToRead& item, const Answer& answer, double secondsOnCase) {
    if (study_.spec.askMalignancy && !answer.malignant)
        throw std::invalid_argument("this study also asks: malignant or benign?");
    if (study_.spec.askConfidence &&
        (!answer.confidence || *answer.confidence < 0 || *answer.confidence > 100))
        throw std::invalid_argument("this study asks for a confidence from 0 to 100");
    if (item.phase == Phase::Aided && !study_.spec.aiAssisted)
        throw std::invalid_argument("this study has no AI-assisted read");
    database_.transaction([&] {
        // Deactivated while the session was open: nothing more is recorded.
        requireRole(database_, reader_, {Role::Reader}, "record decisions");
        if (loadStudy(database_, study_.id).state != StudyState::Open)
            throw AccessDenied("study '" + study_.spec.name + "' is closed");
        Statement inOrder = database_.prepare(
            "SELECT 1 FROM reading_order WHERE study_id = ?1 AND user_id = ?2 AND case_id = ?3");
        if (!inOrder.bind(1, study_.id).bind(2, reader_.id).bind(3, item.caseId).step())
            throw AccessDenied("case " + std::to_string(item.caseId) + " is not in this session");
        Statement done = database_.prepare(
            "SELECT 1 FROM decisions WHERE case_id = ?1 AND user_id = ?2 AND phase = ?3");
        if (done.bind(1, item.caseId).bind(2, reader_.id).bind(3, toString(item.phase)).step())
            throw std::invalid_argument("this case is already decided");
        database_
            .prepare(
                "INSERT INTO decisions(case_id, user_id, phase, biopsy, malignant, confidence, "
                "seconds, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            .bind(1, item.caseId)
            .bind(2, reader_.id)
            .bind(3, toString(item.phase))
            .bind(4, int(answer.biopsy))
            .bind(5, answer.malignant ? std::optional<int>(*answer.malignant) : std::nullopt)
            .bind(6, answer.confidence)
            .bind(7, std::max(0.0, secondsOnCase))
            .bind(8, nowUtc())
            .run();
        audit(database_, reader_, "decision",
              "study " + std::to_string(study_.id) + ", case " + std::to_string(item.caseId) +
                  " (" + std::string(toString(item.phase)) + ")");
    });
}

int ReaderSession::decided() const {
    Statement statement = database_.prepare(
        "SELECT count(*) FROM decisions d JOIN study_cases c ON c.id = d.case_id "
        "WHERE c.study_id = ?1 AND d.user_id = ?2");
    statement.bind(1, study_.id).bind(2, reader_.id).step();
    return static_cast<int>(statement.integer(0));
}

int ReaderSession::total() const {
    Statement statement = database_.prepare(
        "SELECT count(*) FROM reading_order WHERE study_id = ?1 AND user_id = ?2");
    statement.bind(1, study_.id).bind(2, reader_.id).step();
    return static_cast<int>(statement.integer(0)) * (study_.spec.aiAssisted ? 2 : 1);
}

void ReaderSession::pause() {
    audit(database_, reader_, "pause reading",
          "study " + std::to_string(study_.id) + " after " + std::to_string(decided()) + " of " +
              std::to_string(total()));
}

// --- results and exports -----------------------------------------------------------------

StudyResults studyResults(Database& database, const User& coordinator, std::int64_t study) {
    requireRole(database, coordinator, {Role::Coordinator}, "see study results");
    StudyResults results;
    results.study = loadStudy(database, study);
    const std::vector<StudyCase> cases = loadCases(database, study);
    std::map<std::int64_t, const StudyCase*> byId;
    std::vector<double> positives, negatives;
    bool allScored = true;
    for (const auto& c : cases) {
        byId[c.id] = &c;
        (c.malignant ? results.malignantCases : results.benignCases) += 1;
        if (!c.cnnScore)
            allScored = false;
        else
            (c.malignant ? positives : negatives).push_back(*c.cnnScore);
    }
    if (allScored && !positives.empty() && !negatives.empty())
        results.cnn = training::binaryMetrics(positives, negatives);

    Accounts accounts(database);
    const auto decisions = loadDecisions(database, study);
    for (std::size_t i = 0; i < decisions.size();) {
        const auto userId = decisions[i].userId;
        const Phase phase = decisions[i].phase;
        int tp = 0, fn = 0, tn = 0, fp = 0, mtp = 0, mfn = 0, mtn = 0, mfp = 0, answeredM = 0;
        std::vector<double> confPos, confNeg;
        int count = 0;
        for (; i < decisions.size() && decisions[i].userId == userId && decisions[i].phase == phase;
             ++i, ++count) {
            const auto& d = decisions[i];
            const bool truth = byId.at(d.caseId)->malignant;
            (truth ? (d.answer.biopsy ? tp : fn) : (d.answer.biopsy ? fp : tn)) += 1;
            if (d.answer.malignant) {
                ++answeredM;
                (truth ? (*d.answer.malignant ? mtp : mfn) : (*d.answer.malignant ? mfp : mtn)) +=
                    1;
            }
            if (d.answer.confidence)
                (truth ? confPos : confNeg).push_back(*d.answer.confidence);
        }
        ReaderResult r;
        r.reader = accounts.find(userId).value_or(User{userId, "?", Role::Reader, 0});
        r.phase = phase;
        r.decided = count;
        r.complete = count == static_cast<int>(cases.size());
        r.sensitivity = tp + fn > 0 ? double(tp) / (tp + fn) : 0.0;
        r.specificity = tn + fp > 0 ? double(tn) / (tn + fp) : 0.0;
        if (answeredM > 0 && mtp + mfn > 0 && mtn + mfp > 0) {
            r.malignancySensitivity = double(mtp) / (mtp + mfn);
            r.malignancySpecificity = double(mtn) / (mtn + mfp);
        }
        if (!confPos.empty() && !confNeg.empty()) {
            const auto metrics = training::binaryMetrics(confPos, confNeg);
            r.confidenceAuc = metrics.auc;
            r.confidenceRoc = metrics.roc;
        }
        if (results.cnn) {
            constexpr double kTolerance = 1e-12;
            r.belowCnnCurve = training::sensitivityAtSpecificity(results.cnn->roc, r.specificity) >
                              r.sensitivity + kTolerance;
        }
        results.readers.push_back(r);
    }
    std::stable_sort(results.readers.begin(), results.readers.end(),
                     [](const auto& a, const auto& b) { return a.phase < b.phase; });
    results.unaided = meanOf(results.readers, Phase::Unaided);
    if (results.study.spec.aiAssisted)
        results.aided = meanOf(results.readers, Phase::Aided);
    for (const auto& r : results.readers) {
        if (r.phase == Phase::Unaided && r.complete && r.belowCnnCurve)
            ++results.readersBelowCurve;
    }
    if (results.cnn && results.unaided.readers > 0) {
        results.cnnSensitivityAtMeanSpecificity =
            training::sensitivityAtSpecificity(results.cnn->roc, results.unaided.specificity);
    }
    audit(database, coordinator, "view results", "study " + std::to_string(study));
    return results;
}

void exportDecisionsCsv(Database& database, const User& coordinator, std::int64_t study,
                        const fs::path& file) {
    requireRole(database, coordinator, {Role::Coordinator}, "export study data");
    const std::vector<StudyCase> cases = loadCases(database, study);
    std::map<std::int64_t, const StudyCase*> byId;
    for (const auto& c : cases)
        byId[c.id] = &c;
    Accounts accounts(database);
    std::ostringstream out;
    out << "case,truth_malignant,cnn_score,reader,reader_experience_years,phase,biopsy,"
           "malignant,confidence,seconds,decided_at\n";
    for (const auto& d : loadDecisions(database, study)) {
        const StudyCase& c = *byId.at(d.caseId);
        const auto reader = accounts.find(d.userId);
        out << c.position << ',' << int(c.malignant) << ','
            << (c.cnnScore ? number(*c.cnnScore) : "") << ",R" << d.userId << ','
            << (reader ? reader->experienceYears : 0) << ',' << toString(d.phase) << ','
            << int(d.answer.biopsy) << ','
            << (d.answer.malignant ? std::to_string(int(*d.answer.malignant)) : "") << ','
            << (d.answer.confidence ? std::to_string(*d.answer.confidence) : "") << ','
            << number(d.seconds) << ',' << d.decidedAt << '\n';
    }
    engine::writeFileAtomically(file, out.str(), engine::FileAccess::OwnerOnly);
    audit(database, coordinator, "export decisions", "study " + std::to_string(study));
}

void exportImrmc(Database& database, const User& coordinator, std::int64_t study,
                 const fs::path& file) {
    requireRole(database, coordinator, {Role::Coordinator}, "export study data");
    const StudyInfo info = loadStudy(database, study);
    const std::vector<StudyCase> cases = loadCases(database, study);
    const auto decisions = loadDecisions(database, study);
    std::map<std::int64_t, int> positionOf;
    int malignant = 0;
    bool allScored = !cases.empty();
    for (const auto& c : cases) {
        positionOf[c.id] = c.position;
        malignant += c.malignant ? 1 : 0;
        allScored = allScored && c.cnnScore.has_value();
    }
    std::set<std::int64_t> readers;
    bool aided = false;
    for (const auto& d : decisions) {
        readers.insert(d.userId);
        aided = aided || d.phase == Phase::Aided;
    }
    const bool byConfidence = info.spec.askConfidence;
    std::ostringstream out;
    out << "dermreader reader study '" << info.spec.name << "' (" << describe(info.spec.task)
        << ")\n";
    out << "Scores: "
        << (byConfidence ? "confidence of malignancy 0-100" : "biopsy/treat = 1, reassure = 0")
        << (allScored ? "; reader CNN: the model's P(malignant)" : "") << "\n";
    out << "NR: " << readers.size() + (allScored ? 1 : 0) << "\n";
    out << "N0: " << cases.size() - static_cast<std::size_t>(malignant) << "\n";
    out << "N1: " << malignant << "\n";
    out << "NM: " << (aided ? 2 : 1) << "\n";
    out << "BEGIN DATA:\n";
    for (const auto& c : cases)
        out << "-1," << c.position << ",0," << int(c.malignant) << "\n";
    for (const auto& d : decisions) {
        const double score =
            byConfidence && d.answer.confidence ? *d.answer.confidence : double(d.answer.biopsy);
        out << 'R' << d.userId << ',' << positionOf.at(d.caseId) << ','
            << (d.phase == Phase::Aided ? "AIDED" : "UNAIDED") << ',' << number(score) << "\n";
    }
    if (allScored) {
        for (const auto& c : cases)
            out << "CNN," << c.position << ",UNAIDED," << number(*c.cnnScore) << "\n";
    }
    engine::writeFileAtomically(file, out.str(), engine::FileAccess::OwnerOnly);
    audit(database, coordinator, "export iMRMC", "study " + std::to_string(study));
}

}  // namespace dermreader::records
