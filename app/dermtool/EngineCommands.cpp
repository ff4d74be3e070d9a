#include "EngineCommands.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <numeric>
#include <optional>

#include <nlohmann/json.hpp>

#include "DataSources.h"
#include "ProgressBar.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/engine/Predictor.h"
#include "dermreader/engine/Resources.h"
#include "dermreader/engine/RuntimeInfo.h"
#include "dermreader/engine/SaliencyRender.h"
#include "dermreader/taxonomy/Partition.h"
#ifdef DERMREADER_HAVE_IMAGE_IO
#include "dermreader/engine/ImageLoader.h"
#endif

namespace dermtool {
namespace fs = std::filesystem;
namespace eng = dermreader::engine;
namespace tax = dermreader::taxonomy;
using nlohmann::json;

namespace {

struct ModelOptions {
    std::string model;
    std::string device = "auto";
    bool tta = false;
    bool bf16 = false;
    bool noGraphs = false;
    int threads = 0;

    void addTo(CLI::App& cmd) {
        cmd.add_option("--model", model,
                       "Model bundle folder (default: the embedded default model)");
        cmd.add_option("--device", device, "auto, cpu or cuda")
            ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
        cmd.add_option("--threads", threads, "CPU threads (default: all cores)");
        cmd.add_flag("--bf16", bf16, "bf16 autocast on CUDA");
        cmd.add_flag("--no-graphs", noGraphs,
                     "Run batch-1 CUDA inference eagerly, not from a graph");
    }

    fs::path bundle() const {
        if (!model.empty())
            return model;
        if (auto found = eng::defaultModelBundle())
            return *found;
        throw std::runtime_error(
            "no default model is installed yet; give --model BUNDLE (a bundle made by "
            "`dermtool import-weights` or by training, see README)");
    }

