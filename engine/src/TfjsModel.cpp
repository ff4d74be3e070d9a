#include "dermreader/engine/TfjsModel.h"

#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

namespace dermreader::engine {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::uintmax_t kMaxModelJsonBytes = 64ull << 20;
constexpr std::int64_t kMaxValues = 1ll << 29;  // 2 GiB of float32: far above any Inception

[[noreturn]] void fail(const fs::path& file, const std::string& problem) {
    throw ModelError("TensorFlow.js model '" + file.string() + "': " + problem);
}

// Size of a regular file; refuses FIFOs, devices and folders before anything opens them.
std::uintmax_t regularFileSize(const fs::path& file, const fs::path& reportAs) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0)
        fail(reportAs, "missing file '" + file.filename().string() + "'");
    if (!S_ISREG(st.st_mode))
        fail(reportAs, "'" + file.filename().string() + "' is not a regular file");
    return static_cast<std::uintmax_t>(st.st_size);
}

std::string readWhole(const fs::path& file, std::uintmax_t size) {
    std::string bytes(size, '\0');
    std::ifstream in(file, std::ios::binary);
    if (!in.read(bytes.data(), static_cast<std::streamsize>(size)))
        fail(file, "cannot read all " + std::to_string(size) + " bytes");
    return bytes;
}

float halfToFloat(std::uint16_t h) {
    const std::uint32_t sign = (h & 0x8000u) << 16, exponent = (h >> 10) & 0x1fu,
                        mantissa = h & 0x3ffu;
    if (exponent == 0) {  // zero or subnormal
        const float value = std::ldexp(static_cast<float>(mantissa), -24);
        return sign ? -value : value;
    }
    std::uint32_t bits;
    if (exponent == 31)
        bits = sign | 0x7f800000u | (mantissa << 13);
    else
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    float out;
    std::memcpy(&out, &bits, sizeof out);
    return out;
}

struct Encoding {
    std::string storedAs;  // float32, float16, uint8, uint16
    std::size_t bytesPerValue = 4;
    double scale = 1, offset = 0;  // affine dequantisation
};

Encoding encodingOf(const json& entry, const fs::path& file, const std::string& name) {
    const std::string dtype = entry.value("dtype", "");
    if (dtype != "float32")
        fail(file,
             "weight '" + name + "' has dtype '" + dtype + "'; only float32 weights are read");
    Encoding e{"float32", 4, 1, 0};
    if (!entry.contains("quantization"))
        return e;
    const json& q = entry.at("quantization");
    e.storedAs = q.value("dtype", "");
    if (e.storedAs == "float16") {
        e.bytesPerValue = 2;
        return e;
    }
    if (e.storedAs != "uint8" && e.storedAs != "uint16")
        fail(file, "weight '" + name + "' has unsupported quantization '" + e.storedAs + "'");
    e.bytesPerValue = e.storedAs == "uint8" ? 1 : 2;
    if (!q.contains("scale") || !q.at("scale").is_number())
        fail(file, "weight '" + name + "' is quantized without a numeric scale");
    e.scale = q.at("scale").get<double>();
    // Older converters write `min`, newer ones `offset` (value = (q - offset) * scale).
    if (q.contains("min") && q.at("min").is_number())
        e.offset = q.at("min").get<double>();
    else if (q.contains("offset") && q.at("offset").is_number())
        e.offset = -q.at("offset").get<double>() * e.scale;
    else
        fail(file, "weight '" + name + "' is quantized without min or offset");
    if (!std::isfinite(e.scale) || !std::isfinite(e.offset))
        fail(file, "weight '" + name + "' has a non-finite quantization scale or min");
    return e;
}

std::vector<float> decode(const std::uint8_t* data, std::size_t count, const Encoding& e) {
    std::vector<float> out(count);
    for (std::size_t i = 0; i < count; ++i) {
        if (e.storedAs == "float32") {
            std::memcpy(&out[i], data + 4 * i, 4);
        } else if (e.storedAs == "float16") {
            std::uint16_t h;
            std::memcpy(&h, data + 2 * i, 2);
            out[i] = halfToFloat(h);
        } else {
            std::uint32_t q = data[e.bytesPerValue * i];
            if (e.bytesPerValue == 2)
                q |= static_cast<std::uint32_t>(data[2 * i + 1]) << 8;  // little-endian
            out[i] = static_cast<float>(q * e.scale + e.offset);
        }
    }
    return out;
}

