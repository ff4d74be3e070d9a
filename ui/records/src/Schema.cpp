#include "dermreader/records/Schema.h"

namespace dermreader::records {

namespace {

// Version 1: the image library, accounts and the append-only audit log.
constexpr std::string_view kLibraryAccountsAudit = R"sql(
CREATE TABLE images(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    format TEXT NOT NULL DEFAULT '',
    width INTEGER NOT NULL DEFAULT 0,
    height INTEGER NOT NULL DEFAULT 0,
    modality TEXT NOT NULL DEFAULT 'unknown'
        CHECK (modality IN ('unknown', 'clinical', 'dermoscopic')),
    diagnosis_node TEXT,            -- taxonomy node id; NULL when the diagnosis is unknown
    diagnosis_label TEXT NOT NULL DEFAULT '',   -- as the source wrote it
    biopsy_proven INTEGER,          -- NULL when the source does not say
    lesion_group TEXT NOT NULL DEFAULT '',
    collection TEXT NOT NULL,       -- the folder or dataset it came from
    patient_id TEXT NOT NULL DEFAULT '',
    patient_name TEXT NOT NULL DEFAULT '',
    study_date TEXT NOT NULL DEFAULT '',
    study_uid TEXT NOT NULL DEFAULT '',
    study_description TEXT NOT NULL DEFAULT '',
    problem TEXT NOT NULL DEFAULT '',   -- why the file is not a usable image, if it is not
    added_at TEXT NOT NULL);
CREATE INDEX images_by_hash ON images(content_hash);
CREATE INDEX images_by_collection ON images(collection);

-- The last P(malignant) each model gave each image content, for filtering by risk.
CREATE TABLE image_risk(
    content_hash TEXT NOT NULL,
    model TEXT NOT NULL,
    malignant REAL NOT NULL,
    top_node TEXT NOT NULL DEFAULT '',
    computed_at TEXT NOT NULL,
    PRIMARY KEY (content_hash, model));

CREATE TABLE users(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('reader', 'coordinator', 'trainer')),
    experience_years INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT NOT NULL,    -- libsodium crypto_pwhash_str (Argon2id), never the password
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL);

CREATE TABLE audit_log(
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER,
    user_name TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '');
CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

// Version 2: reader studies. The case list and the reading orders freeze when a study
// opens, and recorded decisions are final: the schema itself refuses changes.
constexpr std::string_view kReaderStudies = R"sql(
CREATE TABLE studies(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    task TEXT NOT NULL CHECK (task IN ('epidermal', 'melanocytic', 'melanocytic_dermoscopic')),
    malignant_cases INTEGER NOT NULL,
    benign_cases INTEGER NOT NULL,
    biopsy_proven_only INTEGER NOT NULL,
    modality TEXT NOT NULL,
    seed INTEGER NOT NULL,
    ask_malignancy INTEGER NOT NULL,
    ask_confidence INTEGER NOT NULL,
    ai_assisted INTEGER NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'open', 'closed')),
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    opened_at TEXT);

CREATE TABLE study_cases(
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES studies(id),
    position INTEGER NOT NULL,
    image_path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    truth_node TEXT NOT NULL,
    malignant INTEGER NOT NULL,
    cnn_score REAL,
    UNIQUE (study_id, position));
CREATE TRIGGER study_cases_frozen_insert BEFORE INSERT ON study_cases
WHEN (SELECT state FROM studies WHERE id = NEW.study_id) != 'draft'
BEGIN SELECT RAISE(ABORT, 'the case list of an opened study is frozen'); END;
CREATE TRIGGER study_cases_frozen_update BEFORE UPDATE ON study_cases
WHEN (SELECT state FROM studies WHERE id = OLD.study_id) != 'draft'
BEGIN SELECT RAISE(ABORT, 'the case list of an opened study is frozen'); END;
CREATE TRIGGER study_cases_frozen_delete BEFORE DELETE ON study_cases
WHEN (SELECT state FROM studies WHERE id = OLD.study_id) != 'draft'
BEGIN SELECT RAISE(ABORT, 'the case list of an opened study is frozen'); END;

