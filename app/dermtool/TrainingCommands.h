#pragma once

#include <CLI/CLI.hpp>

namespace dermtool {

// `dermtool pack`, `split`, `train` and `evaluate`.
void addTrainingCommands(CLI::App& app);

}  // namespace dermtool
