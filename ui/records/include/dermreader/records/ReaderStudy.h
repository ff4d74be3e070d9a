#pragma once
// Reader studies (the paper's Fig. 3): a coordinator freezes a set of biopsy-proven cases for
// one binary task, readers decide "biopsy/treat" or "reassure" on each, blinded, in their own
// randomised order, and the results set every reader against the CNN's ROC curve.
//
// Durability: every decision is committed (WAL, synchronous=FULL) before record() returns,
// so the UI may show the next case only after that; a killed process loses nothing it
// acknowledged and resumes at the first case without a decision.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dermreader/engine/Image.h"
#include "dermreader/engine/Predictor.h"
#include "dermreader/records/Accounts.h"
#include "dermreader/records/Database.h"
#include "dermreader/taxonomy/Taxonomy.h"
#include "dermreader/training/Evaluation.h"

namespace dermreader::records {

enum class StudyTask { Epidermal, Melanocytic, MelanocyticDermoscopic };
std::string_view toString(StudyTask task);
std::optional<StudyTask> parseStudyTask(std::string_view text);
// "keratinocyte carcinoma vs seborrheic keratosis", ...
std::string describe(StudyTask task);

// Which side of the task a diagnosis falls on: true malignant, false benign, nullopt when the
// diagnosis is not part of the task (e.g. an actinic keratosis in the epidermal task).
std::optional<bool> taskTruth(StudyTask task, const taxonomy::Taxonomy& taxonomy,
                              taxonomy::NodeIndex node);

// The CNN's score for a task: P(malignant | lineage) per the paper's binary tasks, or
// P(malignant) when the model has no class of that lineage.
double cnnScore(StudyTask task, const engine::Prediction& prediction);

enum class StudyState { Draft, Open, Closed };
std::string_view toString(StudyState state);
enum class Phase { Unaided, Aided };
std::string_view toString(Phase phase);

struct StudySpec {
    std::string name;
    StudyTask task = StudyTask::Melanocytic;
    int malignantCases = 33;
    int benignCases = 97;
    bool biopsyProvenOnly = true;
    // Modality the cases must have; by default clinical for the first two tasks and
    // dermoscopic for the dermoscopy task.
    std::optional<engine::ImageModality> modality;
    std::uint64_t seed = 1;
    bool askMalignancy = false;  // the paper's alternative question: malignant or benign
    bool askConfidence = false;  // 0-100, which gives every reader an ROC curve of their own
    bool aiAssisted = false;     // a second, AI-assisted decision after each unaided one
};

// An image that may become a case (typically from the image library).
struct StudyCandidate {
    std::filesystem::path path;
    std::string contentHash;
    std::string diagnosisNode;
    engine::ImageModality modality = engine::ImageModality::Unknown;
    std::optional<bool> biopsyProven;
    std::string lesionGroup;  // at most one image per lesion becomes a case
};

// How many cases a study of `spec` could draw from `candidates` (one per content and per
// lesion, its modality, biopsy-proven if asked): what the new-study dialog offers.
struct EligibleCounts {
    int malignant = 0, benign = 0;
};
EligibleCounts countEligible(const StudySpec& spec, const std::vector<StudyCandidate>& candidates,
                             const taxonomy::Taxonomy& taxonomy);

struct StudyCase {
    std::int64_t id = 0;
    int position = 0;  // 1..N, the case number in exports
    std::filesystem::path path;
    std::string contentHash;
    std::string truthNode;
    bool malignant = false;
    std::optional<double> cnnScore;  // P(malignant | lineage) from the study's model
};

struct StudyInfo {
    std::int64_t id = 0;
    StudySpec spec;
    StudyState state = StudyState::Draft;
    std::string model;  // the model that scored the cases
    std::string createdAt;
};

struct ReaderProgress {
    User reader;
    int decided = 0;  // decisions recorded (both phases in assisted studies)
    int total = 0;
};

struct Answer {
    bool biopsy = false;  // biopsy/treat (true) or reassure (false)
    std::optional<bool> malignant;
    std::optional<int> confidence;  // 0-100, that the lesion is malignant
};

struct CaseToRead {
    std::int64_t caseId = 0;
    int ordinal = 0;  // 1-based place in this reader's order
    int total = 0;
    Phase phase = Phase::Unaided;
    std::filesystem::path path;
    std::optional<double> cnnScore;  // only in the AI-assisted phase
    std::optional<Answer> unaided;   // the reader's own first answer, in the assisted phase
};

class ReaderStudies {
  public:
    ReaderStudies(Database& database, const taxonomy::Taxonomy& taxonomy)
        : database_(database), taxonomy_(taxonomy) {}

