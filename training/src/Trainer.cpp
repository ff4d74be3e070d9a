#include "dermreader/training/Trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "DataParallel.h"
#include "TfRmsProp.h"
#include "dermreader/engine/AtomicFile.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/engine/Safetensors.h"
#include "dermreader/engine/TorchDevice.h"
#include "dermreader/engine/TorchImage.h"
#include "dermreader/engine/TorchInceptionV3.h"
#include "dermreader/engine/TorchStateDict.h"
#include "dermreader/taxonomy/Partition.h"
#include "dermreader/training/RunFolder.h"
#include "dermreader/training/TorchAugment.h"

namespace dermreader::training {
namespace fs = std::filesystem;
namespace eng = dermreader::engine;
namespace tax = dermreader::taxonomy;
using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

json configJson(const TrainingConfig& c) {
    return {{"name", c.name},
            {"max_class_size", c.maxClassSize},
            {"epochs", c.epochs},
            {"batch_size", c.batchSize},
            {"learning_rate", c.learningRate},
            {"rmsprop_decay", c.rmsDecay},
            {"momentum", c.momentum},
            {"epsilon", c.epsilon},
            {"learning_rate_decay_epochs", c.learningRateDecayEpochs},
            {"learning_rate_decay_factor", c.learningRateDecayFactor},
            {"aux_loss_weight", c.auxLossWeight},
            {"input_size", c.inputSize},
            {"augment", c.augment},
            {"seed", c.seed},
            {"max_steps_per_epoch", c.maxStepsPerEpoch},
            {"init_bundle", c.initBundle},
            {"freeze_through", c.freezeThrough},
            {"batchnorm_images", c.batchNormImages},
            {"warmup_steps", c.warmupSteps},
            {"dropout", c.dropout},
            {"cuda_bf16", c.cudaBFloat16}};
}

// What must not change between a run and its resumption (epochs may grow).
json identityJson(const TrainingConfig& c) {
    json j = configJson(c);
    j.erase("epochs");
    j.erase("name");
    if (c.dropout == TrainingConfig{}.dropout)
        j.erase("dropout");  // added later: runs from before it still resume
    return j;
}

void writeJsonAtomically(const fs::path& path, const json& doc) {
    eng::writeFileAtomically(path, doc.dump(1) + "\n");
}

// The score that picks the best epoch: mean AUC of the binary tasks, else mean class accuracy.
double selectionScore(const EvaluationReport& report) {
    if (!report.binary.empty()) {
        double sum = 0;
        for (const auto& b : report.binary)
            sum += b.auc;
        return sum / report.binary.size();
    }
    return std::isnan(report.secondLevel.meanClassAccuracy) ? 0.0
                                                            : report.secondLevel.meanClassAccuracy;
}

}  // namespace

const std::vector<std::string>& inceptionBlockNames() {
    static const std::vector<std::string> names = {
        "Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "Conv2d_3b_1x1",
        "Conv2d_4a_3x3", "Mixed_5b",      "Mixed_5c",      "Mixed_5d",
        "Mixed_6a",      "Mixed_6b",      "Mixed_6c",      "Mixed_6d",
        "Mixed_6e",      "Mixed_7a",      "Mixed_7b",      "Mixed_7c"};
    return names;
}

double scheduledLearningRate(const TrainingConfig& config, int epoch) {
    const int decays =
        config.learningRateDecayEpochs > 0 ? epoch / config.learningRateDecayEpochs : 0;
    return config.learningRate / std::pow(config.learningRateDecayFactor, decays);
}

struct Trainer::Impl {
    const tax::Taxonomy& taxonomy;
    const PackedDataset& pack;
    std::vector<std::size_t> trainIndices, validationIndices;
    TrainingConfig config;
    fs::path runDir;

