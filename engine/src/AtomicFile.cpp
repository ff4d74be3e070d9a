#include "dermreader/engine/AtomicFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace dermreader::engine {
namespace {

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) {
    throw std::runtime_error("cannot write '" + file.string() + "': " + what);
}

void syncDirectory(const std::filesystem::path& file) {
    const std::filesystem::path dir =
        file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;  // the rename itself happened; only its durability is not forced
    ::fsync(fd);
    ::close(fd);
}

}  // namespace

void writeFileAtomically(const std::filesystem::path& file, std::string_view content,
                         FileAccess access) {
    const std::filesystem::path partial = file.string() + ".partial";
    const mode_t mode = access == FileAccess::OwnerOnly ? 0600 : 0644;
    const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        fail(partial, std::strerror(errno));
    if (access == FileAccess::OwnerOnly)
        ::fchmod(fd, 0600);  // an old .partial keeps its mode through O_CREAT
    std::size_t written = 0;
    while (written < content.size()) {
        const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int error = errno;
            ::close(fd);
            fail(partial, std::strerror(error));
        }
        written += static_cast<std::size_t>(n);
    }
    // On disk before the rename makes it the file, and the rename on disk before returning:
    // a crash leaves the old file or the new one, never an empty one.
    if (::fsync(fd) != 0) {
        const int error = errno;
        ::close(fd);
        fail(partial, std::strerror(error));
    }
    ::close(fd);
    std::error_code error;
    std::filesystem::rename(partial, file, error);
    if (error)
        fail(file, error.message());
    syncDirectory(file);
}

}  // namespace dermreader::engine