    eng::PredictorOptions predictorOptions() const {
        eng::PredictorOptions options;
        options.device = *eng::parseDevicePreference(device);
        options.testTimeAugmentation = tta;
        options.cpuThreads = threads;
        options.cudaBFloat16 = bf16;
        options.cudaGraphs = !noGraphs;
        return options;
    }
};

eng::LoadedImage load(const std::string& path) {
#ifdef DERMREADER_HAVE_IMAGE_IO
    return eng::loadImage(path);
#else
    throw eng::ImageError("image '" + path + "': this LibTorch-only build cannot decode images");
#endif
}

// One output line. A file name that is not valid UTF-8 is printed with U+FFFD in place of the
// bad bytes: JSON cannot hold it, and throwing here would abort the whole run (issue 14.3).
std::string jsonLine(const json& line) {
    return line.dump(-1, ' ', false, json::error_handler_t::replace);
}

json predictionJson(const std::string& image, const eng::Prediction& p,
                    const tax::Taxonomy& taxonomy) {
    auto optional = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
    json top = json::array();
    for (std::size_t i = 0; i < p.topClasses.size() && i < 5; ++i) {
        const auto& node = taxonomy.node(p.topClasses[i].node);
        top.push_back({node.id, node.name, p.topClasses[i].probability});
    }
    json nodes = json::object();
    for (std::size_t n = 0; n < p.nodeProbabilities.size(); ++n) {
        if (p.nodeProbabilities[n] > 0.0)
            nodes[taxonomy.node(static_cast<tax::NodeIndex>(n)).id] = p.nodeProbabilities[n];
    }
    return {{"image", image},
            {"malignant", p.malignant},
            {"melanocytic_malignant", optional(p.melanocyticMalignant)},
            {"epidermal_malignant", optional(p.epidermalMalignant)},
            {"top", top},
            {"nodes", nodes}};
}

void addPredict(CLI::App& app, int& exitCode) {
    auto* cmd = app.add_subcommand("predict",
                                   "Print the CNN's probabilities for images, one JSON line each");
    struct Options : ModelOptions {
        std::vector<std::string> images;
        std::string saliencyDir;
        std::string saliencyMethod = "gradient";
    };
    auto o = std::make_shared<Options>();
    o->addTo(*cmd);
    cmd->add_flag("--tta", o->tta, "Average over 8 rotations and flips");
    cmd->add_option("--saliency", o->saliencyDir, "Write saliency overlays (PNG) into this folder");
    cmd->add_option("--saliency-method", o->saliencyMethod, "gradient (the paper's) or gradcam")
        ->check(CLI::IsMember({"gradient", "gradcam"}));
    cmd->add_option("IMAGE", o->images, "Image files (JPEG, PNG, TIFF, BMP, WebP, DICOM)")
        ->required();
    cmd->callback([o, &exitCode] {
        const auto& taxonomy = tax::Taxonomy::builtin();
        eng::Predictor predictor(o->bundle(), taxonomy, o->predictorOptions());
        if (!o->saliencyDir.empty())
            fs::create_directories(o->saliencyDir);
        ProgressBar progress("predict", static_cast<long>(o->images.size()));
        for (const auto& path : o->images) {
            try {
                const auto loaded = load(path);
                const auto prediction = predictor.predict(loaded.image);
                json line = predictionJson(path, prediction, taxonomy);
                if (!o->saliencyDir.empty()) {
#ifdef DERMREADER_HAVE_IMAGE_IO
                    const auto method = o->saliencyMethod == "gradcam"
                                            ? eng::SaliencyMethod::GradCam
                                            : eng::SaliencyMethod::Gradient;
                    const auto map = predictor.saliency(loaded.image, method);
                    const fs::path out =
                        fs::path(o->saliencyDir) /
                        (fs::path(path).stem().string() + "." + o->saliencyMethod + ".png");
                    eng::saveImage(eng::renderOverlay(loaded.image, map, 0.7f), out);
                    line["saliency"] = out.string();
#endif
                }
                std::cout << jsonLine(line) << std::endl;
            } catch (const std::exception& e) {
                std::cout << jsonLine(json{{"image", path}, {"error", e.what()}}) << std::endl;
                exitCode = 2;
            }
            progress.advance();
        }
    });
}

void addEmbed(CLI::App& app, int& exitCode) {
    auto* cmd = app.add_subcommand(
        "embed", "Print the 2,048-d last hidden layer of images, one JSON line each");
    struct Options : ModelOptions {
        std::vector<std::string> images;
    };
    auto o = std::make_shared<Options>();
    o->addTo(*cmd);
    cmd->add_option("IMAGE", o->images, "Image files")->required();
    cmd->callback([o, &exitCode] {
        eng::Predictor predictor(o->bundle(), tax::Taxonomy::builtin(), o->predictorOptions());
        ProgressBar progress("embed", static_cast<long>(o->images.size()));
        for (const auto& path : o->images) {
            try {
                std::cout << jsonLine(json{{"image", path},
                                           {"embedding", predictor.embed(load(path).image)}})
                          << std::endl;
            } catch (const std::exception& e) {
                std::cout << jsonLine(json{{"image", path}, {"error", e.what()}}) << std::endl;
                exitCode = 2;
            }
            progress.advance();
        }
    });
}

// Classes for a new bundle: the partition of labelled data, or the nine second-level classes.
std::vector<eng::ModelClass> chooseClasses(const std::string& mode, std::int64_t maxClassSize,
                                           const std::vector<std::string>& datasets,
                                           const std::string& dataRoot) {
    const auto& taxonomy = tax::Taxonomy::builtin();
    std::vector<eng::ModelClass> classes;
    if (mode == "second-level") {
        for (auto n : taxonomy.nodesAtDepth(1))
            classes.push_back({taxonomy.node(n).id, false, 0});
        return classes;
    }
    std::vector<DatasetSpec> specs;
    for (const auto& text : datasets)
        specs.push_back(parseDatasetSpec(text));
    if (specs.empty())
        specs = sharedTrainingSets(findDataRoot(dataRoot));
    const auto counts = countImagesPerNode(taxonomy, specs);
    tax::PartitionOptions options;
    options.maxClassSize = maxClassSize;
    for (const auto& c : tax::partitionDiseases(taxonomy, counts, options).classes) {
        classes.push_back({taxonomy.node(c.node).id, c.residual, c.imageCount});
    }
    return classes;
}

eng::ModelManifest newManifest(const std::string& name, std::vector<eng::ModelClass> classes) {
    const auto& taxonomy = tax::Taxonomy::builtin();
    eng::ModelManifest m;
    m.name = name;
    m.classes = std::move(classes);
    m.taxonomyVersion = taxonomy.version();
    m.taxonomyDigest = taxonomy.digest();
    return m;
}

void addImportWeights(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "import-weights", "Turn an ImageNet Inception v3 checkpoint into an initial bundle");
    struct Options {
        std::string from, checkpoint, out, name = "Inception v3 (ImageNet initialisation)";
        std::string classes = "partition";
        std::int64_t maxClassSize = 1000;
        std::vector<std::string> datasets;
        std::string dataRoot;
        std::string provenance;
    };
    auto o = std::make_shared<Options>();
    cmd->add_option("--from", o->from, "Where the checkpoint comes from")
        ->required()
        ->check(CLI::IsMember({"torchvision", "timm", "tfjs"}));
    cmd->add_option("CHECKPOINT", o->checkpoint,
                    "safetensors file with torchvision's tensor names, or (tfjs) the folder of a "
                    "TensorFlow.js layers model of Keras' InceptionV3")
        ->required();
    cmd->add_option("--provenance", o->provenance,
                    "Where the weights come from, in words for the model card (tfjs)");
    cmd->add_option("--out", o->out, "Bundle folder to write")->required();
    cmd->add_option("--name", o->name, "Model name");
    cmd->add_option("--classes", o->classes,
                    "partition (of --dataset, by --max-class-size) or second-level")
        ->check(CLI::IsMember({"partition", "second-level"}));
    cmd->add_option("--max-class-size", o->maxClassSize, "maxClassSize of the partition")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--dataset", o->datasets,
                    "FORMAT=PATH of the training data (default: shared data)");
    cmd->add_option("--data-root", o->dataRoot, "Folder of the shared datasets");
    cmd->callback([o] {
        const auto manifest = newManifest(
            o->name, chooseClasses(o->classes, o->maxClassSize, o->datasets, o->dataRoot));
        eng::ImportReport report;
        if (o->from == "tfjs") {
            report = eng::importTfjsWeights(o->checkpoint, o->out, manifest, o->provenance);
        } else {
            const auto source = o->from == "timm" ? eng::CheckpointSource::Timm
                                                  : eng::CheckpointSource::Torchvision;
            report = eng::importImageNetWeights(o->checkpoint, source, o->out, manifest);
        }
        std::cout << "wrote " << o->out << ": " << report.loaded << " tensors from "
                  << o->checkpoint << ", " << manifest.classes.size()
                  << " classes; freshly initialised:";
        for (const auto& part : report.freshlyInitialised)
            std::cout << " " << part << ";";
        if (!report.ignored.empty()) {
            std::cout << " ignored:";
            for (const auto& layer : report.ignored)
                std::cout << " " << layer;
        }
        std::cout << "\n";
    });
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0.0 : values[values.size() / 2];
}

