#include "reporting/report_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace loopcert {

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error("cannot write the report " + path + ": " + why);
}

std::string errno_text() { return std::strerror(errno); }

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

/// Refuses anything at `path` but a regular file (lstat: a symlink is
/// refused too, not followed).
void require_regular_or_absent(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode))
      fail(path, std::string("it is ") + kind_of(st.st_mode) + ", not a regular file");
  } else if (errno != ENOENT) {
    fail(path, errno_text());
  }
}

/// A new, empty temporary file beside `path`; its name is returned in
/// `temporary`.
int open_temporary_beside(const std::string& path, std::string& temporary) {
  std::filesystem::path target(path);
  std::filesystem::path directory = target.parent_path();
  std::string leaf = ".";  // appended, not "." + ...: GCC 12's -Wrestrict false positive at -O3
  leaf.append(target.filename().string()).append(".XXXXXX");
  temporary = (directory.empty() ? std::filesystem::path(".") : directory) / leaf;
  int fd = ::mkstemp(temporary.data());
  if (fd < 0) fail(path, "cannot create a file in its directory: " + errno_text());
  // mkstemp makes it 0600; a report is as readable as any file the user makes.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  return fd;
}

bool write_all(int fd, const std::string& text) {
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}
}  // namespace

void check_report_path(const std::string& path) {
  if (path.empty()) fail(path, "the path is empty");
  require_regular_or_absent(path);
  std::string temporary;
  ::close(open_temporary_beside(path, temporary));
  ::unlink(temporary.c_str());
}

void write_report_file(const std::string& path, const std::string& text) {
  require_regular_or_absent(path);
  std::string temporary;
  int fd = open_temporary_beside(path, temporary);
  bool written = write_all(fd, text);
  int saved = errno;
  if (::close(fd) != 0 && written) {
    written = false;
    saved = errno;
  }
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
    if (written) saved = errno;
    ::unlink(temporary.c_str());
    fail(path, std::strerror(saved));
  }
}

bool same_report_path(const std::string& a, const std::string& b) {
  auto resolved = [](const std::string& path) {
    // Absolute first: weakly_canonical() leaves "./r.x" and "r.x" apart
    // when neither exists yet.
    std::error_code error;
    std::filesystem::path absolute = std::filesystem::absolute(path, error);
    std::filesystem::path canonical = std::filesystem::weakly_canonical(absolute, error);
    return (error ? absolute : canonical).lexically_normal();
  };
  return resolved(a) == resolved(b);
}

}  // namespace loopcert
