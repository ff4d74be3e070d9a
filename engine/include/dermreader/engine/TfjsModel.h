#pragma once
// Reading a TensorFlow.js *layers* model: `model.json` (a Keras topology plus a weights
// manifest) and its binary shards. Weights come back dequantised to float32 (float32 and
// float16 tensors, uint8/uint16 affine quantisation). Every inconsistency between manifest and
// shards is refused with the file and the problem named. No torch here.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dermreader/engine/ModelManifest.h"

namespace dermreader::engine {

// The model's layers as the topology lists them, with the few settings an importer checks.
struct TfjsLayer {
    std::string className;             // "Conv2D", "BatchNormalization", ...
    std::string name;                  // "conv2d_1"
    std::vector<std::string> inbound;  // names of the layers feeding it
    // Conv2D
    std::vector<int> kernelSize, strides;
    std::string padding;  // "same" or "valid"
    int filters = 0;
    bool useBias = false;
    // BatchNormalization
    bool scale = true, center = true;
    double epsilon = 0.001;
};

struct TfjsTensor {
    std::vector<std::int64_t> shape;
    std::vector<float> values;  // dequantised, row-major in `shape`
    std::string storedAs;       // "float32", "float16", "uint8", "uint16"
};

struct TfjsModel {
    std::filesystem::path modelJson;
    std::string kerasVersion;
    std::vector<TfjsLayer> layers;
    std::map<std::string, TfjsTensor> weights;  // by manifest name, e.g. "conv2d_1/kernel"

    // The layer named `name`, or nullptr.
    const TfjsLayer* layer(const std::string& name) const;
    // The weight "<layer>/<field>" (also found under a model-name prefix), or nullptr.
    const TfjsTensor* weight(const std::string& layerName, const std::string& field) const;
};

// `path` is the model folder or its model.json. Throws ModelError naming the file and problem.
TfjsModel readTfjsModel(const std::filesystem::path& path);

}  // namespace dermreader::engine
