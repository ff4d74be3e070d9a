#include "DataSources.h"

#include <cstdlib>
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

}  // namespace dermtool
