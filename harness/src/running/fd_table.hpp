// The process's open file descriptors, to tell whether a case leaked one.
#pragma once

#include <map>
#include <string>

namespace loopcert {

/// fd -> what it refers to ("socket:[123]", "/dev/null", "anon_inode:[eventpoll]").
using FdTable = std::map<int, std::string>;

FdTable snapshot_fds();

/// "7 (socket:[123]), 9 (anon_inode:[eventfd])": fds in `after` but not in
/// `before`, or empty if none.
std::string describe_new_fds(const FdTable& before, const FdTable& after);

}  // namespace loopcert
