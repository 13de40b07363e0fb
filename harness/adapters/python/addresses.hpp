// Socket addresses across the bridge: the contract's SocketAddress and
// Python's address tuple ((host, port), (host, port, flowinfo, scope_id),
// or a path for AF_UNIX).
#pragma once

#include "interpreter.hpp"
#include "pep3156/address.hpp"

namespace loopcert_python {

/// GIL held.
PyRef to_python_address(const pep3156::SocketAddress& address);

/// `address` of a socket of `family`. ValueError for another family,
/// or Python's error when the tuple is not one. GIL held.
pep3156::SocketAddress from_python_address(int family, PyObject* address);

/// `address` of whatever family its form says: a path is AF_UNIX, a
/// 4-tuple AF_INET6, a 2-tuple AF_INET (a datagram's sender). GIL held.
pep3156::SocketAddress from_python_address(PyObject* address);

}  // namespace loopcert_python
