#include "dermreader/workstation/DatabaseConnections.h"

#include "dermreader/records/Schema.h"

namespace dermreader::workstation {

DatabaseConnections::DatabaseConnections(QString path) : path_(std::move(path)) {}

DatabaseConnections::~DatabaseConnections() = default;

records::Database& DatabaseConnections::forThisThread() {
    if (path_.isEmpty())
        throw records::DatabaseError("no workstation database is configured");
    const auto thread = std::this_thread::get_id();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (auto it = connections_.find(thread); it != connections_.end())
            return *it->second;
    }
    // Opened outside the lock: another thread's first open (a migration) may take a while.
    auto connection =
        std::make_unique<records::Database>(records::openWorkstationDatabase(path_.toStdString()));
    std::lock_guard<std::mutex> lock(mutex_);
    return *connections_.emplace(thread, std::move(connection)).first->second;
}

int DatabaseConnections::openConnections() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(connections_.size());
}

}  // namespace dermreader::workstation
