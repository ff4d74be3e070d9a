#pragma once
// A workstation session for tests: a database file (or none), a model bundle for the session
// (or none) and no embedded default, so a test sees exactly the model it names.

#include <QString>
#include <memory>

#include "dermreader/taxonomy/Taxonomy.h"
#include "dermreader/workstation/WorkstationSession.h"

namespace testdata {

inline std::unique_ptr<dermreader::workstation::WorkstationSession> makeSession(
    const QString& database, const QString& model = {}) {
    dermreader::workstation::SessionOptions options;
    options.databasePath = database;
    options.sessionModel = model;
    options.embeddedDefaultModel = QString();
    return std::make_unique<dermreader::workstation::WorkstationSession>(
        dermreader::taxonomy::Taxonomy::builtin(), options);
}

}  // namespace testdata
