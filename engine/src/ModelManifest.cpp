#include "dermreader/engine/ModelManifest.h"

#include <chrono>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dermreader/engine/AtomicFile.h"

namespace dermreader::engine {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// The manifest's free-form JSON members are kept as text; "" means an empty object.
json objectFromText(const std::string& text) {
    return json::parse(text.empty() ? "{}" : text);
}

class ManifestReader {
  public:
    ManifestReader(const fs::path& file, const json& doc) : file_(file), doc_(doc) {}

    void problem(const std::string& what) { problems_.push_back(what); }

    template <typename T>
    T get(const char* key, const T& fallback, bool required = false) {
        auto it = doc_.find(key);
        if (it == doc_.end()) {
            if (required)
                problem("'" + std::string(key) + "' is missing");
            return fallback;
        }
        try {
            return it->get<T>();
        } catch (const json::exception&) {
            problem("'" + std::string(key) + "' has the wrong type");
            return fallback;
        }
    }

    void throwIfAny() const {
        if (problems_.empty())
            return;
        std::string message = "model manifest '" + file_.string() + "' is invalid:";
        for (const auto& p : problems_)
            message += "\n  - " + p;
        throw ModelError(message);
    }

  private:
    fs::path file_;
    const json& doc_;
    std::vector<std::string> problems_;
};

std::array<float, 3> triple(ManifestReader& reader, const json& input, const char* key,
                            std::array<float, 3> fallback) {
    if (!input.contains(key))
        return fallback;
    try {
        auto values = input.at(key).get<std::vector<float>>();
        if (values.size() == 3)
            return {values[0], values[1], values[2]};
    } catch (const json::exception&) {
    }
    reader.problem(std::string("input.") + key + " must be three numbers");
    return fallback;
}

// A member of a nested object, type-checked with its full name in the message ("input.size
// has the wrong type"), instead of the JSON library's anonymous type_error.
template <typename T>
T member(ManifestReader& reader, const json& object, const char* key, const std::string& name,
         T fallback) {
    if (!object.is_object() || !object.contains(key))
        return fallback;
    try {
        return object.at(key).get<T>();
    } catch (const json::exception&) {
        reader.problem("'" + name + "' has the wrong type");
        return fallback;
    }
}

}  // namespace

std::vector<taxonomy::NodeIndex> ModelManifest::classNodes(
    const taxonomy::Taxonomy& taxonomy) const {
    std::vector<taxonomy::NodeIndex> nodes;
    std::vector<std::string> unknown;
    for (const auto& c : classes) {
        if (auto n = taxonomy.find(c.node)) {
            nodes.push_back(*n);
        } else {
            unknown.push_back(c.node);
        }
    }
    if (!unknown.empty()) {
        std::string list;
        for (const auto& u : unknown)
            list += " '" + u + "'";
        throw ModelError("model '" + bundleDir.string() +
                         "' has classes the taxonomy lacks:" + list);
    }
    return nodes;
}

void ModelManifest::requireTaxonomy(const taxonomy::Taxonomy& taxonomy) const {
    if (taxonomyDigest != taxonomy.digest()) {
        throw ModelError("model '" + bundleDir.string() + "' was trained with taxonomy " +
                         (taxonomyVersion.empty() ? "" : taxonomyVersion + " ") + "(digest " +
                         taxonomyDigest + "), but this program uses taxonomy " +
                         taxonomy.version() + " (digest " + taxonomy.digest() + ")");
    }
    classNodes(taxonomy);
}

std::string utcTimestamp() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return text;
}

