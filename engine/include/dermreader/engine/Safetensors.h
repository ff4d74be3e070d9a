#pragma once
// The safetensors weight format (8-byte header length, JSON header, raw little-endian data),
// read memory-mapped with every header field validated, and written atomically. No torch here;
// the engine's torch bridge converts to and from tensors.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dermreader/engine/MappedFile.h"

namespace dermreader::engine {

class SafetensorsError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

std::string toString(DType dtype);
std::size_t byteSize(DType dtype);

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0, end = 0;  // byte offsets into the data section

    std::int64_t elementCount() const;
};

class SafetensorsFile {
  public:
    // Maps the file and validates the header; throws SafetensorsError naming the file.
    static SafetensorsFile open(const std::filesystem::path& path);

    SafetensorsFile(SafetensorsFile&&) noexcept = default;
    SafetensorsFile& operator=(SafetensorsFile&&) noexcept = default;

    const std::filesystem::path& path() const { return path_; }
    const std::vector<TensorInfo>& tensors() const { return tensors_; }  // in file order
    const TensorInfo* find(const std::string& name) const;
    const std::byte* data(const TensorInfo& tensor) const { return dataStart_ + tensor.begin; }
    const std::map<std::string, std::string>& metadata() const { return metadata_; }

  private:
    SafetensorsFile() = default;

    std::filesystem::path path_;
    MappedFile mapped_;
    const std::byte* dataStart_ = nullptr;
    std::vector<TensorInfo> tensors_;
    std::map<std::string, std::size_t> byName_;
    std::map<std::string, std::string> metadata_;
};

struct TensorToWrite {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    const void* data = nullptr;  // elementCount * byteSize(dtype) bytes, little-endian
};

// Writes to a temporary file beside `path` and renames it over `path`, so a crash never
// leaves a half-written weights file.
void writeSafetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace dermreader::engine
