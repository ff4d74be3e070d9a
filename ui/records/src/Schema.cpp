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

}  // namespace

const std::vector<Migration>& workstationMigrations() {
    static const std::vector<Migration> migrations = {
        {1, "image library, accounts, audit log", kLibraryAccountsAudit},
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