    // Coordinator only. Selects the cases (seeded, one per lesion, the task's classes, the
    // modality, biopsy-proven if asked) and stores them as a draft. Throws
    // std::invalid_argument when there are too few candidates, saying how many there are.
    std::int64_t create(const User& coordinator, const StudySpec& spec,
                        const std::vector<StudyCandidate>& candidates);
    // Coordinator only, while a draft: the model's scores for the cases.
    void setCnnScores(const User& coordinator, std::int64_t study, const std::string& model,
                      const std::vector<std::pair<std::int64_t, double>>& scores);
    // Coordinator only. Freezes the case list (the schema refuses changes afterwards).
    void open(const User& coordinator, std::int64_t study);
    void close(const User& coordinator, std::int64_t study);
    // Coordinator only. Gives the reader a randomised order of the cases (seeded by the study
    // seed and the reader), stored so a resumed session continues the same order.
    void addReader(const User& coordinator, std::int64_t study, std::int64_t readerId);

    StudyInfo info(std::int64_t study) const;
    // Coordinators see every study; readers the open studies they are assigned to.
    std::vector<StudyInfo> studiesFor(const User& user) const;
    // Coordinator only: the cases with their truth.
    std::vector<StudyCase> cases(const User& coordinator, std::int64_t study) const;
    std::vector<ReaderProgress> progress(const User& coordinator, std::int64_t study) const;

  private:
    void requireDraft(std::int64_t study) const;
    Database& database_;
    const taxonomy::Taxonomy& taxonomy_;
};

// One reader reading one study. Opening checks that the study is open and the reader is
// assigned to it; a user can only open their own session.
class ReaderSession {
  public:
    ReaderSession(Database& database, const User& reader, std::int64_t study);

    const StudyInfo& study() const { return study_; }
    // The first case in this reader's order still lacking a decision (the unaided one first,
    // then the assisted one), or nothing when the reader is done.
    std::optional<CaseToRead> next() const;
    // Validates the answer against the study's questions and commits it with an audit entry
    // before returning. A case already decided in that phase is refused.
    void record(const CaseToRead& item, const Answer& answer, double secondsOnCase);
    int decided() const;
    int total() const;
    void pause();  // audited; the next session resumes at next()

  private:
    Database& database_;
    User reader_;
    StudyInfo study_;
};

struct ReaderResult {
    User reader;
    Phase phase = Phase::Unaided;
    bool complete = false;  // decided every case in this phase
    int decided = 0;
    double sensitivity = 0, specificity = 0;  // biopsy/treat counts as positive
    std::optional<double> malignancySensitivity, malignancySpecificity;
    std::optional<double> confidenceAuc;  // when confidence was asked
    // The reader's own ROC curve from the confidence ratings (when asked), as the CNN's:
    // from (0 sensitivity, 1 specificity) upwards.
    std::vector<training::RocPoint> confidenceRoc;
    bool belowCnnCurve = false;  // the CNN beats this reader's operating point
};

struct MeanPoint {
    int readers = 0;
    double sensitivity = 0, specificity = 0;
    double sensitivitySd = 0, specificitySd = 0;  // one standard deviation across readers
};

struct StudyResults {
    StudyInfo study;
    int malignantCases = 0, benignCases = 0;
    std::optional<training::BinaryMetrics> cnn;  // ROC, AUC and its 95% CI
    std::vector<ReaderResult> readers;           // unaided, then aided
    MeanPoint unaided;
    std::optional<MeanPoint> aided;
    int readersBelowCurve = 0;  // complete unaided readers below the CNN's curve
    std::optional<double> cnnSensitivityAtMeanSpecificity;
};

// Whether a study's cases may be in a model's training data, by the bundle's list of training
// image ids (a case's id is its file name without extension, as the datasets name images).
struct TrainingOverlap {
    bool listed = false;  // the bundle lists its training images; otherwise nothing is known
    int cases = 0;        // cases checked
    std::vector<std::string> overlapping;  // image ids of cases the model was trained on
};
TrainingOverlap trainingOverlap(const std::vector<StudyCase>& cases,
                                const std::filesystem::path& bundle);

// Coordinator only.
StudyResults studyResults(Database& database, const User& coordinator, std::int64_t study);
// Coordinator only; no patient identifiers (cases by number, readers by pseudonym R<id>).
void exportDecisionsCsv(Database& database, const User& coordinator, std::int64_t study,
                        const std::filesystem::path& file);
// The FDA iMRMC tool's input format: a header with NR, N0, N1, NM, then "BEGIN DATA:" and
// rows "reader,case,modality,score"; truth rows use reader -1 and modality 0. Readers score
// with their confidence when it was asked, else with their biopsy decision (0/1); the CNN is
// an extra reader "CNN" scoring with its probability in modality UNAIDED.
void exportImrmc(Database& database, const User& coordinator, std::int64_t study,
                 const std::filesystem::path& file);

}  // namespace dermreader::records
