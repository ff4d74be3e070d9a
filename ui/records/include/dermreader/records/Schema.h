#pragma once
// The workstation's database: one SQLite file holding the image library, user accounts, the
// audit log and reader studies. Its schema grows by numbered migrations, never by editing an
// applied one, so any older file upgrades in place without losing what it holds.

#include <filesystem>
#include <vector>

#include "dermreader/records/Database.h"

namespace dermreader::records {

// Every migration, oldest first. Version N of the schema is migrations 1..N.
const std::vector<Migration>& workstationMigrations();

// Opens the workstation database, upgraded to the newest schema; `upToVersion` stops
// earlier (tests build old-schema files with it).
Database openWorkstationDatabase(const std::filesystem::path& path, int upToVersion = -1);

}  // namespace dermreader::records
