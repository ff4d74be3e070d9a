#include "DataSources.h"

#include <cstdlib>
#include <iostream>
#include <stdexcept>

namespace dermtool {
namespace fs = std::filesystem;
using dermreader::training::DatasetFormat;

DatasetSpec parseDatasetSpec(const std::string& text) {
    const auto equals = text.find('=');
    if (equals != std::string::npos) {
        const auto format = dermreader::training::parseDatasetFormat(text.substr(0, equals));
        if (!format) {
            throw std::runtime_error("unknown dataset format '" + text.substr(0, equals) +
                                     "' (use folder, ham10000, isic2017, pad-ufes-20 or csv)");
        }
        return {*format, text.substr(equals + 1)};
    }
    const auto format = dermreader::training::detectDatasetFormat(text);
    if (!format) {
        throw std::runtime_error("cannot tell the format of dataset '" + text +
                                 "'; write it as FORMAT=PATH");
    }
    return {*format, text};
}

fs::path findDataRoot(const std::string& explicitRoot) {
    if (!explicitRoot.empty())
        return explicitRoot;
    if (const char* env = std::getenv("DERMREADER_DATA"); env && *env)
        return env;
    if (fs::is_directory("../shared/data"))
        return fs::absolute("../shared/data");
    return DERMREADER_DEFAULT_DATA_DIR;
}

std::vector<DatasetSpec> sharedTrainingSets(const fs::path& dataRoot) {
    if (!fs::is_directory(dataRoot)) {
        throw std::runtime_error("no data folder at '" + dataRoot.string() +
                                 "'; give --data-root or --dataset FORMAT=PATH");
    }
    return {{DatasetFormat::Ham10000, dataRoot / "ham10000"},
            {DatasetFormat::Isic2017, dataRoot / "isic2017" / "training"},
            {DatasetFormat::PadUfes20, dataRoot / "pad-ufes20"}};
}

std::vector<std::int64_t> countImagesPerNode(const dermreader::taxonomy::Taxonomy& taxonomy,
                                             const std::vector<DatasetSpec>& specs) {
    std::vector<std::int64_t> counts(taxonomy.size(), 0);
    for (const auto& spec : specs) {
        const auto dataset = dermreader::training::importDataset(spec.path, spec.format, taxonomy);
        const auto perNode = dataset.countsPerNode(taxonomy);
        for (std::size_t i = 0; i < counts.size(); ++i)
            counts[i] += perNode[i];
        std::cerr << "counted " << dataset.images.size() << " images of " << dataset.name << " ("
                  << spec.path.string() << ")\n";
    }
    return counts;
}

}  // namespace dermtool
