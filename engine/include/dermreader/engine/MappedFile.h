#pragma once
// A read-only memory mapping of a whole regular file (weights, packed datasets), unmapped on
// destruction. Move-only.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>

namespace dermreader::engine {

class MappedFileError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class MappedFile {
  public:
    // Throws MappedFileError ("cannot open: ...", "not a regular file", "cannot map: ...").
    static MappedFile open(const std::filesystem::path& path);

    MappedFile() = default;
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    const std::uint8_t* data() const { return data_; }
    std::size_t size() const { return size_; }

  private:
    void release();

    void* mapping_ = nullptr;
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace dermreader::engine
