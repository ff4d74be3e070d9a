#pragma once
// The layout of a training run folder, in one place for the trainer, `dermtool` and the admin
// panel:
//   run.json                  the run's identity (data, classes, settings): a resume must match
//   checkpoint/               the last completed epoch (state.json written last); during a save
//                             also checkpoint.partial/ and checkpoint.old/
//   epoch-N/                  validation report of epoch N
//   model-last/, model-best/  model bundles (the best by validation score)
// and of the admin panel's workspace around it: data.drpack (the packed images) and run/.

#include <filesystem>
#include <optional>

namespace dermreader::training {

struct RunFolder {
    std::filesystem::path root;

    std::filesystem::path identityFile() const { return root / "run.json"; }
    std::filesystem::path checkpoint() const { return root / "checkpoint"; }
    std::filesystem::path partialCheckpoint() const { return root / "checkpoint.partial"; }
    std::filesystem::path oldCheckpoint() const { return root / "checkpoint.old"; }
    // A checkpoint folder's state file; present only in a complete checkpoint.
    static std::filesystem::path stateFile(const std::filesystem::path& checkpointDir) {
        return checkpointDir / "state.json";
    }
    static std::filesystem::path modelFile(const std::filesystem::path& checkpointDir) {
        return checkpointDir / "model.safetensors";
    }
    static std::filesystem::path optimizerFile(const std::filesystem::path& checkpointDir) {
        return checkpointDir / "optimizer.safetensors";
    }
    std::filesystem::path epochReport(int epoch) const {  // 1-based
        return root / ("epoch-" + std::to_string(epoch));
    }
    std::filesystem::path lastModel() const { return root / "model-last"; }
    std::filesystem::path bestModel() const { return root / "model-best"; }

    // A run was started here (its identity is written): it can be resumed, not restarted.
    bool started() const;
    // The complete checkpoint to resume from (a crash mid-save leaves one of the three).
    std::optional<std::filesystem::path> completeCheckpoint() const;
};

// The admin panel's folder for one training job: the packed dataset and the run.
struct TrainingWorkspace {
    std::filesystem::path root;

    std::filesystem::path pack() const { return root / "data.drpack"; }
    RunFolder run() const { return {root / "run"}; }
};

}  // namespace dermreader::training
