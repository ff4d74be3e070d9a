#include "dermreader/engine/Safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

namespace dermreader::engine {
namespace {

using nlohmann::json;

// Largest header we accept: real ones are a few hundred KiB.
constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;

const std::map<std::string, DType>& dtypeNames() {
    static const std::map<std::string, DType> names = {
        {"F64", DType::F64}, {"F32", DType::F32},  {"F16", DType::F16}, {"BF16", DType::BF16},
        {"I64", DType::I64}, {"I32", DType::I32},  {"I16", DType::I16}, {"I8", DType::I8},
        {"U8", DType::U8},   {"BOOL", DType::Bool}};
    return names;
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
    throw SafetensorsError("weights file '" + path.string() + "': " + what);
}

std::uint64_t readLittleEndian64(const std::byte* p) {
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i)
        value = (value << 8) | std::to_integer<std::uint64_t>(p[i]);
    return value;
}

TensorInfo parseTensor(const std::filesystem::path& path, const std::string& name,
                       const json& entry) {
    auto bad = [&](const std::string& what) { fail(path, "tensor '" + name + "': " + what); };
    if (!entry.is_object())
        bad("header entry is not an object");
    TensorInfo info;
    info.name = name;
    const auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string())
        bad("no dtype");
    const auto known = dtypeNames().find(dtype->get<std::string>());
    if (known == dtypeNames().end())
        bad("unsupported dtype '" + dtype->get<std::string>() + "'");
    info.dtype = known->second;
    const auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array())
        bad("no shape");
    for (const auto& dim : *shape) {
        if (!dim.is_number_unsigned())
            bad("shape has a negative or non-integer dimension");
        info.shape.push_back(dim.get<std::int64_t>());
    }
    const auto offsets = entry.find("data_offsets");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
        !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned()) {
        bad("data_offsets must be two non-negative integers");
    }
    info.begin = (*offsets)[0].get<std::uint64_t>();
    info.end = (*offsets)[1].get<std::uint64_t>();
    if (info.end < info.begin)
        bad("data_offsets end before they begin");
    // numel * dtype size, checked for overflow, must equal the byte range.
    std::uint64_t bytes = byteSize(info.dtype);
    for (std::int64_t dim : info.shape) {
        const auto d = static_cast<std::uint64_t>(dim);
        if (d != 0 && bytes > std::numeric_limits<std::uint64_t>::max() / d)
            bad("shape overflows");
        bytes *= d;
    }
    if (bytes != info.end - info.begin) {
        bad("shape and dtype need " + std::to_string(bytes) + " bytes but data_offsets give " +
            std::to_string(info.end - info.begin));
    }
    return info;
}

}  // namespace

std::string toString(DType dtype) {
    for (const auto& [name, value] : dtypeNames()) {
        if (value == dtype)
            return name;
    }
    return "?";
}

std::size_t byteSize(DType dtype) {
    switch (dtype) {
        case DType::F64:
        case DType::I64:
            return 8;
        case DType::F32:
        case DType::I32:
            return 4;
        case DType::F16:
        case DType::BF16:
        case DType::I16:
            return 2;
        default:
            return 1;
    }
}