namespace {

ModelManifest parseManifest(const fs::path& file, const fs::path& dir, const json& doc) {
    if (!doc.is_object() || doc.value("format", "") != "dermreader-model") {
        throw ModelError("'" + file.string() + "' is not a dermreader model manifest");
    }

    ManifestReader reader(file, doc);
    ModelManifest m;
    m.bundleDir = dir;
    const int version = reader.get<int>("format_version", 0, true);
    if (version > ModelManifest::kFormatVersion) {
        reader.problem("format_version " + std::to_string(version) +
                       " is newer than this program understands");
    }
    m.name = reader.get<std::string>("name", dir.filename().string());
    m.description = reader.get<std::string>("description", "");
    m.created = reader.get<std::string>("created", "");
    m.architecture = reader.get<std::string>("architecture", "", true);
    if (m.architecture != "inception_v3")
        reader.problem("architecture '" + m.architecture + "' is not supported");
    m.auxLogits = reader.get<bool>("aux_logits", true);
    m.weightsFile = reader.get<std::string>("weights", "weights.safetensors");
    if (m.weightsFile.find('/') != std::string::npos ||
        m.weightsFile.find("..") != std::string::npos) {
        reader.problem("'weights' must be a file name inside the bundle");
    }
    const json input = doc.contains("input") ? doc.at("input") : json::object();
    if (!input.is_object())
        reader.problem("'input' must be an object");
    m.inputSize = member<int>(reader, input, "size", "input.size", 299);
    if (m.inputSize < 75 || m.inputSize > 1024)
        reader.problem("input.size must be between 75 and 1024");
    if (input.is_object()) {
        m.mean = triple(reader, input, "mean", m.mean);
        m.std = triple(reader, input, "std", m.std);
    }
    // Pixels are scaled to [0, 1] before (x - mean) / std: a std far outside what any
    // normalisation uses (1e-45 makes every input infinite, 1e300 makes every image the same)
    // is refused rather than turned into nonsense probabilities.
    for (float s : m.std) {
        if (!(s >= 1e-3f && s <= 1e3f))
            reader.problem("input.std must be between 0.001 and 1000");
    }
    for (float mu : m.mean) {
        if (!(mu >= -10.0f && mu <= 10.0f))
            reader.problem("input.mean must be between -10 and 10");
    }
    const json taxonomy = doc.contains("taxonomy") ? doc.at("taxonomy") : json::object();
    m.taxonomyVersion = member<std::string>(reader, taxonomy, "version", "taxonomy.version", "");
    m.taxonomyDigest = member<std::string>(reader, taxonomy, "digest", "taxonomy.digest", "");
    if (m.taxonomyDigest.empty())
        reader.problem("taxonomy.digest is missing");

    const json classes = doc.value("classes", json::array());
    if (!classes.is_array() || classes.empty())
        reader.problem("'classes' must be a non-empty list");
    std::set<std::string> seen;
    for (const auto& c : classes) {
        ModelClass mc;
        if (c.is_string()) {
            mc.node = c.get<std::string>();
        } else if (c.is_object() && c.contains("node") && c["node"].is_string()) {
            mc.node = c["node"].get<std::string>();
            mc.residual = member<bool>(reader, c, "residual", "classes[].residual", false);
            mc.images = member<std::int64_t>(reader, c, "images", "classes[].images", 0);
        } else {
            reader.problem("every class needs a taxonomy 'node' id");
            continue;
        }
        if (!seen.insert(mc.node + (mc.residual ? "*" : "")).second)
            reader.problem("class '" + mc.node + "' is listed twice");
        m.classes.push_back(mc);
    }
    const json calibration = doc.value("calibration", json::object());
    if (!calibration.is_object()) {
        reader.problem("'calibration' must be an object");
    } else if (calibration.contains("temperature")) {
        const json& t = calibration.at("temperature");
        m.temperature = t.is_number() ? t.get<double>() : -1.0;
        if (!(m.temperature >= 0.05 && m.temperature <= 20.0))  // also refuses NaN
            reader.problem("calibration.temperature must be a number between 0.05 and 20");
        m.calibrationJson = calibration.dump();
    }
    m.trainingJson = doc.value("training", json::object()).dump();
    m.metricsJson = doc.value("metrics", json::object()).dump();
    if (doc.contains("integrity")) {
        if (doc.at("integrity").is_object())
            m.integrityJson = doc.at("integrity").dump();
        else
            reader.problem("'integrity' must be an object");
    }
    reader.throwIfAny();
    return m;
}

}  // namespace

