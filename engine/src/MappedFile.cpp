#include "dermreader/engine/MappedFile.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace dermreader::engine {

MappedFile MappedFile::open(const std::filesystem::path& path) {
    // O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer; the type check
    // below refuses it. It changes nothing for a regular file's mapping.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        throw MappedFileError(std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw MappedFileError("not a regular file");
    }
    MappedFile file;
    file.size_ = static_cast<std::size_t>(st.st_size);
    if (file.size_ > 0) {  // mmap refuses empty files; an empty mapping has no data
        void* mapping = ::mmap(nullptr, file.size_, PROT_READ, MAP_SHARED, fd, 0);
        if (mapping == MAP_FAILED) {
            const int error = errno;
            ::close(fd);
            throw MappedFileError(std::string("cannot map: ") + std::strerror(error));
        }
        file.mapping_ = mapping;
        file.data_ = static_cast<const std::uint8_t*>(mapping);
    }
    ::close(fd);
    return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept {
    *this = std::move(other);
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        release();
        mapping_ = std::exchange(other.mapping_, nullptr);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

MappedFile::~MappedFile() {
    release();
}

void MappedFile::release() {
    if (mapping_)
        ::munmap(mapping_, size_);
    mapping_ = nullptr;
    data_ = nullptr;
}

}  // namespace dermreader::engine