template <typename F>
std::vector<double> timeRepeated(int repeats, F&& f) {
    std::vector<double> ms;
    for (int i = 0; i < repeats; ++i) {
        const auto start = std::chrono::steady_clock::now();
        f();
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
    }
    return ms;
}

eng::RgbImage benchImage(int width, int height) {
    eng::RgbImage image = eng::RgbImage::filled(width, height, 0, 0, 0);
    for (std::size_t i = 0; i < image.pixels.size(); ++i)
        image.pixels[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 24);
    return image;
}

// A freshly initialised 299-pixel nine-class bundle in a temporary folder, removed with it:
// speed and CUDA-vs-CPU agreement depend on the architecture, not on trained weights.
struct FreshBundle {
    fs::path dir;
    explicit FreshBundle(const std::string& name)
        : dir(fs::temp_directory_path() / ("dermtool-" + name + "-" + std::to_string(::getpid()))) {
        eng::createInitialBundle(dir, newManifest(name, chooseClasses("second-level", 0, {}, "")),
                                 0);
    }
    ~FreshBundle() {
        std::error_code ignored;
        fs::remove_all(dir, ignored);
    }
};

// Medians of the predictor's own batch-1 timings over `repeats` predictions after a warm-up.
eng::Predictor::Timing medianBatchOne(eng::Predictor& predictor, const eng::RgbImage& image,
                                      int repeats) {
    predictor.predict(image);  // warm-up
    std::vector<double> preprocess, forward;
    for (int i = 0; i < repeats; ++i) {
        predictor.predict(image);
        preprocess.push_back(predictor.lastTiming().preprocessMs);
        forward.push_back(predictor.lastTiming().forwardMs);
    }
    return {median(preprocess), median(forward)};
}