std::vector<std::int64_t> shapeOf(const json& entry, const fs::path& file, const std::string& name,
                                  std::int64_t& count) {
    if (!entry.contains("shape") || !entry.at("shape").is_array())
        fail(file, "weight '" + name + "' has no shape");
    std::vector<std::int64_t> shape;
    count = 1;
    for (const auto& d : entry.at("shape")) {
        if (!d.is_number_integer() || d.get<std::int64_t>() < 0)
            fail(file, "weight '" + name + "' has a bad dimension " + d.dump());
        shape.push_back(d.get<std::int64_t>());
        if (shape.back() > 0 && count > kMaxValues / shape.back())
            fail(file, "weight '" + name + "' is implausibly large");
        count *= shape.back();
    }
    return shape;
}

std::vector<std::string> inboundNames(const json& layer) {
    std::vector<std::string> names;
    if (!layer.contains("inbound_nodes") || !layer.at("inbound_nodes").is_array())
        return names;
    for (const auto& node : layer.at("inbound_nodes")) {
        if (!node.is_array())
            continue;
        for (const auto& edge : node) {
            if (edge.is_array() && !edge.empty() && edge.at(0).is_string())
                names.push_back(edge.at(0).get<std::string>());
        }
    }
    return names;
}

std::vector<int> intList(const json& config, const char* key) {
    std::vector<int> out;
    if (config.contains(key) && config.at(key).is_array()) {
        for (const auto& v : config.at(key))
            if (v.is_number_integer())
                out.push_back(v.get<int>());
    }
    return out;
}

TfjsLayer parseLayer(const json& layer, const fs::path& file) {
    if (!layer.is_object() || !layer.contains("class_name") || !layer.at("class_name").is_string())
        fail(file, "a layer of the topology has no class_name");
    const json config = layer.value("config", json::object());
    TfjsLayer l;
    l.className = layer.at("class_name").get<std::string>();
    if (config.contains("name") && config.at("name").is_string())
        l.name = config.at("name").get<std::string>();
    else if (layer.contains("name") && layer.at("name").is_string())
        l.name = layer.at("name").get<std::string>();
    else
        fail(file, "a " + l.className + " layer has no name");
    l.inbound = inboundNames(layer);
    l.kernelSize = intList(config, "kernel_size");
    l.strides = intList(config, "strides");
    auto boolean = [&](const char* key, bool fallback) {
        return config.contains(key) && config.at(key).is_boolean() ? config.at(key).get<bool>()
                                                                   : fallback;
    };
    if (config.contains("padding") && config.at("padding").is_string())
        l.padding = config.at("padding").get<std::string>();
    if (config.contains("filters") && config.at("filters").is_number_integer())
        l.filters = config.at("filters").get<int>();
    l.useBias = boolean("use_bias", l.className == "Conv2D");
    l.scale = boolean("scale", true);
    l.center = boolean("center", true);
    if (config.contains("epsilon") && config.at("epsilon").is_number())
        l.epsilon = config.at("epsilon").get<double>();
    return l;
}

std::vector<TfjsLayer> parseTopology(const json& doc, const fs::path& file) {
    if (doc.value("format", "layers-model") == "graph-model")
        fail(file, "a graph model (converted from a SavedModel); only layers models can be read");
    if (!doc.contains("modelTopology") || !doc.at("modelTopology").is_object())
        fail(file, "no modelTopology: not a TensorFlow.js layers model");
    json topology = doc.at("modelTopology");
    if (topology.contains("model_config"))
        topology = topology.at("model_config");
    const json config = topology.value("config", json());
    const json layers = config.is_array() ? config : config.value("layers", json());
    if (!layers.is_array() || layers.empty())
        fail(file, "the topology lists no layers");
    std::vector<TfjsLayer> out;
    for (const auto& layer : layers)
        out.push_back(parseLayer(layer, file));
    return out;
}

