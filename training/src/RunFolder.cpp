#include "dermreader/training/RunFolder.h"

namespace dermreader::training {
namespace fs = std::filesystem;

bool RunFolder::started() const {
    std::error_code error;
    return fs::exists(identityFile(), error);
}

std::optional<fs::path> RunFolder::completeCheckpoint() const {
    for (const fs::path& dir : {checkpoint(), partialCheckpoint(), oldCheckpoint()}) {
        std::error_code error;
        if (fs::exists(stateFile(dir), error))
            return dir;
    }
    return std::nullopt;
}

}  // namespace dermreader::training
