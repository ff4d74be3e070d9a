#include "TrainingCommands.h"

#include <unistd.h>

#include <csignal>
#include <iomanip>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "DataSources.h"
#include "ProgressBar.h"
#include "dermreader/engine/Predictor.h"
#include "dermreader/training/Evaluation.h"
#include "dermreader/training/PackedDataset.h"
#include "dermreader/training/Splits.h"
#include "dermreader/training/Trainer.h"
#ifdef DERMREADER_HAVE_IMAGE_IO
#include "dermreader/engine/ImageLoader.h"
#endif

namespace dermtool {
namespace fs = std::filesystem;
namespace eng = dermreader::engine;
namespace tax = dermreader::taxonomy;
namespace train = dermreader::training;
using nlohmann::json;

namespace {

std::atomic<bool> gCancelled{false};

void onSignal(int) {
    gCancelled = true;
}

[[maybe_unused]] std::vector<dermreader::training::LabelledImage> importAll(
    const std::vector<std::string>& specs) {
    std::vector<train::LabelledImage> images;
    for (const auto& text : specs) {
        const auto spec = parseDatasetSpec(text);
        auto dataset = train::importDataset(spec.path, spec.format, tax::Taxonomy::builtin());
        std::cerr << "imported " << dataset.images.size() << " images of " << dataset.name << " ("
                  << spec.path.string() << ")\n";
        for (auto& image : dataset.images)
            images.push_back(std::move(image));
    }
    return images;
}

void addPack(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "pack", "Decode labelled images once into a packed dataset for training");
    struct Options {
        std::vector<std::string> datasets, validation;
        std::string dataRoot, out, progress = "auto";
        int maxSide = 320;
    };
    auto o = std::make_shared<Options>();
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
        train::writePackedDataset(
            images, tax::Taxonomy::builtin(), o->out, o->maxSide,
            [](const fs::path& path) { return eng::loadImage(path).image; },
            [&](std::size_t done, std::size_t total) {
                if (!json) {
                    progress.advance();
                } else if (done % every == 0 || done == total) {
                    std::cout << nlohmann::json{{"event", "pack"}, {"done", done}, {"total", total}}
                                     .dump()
                              << std::endl;
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

json eventJson(const train::TrainingEvent& e, const tax::Taxonomy& taxonomy) {
    static const char* kinds[] = {"step", "epoch", "finished", "cancelled"};
    json j = {{"event", kinds[static_cast<int>(e.kind)]},
              {"epoch", e.epoch + 1},
              {"epochs", e.epochs},
              {"step", e.step + 1},
              {"steps", e.steps},
              {"loss", e.loss},
              {"learning_rate", e.learningRate},
              {"images_per_second", e.imagesPerSecond},
              {"eta_seconds", e.etaSeconds}};
    if (e.validation)
        j["validation"] = json::parse(e.validation->toJson(taxonomy));
    if (!e.bundle.empty())
        j["bundle"] = e.bundle.string();
    if (e.kind == train::TrainingEvent::Kind::Epoch && e.validation) {
        j["validation"].erase("first_level");  // keep the line short; the files have everything
        for (auto& b : j["validation"]["binary"])
            b.erase("roc");
    }
    return j;
}

void addTrain(CLI::App& app) {
    auto* cmd = app.add_subcommand("train", "Fine-tune Inception v3 with the paper's recipe");
    struct Options {
        std::string pack, out, init, device = "auto", progress = "auto";
        train::TrainingConfig config;
        int folds = 9, holdoutFold = -1;
        bool resume = false;
    };
    auto o = std::make_shared<Options>();
    auto& c = o->config;
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
        const auto& taxonomy = tax::Taxonomy::builtin();
        if (!o->resume && fs::exists(fs::path(o->out) / "checkpoint" / "state.json")) {
            throw std::runtime_error("run folder '" + o->out +
                                     "' already has a checkpoint; pass --resume to continue it");
        }
        o->config.device = *eng::parseDevicePreference(o->device);
        const auto pack = train::PackedDataset::open(o->pack);
        const auto images = pack.labelledImages(taxonomy);
        std::vector<std::size_t> trainIdx, validationIdx;
        std::vector<train::LabelledImage> trainable;
        std::vector<std::size_t> trainableIdx;
        for (std::size_t i = 0; i < images.size(); ++i) {
            if (pack.entry(i).validation) {
                validationIdx.push_back(i);
            } else {
                trainable.push_back(images[i]);
                trainableIdx.push_back(i);
            }
        }
        if (o->holdoutFold >= 0) {
            const train::Split split = train::foldSplit(
                train::assignFolds(trainable, o->folds, o->config.seed), o->holdoutFold);
            for (auto j : split.train)
                trainIdx.push_back(trainableIdx[j]);
            for (auto j : split.validation)
                validationIdx.push_back(trainableIdx[j]);
        } else {
            trainIdx = trainableIdx;
        }
        train::Trainer trainer(taxonomy, pack, trainIdx, validationIdx, o->config, o->out);
        const std::string mode = progressMode(o->progress);
        std::cerr << "training " << trainIdx.size() << " images in " << trainer.classes().size()
                  << " classes, validating on " << validationIdx.size() << ", "
                  << trainer.deviceDescription() << ", from epoch " << trainer.epochsDone() + 1
                  << "\n";
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
        std::unique_ptr<ProgressBar> bar;
        trainer.run(
            [&](const train::TrainingEvent& e) {
                if (mode == "json") {
                    std::cout << eventJson(e, taxonomy).dump() << std::endl;
                } else if (mode == "bar") {
                    if (e.kind == train::TrainingEvent::Kind::Step) {
                        if (!bar)
                            bar = std::make_unique<ProgressBar>("epoch " +
                                                                    std::to_string(e.epoch + 1) +
                                                                    "/" + std::to_string(e.epochs),
                                                                e.steps, "steps");
                        bar->advance();
                    } else if (bar) {
                        bar.reset();
                    }
                }
                if (e.kind == train::TrainingEvent::Kind::Epoch && mode != "json") {
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
        std::cerr << "best model: " << train::Trainer::bestBundle(o->out).string() << "\n";
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
            const auto pack = train::PackedDataset::open(o->data);
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
        const auto report = train::evaluate(predictor.inferenceMap(), labels, probabilities);
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

}  // namespace

void addTrainingCommands(CLI::App& app) {
    addPack(app);
    addTrain(app);
    addEvaluate(app);
}

}  // namespace dermtool
