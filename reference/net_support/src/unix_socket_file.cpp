#include "reference/net/unix_socket_file.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reference/net/socket_ops.hpp"

namespace pep3156::reference::net {

void remove_stale_socket_file(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || !S_ISSOCK(info.st_mode)) return;
  Socket probe = open_socket(AF_UNIX, SOCK_STREAM, 0);
  SocketAddress address = SocketAddress::unix_path(path);
  if (::connect(probe.fd(), address.data(), address.size()) != 0 && errno == ECONNREFUSED) {
    ::unlink(path.c_str());
  }
}

Callback socket_file_remover(const std::string& path) {
  struct stat bound {};
  if (::lstat(path.c_str(), &bound) != 0) return {};
  return [path, device = bound.st_dev, inode = bound.st_ino] {
    struct stat now {};
    if (::lstat(path.c_str(), &now) == 0 && now.st_dev == device && now.st_ino == inode)
      ::unlink(path.c_str());
  };
}

}  // namespace pep3156::reference::net
