#pragma once

#include <CLI/CLI.hpp>

namespace dermtool {

// `dermtool predict`, `embed`, `bench` and `import-weights`.
void addEngineCommands(CLI::App& app, int& exitCode);

}  // namespace dermtool
