#pragma once

#include <CLI/CLI.hpp>

namespace dermtool {

// `dermtool taxonomy show|info|check|partition`.
void addTaxonomyCommands(CLI::App& app);

}  // namespace dermtool
