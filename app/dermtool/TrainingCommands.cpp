#include "TrainingCommands.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "DataSources.h"
#include "Launcher.h"
#include "ProgressBar.h"
#include "dermreader/engine/AtomicFile.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/engine/Predictor.h"
#include "dermreader/training/Calibration.h"
#include "dermreader/training/Evaluation.h"
#include "dermreader/training/PackedDataset.h"
#include "dermreader/training/RunFolder.h"
#include "dermreader/training/Splits.h"
#include "dermreader/training/Trainer.h"
#include "dermreader/training/TrainingProgress.h"
#ifdef DERMREADER_HAVE_IMAGE_IO
#include "dermreader/engine/ImageLoader.h"
#endif

namespace dermtool {
namespace fs = std::filesystem;
namespace eng = dermreader::engine;
namespace tax = dermreader::taxonomy;
namespace trn = dermreader::training;
using nlohmann::json;

namespace {

std::atomic<bool> gCancelled{false};

void onSignal(int) {
    gCancelled = true;
}

[[maybe_unused]] std::vector<dermreader::training::LabelledImage> importAll(
    const std::vector<std::string>& specs) {
    std::vector<trn::LabelledImage> images;
    for (const auto& text : specs) {
        const auto spec = parseDatasetSpec(text);
        auto dataset = trn::importDataset(spec.path, spec.format, tax::Taxonomy::builtin());
        std::cerr << "imported " << dataset.images.size() << " images of " << dataset.name << " ("
                  << spec.path.string() << ")\n";
        for (auto& image : dataset.images)
            images.push_back(std::move(image));
    }
    return images;
}

// A pack's images as `dermtool train` splits them: the packed validation images, and the
// hold-out group fold of the others (as --folds/--holdout-fold/--seed choose it).
struct PackSplit {
    std::vector<std::size_t> train, packedValidation, holdout;
};

PackSplit splitPack(const trn::PackedDataset& pack, const tax::Taxonomy& taxonomy, int folds,
                    int holdoutFold, std::uint64_t seed) {
    const auto images = pack.labelledImages(taxonomy);
    PackSplit split;
    std::vector<trn::LabelledImage> trainable;
    std::vector<std::size_t> trainableIdx;
    for (std::size_t i = 0; i < images.size(); ++i) {
        if (pack.entry(i).validation) {
            split.packedValidation.push_back(i);
        } else {
            trainable.push_back(images[i]);
            trainableIdx.push_back(i);
        }
    }
    if (holdoutFold < 0) {
        split.train = trainableIdx;
        return split;
    }
    const trn::Split folded = trn::foldSplit(trn::assignFolds(trainable, folds, seed), holdoutFold);
    for (auto j : folded.train)
        split.train.push_back(trainableIdx[j]);
    for (auto j : folded.validation)
        split.holdout.push_back(trainableIdx[j]);
    return split;
}

// A pack of `count` generated images, class i % 9 of the second-level nodes: a dark blob whose
// colour and size depend on the class on a noisy skin-coloured ground, so a network can learn
// something from it. Deterministic.
void writeSyntheticPack(int count, int maxSide, const fs::path& out) {
    const auto& taxonomy = tax::Taxonomy::builtin();
    const auto classes = taxonomy.nodesAtDepth(1);
    std::vector<trn::LabelledImage> images;
    for (int i = 0; i < count; ++i) {
        trn::LabelledImage image;
        image.node = classes[static_cast<std::size_t>(i) % classes.size()];
        image.imageId = "synthetic-" + std::to_string(i);
        image.path = image.imageId;
        image.label = taxonomy.node(image.node).id;
        image.group = image.imageId;
        image.origin = "synthetic";
        images.push_back(std::move(image));
    }
    const int side = std::min(maxSide, 320);
    auto generate = [&](const fs::path& path) {
        const int index = std::stoi(path.string().substr(10));
        const int kind = index % static_cast<int>(classes.size());
        eng::RgbImage image = eng::RgbImage::filled(side, side, 0, 0, 0);
        std::uint32_t noise = 2654435761u * static_cast<std::uint32_t>(index + 1);
        const double radius = side * (0.15 + 0.03 * kind);
        for (int y = 0; y < side; ++y) {
            for (int x = 0; x < side; ++x) {
                noise = noise * 1664525u + 1013904223u;
                const int jitter = static_cast<int>(noise >> 28) - 8;
                const double dx = x - side / 2.0, dy = y - side / 2.0;
                const bool lesion = dx * dx + dy * dy < radius * radius;
                auto* p = &image.pixels[(static_cast<std::size_t>(y) * side + x) * 3];
                p[0] = static_cast<std::uint8_t>(
                    std::clamp((lesion ? 60 + 15 * kind : 200) + jitter, 0, 255));
                p[1] = static_cast<std::uint8_t>(std::clamp((lesion ? 40 : 150) + jitter, 0, 255));
                p[2] = static_cast<std::uint8_t>(
                    std::clamp((lesion ? 120 - 10 * kind : 130) + jitter, 0, 255));
            }
        }
        return image;
    };
    trn::writePackedDataset(images, taxonomy, out, maxSide, generate);
}

void addPack(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "pack", "Decode labelled images once into a packed dataset for training");
    struct Options {
        std::vector<std::string> datasets, validation;
        std::string dataRoot, out, progress = "auto";
        int maxSide = 320;
        int synthetic = 0;
    };
    auto o = std::make_shared<Options>();
    cmd->add_option("--synthetic", o->synthetic,
                    "Pack N generated images over the nine second-level classes instead (for "
                    "benchmarks and checks on machines without data; any build)")
        ->check(CLI::Range(1, 1000000));
    cmd->add_option("--dataset", o->datasets,
                    "FORMAT=PATH of training images (repeatable; default: shared data)");
    cmd->add_option("--validation-dataset", o->validation,
                    "FORMAT=PATH of validation images (repeatable)");
    cmd->add_option("--data-root", o->dataRoot, "Folder of the shared datasets");
    cmd->add_option("--max-side", o->maxSide, "Longest side of the stored images")
        ->check(CLI::Range(32, 4096));
    cmd->add_option("--out", o->out, "Pack file to write")->required();
    cmd->add_option(
           "--progress", o->progress,
           "auto (a bar on a terminal), bar, json (lines {\"event\":\"pack\",...}) or none")
        ->check(CLI::IsMember({"auto", "bar", "json", "none"}));
    cmd->callback([o] {
        if (o->synthetic > 0) {
            writeSyntheticPack(o->synthetic, o->maxSide, o->out);
            std::cout << "wrote " << o->out << ": " << o->synthetic << " synthetic images\n";
            return;
        }
#ifndef DERMREADER_HAVE_IMAGE_IO
        throw std::runtime_error(
            "this LibTorch-only build cannot decode images; make packs with the full build");
#else
        std::vector<std::string> specs = o->datasets;
        if (specs.empty()) {
            for (const auto& s : sharedTrainingSets(findDataRoot(o->dataRoot))) {
                specs.push_back(std::string(dermreader::training::toString(s.format)) + "=" +
                                s.path.string());
            }
        }
        auto images = importAll(specs);
        std::vector<bool> isValidation(images.size(), false);
        for (auto& image : importAll(o->validation)) {
            images.push_back(std::move(image));
            isValidation.push_back(true);
        }
        const bool json = o->progress == "json";
        ProgressBar progress("pack",
                             static_cast<long>(json || o->progress == "none" ? 0 : images.size()));
        const std::size_t every = std::max<std::size_t>(1, images.size() / 200);
        trn::writePackedDataset(
            images, tax::Taxonomy::builtin(), o->out, o->maxSide,
            [](const fs::path& path) { return eng::loadImage(path).image; },
            [&](std::size_t done, std::size_t total) {
                if (!json) {
                    progress.advance();
                } else if (done % every == 0 || done == total) {
                    trn::ProgressMessage message;
                    message.kind = trn::ProgressMessage::Kind::Pack;
                    message.done = static_cast<long>(done);
                    message.total = static_cast<long>(total);
                    std::cout << trn::toJsonLine(message) << std::endl;
                }
            },
            isValidation);
        progress.finish();
        std::cout << "wrote " << o->out << ": " << images.size() << " images\n";
#endif
    });
}

std::string progressMode(const std::string& requested) {
    if (requested != "auto")
        return requested;
    return ::isatty(STDERR_FILENO) ? "bar" : "none";
}

// The protocol line for one trainer event (`--progress json`).
trn::ProgressMessage progressMessage(const trn::TrainingEvent& e) {
    static constexpr trn::ProgressMessage::Kind kinds[] = {
        trn::ProgressMessage::Kind::Preparing, trn::ProgressMessage::Kind::Step,
        trn::ProgressMessage::Kind::Epoch, trn::ProgressMessage::Kind::Finished,
        trn::ProgressMessage::Kind::Cancelled};
    trn::ProgressMessage m;
    m.kind = kinds[static_cast<int>(e.kind)];
    m.epoch = e.epoch + 1;
    m.epochs = e.epochs;
    m.step = e.step + 1;
    m.steps = e.steps;
    m.loss = e.loss;
    m.learningRate = e.learningRate;
    m.imagesPerSecond = e.imagesPerSecond;
    m.etaSeconds = e.etaSeconds;
    if (e.validation)
        m.validation = e.validation->summary();
    m.bundle = e.bundle.string();
    return m;
}

void addTrain(CLI::App& app) {
    auto* cmd = app.add_subcommand("train", "Fine-tune Inception v3 with the paper's recipe");
    struct Options {
        std::string pack, out, init, device = "auto", progress = "auto";
        trn::TrainingConfig config;
        int folds = 9, holdoutFold = -1;
        bool resume = false;
        int processes = 1;
        int rank = -1, worldSize = 1;  // set by the launcher in its workers
        std::string rendezvous;
    };
    auto o = std::make_shared<Options>();
    auto& c = o->config;
    cmd->add_option("--nproc", o->processes,
                    "Data-parallel worker processes (c10d: Gloo on CPU, NCCL on GPUs, one GPU "
                    "each); --batch-size is per process")
        ->check(CLI::Range(1, 64));
    cmd->add_option("--rank", o->rank)->group("");  // the launcher's, for its workers
    cmd->add_option("--world-size", o->worldSize)->group("");
    cmd->add_option("--rendezvous", o->rendezvous)->group("");
    cmd->add_option("--dropout", c.dropout, "Dropout before the classifier")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 0.99));
    cmd->add_option("--aux-loss-weight", c.auxLossWeight,
                    "Weight of the auxiliary classifier's loss (0: it does not train)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 10.0));
    cmd->add_option("--pack", o->pack, "Packed dataset (dermtool pack)")->required();
    cmd->add_option("--out", o->out,
                    "Run folder (checkpoints, per-epoch metrics, model-last, model-best)")
        ->required();
    cmd->add_flag("--resume", o->resume, "Continue the run in --out exactly where it stopped");
    cmd->add_option("--name", c.name, "Model name");
    cmd->add_option("--epochs", c.epochs, "Epochs")->capture_default_str();
    cmd->add_option("--batch-size", c.batchSize, "Images per step (at least 2: batch norm)")
        ->capture_default_str()
        ->check(CLI::Range(2, 65536));
    cmd->add_option("--max-class-size", c.maxClassSize, "Partition's maxClassSize")
        ->capture_default_str();
    cmd->add_option("--input-size", c.inputSize, "Network input (299 in the paper)")
        ->capture_default_str();
    cmd->add_option("--learning-rate", c.learningRate, "RMSProp learning rate")
        ->capture_default_str();
    cmd->add_option("--decay-epochs", c.learningRateDecayEpochs, "Divide the rate by 16 this often")
        ->capture_default_str();
    cmd->add_option("--seed", c.seed, "Seed (data order, augmentation, initialisation)")
        ->capture_default_str();
    cmd->add_option("--max-steps-per-epoch", c.maxStepsPerEpoch, "Cap steps per epoch (0: all)");
    cmd->add_option("--folds", o->folds, "Group folds for --holdout-fold")->capture_default_str();
    cmd->add_option("--holdout-fold", o->holdoutFold,
                    "Also validate on this group fold of the training images");
    cmd->add_option("--init", c.initBundle,
                    "Start from this bundle's backbone (e.g. ImageNet weights)");
    cmd->add_option("--freeze-through", c.freezeThrough,
                    "Keep the init's blocks up to this one fixed (Conv2d_1a_3x3 ... Mixed_7c)")
        ->check(CLI::IsMember(trn::inceptionBlockNames()));
    cmd->add_option("--batchnorm-images", c.batchNormImages,
                    "Re-estimate batch-norm statistics on this many training images first")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--warmup-steps", c.warmupSteps,
                    "Raise the learning rate linearly over this many first steps")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--device", o->device, "auto, cpu or cuda")
        ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
    cmd->add_flag("--bf16", c.cudaBFloat16, "bf16 autocast on CUDA");
    cmd->add_option("--threads", c.cpuThreads, "CPU threads (default: all cores)");
    cmd->add_flag(
        "--no-augment", [o](std::int64_t) { o->config.augment = false; },
        "Train without augmentation");
    cmd->add_option("--progress", o->progress,
                    "bar, json (one line per step/epoch on stdout), none")
        ->check(CLI::IsMember({"auto", "bar", "json", "none"}));
    cmd->callback([o] {
        if (!o->resume && trn::RunFolder{o->out}.completeCheckpoint()) {
            throw std::runtime_error("run folder '" + o->out +
                                     "' already has a checkpoint; pass --resume to continue it");
        }
        if (o->processes > 1 && o->rank < 0) {  // the launcher: the workers do the training
            runWorkers({o->processes, o->config.cpuThreads});
            return;
        }
        trn::ProcessGroupSpec group;
        if (o->rank >= 0) {
            group.rank = o->rank;
            group.worldSize = o->worldSize;
            const auto colon = o->rendezvous.rfind(':');
            if (colon == std::string::npos)
                throw std::runtime_error("--rendezvous needs HOST:PORT");
            group.host = o->rendezvous.substr(0, colon);
            group.port = std::stoi(o->rendezvous.substr(colon + 1));
        }
        auto train = [&] {
            const auto& taxonomy = tax::Taxonomy::builtin();
            o->config.device = *eng::parseDevicePreference(o->device);
            const auto pack = trn::PackedDataset::open(o->pack);
            const auto split = splitPack(pack, taxonomy, o->folds, o->holdoutFold, o->config.seed);
            const auto& trainIdx = split.train;
            std::vector<std::size_t> validationIdx = split.packedValidation;
            validationIdx.insert(validationIdx.end(), split.holdout.begin(), split.holdout.end());
            trn::Trainer trainer(taxonomy, pack, trainIdx, validationIdx, o->config, o->out, group);
            const std::string mode = progressMode(o->progress);
            if (group.rank == 0)  // a distributed run's other workers stay quiet
                std::cerr << "training " << trainIdx.size() << " images in "
                          << trainer.classes().size() << " classes, validating on "
                          << validationIdx.size() << ", " << trainer.deviceDescription()
                          << ", from epoch " << trainer.epochsDone() + 1 << "\n";
            std::signal(SIGINT, onSignal);
            std::signal(SIGTERM, onSignal);
            std::unique_ptr<ProgressBar> bar;
            trainer.run(
                [&](const trn::TrainingEvent& e) {
                    if (mode == "json") {
                        std::cout << trn::toJsonLine(progressMessage(e)) << std::endl;
                    } else if (mode == "bar") {
                        if (e.kind == trn::TrainingEvent::Kind::Preparing) {
                            if (!bar)
                                bar = std::make_unique<ProgressBar>("batch-norm statistics",
                                                                    e.steps, "batches");
                            bar->advance();
                            if (e.step + 1 == e.steps)
                                bar.reset();
                        } else if (e.kind == trn::TrainingEvent::Kind::Step) {
                            if (!bar)
                                bar = std::make_unique<ProgressBar>(
                                    "epoch " + std::to_string(e.epoch + 1) + "/" +
                                        std::to_string(e.epochs),
                                    e.steps, "steps");
                            bar->advance();
                        } else if (bar) {
                            bar.reset();
                        }
                    }
                    if (e.kind == trn::TrainingEvent::Kind::Epoch && mode != "json") {
                        std::cerr << "epoch " << e.epoch + 1 << ": train loss " << std::fixed
                                  << std::setprecision(4) << e.loss;
                        if (e.validation) {
                            if (e.validation->loss)
                                std::cerr << ", validation loss " << *e.validation->loss;
                            for (const auto& b : e.validation->binary)
                                std::cerr << ", AUC " << b.task << " " << b.auc;
                        }
                        std::cerr << "\n";
                    }
                },
                &gCancelled);
            if (gCancelled) {
                std::cerr << "stopped; resume with --resume\n";
                throw std::runtime_error("training interrupted");
            }
            if (group.rank == 0)
                std::cerr << "best model: " << trn::RunFolder{o->out}.bestModel().string() << "\n";
        };
        try {
            train();
        } catch (const std::exception& e) {
            if (!group.distributed())
                throw;
            throw std::runtime_error("worker " + std::to_string(group.rank) + ": " + e.what());
        }
    });
}

