#include "dermreader/engine/TorchStateDict.h"

#include <cstring>
#include <map>

namespace dermreader::engine {
namespace {

torch::ScalarType scalarType(DType dtype) {
    switch (dtype) {
        case DType::F64:
            return torch::kFloat64;
        case DType::F32:
            return torch::kFloat32;
        case DType::F16:
            return torch::kFloat16;
        case DType::BF16:
            return torch::kBFloat16;
        case DType::I64:
            return torch::kInt64;
        case DType::I32:
            return torch::kInt32;
        case DType::I16:
            return torch::kInt16;
        case DType::I8:
            return torch::kInt8;
        case DType::U8:
            return torch::kUInt8;
        case DType::Bool:
            return torch::kBool;
    }
    return torch::kFloat32;
}

DType dtypeOf(torch::ScalarType type) {
    switch (type) {
        case torch::kFloat64:
            return DType::F64;
        case torch::kFloat32:
            return DType::F32;
        case torch::kFloat16:
            return DType::F16;
        case torch::kBFloat16:
            return DType::BF16;
        case torch::kInt64:
            return DType::I64;
        case torch::kInt32:
            return DType::I32;
        case torch::kInt16:
            return DType::I16;
        case torch::kInt8:
            return DType::I8;
        case torch::kUInt8:
            return DType::U8;
        case torch::kBool:
            return DType::Bool;
        default:
            throw SafetensorsError("cannot store tensors of type " +
                                   std::string(c10::toString(type)));
    }
}

std::string shapeText(c10::IntArrayRef shape) {
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        out += (i ? ", " : "") + std::to_string(shape[i]);
    return out + "]";
}

bool startsWithAny(const std::string& name, const std::vector<std::string>& prefixes) {
    for (const auto& p : prefixes) {
        if (name.rfind(p, 0) == 0)
            return true;
    }
    return false;
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> namedState(const torch::nn::Module& module) {
    // Parameters and buffers interleaved per submodule, as torch's state_dict orders them.
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& item : module.named_modules("", /*include_self=*/true)) {
        const std::string prefix = item.key().empty() ? "" : item.key() + ".";
        for (const auto& p : item.value()->named_parameters(/*recurse=*/false)) {
            out.emplace_back(prefix + p.key(), p.value());
        }
        for (const auto& b : item.value()->named_buffers(/*recurse=*/false)) {
            out.emplace_back(prefix + b.key(), b.value());
        }
    }
    return out;
}

void copyState(const torch::nn::Module& from, torch::nn::Module& to) {
    torch::NoGradGuard noGrad;
    const auto source = namedState(from);
    const std::map<std::string, torch::Tensor> byName(source.begin(), source.end());
    for (auto& [name, tensor] : namedState(to))
        tensor.copy_(byName.at(name));
}

torch::Tensor readTensor(const SafetensorsFile& file, const TensorInfo& info) {
    auto tensor = torch::empty(info.shape, torch::TensorOptions().dtype(scalarType(info.dtype)));
    std::memcpy(tensor.data_ptr(), file.data(info), info.end - info.begin);
    return tensor;
}

StateDictLoadReport loadStateDict(torch::nn::Module& module, const SafetensorsFile& file,
                                  const StateDictLoadOptions& options) {
    StateDictLoadReport report;
    std::vector<std::string> wrongShapes;
    std::map<std::string, torch::Tensor> targets;
    for (auto& [name, tensor] : namedState(module))
        targets.emplace(name, tensor);

    torch::NoGradGuard noGrad;
    for (const auto& info : file.tensors()) {
        if (startsWithAny(info.name, options.skipPrefixes)) {
            report.skipped.push_back(info.name);
            continue;
        }
        auto target = targets.find(info.name);
        if (target == targets.end()) {
            report.unexpected.push_back(info.name);
            continue;
        }
        auto& tensor = target->second;
        if (tensor.sizes() != c10::IntArrayRef(info.shape)) {
            wrongShapes.push_back(info.name + " is " + shapeText(info.shape) + " in the file, " +
                                  shapeText(tensor.sizes()) + " in the model");
            continue;
        }
        tensor.copy_(readTensor(file, info));
        report.loaded.push_back(info.name);
    }
    for (const auto& [name, tensor] : targets) {
        if (!file.find(name) && !startsWithAny(name, options.skipPrefixes))
            report.missing.push_back(name);
    }

    std::string problems;
    auto list = [&](const char* what, const std::vector<std::string>& names) {
        if (names.empty())
            return;
        problems += "\n  " + std::to_string(names.size()) + " " + what + ":";
        for (std::size_t i = 0; i < names.size() && i < 12; ++i)
            problems += " " + names[i];
        if (names.size() > 12)
            problems += " ...";
    };
    list("tensors with the wrong shape", wrongShapes);
    if (!options.allowMissing)
        list("tensors missing from the file", report.missing);
    if (!options.allowUnexpected)
        list("tensors the model does not have", report.unexpected);
    if (!problems.empty()) {
        throw SafetensorsError("weights file '" + file.path().string() +
                               "' does not fit the model:" + problems);
    }
    return report;
}

void saveStateDict(const torch::nn::Module& module, const std::filesystem::path& path,
                   DType floatType, const std::map<std::string, std::string>& metadata) {
    std::vector<torch::Tensor> keepAlive;
    std::vector<TensorToWrite> entries;
    for (const auto& [name, tensor] : namedState(module)) {
        auto cpu = tensor.detach().to(torch::kCPU);
        if (cpu.is_floating_point())
            cpu = cpu.to(scalarType(floatType));
        cpu = cpu.contiguous();
        keepAlive.push_back(cpu);
        entries.push_back({name, dtypeOf(cpu.scalar_type()),
                           std::vector<std::int64_t>(cpu.sizes().begin(), cpu.sizes().end()),
                           cpu.data_ptr()});
    }
    writeSafetensors(path, entries, metadata);
}

}  // namespace dermreader::engine
