#pragma once
// The workstation database's connections: one per thread, opened on first use from one path
// (SQLite connections must not be shared between threads; WAL lets them read while one
// writes). Windows and jobs ask for "this thread's" connection instead of opening their own.

#include <QString>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "dermreader/records/Database.h"

namespace dermreader::workstation {

class DatabaseConnections {
  public:
    // `path` empty: no database (folder browsing only); forThisThread() throws.
    explicit DatabaseConnections(QString path);
    ~DatabaseConnections();
    DatabaseConnections(const DatabaseConnections&) = delete;
    DatabaseConnections& operator=(const DatabaseConnections&) = delete;

    QString path() const { return path_; }
    bool configured() const { return !path_.isEmpty(); }
    // The calling thread's connection, opened (and the schema migrated) on first use.
    // Throws records::DatabaseError naming the file and the problem.
    records::Database& forThisThread();
    int openConnections() const;

  private:
    QString path_;
    mutable std::mutex mutex_;
    std::map<std::thread::id, std::unique_ptr<records::Database>> connections_;
};

}  // namespace dermreader::workstation
