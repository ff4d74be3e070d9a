#pragma once
// Moving weights between safetensors files and LibTorch modules. Includes torch: for the
// engine and training modules only, never for UI code.

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dermreader/engine/Safetensors.h"

namespace dermreader::engine {

struct StateDictLoadOptions {
    bool allowMissing = false;     // model entries absent from the file keep their values
    bool allowUnexpected = false;  // file entries the model lacks are ignored
    // Entries whose name starts with one of these are not loaded (e.g. "fc." when a
    // checkpoint's classifier is replaced).
    std::vector<std::string> skipPrefixes;
};

struct StateDictLoadReport {
    std::vector<std::string> loaded, missing, unexpected, skipped;
};

// Copies every tensor of `file` into the module's parameter or buffer of the same name,
// converting F16/BF16/F32 as needed. Throws SafetensorsError naming the file and listing every
// missing tensor, unexpected tensor and wrong shape (unless allowed by `options`).
StateDictLoadReport loadStateDict(torch::nn::Module& module, const SafetensorsFile& file,
                                  const StateDictLoadOptions& options = {});

// Writes the module's parameters and buffers in registration order; floating-point tensors are
// stored as `floatType` (F32, F16 or BF16).
void saveStateDict(const torch::nn::Module& module, const std::filesystem::path& path,
                   DType floatType = DType::F32,
                   const std::map<std::string, std::string>& metadata = {});

// A CPU tensor holding a copy of one tensor of the file.
torch::Tensor readTensor(const SafetensorsFile& file, const TensorInfo& info);

// Copies every parameter and buffer of `to` from the tensor of the same name in `from` (which
// may have more, e.g. an aux head), converting device and dtype. Throws std::out_of_range if
// `from` lacks one.
void copyState(const torch::nn::Module& from, torch::nn::Module& to);

// The module's parameters and buffers by name, in registration order.
std::vector<std::pair<std::string, torch::Tensor>> namedState(const torch::nn::Module& module);

}  // namespace dermreader::engine