void addBench(CLI::App& app) {
    auto* cmd = app.add_subcommand("bench", "Print per-stage latency and batch throughput");
    struct Options : ModelOptions {
        int repeats = 5;
        std::vector<int> batches;
        std::string image;
        bool json = false;
        bool fresh = false;
    };
    auto o = std::make_shared<Options>();
    o->addTo(*cmd);
    cmd->add_option("--repeats", o->repeats, "Timed repeats per measurement (median reported)");
    cmd->add_flag("--fresh", o->fresh,
                  "Time a freshly initialised 299-pixel model instead of the default one (as "
                  "PyTorch's reference does)");
    cmd->add_option("--batch", o->batches,
                    "Batch sizes for throughput (default: 1 8 32 on CPU, 1 32 256 on CUDA)");
    cmd->add_option("--image", o->image,
                    "Image to decode for the decode stage (default: a synthetic 1024x768 JPEG)");
    cmd->add_flag("--json", o->json, "One JSON object instead of a table");
    cmd->callback([o] {
        const auto& taxonomy = tax::Taxonomy::builtin();
        std::optional<FreshBundle> fresh;
        if (o->fresh || (o->model.empty() && !eng::defaultModelBundle()))
            fresh.emplace("bench");
        const fs::path bundle = fresh ? fresh->dir : o->bundle();
        eng::Predictor predictor(bundle, taxonomy, o->predictorOptions());
        json result = {{"device", predictor.deviceDescription()},
                       {"model", predictor.manifest().name}};
        const auto image = benchImage(1024, 768);

#ifdef DERMREADER_HAVE_IMAGE_IO
        fs::path jpeg = o->image;
        if (jpeg.empty()) {
            jpeg = fs::temp_directory_path() /
                   ("dermtool-bench-" + std::to_string(::getpid()) + ".jpg");
            eng::saveImage(image, jpeg);
        }
        result["decode_ms"] = median(timeRepeated(o->repeats, [&] { eng::loadImage(jpeg); }));
        if (o->image.empty())
            fs::remove(jpeg);
#endif
        const auto batchOne = medianBatchOne(predictor, image, o->repeats);
        result["preprocess_ms"] = batchOne.preprocessMs;
        result["forward_batch1_ms"] = batchOne.forwardMs;
        if (predictor.usesCuda() && !o->noGraphs) {
            // The same forward without the graph, for the table beside it.
            auto eagerOptions = o->predictorOptions();
            eagerOptions.cudaGraphs = false;
            eng::Predictor eager(bundle, taxonomy, eagerOptions);
            result["forward_batch1_eager_ms"] = medianBatchOne(eager, image, o->repeats).forwardMs;
        }
        result["predict_total_ms"] =
            median(timeRepeated(o->repeats, [&] { predictor.predict(image); }));
        predictor.saliency(image, eng::SaliencyMethod::Gradient);
        result["saliency_gradient_ms"] = median(timeRepeated(
            o->repeats, [&] { predictor.saliency(image, eng::SaliencyMethod::Gradient); }));
        // The same work as PyTorch's reference script: a 299 x 299 input.
        const auto input299 = benchImage(299, 299);
        result["saliency_gradient_299_ms"] = median(timeRepeated(
            o->repeats, [&] { predictor.saliency(input299, eng::SaliencyMethod::Gradient); }));
        result["saliency_gradcam_ms"] = median(timeRepeated(
            o->repeats, [&] { predictor.saliency(image, eng::SaliencyMethod::GradCam); }));

        std::vector<int> batches = o->batches;
        if (batches.empty())
            batches =
                predictor.usesCuda() ? std::vector<int>{1, 32, 256} : std::vector<int>{1, 8, 32};
        const auto small = benchImage(299, 299);
        json throughput = json::array();
        for (int batch : batches) {
            std::vector<const eng::RgbImage*> inputs(static_cast<std::size_t>(batch), &small);
            predictor.predictBatch(inputs);
            const double ms = median(
                timeRepeated(std::max(1, o->repeats / 2), [&] { predictor.predictBatch(inputs); }));
            throughput.push_back({{"batch", batch}, {"images_per_second", batch * 1000.0 / ms}});
        }
        result["throughput"] = throughput;

        if (o->json) {
            std::cout << jsonLine(result) << "\n";
            return;
        }
        std::cout << "device:              " << result["device"].get<std::string>() << "\n";
        for (const char* key :
             {"decode_ms", "preprocess_ms", "forward_batch1_ms", "forward_batch1_eager_ms",
              "predict_total_ms", "saliency_gradient_ms", "saliency_gradient_299_ms",
              "saliency_gradcam_ms"}) {
            if (result.contains(key)) {
                std::cout << std::left << std::setw(21) << (std::string(key) + ":") << std::fixed
                          << std::setprecision(1) << result[key].get<double>() << "\n";
            }
        }
        for (const auto& entry : throughput) {
            std::cout << "batch " << std::setw(4) << entry["batch"].get<int>()
                      << " throughput: " << std::setprecision(1)
                      << entry["images_per_second"].get<double>() << " images/s\n";
        }
    });
}