std::int64_t TensorInfo::elementCount() const {
    std::int64_t n = 1;
    for (auto d : shape)
        n *= d;
    return n;
}

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
    SafetensorsFile file;
    file.path_ = path;
    try {
        file.mapped_ = MappedFile::open(path);
    } catch (const MappedFileError& e) {
        fail(path, e.what());
    }
    const std::uint64_t size = file.mapped_.size();
    if (size < 8)
        fail(path, size == 0 ? "the file is empty" : "the file is truncated (no header)");
    const auto* bytes = reinterpret_cast<const std::byte*>(file.mapped_.data());
    const std::uint64_t headerSize = readLittleEndian64(bytes);
    if (headerSize > kMaxHeaderBytes || headerSize > size - 8) {
        fail(path, "header length " + std::to_string(headerSize) +
                       " does not fit the file; not a safetensors file, or truncated");
    }
    const std::string_view headerText(reinterpret_cast<const char*>(bytes + 8), headerSize);
    if (headerText.empty() || headerText.front() != '{')
        fail(path, "header is not a JSON object");
    json header;
    try {
        header = json::parse(headerText);
    } catch (const json::exception& e) {
        fail(path, std::string("header is not valid JSON (") + e.what() + ")");
    }
    if (!header.is_object())
        fail(path, "header is not a JSON object");

    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object())
                fail(path, "__metadata__ is not an object");
            for (const auto& [key, value] : entry.items()) {
                if (!value.is_string())
                    fail(path, "__metadata__['" + key + "'] is not a string");
                file.metadata_[key] = value.get<std::string>();
            }
            continue;
        }
        file.tensors_.push_back(parseTensor(path, name, entry));
    }

    // The tensors must tile the data section exactly: no overlaps, no holes, nothing past it.
    const std::uint64_t dataSize = size - 8 - headerSize;
    std::vector<const TensorInfo*> byOffset;
    for (const auto& t : file.tensors_)
        byOffset.push_back(&t);
    std::sort(byOffset.begin(), byOffset.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
    std::uint64_t expected = 0;
    for (const auto* t : byOffset) {
        if (t->begin != expected) {
            fail(path, "tensor '" + t->name + "' " +
                           (t->begin < expected ? "overlaps the previous tensor"
                                                : "leaves a gap before it"));
        }
        expected = t->end;
    }
    if (expected != dataSize) {
        fail(path, expected > dataSize
                       ? "the file is truncated: tensors need " + std::to_string(expected) +
                             " data bytes, the file has " + std::to_string(dataSize)
                       : std::to_string(dataSize - expected) + " bytes after the last tensor");
    }
    std::sort(file.tensors_.begin(), file.tensors_.end(),
              [](const TensorInfo& a, const TensorInfo& b) { return a.begin < b.begin; });
    for (std::size_t i = 0; i < file.tensors_.size(); ++i)
        file.byName_[file.tensors_[i].name] = i;
    file.dataStart_ = bytes + 8 + headerSize;
    return file;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
    auto it = byName_.find(name);
    return it == byName_.end() ? nullptr : &tensors_[it->second];
}

void writeSafetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata) {
    json header = json::object();
    if (!metadata.empty())
        header["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    for (const auto& t : tensors) {
        if (t.name == "__metadata__" || header.contains(t.name)) {
            throw SafetensorsError("weights file '" + path.string() +
                                   "': duplicate or reserved tensor name '" + t.name + "'");
        }
        std::uint64_t bytes = byteSize(t.dtype);
        for (auto d : t.shape)
            bytes *= static_cast<std::uint64_t>(d);
        header[t.name] = {{"dtype", toString(t.dtype)},
                          {"shape", t.shape},
                          {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string headerText = header.dump();
    // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
    headerText.append((8 - (headerText.size() % 8)) % 8, ' ');

    const auto temporary = path.string() + ".partial";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out)
            throw SafetensorsError("cannot write weights file '" + temporary + "'");
        std::uint64_t length = headerText.size();
        char lengthBytes[8];
        for (int i = 0; i < 8; ++i)
            lengthBytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
        out.write(lengthBytes, 8);
        out.write(headerText.data(), static_cast<std::streamsize>(headerText.size()));
        for (const auto& t : tensors) {
            std::uint64_t bytes = byteSize(t.dtype);
            for (auto d : t.shape)
                bytes *= static_cast<std::uint64_t>(d);
            out.write(static_cast<const char*>(t.data), static_cast<std::streamsize>(bytes));
        }
        out.flush();
        if (!out)
            throw SafetensorsError("error writing weights file '" + temporary + "' (disk full?)");
    }
    std::error_code ec;
    std::filesystem::rename(temporary, path, ec);
    if (ec)
        throw SafetensorsError("cannot move '" + temporary + "' to '" + path.string() +
                               "': " + ec.message());
}

}  // namespace dermreader::engine
