#pragma once
// PNG plots of an evaluation: ROC curves and confusion matrices (full build only, OpenCV).

#include <filesystem>

#include "dermreader/training/Evaluation.h"

namespace dermreader::training::detail {

// roc_<task>.png and confusion_level1.png / confusion_level2.png in `dir`.
void writePlots(const EvaluationReport& report, const std::filesystem::path& dir,
                const taxonomy::Taxonomy& taxonomy);

}  // namespace dermreader::training::detail