void readWeightGroup(const json& group, const fs::path& file, TfjsModel& model) {
    if (!group.is_object() || !group.contains("paths") || !group.at("paths").is_array() ||
        !group.contains("weights") || !group.at("weights").is_array())
        fail(file, "a weightsManifest group lacks paths or weights");
    // The group's shards, concatenated, hold its weights back to back in manifest order.
    std::vector<fs::path> shards;
    std::uintmax_t available = 0;
    for (const auto& p : group.at("paths")) {
        if (!p.is_string())
            fail(file, "a shard path is not a string");
        const fs::path relative = p.get<std::string>();
        if (relative.is_absolute() || relative.lexically_normal().string().rfind("..", 0) == 0)
            fail(file, "shard path '" + relative.string() + "' leaves the model folder");
        shards.push_back(file.parent_path() / relative);
        available += regularFileSize(shards.back(), file);
    }
    struct Planned {
        std::string name;
        std::vector<std::int64_t> shape;
        std::int64_t count;
        Encoding encoding;
        std::uintmax_t offset, bytes;
    };
    std::vector<Planned> planned;
    std::uintmax_t needed = 0;
    for (const auto& entry : group.at("weights")) {
        if (!entry.is_object() || !entry.contains("name") || !entry.at("name").is_string())
            fail(file, "a weight in the manifest has no name");
        Planned w;
        w.name = entry.at("name").get<std::string>();
        w.shape = shapeOf(entry, file, w.name, w.count);
        w.encoding = encodingOf(entry, file, w.name);
        w.offset = needed;
        w.bytes = static_cast<std::uintmax_t>(w.count) * w.encoding.bytesPerValue;
        needed += w.bytes;
        if (model.weights.count(w.name))
            fail(file, "weight '" + w.name + "' is listed twice");
        planned.push_back(std::move(w));
    }
    if (needed != available) {
        fail(file, "the manifest's weights need " + std::to_string(needed) + " bytes but the " +
                       std::to_string(shards.size()) + " shard(s) hold " +
                       std::to_string(available) +
                       (needed > available ? " (a shard is missing or short)"
                                           : " (a shard is too long or not listed)"));
    }
    std::string bytes;
    bytes.reserve(available);
    for (const auto& shard : shards)
        bytes += readWhole(shard, regularFileSize(shard, file));
    if (bytes.size() != available)
        fail(file, "the shards changed while being read");
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    for (auto& w : planned) {
        TfjsTensor t;
        t.shape = w.shape;
        t.storedAs = w.encoding.storedAs;
        t.values = decode(data + w.offset, static_cast<std::size_t>(w.count), w.encoding);
        for (float v : t.values)
            if (!std::isfinite(v))
                fail(file, "weight '" + w.name + "' holds a non-finite value");
        model.weights.emplace(w.name, std::move(t));
    }
}

}  // namespace

const TfjsLayer* TfjsModel::layer(const std::string& name) const {
    for (const auto& l : layers)
        if (l.name == name)
            return &l;
    return nullptr;
}

const TfjsTensor* TfjsModel::weight(const std::string& layerName, const std::string& field) const {
    const std::string key = layerName + "/" + field;
    if (auto it = weights.find(key); it != weights.end())
        return &it->second;
    const std::string suffix = "/" + key;  // saved under a model scope: "inception_v3/conv2d_1/..."
    for (const auto& [name, tensor] : weights) {
        if (name.size() > suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
            return &tensor;
    }
    return nullptr;
}

TfjsModel readTfjsModel(const fs::path& path) {
    const fs::path file = fs::is_directory(path) ? path / "model.json" : path;
    const auto size = regularFileSize(file, file);
    if (size > kMaxModelJsonBytes)
        fail(file, "model.json is " + std::to_string(size) + " bytes; more than any layers model");
    const json doc = json::parse(readWhole(file, size), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object())
        fail(file, "not valid JSON");
    TfjsModel model;
    model.modelJson = file;
    try {
        model.layers = parseTopology(doc, file);
        const json topology = doc.at("modelTopology");
        if (topology.contains("keras_version") && topology.at("keras_version").is_string())
            model.kerasVersion = topology.at("keras_version").get<std::string>();
        if (!doc.contains("weightsManifest") || !doc.at("weightsManifest").is_array())
            fail(file, "no weightsManifest");
        for (const auto& group : doc.at("weightsManifest"))
            readWeightGroup(group, file, model);
    } catch (const json::exception& e) {
        fail(file, std::string("malformed field: ") + e.what());
    }
    return model;
}

}  // namespace dermreader::engine
