#pragma once
// Fine-tuning Inception v3 with the paper's recipe (Esteva et al. 2017, Methods): training
// classes from the partition algorithm, cross-entropy plus the auxiliary head's loss, random
// rotation + largest inscribed crop + vertical flip, RMSProp (lr 0.001, decay 0.9, momentum
// 0.9, epsilon 0.1) with the learning rate divided by 16 every 30 epochs. A checkpoint every
// epoch; a resumed run continues exactly. No torch in this header.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dermreader/engine/Predictor.h"
#include "dermreader/training/Distributed.h"
#include "dermreader/training/Evaluation.h"
#include "dermreader/training/PackedDataset.h"

namespace dermreader::training {

struct TrainingConfig {
    std::string name = "dermreader model";
    std::int64_t maxClassSize = 1000;
    int epochs = 60;
    int batchSize = 32;
    double learningRate = 0.001;
    double rmsDecay = 0.9;
    double momentum = 0.9;
    double epsilon = 0.1;
    int learningRateDecayEpochs = 30;  // divide the rate by learningRateDecayFactor this often
    double learningRateDecayFactor = 16.0;
    double auxLossWeight = 0.4;  // Inception v3's auxiliary classifier weight
    int inputSize = 299;
    bool augment = true;
    std::uint64_t seed = 0;
    int maxStepsPerEpoch = 0;  // 0: the whole training set every epoch
    std::string initBundle;    // start from this bundle's backbone (e.g. ImageNet); empty: scratch
    // Fine-tuning from an init: the blocks up to and including this one (e.g. "Mixed_6e") keep
    // their weights and batch-norm statistics; empty: every layer trains.
    std::string freezeThrough;
    // Before the first step, every batch norm's statistics are re-estimated on this many
    // training images (resized, not augmented): an init's statistics describe its own domain.
    int batchNormImages = 0;
    int warmupSteps = 0;   // the learning rate rises linearly over this many first steps
    double dropout = 0.5;  // before the classifier (Inception v3's)
    engine::DevicePreference device = engine::DevicePreference::Auto;
    bool cudaBFloat16 = false;  // bf16 autocast on CUDA
    int cpuThreads = 0;
};

double scheduledLearningRate(const TrainingConfig& config, int epoch);

// Inception v3's blocks in forward order, the names --freeze-through takes ("Conv2d_1a_3x3" ...
// "Mixed_7c").
const std::vector<std::string>& inceptionBlockNames();

struct TrainingEvent {
    // Preparing: batch-norm re-estimation before the first step (batch `step` of `steps`).
    enum class Kind { Preparing, Step, Epoch, Finished, Cancelled } kind = Kind::Step;
    int epoch = 0, epochs = 0;  // 0-based epoch
    int step = 0, steps = 0;    // within the epoch
    double loss = 0;            // running mean over the epoch so far
    double learningRate = 0;
    double imagesPerSecond = 0;
    double etaSeconds = 0;                       // for the whole run
    std::optional<EvaluationReport> validation;  // Epoch events
    std::filesystem::path bundle;                // Epoch/Finished: the latest model bundle
};
using TrainingObserver = std::function<void(const TrainingEvent&)>;

class Trainer {
  public:
    // `train` and `validation` index into `pack`. Throws std::runtime_error for an empty
    // training set or a run folder made for other data or settings.
    // With a distributed `group`, this process is one rank of a data-parallel run
    // (Distributed.h): config.batchSize images per rank and step; only rank 0 writes the run
    // folder and reports events.
    Trainer(const taxonomy::Taxonomy& taxonomy, const PackedDataset& pack,
            std::vector<std::size_t> train, std::vector<std::size_t> validation,
            TrainingConfig config, std::filesystem::path runDir,
            const ProcessGroupSpec& group = {});
    ~Trainer();

    // Trains the epochs not yet done (resuming from the run folder's checkpoint). Stops after
    // the current step when `cancel` becomes true; the last completed epoch stays resumable.
    void run(const TrainingObserver& observer = {}, const std::atomic<bool>* cancel = nullptr);

    int epochsDone() const;
    // The training classes: taxonomy node ids and image counts.
    std::vector<engine::ModelClass> classes() const;
    std::string deviceDescription() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace dermreader::training