    std::vector<tax::NodeIndex> imageNodes;  // per pack entry
    std::vector<int> imageClass;             // per pack entry, -1 if in no class
    tax::Partition partition;
    std::unique_ptr<tax::InferenceMap> inference;
    eng::InceptionV3 model{nullptr};
    std::vector<std::shared_ptr<torch::nn::Module>> frozenBlocks;
    std::unique_ptr<TfRmsProp> optimizer;
    torch::Device device{torch::kCPU};
    ProcessGroupSpec group;  // this process's place in a distributed run
    // The joined group of a distributed run; null in one process.
    std::unique_ptr<DataParallel> parallel;
    int epochsDone = 0;
    double bestScore = -1;
    json history = json::array();
    json initRecord;  // the init bundle's own training record (its provenance), if any
    std::array<float, 3> mean{0.5f, 0.5f, 0.5f}, std{0.5f, 0.5f, 0.5f};

    Impl(const tax::Taxonomy& t, const PackedDataset& p) : taxonomy(t), pack(p) {}

    // Known before the group is joined: only rank 0 may create the run folder.
    int rank() const { return group.rank; }
    int worldSize() const { return group.worldSize; }
    // Rank 0 (or the only process) validates, writes the run folder and reports.
    bool leader() const { return rank() == 0; }

    std::vector<torch::Tensor> trainableParameters() const {
        std::vector<torch::Tensor> trainable;
        for (const auto& p : model->parameters())
            if (p.requires_grad())
                trainable.push_back(p);
        return trainable;
    }

    // Every rank starts from rank 0's weights and statistics and averages its gradients.
    void joinGroup() {
        parallel = std::make_unique<DataParallel>(group, device);
        std::vector<torch::Tensor> state = model->parameters();
        for (const auto& b : model->buffers())
            state.push_back(b);
        parallel->broadcastFromRankZero(state);
        parallel->reduceGradientsOf(trainableParameters());
    }

    void definePartition() {
        std::vector<std::int64_t> counts(taxonomy.size(), 0);
        for (auto i : trainIndices)
            ++counts[static_cast<std::size_t>(imageNodes[i])];
        tax::PartitionOptions options;
        options.maxClassSize = config.maxClassSize;
        partition = tax::partitionDiseases(taxonomy, counts, options);
        if (partition.classes.size() < 2) {
            throw std::runtime_error(
                "training needs at least two training classes; the partition gave " +
                std::to_string(partition.classes.size()));
        }
        inference = std::make_unique<tax::InferenceMap>(taxonomy, partition);
        imageClass.assign(pack.size(), -1);
        for (std::size_t i = 0; i < pack.size(); ++i)
            imageClass[i] = partition.classOf(imageNodes[i]);
        // Images whose node is in no class (unplaced or unseen in training) cannot be trained on.
        trainIndices.erase(std::remove_if(trainIndices.begin(), trainIndices.end(),
                                          [&](auto i) { return imageClass[i] < 0; }),
                           trainIndices.end());
    }

    void buildModel() {
        model =
            eng::InceptionV3(static_cast<int64_t>(partition.classes.size()), /*auxLogits=*/true);
        torch::manual_seed(config.seed);
        eng::initialiseLikeTorchvision(*model);
        model->resetClassifier(static_cast<int64_t>(partition.classes.size()));
        if (!config.initBundle.empty()) {
            const auto init = eng::readManifest(config.initBundle);
            eng::StateDictLoadOptions options;
            options.skipPrefixes = {"fc.", "AuxLogits.fc."};
            options.allowMissing = true;  // an init bundle without the aux head
            eng::loadStateDict(*model, eng::SafetensorsFile::open(init.weightsPath()), options);
            mean = init.mean;
            std = init.std;
            initRecord = json::parse(init.trainingJson.empty() ? "{}" : init.trainingJson);
        }
        freezeBlocks();
        if (config.auxLossWeight <= 0 && model->hasAuxLogits()) {  // no gradient reaches it
            for (auto& parameter : model->AuxLogits->parameters())
                parameter.set_requires_grad(false);
        }
        model->dropout->options.p(config.dropout);
        model->to(device);
        if (device.is_cuda())
            eng::useChannelsLast(*model);
        // Built after freezing: the optimiser keeps state only for what trains.
        optimizer = std::make_unique<TfRmsProp>(eng::namedState(*model), config.rmsDecay,
                                                config.momentum, config.epsilon);
    }

