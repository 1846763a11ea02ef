#include "tapegrad/io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "tapegrad/core/error.hpp"

namespace tg::io {

std::string errno_text(int e) { return std::system_category().message(e); }

void write_file_atomic(const std::string& path, std::string_view bytes, std::string_view who) {
  static std::atomic<std::uint64_t> counter{0};
  const std::string tmp = fmt::format("{}.tmp.{}.{}", path, ::getpid(), counter++);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    fail("{}: cannot create the temporary file '{}' for '{}': {}", who, tmp, path,
         errno_text(errno));
  auto give_up = [&](const char* what, int e) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail("{}: {} '{}' failed: {}", who, what, tmp, errno_text(e));
  };
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      give_up("writing", errno);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0) give_up("syncing", errno);
  if (::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    fail("{}: closing '{}' failed: {}", who, tmp, errno_text(e));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    fail("{}: cannot replace '{}' with the new file: {}", who, path, errno_text(e));
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(1, '.') : parent.string();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    // Some file systems cannot sync a directory (EINVAL); the rename itself has happened.
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace tg::io