void addEvaluate(CLI::App& app) {
    auto* cmd = app.add_subcommand("evaluate",
                                   "Score a model on labelled data: accuracy, confusion, ROC/AUC");
    struct Options {
        std::string model, data, out, device = "auto";
        bool tta = false, validationOnly = false;
    };
    auto o = std::make_shared<Options>();
    cmd->add_option("--model", o->model, "Model bundle")->required();
    cmd->add_option("--data", o->data, "FORMAT=PATH of labelled images, or a .drpack file")
        ->required();
    cmd->add_option("--out", o->out, "Write metrics.json, confusion and ROC CSV files here");
    cmd->add_option("--device", o->device, "auto, cpu or cuda")
        ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
    cmd->add_flag("--tta", o->tta, "Test-time augmentation");
    cmd->add_flag("--validation-only", o->validationOnly,
                  "With a pack: only its validation images");
    cmd->callback([o] {
        const auto& taxonomy = tax::Taxonomy::builtin();
        eng::PredictorOptions options;
        options.device = *eng::parseDevicePreference(o->device);
        options.testTimeAugmentation = o->tta;
        eng::Predictor predictor(o->model, taxonomy, options);
        std::vector<tax::NodeIndex> labels;
        std::vector<std::vector<double>> probabilities;
        if (fs::path(o->data).extension() == ".drpack") {
            const auto pack = trn::PackedDataset::open(o->data);
            const auto images = pack.labelledImages(taxonomy);
            ProgressBar progress("evaluate", static_cast<long>(images.size()));
            for (std::size_t i = 0; i < images.size(); ++i) {
                if (o->validationOnly && !pack.entry(i).validation)
                    continue;
                labels.push_back(images[i].node);
                probabilities.push_back(predictor.predict(pack.image(i)).classProbabilities);
                progress.advance();
            }
        } else {
#ifndef DERMREADER_HAVE_IMAGE_IO
            throw std::runtime_error(
                "this LibTorch-only build cannot decode images; evaluate on a pack");
#else
            const auto images = importAll({o->data});
            ProgressBar progress("evaluate", static_cast<long>(images.size()));
            for (const auto& image : images) {
                labels.push_back(image.node);
                probabilities.push_back(
                    predictor.predict(eng::loadImage(image.path).image).classProbabilities);
                progress.advance();
            }
#endif
        }
        const auto report = trn::evaluate(predictor.inferenceMap(), labels, probabilities);
        if (!o->out.empty())
            report.writeFiles(o->out, taxonomy);
        std::cout << "images: " << report.images << "\n";
        std::cout << "mean class accuracy, 3-way: " << report.firstLevel.meanClassAccuracy
                  << ", 9-way: " << report.secondLevel.meanClassAccuracy << "\n";
        for (const auto& b : report.binary) {
            std::cout << b.task << ": AUC " << std::fixed << std::setprecision(3) << b.auc
                      << " (95% CI " << b.aucLow << "-" << b.aucHigh << "), " << b.positives
                      << " malignant / " << b.negatives << " benign, sensitivity "
                      << b.sensitivityAt90Specificity << " at 90% specificity, "
                      << b.sensitivityAt95Specificity << " at 95%\n";
        }
    });
}