    void freezeBlocks() {
        if (config.freezeThrough.empty())
            return;
        const auto& names = inceptionBlockNames();
        const auto last = std::find(names.begin(), names.end(), config.freezeThrough);
        if (last == names.end())
            throw std::runtime_error("--freeze-through: no Inception v3 block '" +
                                     config.freezeThrough + "' (Conv2d_1a_3x3 ... Mixed_7c)");
        for (const auto& child : model->named_children()) {
            if (std::find(names.begin(), last + 1, child.key()) == last + 1)
                continue;
            frozenBlocks.push_back(child.value());
            for (auto& parameter : child.value()->parameters())
                parameter.set_requires_grad(false);
        }
    }

    // Training mode for what trains; frozen blocks keep their batch-norm statistics.
    void setTrainingMode() {
        model->train();
        for (auto& block : frozenBlocks)
            block->eval();
    }

    // The init's statistics describe its own images: re-estimate them on the training set's
    // (resized as at inference), so frozen blocks normalise skin images correctly.
    void reestimateBatchNorm(const TrainingObserver& observer) {
        std::vector<std::size_t> order = trainIndices;
        std::mt19937_64 shuffle(config.seed * 15485863ull + 1);
        std::shuffle(order.begin(), order.end(), shuffle);
        order.resize(std::min<std::size_t>(order.size(), config.batchNormImages));
        const std::size_t batch = static_cast<std::size_t>(std::max(config.batchSize, 2));
        const std::size_t batches = (order.size() + batch - 1) / batch;
        eng::calibrateBatchNorm(
            *model,
            [&](std::size_t b) {
                std::vector<torch::Tensor> images;
                for (std::size_t i = b * batch; i < std::min(order.size(), (b + 1) * batch); ++i)
                    images.push_back(
                        eng::resizeAndNormalise(eng::imageToTensor(pack.image(order[i])).to(device),
                                                config.inputSize, mean, std));
                if (observer) {
                    TrainingEvent event;
                    event.kind = TrainingEvent::Kind::Preparing;
                    event.epochs = config.epochs;
                    event.step = static_cast<int>(b);  // 0-based, as for Step events
                    event.steps = static_cast<int>(batches);
                    observer(event);
                }
                return prepare(torch::cat(images, 0));
            },
            batches);
    }

    double learningRate(int epoch, long globalStep) const {
        const double warmup =
            config.warmupSteps > 0
                ? std::min(1.0, static_cast<double>(globalStep + 1) / config.warmupSteps)
                : 1.0;
        return scheduledLearningRate(config, epoch) * warmup;
    }

    RunFolder folder() const { return {runDir}; }

    json runIdentity() const {
        json train = json::array(), validation = json::array();
        for (auto i : trainIndices)
            train.push_back(pack.entry(i).imageId);
        for (auto i : validationIndices)
            validation.push_back(pack.entry(i).imageId);
        json classes = json::array();
        for (const auto& c : partition.classes)
            classes.push_back({taxonomy.node(c.node).id, c.residual});
        return {{"config", identityJson(config)},
                {"taxonomy_digest", taxonomy.digest()},
                {"classes", classes},
                {"train_images", train},
                {"validation_images", validation}};
    }

    void prepareRunDir() {
        if (!leader()) {  // rank 0 checks and writes the folder; the others read its checkpoint
            loadCheckpoint();
            return;
        }
        fs::create_directories(runDir);
        const fs::path identityFile = folder().identityFile();
        const json identity = runIdentity();
        if (fs::exists(identityFile)) {
            std::ifstream in(identityFile);
            const json existing = json::parse(in, nullptr, false);
            if (existing.is_discarded() || existing.value("identity", json()) != identity) {
                throw std::runtime_error(
                    "run folder '" + runDir.string() +
                    "' belongs to a run with other data or settings; use a new folder");
            }
        } else {
            writeJsonAtomically(identityFile,
                                {{"identity", identity}, {"created", eng::utcTimestamp()}});
        }
        loadCheckpoint();
    }

