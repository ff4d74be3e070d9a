#pragma once
// Anonymised exports give everyone the same placeholder patient ID: such an ID names no patient
// (no "related" images, no lesions). One list, for C++ and for SQL.

#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>

namespace dermreader::records::detail {

inline constexpr const char* kPlaceholderPatientIds[] = {"",        "0",    "ANONYMOUS", "ANON",
                                                         "UNKNOWN", "NONE", "NA",        "N/A"};

// Case-insensitive.
inline bool namesAPatient(std::string id) {
    std::transform(id.begin(), id.end(), id.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return std::none_of(std::begin(kPlaceholderPatientIds), std::end(kPlaceholderPatientIds),
                        [&](const char* placeholder) { return id == placeholder; });
}

// An SQL condition: `column` names a patient.
inline std::string namesAPatientSql(const std::string& column) {
    std::string list;
    for (const char* placeholder : kPlaceholderPatientIds)
        list += (list.empty() ? "'" : ", '") + std::string(placeholder) + "'";
    return "upper(" + column + ") NOT IN (" + list + ")";
}

}  // namespace dermreader::records::detail
