// Linux lists a process's descriptors in /proc/self/fd, with what each one
// refers to as the link's target. Elsewhere, every descriptor below the
// limit is probed with fcntl(F_GETFD), and only its number is known.
#include "running/fd_table.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>

namespace loopcert {

namespace {
std::string link_target(int fd) {
  char target[512];
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string("?");
}
}  // namespace

FdTable snapshot_fds() {
  FdTable table;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    int own = ::dirfd(dir);
    while (dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      int fd = std::atoi(entry->d_name);
      if (fd != own) table[fd] = link_target(fd);
    }
    ::closedir(dir);
    return table;
  }
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  int highest =
      limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > 65536 ? 65536 : static_cast<int>(limit.rlim_cur);
  for (int fd = 0; fd < highest; ++fd) {
    // emplace, not table[fd] = "?": assigning trips GCC 12's -Wrestrict false positive at -O3.
    if (::fcntl(fd, F_GETFD) >= 0) table.emplace(fd, "?");
  }
  return table;
}

namespace {
/// The same open file: Linux appends " (deleted)" to the target of a
/// descriptor whose file was removed while it is open (ctest's log, which a
/// case process inherits, is), and the descriptor has not changed.
bool same_file(const std::string& before, const std::string& after) {
  return after == before || after == before + " (deleted)";
}
}  // namespace

std::string describe_new_fds(const FdTable& before, const FdTable& after) {
  std::string leaked;
  for (const auto& [fd, target] : after) {
    auto old = before.find(fd);
    if (old != before.end() && same_file(old->second, target)) continue;
    if (!leaked.empty()) leaked += ", ";
    leaked += std::to_string(fd) + " (" + target + ")";
  }
  return leaked;
}

}  // namespace loopcert