    // The checkpoint folder is replaced as a whole: written to checkpoint.partial (state.json
    // last), then swapped in by renames, so a crash at any point leaves one complete checkpoint.
    void loadCheckpoint() {
        const auto checkpoint = folder().completeCheckpoint();
        if (!checkpoint)
            return;
        const fs::path& dir = *checkpoint;
        std::ifstream in(RunFolder::stateFile(dir));
        const json state = json::parse(in);
        epochsDone = state.at("epochs_done").get<int>();
        bestScore = state.value("best_score", -1.0);
        history = state.value("history", json::array());
        eng::loadStateDict(*model, eng::SafetensorsFile::open(RunFolder::modelFile(dir)));
        optimizer->load(eng::SafetensorsFile::open(RunFolder::optimizerFile(dir)));
    }

    void saveCheckpoint() {
        const fs::path partial = folder().partialCheckpoint(), old = folder().oldCheckpoint();
        fs::remove_all(partial);
        fs::create_directories(partial);
        eng::saveStateDict(*model, RunFolder::modelFile(partial));
        optimizer->save(RunFolder::optimizerFile(partial));
        writeJsonAtomically(
            RunFolder::stateFile(partial),
            {{"epochs_done", epochsDone}, {"best_score", bestScore}, {"history", history}});
        fs::remove_all(old);
        if (fs::exists(folder().checkpoint()))
            fs::rename(folder().checkpoint(), old);
        fs::rename(partial, folder().checkpoint());
        fs::remove_all(old);
    }

    torch::Tensor trainingBatch(const std::vector<std::size_t>& batch, int epoch) const {
        std::vector<torch::Tensor> images;
        for (auto i : batch) {
            auto x = eng::imageToTensor(pack.image(i)).to(device);
            if (config.augment) {
                x = augmentImage(
                    x, drawAugmentParams(config.seed, epoch, static_cast<std::int64_t>(i)),
                    config.inputSize);
            } else {
                x = eng::resizeAndNormalise(x, config.inputSize, {0, 0, 0},
                                            {1, 1, 1});  // resize only
            }
            images.push_back(x);
        }
        return eng::resizeAndNormalise(torch::cat(images, 0), config.inputSize, mean, std);
    }

    torch::Tensor prepare(torch::Tensor x) const {
        return device.is_cuda() ? x.contiguous(at::MemoryFormat::ChannelsLast) : x;
    }

    torch::Tensor labelsOf(const std::vector<std::size_t>& batch) const {
        std::vector<int64_t> labels;
        for (auto i : batch)
            labels.push_back(imageClass[i]);
        return torch::tensor(labels, torch::kInt64).to(device);
    }

    // One optimisation step; returns the loss.
    double trainStep(const std::vector<std::size_t>& batch, int epoch, int step, double rate) {
        torch::manual_seed(config.seed * 1000003ull +
                           static_cast<std::uint64_t>(epoch) * 100003ull + step +
                           static_cast<std::uint64_t>(rank()) * 1000000007ull);  // dropout
        setTrainingMode();
        if (parallel) {  // batch-norm running statistics: rank 0's, as DDP's broadcast_buffers
            const auto buffers = model->buffers();
            parallel->broadcastFromRankZero(buffers);
        }
        const auto input = prepare(trainingBatch(batch, epoch));
        const auto targets = labelsOf(batch);
        optimizer->zeroGrad();
        torch::Tensor loss;
        {  // forward under autocast, backward outside it
            eng::BFloat16Autocast autocast(device.is_cuda() && config.cudaBFloat16);
            const auto out = model->forward(input);
            loss = torch::nn::functional::cross_entropy(out.logits.to(torch::kFloat32), targets);
            if (out.auxLogits.defined() && config.auxLossWeight > 0) {
                loss =
                    loss + config.auxLossWeight * torch::nn::functional::cross_entropy(
                                                      out.auxLogits.to(torch::kFloat32), targets);
            }
        }
        if (parallel)
            parallel->prepareForBackward(loss);
        loss.backward();  // with a group: gradients averaged across ranks, bucket by bucket
        optimizer->step(rate);
        return loss.item<double>();
    }

