// The file a UNIX-domain server binds: removing one left behind by a server
// that is gone, and removing our own when the server closes.
#pragma once

#include <string>

#include "pep3156/unique_function.hpp"

namespace pep3156::reference::net {

/// Removes `path` if it is a socket nobody listens on (connecting to it is
/// refused). Leaves a live socket, any other kind of file and a missing
/// path alone.
void remove_stale_socket_file(const std::string& path);

/// What Server::close() runs for a socket file it bound: removes `path` if
/// it is still the same file (not one another server has bound since).
Callback socket_file_remover(const std::string& path);

}  // namespace pep3156::reference::net