void addCopyModel(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "copy-model", "Copy a model bundle, optionally storing its weights in half precision");
    auto from = std::make_shared<std::string>(), to = std::make_shared<std::string>();
    auto dtype = std::make_shared<std::string>("f32");
    cmd->add_option("FROM", *from, "Bundle to copy")->required();
    cmd->add_option("TO", *to, "New bundle folder")->required();
    cmd->add_option("--dtype", *dtype, "f32, f16 or bf16")
        ->check(CLI::IsMember({"f32", "f16", "bf16"}));
    cmd->callback([=] {
        const auto type = *dtype == "f16"    ? eng::DType::F16
                          : *dtype == "bf16" ? eng::DType::BF16
                                             : eng::DType::F32;
        eng::copyBundle(*from, *to, type);
        std::cout << "wrote " << *to << "\n";
    });
}

void addSealModel(CLI::App& app) {
    auto* cmd =
        app.add_subcommand("seal-model",
                           "Record a bundle's weights digest and reference output in its manifest "
                           "(bundles this program writes are sealed already)");
    auto bundle = std::make_shared<std::string>();
    cmd->add_option("BUNDLE", *bundle, "Model bundle folder")->required();
    cmd->callback([=] {
        eng::sealBundle(*bundle);
        std::cout << "sealed " << *bundle << "\n";
    });
}

void addResources(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "resources", "Print where the samples and the default model are found (JSON)");
    cmd->callback([] {
        const auto dir = eng::resourceDirectory();
        const auto model = eng::defaultModelBundle();
        std::cout << jsonLine(json{{"resources", dir ? dir->string() : ""},
                                   {"default_model", model ? model->string() : ""}})
                  << "\n";
    });
}