    EvaluationReport validate() {
        torch::NoGradGuard noGrad;
        model->eval();
        std::vector<tax::NodeIndex> labels;
        std::vector<std::vector<double>> probabilities;
        double lossSum = 0;
        int lossCount = 0;
        for (std::size_t start = 0; start < validationIndices.size();
             start += static_cast<std::size_t>(config.batchSize)) {
            const std::vector<std::size_t> batch(
                validationIndices.begin() + static_cast<long>(start),
                validationIndices.begin() + static_cast<long>(std::min(validationIndices.size(),
                                                                       start + config.batchSize)));
            std::vector<torch::Tensor> images;
            for (auto i : batch)
                images.push_back(eng::resizeAndNormalise(
                    eng::imageToTensor(pack.image(i)).to(device), config.inputSize, mean, std));
            const auto logits =
                model->forward(prepare(torch::cat(images, 0))).logits.to(torch::kFloat32);
            const auto p = torch::softmax(logits, 1).to(torch::kCPU, torch::kFloat64).contiguous();
            for (std::size_t b = 0; b < batch.size(); ++b) {
                labels.push_back(imageNodes[batch[b]]);
                const double* row = p[static_cast<int64_t>(b)].data_ptr<double>();
                probabilities.emplace_back(row, row + p.size(1));
                const int k = imageClass[batch[b]];
                if (k >= 0) {
                    lossSum -= std::log(std::max(1e-12, row[k]));
                    ++lossCount;
                }
            }
        }
        return evaluate(*inference, labels, probabilities,
                        lossCount > 0 ? std::optional<double>(lossSum / lossCount) : std::nullopt);
    }

    eng::ModelManifest manifest(const EvaluationReport* report, double seconds) const {
        eng::ModelManifest m;
        m.name = config.name;
        m.created = eng::utcTimestamp();
        m.inputSize = config.inputSize;
        m.mean = mean;
        m.std = std;
        m.taxonomyVersion = taxonomy.version();
        m.taxonomyDigest = taxonomy.digest();
        for (const auto& c : partition.classes)
            m.classes.push_back({taxonomy.node(c.node).id, c.residual, c.imageCount});
        json training = configJson(config);
        training["epochs_done"] = epochsDone;
        training["train_images"] = trainIndices.size();
        training["validation_images"] = validationIndices.size();
        training["pack"] = pack.path().filename().string();
        training["device"] = eng::describeDevice(device);
        training["seconds"] = seconds;
        training["history"] = history;
        if (!initRecord.is_null())
            training["init"] = initRecord;  // the model card names where the weights came from
        m.trainingJson = training.dump();
        m.metricsJson = report ? report->toJson(taxonomy) : "{}";
        return m;
    }

    void writeBundle(const fs::path& dir, const EvaluationReport* report, double seconds) const {
        const fs::path temporary = dir.string() + ".partial";
        fs::remove_all(temporary);
        fs::create_directories(temporary);
        // Without the aux head: the workstation never uses it.
        eng::InceptionV3 deployed(static_cast<int64_t>(partition.classes.size()), false);
        eng::copyState(*model, *deployed);
        auto m = manifest(report, seconds);
        m.auxLogits = false;
        eng::saveStateDict(*deployed, temporary / m.weightsFile);
        eng::writeManifest(m, temporary);
        std::vector<std::string> trainedOn;
        trainedOn.reserve(trainIndices.size());
        for (auto i : trainIndices)
            trainedOn.push_back(pack.entry(i).imageId);
        eng::writeTrainingImageIds(temporary, trainedOn);
        eng::sealBundle(temporary);
        fs::remove_all(dir);
        fs::rename(temporary, dir);
    }
};

