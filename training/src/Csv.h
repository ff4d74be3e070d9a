#pragma once
// A small RFC 4180 CSV reader (quoted fields, doubled quotes, CRLF, UTF-8 BOM). Hand-written
// because the LibTorch-only build must not need more than the C++ standard library.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dermreader::training::detail {

struct CsvRow {
    int line = 0;  // 1-based line where the row starts
    std::vector<std::string> fields;
};

class CsvError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Parses a whole document; throws CsvError (naming `sourceName` and the line) on an
// unterminated quote or a stray quote inside an unquoted field. Blank lines are skipped.
std::vector<CsvRow> parseCsv(std::string_view text, const std::string& sourceName);
std::vector<CsvRow> readCsvFile(const std::filesystem::path& path);

}  // namespace dermreader::training::detail
