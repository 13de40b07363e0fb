// The check connect_read_pipe() and connect_write_pipe() make on the
// caller's descriptor before a transport takes it (decision D-TIER-3).
#pragma once

#include "pep3156/address.hpp"

namespace pep3156::reference::net {

/// ValueError unless `pipe` is a FIFO, a socket or a character device (a
/// regular file is always "ready" and cannot be polled), in non-blocking
/// mode (LOOP-PIPE-READ); std::system_error if it is no descriptor.
void check_caller_pipe(const Socket& pipe, const char* method);

}  // namespace pep3156::reference::net
