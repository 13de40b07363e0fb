// What create_connection(), create_server(), create_datagram_endpoint()
// and the pipe and UNIX-domain methods share: resolving, trying every
// address, taking over a caller's socket, making the protocol and waiting
// for connection_made(), all from pep3156_net_support.
#pragma once

#include "pep3156/event_loop.hpp"
#include "reference/net/caller_arguments.hpp"
#include "reference/net/connection_made.hpp"
#include "reference/net/failed_attempts.hpp"
#include "reference/net/make_protocol.hpp"
#include "reference/net/resolve.hpp"
