#pragma once
// Where tests find the shared labelled data: $DERMREADER_DATA, else the folder CMake was
// told about (../shared/data beside the project). Tests that need it skip without it.

#include <QtGlobal>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace testdata {

inline std::filesystem::path sharedDataRoot() {
    if (const char* env = std::getenv("DERMREADER_DATA"); env && *env)
        return env;
    return DERMREADER_TEST_DATA_DIR;
}

inline bool haveSharedData() {
    return std::filesystem::is_regular_file(sharedDataRoot() / "ham10000" /
                                            "HAM10000_metadata.csv");
}

}  // namespace testdata

// Skips the current test function when the shared data folder is absent.
#define REQUIRE_SHARED_DATA()                                                            \
    do {                                                                                 \
        if (!testdata::haveSharedData())                                                 \
            QSKIP(qPrintable(                                                            \
                QStringLiteral("shared data not found at %1 (set DERMREADER_DATA)")      \
                    .arg(QString::fromStdString(testdata::sharedDataRoot().string())))); \
    } while (0)
