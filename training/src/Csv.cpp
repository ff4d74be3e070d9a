#include "Csv.h"

#include <fstream>
#include <sstream>

namespace dermreader::training::detail {

std::vector<CsvRow> parseCsv(std::string_view text, const std::string& sourceName) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF")
        text.remove_prefix(3);
    std::vector<CsvRow> rows;
    CsvRow row;
    std::string field;
    bool inQuotes = false, fieldWasQuoted = false, rowHasContent = false;
    int line = 1;
    row.line = 1;

    auto endField = [&] {
        row.fields.push_back(std::move(field));
        field.clear();
        fieldWasQuoted = false;
    };
    auto endRow = [&] {
        endField();
        const bool blank = row.fields.size() == 1 && row.fields[0].empty() && !rowHasContent;
        if (!blank)
            rows.push_back(std::move(row));
        row = CsvRow{};
        row.line = line;
        rowHasContent = false;
    };
    auto fail = [&](const std::string& what) {
        throw CsvError(sourceName + ":" + std::to_string(line) + ": " + what);
    };

    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inQuotes) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    inQuotes = false;
                }
            } else {
                if (c == '\n')
                    ++line;
                field += c;
            }
            continue;
        }
        switch (c) {
            case ',':
                endField();
                rowHasContent = true;
                break;
            case '\r':
                if (i + 1 < text.size() && text[i + 1] == '\n')
                    break;
                ++line;
                endRow();
                break;
            case '\n':
                ++line;
                endRow();
                break;
            case '"':
                if (!field.empty() || fieldWasQuoted)
                    fail("stray quote inside a field");
                inQuotes = true;
                fieldWasQuoted = true;
                rowHasContent = true;
                break;
            default:
                if (fieldWasQuoted)
                    fail("text after a closing quote");
                field += c;
                rowHasContent = true;
        }
    }
    if (inQuotes)
        fail("quoted field is not closed before the end of the file");
    if (rowHasContent || !field.empty())
        endRow();
    return rows;
}

std::vector<CsvRow> readCsvFile(const std::filesystem::path& path) {
    std::error_code error;
    if (std::filesystem::exists(path, error) && !std::filesystem::is_regular_file(path, error))
        throw CsvError(path.string() + ": not a regular file");  // a FIFO would block
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw CsvError(path.string() + ": cannot open file");
    std::ostringstream content;
    content << in.rdbuf();
    const std::string text = content.str();
    if (text.find('\0') != std::string::npos) {
        throw CsvError(path.string() + ": not a text file (contains NUL bytes)");
    }
    return parseCsv(text, path.string());
}

}  // namespace dermreader::training::detail
