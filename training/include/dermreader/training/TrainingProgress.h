#pragma once
// The progress protocol between `dermtool pack|train --progress json` and whoever runs them
// (the admin panel, scripts): one JSON object per line on stdout. This struct is the contract;
// both sides go through toJsonLine/parseProgressLine, so a field is spelled in one place.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dermreader/training/Statistics.h"

namespace dermreader::training {

struct ValidationSummary {
    int images = 0;
    std::optional<double> loss;
    std::optional<double> meanClassAccuracy;  // second level (the 9 classes)
    std::vector<BinaryMetrics> binary;        // without ROC points (they stay in the files)
};

struct ProgressMessage {
    // Pack: images packed (`done` of `total`). Preparing: batch-norm re-estimation, batch
    // `step` of `steps`. Step: a training step. Epoch: an epoch ended (with validation).
    enum class Kind { Pack, Preparing, Step, Epoch, Finished, Cancelled } kind = Kind::Step;
    long done = 0, total = 0;
    int epoch = 0, epochs = 0;  // 1-based
    int step = 0, steps = 0;    // 1-based, within the epoch
    double loss = 0;            // running mean over the epoch so far
    double learningRate = 0;
    double imagesPerSecond = 0;
    double etaSeconds = 0;  // for the whole run
    std::optional<ValidationSummary> validation;
    std::string bundle;  // Epoch/Finished: the latest model bundle

    // Steps done in the whole run, counting `step` of `epoch`.
    long stepsDone() const { return static_cast<long>(epoch - 1) * steps + step; }
};

std::string toString(ProgressMessage::Kind kind);

// One line, without the newline.
std::string toJsonLine(const ProgressMessage& message);
// A protocol line, or nothing for other output (e.g. a "wrote ..." summary) or a malformed line.
std::optional<ProgressMessage> parseProgressLine(std::string_view line);

}  // namespace dermreader::training