Trainer::Trainer(const tax::Taxonomy& taxonomy, const PackedDataset& pack,
                 std::vector<std::size_t> train, std::vector<std::size_t> validation,
                 TrainingConfig config, fs::path runDir, const ProcessGroupSpec& group)
    : impl_(std::make_unique<Impl>(taxonomy, pack)) {
    auto& d = *impl_;
    if (train.empty())
        throw std::runtime_error("no training images");
    if (config.batchSize < 1 || config.epochs < 1)
        throw std::runtime_error("batch size and epochs must be positive");
    if (config.inputSize < 75)
        throw std::runtime_error("Inception v3 needs inputs of at least 75 x 75");
    d.trainIndices = std::move(train);
    d.validationIndices = std::move(validation);
    d.config = std::move(config);
    d.runDir = std::move(runDir);
    d.group = group;
    for (const auto& image : pack.labelledImages(taxonomy))
        d.imageNodes.push_back(image.node);
    if (d.config.dropout < 0 || d.config.dropout >= 1)
        throw std::runtime_error("dropout must be in [0, 1)");
    d.device = eng::selectDevice(d.config.device, "training");
    if (group.distributed() && d.device.is_cuda() &&
        group.worldSize > static_cast<int>(torch::cuda::device_count()))
        throw std::runtime_error("data-parallel training on CUDA takes one GPU per process: " +
                                 std::to_string(group.worldSize) + " processes, " +
                                 std::to_string(torch::cuda::device_count()) + " GPUs");
    if (group.distributed() && d.device.is_cuda())  // one GPU per rank
        d.device = torch::Device(
            torch::kCUDA, static_cast<c10::DeviceIndex>(group.rank % torch::cuda::device_count()));
    if (d.device.is_cpu())
        eng::configureCpuThreads(d.config.cpuThreads);
    d.definePartition();
    d.buildModel();
    d.prepareRunDir();
    if (group.distributed())
        d.joinGroup();
}

Trainer::~Trainer() = default;

int Trainer::epochsDone() const {
    return impl_->epochsDone;
}

std::vector<eng::ModelClass> Trainer::classes() const {
    std::vector<eng::ModelClass> out;
    for (const auto& c : impl_->partition.classes)
        out.push_back({impl_->taxonomy.node(c.node).id, c.residual, c.imageCount});
    return out;
}

std::string Trainer::deviceDescription() const {
    return eng::describeDevice(impl_->device);
}

