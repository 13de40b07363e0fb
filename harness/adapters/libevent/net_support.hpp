// What the libevent loop's networking methods share: the loop-free pieces
// of pep3156_net_support (raw socket calls the library has no wrapper for,
// errors as the PEP's exceptions, reports to the exception handler,
// resolving a name through the loop's getaddrinfo() (evdns), the argument
// checks, trying every address), named here once for the adapter, and
// holding SIGPIPE back around libevent's writes.
#pragma once

#include <string>

#include "reference/net/caller_arguments.hpp"
#include "reference/net/failed_attempts.hpp"
#include "reference/net/make_protocol.hpp"
#include "reference/net/report.hpp"
#include "reference/net/resolve.hpp"
#include "reference/net/sigpipe_guard.hpp"
#include "reference/net/socket_ops.hpp"

namespace pep3156::libevent_adapter {

using reference::net::bind_to;
using reference::net::check_family;
using reference::net::FailedAttempts;
using reference::net::make_protocol;
using reference::net::open_socket;
using reference::net::os_error;
using reference::net::report_error;
using reference::net::require_nonblocking;
using reference::net::resolve;
using reference::net::set_nonblocking;
using reference::net::socket_option;
using reference::net::take_caller_socket;

/// Writes to a pipe or socket whose reader is gone fail with EPIPE instead
/// of killing the process.
using reference::net::SigpipeGuard;

/// std::system_error for `err` (an errno value), naming `what`.
[[noreturn]] void throw_os_error(int err, const std::string& what);

}  // namespace pep3156::libevent_adapter