// The CUDA path against the CPU on the same bundle and inputs: float32 eager, float32 from the
// batch-1 graph, bf16 autocast, and a batch. Exit 1 when one differs beyond its tolerance.
void addParity(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "parity", "Check CUDA predictions (eager, graph, bf16, batched) against the CPU (JSON)");
    auto o = std::make_shared<ModelOptions>();
    auto fresh = std::make_shared<bool>(false);
    cmd->add_option("--model", o->model, "Model bundle folder (default: the embedded default)");
    cmd->add_flag("--fresh", *fresh, "Check a freshly initialised 299-pixel model instead");
    cmd->callback([o, fresh] {
        const auto& taxonomy = tax::Taxonomy::builtin();
        std::optional<FreshBundle> freshBundle;
        if (*fresh)
            freshBundle.emplace("parity");
        const fs::path bundle = freshBundle ? freshBundle->dir : o->bundle();
        std::vector<eng::RgbImage> images;
        for (int i = 0; i < 4; ++i)
            images.push_back(benchImage(320 + 64 * i, 240 + 48 * i));
        std::vector<const eng::RgbImage*> batch;
        for (const auto& image : images)
            batch.push_back(&image);

        auto options = [](eng::DevicePreference device, bool graphs, bool bf16) {
            eng::PredictorOptions p;
            p.device = device;
            p.cudaGraphs = graphs;
            p.cudaBFloat16 = bf16;
            return p;
        };
        eng::Predictor cpu(bundle, taxonomy, options(eng::DevicePreference::Cpu, false, false));
        std::vector<std::vector<double>> expected;
        for (const auto& image : images)
            expected.push_back(cpu.predict(image).classProbabilities);

        auto worstDifference = [&](const std::vector<eng::Prediction>& got) {
            double worst = 0;
            for (std::size_t i = 0; i < got.size(); ++i)
                for (std::size_t k = 0; k < expected[i].size(); ++k)
                    worst =
                        std::max(worst, std::abs(got[i].classProbabilities[k] - expected[i][k]));
            return worst;
        };
        struct Case {
            const char* name;
            bool graphs, bf16, batched;
            double tolerance;
        };
        const Case cases[] = {{"cuda_fp32_eager", false, false, false, 1e-3},
                              {"cuda_fp32_graph", true, false, false, 1e-3},
                              {"cuda_fp32_batch", false, false, true, 1e-3},
                              {"cuda_bf16_autocast", true, true, false, 5e-2},
                              {"cuda_bf16_batch", false, true, true, 5e-2}};
        json result = {{"bundle", bundle.string()}};
        bool ok = true;
        for (const Case& c : cases) {
            eng::Predictor cuda(bundle, taxonomy,
                                options(eng::DevicePreference::Cuda, c.graphs, c.bf16));
            std::vector<eng::Prediction> got;
            if (c.batched) {
                got = cuda.predictBatch(batch);
            } else {
                for (const auto& image : images)
                    got.push_back(cuda.predict(image));
            }
            const double worst = worstDifference(got);
            ok = ok && worst <= c.tolerance;
            result[c.name] = {{"max_abs_difference", worst},
                              {"tolerance", c.tolerance},
                              {"device", cuda.deviceDescription()}};
        }
        result["ok"] = ok;
        std::cout << jsonLine(result) << "\n";
        if (!ok)
            throw std::runtime_error("CUDA predictions differ from the CPU's beyond tolerance");
    });
}

void addInfo(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "info", "Print the program's and LibTorch's versions, CUDA support and devices (JSON)");
    cmd->callback([] {
        const eng::RuntimeInfo info = eng::runtimeInfo();
        json devices = json::array();
        for (const auto& device : info.devices)
            devices.push_back({{"index", device.index},
                               {"name", device.name},
                               {"memory_bytes", device.memoryBytes},
                               {"compute_capability", std::to_string(device.computeMajor) + "." +
                                                          std::to_string(device.computeMinor)}});
        std::cout << jsonLine(json{{"program", "dermreader"},
                                   {"version", DERMREADER_VERSION},
                                   {"torch_version", info.torchVersion},
                                   {"cuda_compiled", info.cudaCompiled},
                                   {"cuda_available", info.cudaAvailable},
                                   {"cuda_version", info.cudaVersion},
                                   {"cudnn_version", info.cudnnVersion},
                                   {"devices", devices},
                                   {"cpu_threads", info.cpuThreads},
                                   {"parallel_backend", info.parallelBackend}})
                  << "\n";
    });
}

}  // namespace

void addEngineCommands(CLI::App& app, int& exitCode) {
    addInfo(app);
    addParity(app);
    addResources(app);
    addCopyModel(app);
    addSealModel(app);
    addPredict(app, exitCode);
    addEmbed(app, exitCode);
    addImportWeights(app);
    addBench(app);
}

}  // namespace dermtool
