#pragma once
// Where dermtool finds labelled data: explicit --dataset FORMAT=PATH options, or the shared
// development datasets under a data root.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dermreader/training/Dataset.h"

namespace dermtool {

struct DatasetSpec {
    dermreader::training::DatasetFormat format;
    std::filesystem::path path;
};

// "ham10000=/data/HAM10000_metadata.csv"; a spec without "FORMAT=" is auto-detected.
DatasetSpec parseDatasetSpec(const std::string& text);

// --data-root, else $DERMREADER_DATA, else ./../shared/data, else the build's default.
std::filesystem::path findDataRoot(const std::string& explicitRoot);

// The training sets of the shared data: HAM10000, ISIC 2017 training, PAD-UFES-20.
std::vector<DatasetSpec> sharedTrainingSets(const std::filesystem::path& dataRoot);

// Images labelled at each taxonomy node over all `specs` (each imported strictly); reports
// each dataset's count on stderr.
std::vector<std::int64_t> countImagesPerNode(const dermreader::taxonomy::Taxonomy& taxonomy,
                                             const std::vector<DatasetSpec>& specs);

}  // namespace dermtool