ModelManifest readManifest(const fs::path& bundle) {
    const fs::path file = fs::is_directory(bundle) ? bundle / "manifest.json" : bundle;
    const fs::path dir = fs::is_directory(bundle) ? bundle : bundle.parent_path();
    if (!fs::exists(bundle))
        throw ModelError("model bundle '" + bundle.string() + "' does not exist");
    if (fs::exists(file) && !fs::is_regular_file(file))  // a FIFO would block the read
        throw ModelError("model bundle '" + dir.string() + "': '" + file.filename().string() +
                         "' is not a regular file");
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw ModelError("model bundle '" + dir.string() + "' has no readable manifest.json");
    std::ostringstream text;
    text << in.rdbuf();
    json doc;
    try {
        doc = json::parse(text.str());
    } catch (const json::exception& e) {
        throw ModelError("model manifest '" + file.string() + "' is not valid JSON: " + e.what());
    }
    try {
        return parseManifest(file, dir, doc);
    } catch (const json::exception& e) {  // a type the checks above did not foresee
        throw ModelError("model manifest '" + file.string() + "' is invalid: " + e.what());
    }
}

void writeManifest(const ModelManifest& m, const fs::path& dir) {
    json classes = json::array();
    for (const auto& c : m.classes) {
        json entry = {{"node", c.node}};
        if (c.residual)
            entry["residual"] = true;
        if (c.images > 0)
            entry["images"] = c.images;
        classes.push_back(entry);
    }
    json doc = {
        {"format", "dermreader-model"},
        {"format_version", ModelManifest::kFormatVersion},
        {"name", m.name},
        {"description", m.description},
        {"created", m.created},
        {"architecture", m.architecture},
        {"aux_logits", m.auxLogits},
        {"input", {{"size", m.inputSize}, {"resize", "squash"}, {"mean", m.mean}, {"std", m.std}}},
        {"taxonomy", {{"version", m.taxonomyVersion}, {"digest", m.taxonomyDigest}}},
        {"classes", classes},
        {"weights", m.weightsFile},
        {"training", objectFromText(m.trainingJson)},
        {"metrics", objectFromText(m.metricsJson)},
    };
    if (!m.integrityJson.empty())
        doc["integrity"] = objectFromText(m.integrityJson);
    if (m.temperature != 1.0 || m.calibrationJson != "{}") {
        json calibration = objectFromText(m.calibrationJson);
        calibration["temperature"] = m.temperature;
        doc["calibration"] = calibration;
    }
    fs::create_directories(dir);
    try {
        writeFileAtomically(dir / "manifest.json",
                            doc.dump(1, ' ', false, json::error_handler_t::replace) + "\n");
    } catch (const std::runtime_error& e) {
        throw ModelError(e.what());
    }
}

void writeTrainingImageIds(const std::filesystem::path& bundleDir,
                           const std::vector<std::string>& imageIds) {
    std::ostringstream text;
    text << "# The images this model was trained on (dataset image ids), one per line.\n";
    for (const auto& id : imageIds)
        text << id << '\n';
    writeFileAtomically(bundleDir / kTrainingImagesFile, text.str());
}

std::optional<std::set<std::string>> readTrainingImageIds(const std::filesystem::path& bundleDir) {
    if (!fs::is_regular_file(bundleDir / kTrainingImagesFile))
        return std::nullopt;
    std::ifstream in(bundleDir / kTrainingImagesFile);
    if (!in)
        return std::nullopt;
    std::set<std::string> ids;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (!line.empty() && line.front() != '#')
            ids.insert(line);
    }
    return ids;
}

}  // namespace dermreader::engine