-- Each reader's randomised case order, stored so that a resumed session continues it.
CREATE TABLE reading_order(
    study_id INTEGER NOT NULL REFERENCES studies(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    ordinal INTEGER NOT NULL,
    case_id INTEGER NOT NULL REFERENCES study_cases(id),
    PRIMARY KEY (study_id, user_id, ordinal),
    UNIQUE (study_id, user_id, case_id));

CREATE TABLE decisions(
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES study_cases(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    phase TEXT NOT NULL CHECK (phase IN ('unaided', 'aided')),
    biopsy INTEGER NOT NULL CHECK (biopsy IN (0, 1)),
    malignant INTEGER CHECK (malignant IN (0, 1)),
    confidence INTEGER CHECK (confidence BETWEEN 0 AND 100),
    seconds REAL NOT NULL,
    decided_at TEXT NOT NULL,
    UNIQUE (case_id, user_id, phase));
CREATE TRIGGER decisions_are_final_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'a recorded decision cannot be changed'); END;
CREATE TRIGGER decisions_are_final_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'a recorded decision cannot be deleted'); END;
)sql";

// Version 3: the model registry and its activation history.
constexpr std::string_view kModelRegistry = R"sql(
CREATE TABLE models(
    id INTEGER PRIMARY KEY,
    bundle TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL DEFAULT '',
    taxonomy_digest TEXT NOT NULL,
    training TEXT NOT NULL DEFAULT '{}',
    metrics TEXT NOT NULL DEFAULT '{}',
    registered_at TEXT NOT NULL,
    registered_by INTEGER REFERENCES users(id));
CREATE TABLE model_activations(
    id INTEGER PRIMARY KEY,
    model_id INTEGER NOT NULL REFERENCES models(id),
    activated_at TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id));
)sql";

// Version 4: an image belongs to every folder and dataset it was added from (the images
// table's `collection` stays as the first one).
constexpr std::string_view kImageCollections = R"sql(
CREATE TABLE image_collections(
    image_id INTEGER NOT NULL REFERENCES images(id),
    collection TEXT NOT NULL,
    PRIMARY KEY (image_id, collection));
CREATE INDEX image_collections_by_name ON image_collections(collection);
INSERT INTO image_collections(image_id, collection) SELECT id, collection FROM images;
)sql";

// Version 5: tamper resistance (issue 14.8). INSERT OR REPLACE deleted a final row and wrote
// another in its place, around the update/delete triggers: inserts over an existing row are
// refused too. A study's state only moves forward, and what it was opened with stays. The
// audit log becomes a hash chain (each entry's SHA-256 covers the one before), verified on
// demand; entries from before the chain stay as they were.
constexpr std::string_view kTamperResistance = R"sql(
ALTER TABLE audit_log ADD COLUMN chain TEXT NOT NULL DEFAULT '';
CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER decisions_no_replace BEFORE INSERT ON decisions
WHEN EXISTS (SELECT 1 FROM decisions WHERE id = NEW.id OR
             (case_id = NEW.case_id AND user_id = NEW.user_id AND phase = NEW.phase))
BEGIN SELECT RAISE(ABORT, 'a recorded decision cannot be replaced'); END;
CREATE TRIGGER reading_order_no_replace BEFORE INSERT ON reading_order
WHEN EXISTS (SELECT 1 FROM reading_order WHERE study_id = NEW.study_id AND user_id = NEW.user_id
             AND (ordinal = NEW.ordinal OR case_id = NEW.case_id))