void Trainer::run(const TrainingObserver& observer, const std::atomic<bool>* cancel) {
    auto& d = *impl_;
    const auto start = Clock::now();
    const auto& config = d.config;
    const int ranks = d.worldSize();
    const std::size_t globalBatch = static_cast<std::size_t>(config.batchSize) * ranks;
    const int fullSteps = static_cast<int>((d.trainIndices.size() + globalBatch - 1) / globalBatch);
    const int steps =
        config.maxStepsPerEpoch > 0 ? std::min(config.maxStepsPerEpoch, fullSteps) : fullSteps;
    const int remainingEpochs = config.epochs - d.epochsDone;
    long imagesDone = 0;
    bool stopAgreed = false;
    auto notify = [&](TrainingEvent event) {
        if (observer && d.leader())
            observer(event);
    };
    if (d.epochsDone == 0 && config.batchNormImages > 0)
        d.reestimateBatchNorm(observer);   // a resumed run has them in its checkpoint
    const auto stepsStart = Clock::now();  // speed and ETA count training only

    for (int epoch = d.epochsDone; epoch < config.epochs; ++epoch) {
        // The epoch's order depends only on (seed, epoch): a resumed run replays it exactly, and
        // every rank of a distributed run draws the same one.
        std::vector<std::size_t> order = d.trainIndices;
        std::mt19937_64 shuffle(config.seed * 7919ull + static_cast<std::uint64_t>(epoch));
        std::shuffle(order.begin(), order.end(), shuffle);
        if (ranks > 1) {  // every rank gets full batches: wrap around to a whole number of steps
            const std::size_t padded = static_cast<std::size_t>(fullSteps) * globalBatch;
            for (std::size_t i = 0; order.size() < padded; ++i)
                order.push_back(order[i]);
        }
        double lossSum = 0;
        for (int step = 0; step < steps; ++step) {
            // A distributed run stops where the ranks agreed to (after the last step's sum), or
            // the others would wait for the one that stopped.
            const bool stop = d.parallel ? stopAgreed : cancel && cancel->load();
            if (stop) {
                // The others leave only once rank 0 has written what the last epoch made.
                if (d.parallel)
                    d.parallel->barrier();
                TrainingEvent event;
                event.kind = TrainingEvent::Kind::Cancelled;
                event.epoch = epoch;
                event.epochs = config.epochs;
                notify(event);
                return;
            }
            // This rank's slice of the step's global batch.
            const auto globalFirst = static_cast<long>(step) * static_cast<long>(globalBatch);
            const auto first =
                order.begin() +
                std::min<long>(globalFirst + static_cast<long>(d.rank()) * config.batchSize,
                               static_cast<long>(order.size()));
            const std::vector<std::size_t> batch(
                first, first + std::min<long>(config.batchSize, order.end() - first));
            const double rate = d.learningRate(epoch, static_cast<long>(epoch) * steps + step);
            double loss = d.trainStep(batch, epoch, step, rate);
            if (d.parallel) {  // the mean loss over ranks, and whether any rank was asked to stop
                const auto totals = d.parallel->sum({loss, cancel && cancel->load() ? 1.0 : 0.0});
                loss = totals[0] / ranks;
                stopAgreed = totals[1] > 0;
            }
            lossSum += loss;
            imagesDone += static_cast<long>(batch.size()) * ranks;

            const double elapsed = std::chrono::duration<double>(Clock::now() - stepsStart).count();
            const double totalSteps = static_cast<double>(remainingEpochs) * steps;
            const double stepsDone =
                static_cast<double>(epoch - (config.epochs - remainingEpochs)) * steps + step + 1;
            TrainingEvent event;
            event.kind = TrainingEvent::Kind::Step;
            event.epoch = epoch;
            event.epochs = config.epochs;
            event.step = step;
            event.steps = steps;
            event.loss = lossSum / (step + 1);
            event.learningRate = rate;
            event.imagesPerSecond = imagesDone / std::max(elapsed, 1e-9);
            event.etaSeconds = elapsed / stepsDone * (totalSteps - stepsDone);
            notify(event);
        }
        d.epochsDone = epoch + 1;
        if (!d.leader())
            continue;  // rank 0 validates and writes; the others wait for it in the next step
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        std::optional<EvaluationReport> report;
        if (!d.validationIndices.empty()) {
            report = d.validate();
            report->writeFiles(d.folder().epochReport(epoch + 1), d.taxonomy);
        }
        json record = {{"epoch", epoch + 1},
                       {"train_loss", lossSum / steps},
                       {"learning_rate", scheduledLearningRate(config, epoch)}};
        if (report) {
            record["validation_loss"] = report->loss ? json(*report->loss) : json(nullptr);
            for (const auto& b : report->binary)
                record["auc_" + b.task] = b.auc;
            record["mean_class_accuracy_level2"] = report->secondLevel.meanClassAccuracy;
        }
        d.history.push_back(record);
        d.writeBundle(d.folder().lastModel(), report ? &*report : nullptr, seconds);
        const double score = report ? selectionScore(*report) : static_cast<double>(epoch);
        if (score > d.bestScore) {
            d.bestScore = score;
            d.writeBundle(d.folder().bestModel(), report ? &*report : nullptr, seconds);
        }
        d.saveCheckpoint();

        TrainingEvent event;
        event.kind = TrainingEvent::Kind::Epoch;
        event.epoch = epoch;
        event.epochs = config.epochs;
        event.step = steps;
        event.steps = steps;
        event.loss = lossSum / steps;
        event.learningRate = scheduledLearningRate(config, epoch);
        event.validation = report;
        event.bundle = d.folder().lastModel();
        notify(event);
    }
    if (d.parallel)  // every rank ends after rank 0's last checkpoint and bundles
        d.parallel->barrier();
    TrainingEvent done;
    done.kind = TrainingEvent::Kind::Finished;
    done.epoch = config.epochs - 1;
    done.epochs = config.epochs;
    done.bundle = d.folder().bestModel();
    notify(done);
}

}  // namespace dermreader::training