// One row per held-out image with the calibrated probabilities, for subgroup analyses
// (packaging/tools/model_card.py joins it with the datasets' metadata).
void writeHeldOutPredictions(const fs::path& file, const trn::PackedDataset& pack,
                             const std::map<std::size_t, std::vector<double>>& scores,
                             const tax::InferenceMap& inference, double t) {
    std::ostringstream csv;
    csv << "image_id,source,modality,node,truth,set,p_malignant,p_malignant_melanocytic,"
           "p_malignant_epidermal\n";
    auto optional = [](const std::optional<double>& v) {
        return v ? std::to_string(*v) : std::string();
    };
    for (const auto& [i, probabilities] : scores) {
        const auto& e = pack.entry(i);
        const auto p = trn::withTemperature(probabilities, t);
        const auto node = inference.taxonomy().find(e.nodeId);
        const auto malignant = node ? trn::malignancyOf(inference.taxonomy(), *node) : std::nullopt;
        csv << e.imageId << "," << e.source << "," << eng::toString(e.modality) << "," << e.nodeId
            << ","
            << (!malignant   ? ""
                : *malignant ? "malignant"
                             : "benign")
            << "," << (e.validation ? "validation" : "holdout") << ","
            << inference.malignantProbability(inference.nodeProbabilities(p)) << ","
            << optional(inference.restrictedMalignantProbability(p, tax::Lineage::Melanocytic))
            << "," << optional(inference.restrictedMalignantProbability(p, tax::Lineage::Epidermal))
            << "\n";
    }
    eng::writeFileAtomically(file, csv.str());
}

