#pragma once
// Where the installed or built program finds its shared resources (default model, samples).

#include <filesystem>
#include <optional>

namespace dermreader::engine {

// The default model bundle: $DERMREADER_MODEL, else <prefix>/share/dermreader/models/default
// next to the running executable, else resources/models/default in the source tree the
// program was built from. Nothing if none of these holds a manifest.
std::optional<std::filesystem::path> defaultModelBundle();

// The folder of bundled resources (samples, models), found the same way.
std::optional<std::filesystem::path> resourceDirectory();

}  // namespace dermreader::engine
