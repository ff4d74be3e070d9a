#pragma once
// The file names of library images, in order, for comparing query results in tests.

#include <QStringList>
#include <vector>

#include "dermreader/records/ImageLibrary.h"

namespace testdata {

inline QStringList fileNames(const std::vector<dermreader::records::LibraryImage>& images) {
    QStringList result;
    for (const auto& image : images)
        result << QString::fromStdString(image.path.filename().string());
    return result;
}

}  // namespace testdata