void addCalibrate(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "calibrate", "Fit a temperature so that P(malignant) matches observed frequencies");
    struct Options {
        std::string model, pack, out, report;
        int folds = 9, holdoutFold = -1;
        std::uint64_t seed = 0;
    };
    auto o = std::make_shared<Options>();
    cmd->add_option("--model", o->model, "Model bundle to calibrate")->required();
    cmd->add_option("--pack", o->pack, "The pack the model was trained from")->required();
    cmd->add_option("--holdout-fold", o->holdoutFold,
                    "Fit on this hold-out group fold (as in training) and check on the pack's "
                    "validation images; without it, fit on the validation images");
    cmd->add_option("--folds", o->folds, "Group folds, as in training")->capture_default_str();
    cmd->add_option("--seed", o->seed, "Seed of the training run's folds")->capture_default_str();
    cmd->add_option("--out", o->out, "Calibrated bundle to write")->required();
    cmd->add_option("--report", o->report,
                    "Write reliability diagrams and predictions.csv (every held-out image) here");
    cmd->callback([o] {
        const auto& taxonomy = tax::Taxonomy::builtin();
        const auto pack = trn::PackedDataset::open(o->pack);
        const auto split = splitPack(pack, taxonomy, o->folds, o->holdoutFold, o->seed);
        const auto& fitSet = o->holdoutFold >= 0 ? split.holdout : split.packedValidation;
        const std::vector<std::size_t> checkSet =
            o->holdoutFold >= 0 ? split.packedValidation : std::vector<std::size_t>{};
        if (fitSet.empty())
            throw std::runtime_error("pack '" + o->pack + "' has no held-out images to fit on");
        eng::Predictor predictor(o->model, taxonomy, eng::PredictorOptions{});
        const auto& inference = predictor.inferenceMap();
        const auto images = pack.labelledImages(taxonomy);
        std::map<std::size_t, std::vector<double>> scores;
        ProgressBar progress("predict", static_cast<long>(fitSet.size() + checkSet.size()));
        for (const auto* set : {&fitSet, &checkSet}) {
            for (auto i : *set) {
                scores[i] = predictor.predict(pack.image(i)).classProbabilities;
                progress.advance();
            }
        }
        auto scored = [&](const std::vector<std::size_t>& set) {
            std::vector<tax::NodeIndex> labels;
            std::vector<std::vector<double>> probabilities;
            for (auto i : set) {
                labels.push_back(images[i].node);
                probabilities.push_back(scores[i]);
            }
            return trn::malignancyTruth(inference, labels, probabilities);
        };
        const auto fit = scored(fitSet), check = scored(checkSet);
        const double t = trn::fitTemperature(inference, fit);
        json calibration = {
            {"method", "temperature scaling of the class logits"},
            {"objective", "log-loss of P(malignant)"},
            {"fitted_on", o->holdoutFold >= 0
                              ? "hold-out group fold " + std::to_string(o->holdoutFold) + " of " +
                                    std::to_string(o->folds)
                              : "the pack's validation images"},
            {"pack", fs::path(o->pack).filename().string()}};
        auto describe = [&](const char* name, const std::vector<trn::ScoredImage>& set) {
            if (set.empty())
                return;
            const auto before = trn::reliability(inference, set, 1.0);
            const auto after = trn::reliability(inference, set, t);
            calibration[name] = {{"before", json::parse(trn::toJson(before))},
                                 {"after", json::parse(trn::toJson(after))}};
            std::cout << name << " (" << before.images << " images): ECE " << std::fixed
                      << std::setprecision(4) << before.expectedCalibrationError << " -> "
                      << after.expectedCalibrationError << ", log-loss " << before.logLoss << " -> "
                      << after.logLoss << "\n";
#ifdef DERMREADER_HAVE_IMAGE_IO
            if (!o->report.empty()) {
                fs::create_directories(o->report);
                trn::writeReliabilityDiagram(
                    before, after, t,
                    fs::path(o->report) / ("reliability_" + std::string(name) + ".png"));
            }
#endif
        };
        std::cout << "temperature " << t << "\n";
        describe("fit", fit);
        describe("check", check);

        auto manifest = eng::readManifest(o->model);
        const fs::path out = o->out;
        fs::create_directories(out);
        fs::copy_file(manifest.weightsPath(), out / manifest.weightsFile,
                      fs::copy_options::overwrite_existing);
        manifest.temperature *= t;  // softmax(log softmax(z / T1) / T2) = softmax(z / (T1 T2))
        manifest.calibrationJson = calibration.dump();
        eng::writeManifest(manifest, out);
        eng::sealBundle(out);  // a new temperature, a new reference output
        eng::Predictor verify(out, taxonomy, eng::PredictorOptions{});  // the copy loads

        if (!o->report.empty())
            writeHeldOutPredictions(fs::path(o->report) / "predictions.csv", pack, scores,
                                    verify.inferenceMap(), t);
        std::cout << "wrote " << out.string() << "\n";
    });
}
}  // namespace

void addTrainingCommands(CLI::App& app) {
    addPack(app);
    addTrain(app);
    addEvaluate(app);
    addCalibrate(app);
}

}  // namespace dermtool