BEGIN SELECT RAISE(ABORT, 'a reading order cannot be changed'); END;
CREATE TRIGGER reading_order_final_update BEFORE UPDATE ON reading_order
BEGIN SELECT RAISE(ABORT, 'a reading order cannot be changed'); END;
CREATE TRIGGER reading_order_final_delete BEFORE DELETE ON reading_order
BEGIN SELECT RAISE(ABORT, 'a reading order cannot be changed'); END;
CREATE TRIGGER studies_state_moves_forward BEFORE UPDATE OF state ON studies
WHEN OLD.state = 'closed' OR (OLD.state = 'open' AND NEW.state = 'draft')
BEGIN SELECT RAISE(ABORT, 'a study''s state only moves forward: draft, open, closed'); END;
CREATE TRIGGER studies_frozen_when_opened BEFORE UPDATE ON studies
WHEN OLD.state != 'draft' AND (NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name OR
     NEW.task IS NOT OLD.task OR NEW.malignant_cases IS NOT OLD.malignant_cases OR
     NEW.benign_cases IS NOT OLD.benign_cases OR
     NEW.biopsy_proven_only IS NOT OLD.biopsy_proven_only OR NEW.modality IS NOT OLD.modality OR
     NEW.seed IS NOT OLD.seed OR NEW.ask_malignancy IS NOT OLD.ask_malignancy OR
     NEW.ask_confidence IS NOT OLD.ask_confidence OR NEW.ai_assisted IS NOT OLD.ai_assisted OR
     NEW.model IS NOT OLD.model OR NEW.created_by IS NOT OLD.created_by OR
     NEW.created_at IS NOT OLD.created_at)
BEGIN SELECT RAISE(ABORT, 'an opened study cannot be changed'); END;
CREATE TRIGGER studies_kept_when_opened BEFORE DELETE ON studies
WHEN OLD.state != 'draft'
BEGIN SELECT RAISE(ABORT, 'an opened study cannot be deleted'); END;
CREATE TRIGGER studies_no_replace BEFORE INSERT ON studies
WHEN EXISTS (SELECT 1 FROM studies WHERE (id = NEW.id OR name = NEW.name) AND state != 'draft')
BEGIN SELECT RAISE(ABORT, 'an opened study cannot be replaced'); END;
)sql";

// Version 6: lesion follow-up (issue 16.3). A lesion is a patient's labelled spot; each image
// shows at most one. Links come from the records (DICOM Patient ID with the Lesion Number or a
// dataset's lesion group: 'automatic') or from a person, whose link a later import never
// overrides.
constexpr std::string_view kLesions = R"sql(
CREATE TABLE lesions(
    id INTEGER PRIMARY KEY,
    patient_id TEXT NOT NULL CHECK (patient_id != ''),
    label TEXT NOT NULL CHECK (label != ''),
    created_at TEXT NOT NULL,
    UNIQUE (patient_id, label));
CREATE TABLE image_lesions(
    image_id INTEGER PRIMARY KEY REFERENCES images(id),
    lesion_id INTEGER NOT NULL REFERENCES lesions(id),
    assigned_by TEXT NOT NULL,      -- 'automatic', or who linked it by hand
    assigned_at TEXT NOT NULL);
CREATE INDEX image_lesions_by_lesion ON image_lesions(lesion_id);
)sql";

}  // namespace

const std::vector<Migration>& workstationMigrations() {
    static const std::vector<Migration> migrations = {
        {1, "image library, accounts, audit log", kLibraryAccountsAudit},
        {2, "reader studies", kReaderStudies},
        {3, "model registry", kModelRegistry},
        {4, "images in several collections", kImageCollections},
        {5, "tamper resistance", kTamperResistance},
        {6, "lesion follow-up", kLesions},
    };
    return migrations;
}

Database openWorkstationDatabase(const std::filesystem::path& path, int upToVersion) {
    if (upToVersion < 0)
        return Database::open(path, workstationMigrations());
    std::vector<Migration> subset;
    for (const Migration& migration : workstationMigrations()) {
        if (migration.version <= upToVersion)
            subset.push_back(migration);
    }
    return Database::open(path, subset);
}

}  // namespace dermreader::records
