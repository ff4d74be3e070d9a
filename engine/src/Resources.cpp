#include "dermreader/engine/Resources.h"

#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace dermreader::engine {
namespace fs = std::filesystem;

namespace {

fs::path executableDirectory() {
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : exe.parent_path();
}

std::vector<fs::path> candidateResourceDirs() {
    std::vector<fs::path> dirs;
    const fs::path exeDir = executableDirectory();
    if (!exeDir.empty())
        dirs.push_back(exeDir.parent_path() / "share" / "dermreader");
#ifdef DERMREADER_SOURCE_RESOURCES
    dirs.emplace_back(DERMREADER_SOURCE_RESOURCES);
#endif
    return dirs;
}

}  // namespace

std::optional<fs::path> resourceDirectory() {
    if (const char* env = std::getenv("DERMREADER_RESOURCES"); env && *env)
        return fs::path(env);
    for (const auto& dir : candidateResourceDirs()) {
        if (fs::is_directory(dir))
            return dir;
    }
    return std::nullopt;
}

std::optional<fs::path> defaultModelBundle() {
    if (const char* env = std::getenv("DERMREADER_MODEL"); env && *env)
        return fs::path(env);
    for (const auto& dir : candidateResourceDirs()) {
        const fs::path bundle = dir / "models" / "default";
        if (fs::is_regular_file(bundle / "manifest.json"))
            return bundle;
    }
    return std::nullopt;
}

}  // namespace dermreader::engine
