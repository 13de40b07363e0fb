// Socket addresses across the bridge (addresses.hpp).
#include "addresses.hpp"

#include <sys/socket.h>

#include "exceptions.hpp"
#include "pep3156/errors.hpp"

namespace loopcert_python {

PyRef to_python_address(const pep3156::SocketAddress& address) {
  switch (address.family()) {
    case AF_INET:
      return check(Py_BuildValue("(sH)", address.host().c_str(), address.port()));
    case AF_INET6:
      return check(Py_BuildValue("(sHII)", address.host().c_str(), address.port(), address.flowinfo(),
                                 address.scope_id()));
    case AF_UNIX:
      return check(PyUnicode_FromString(address.host().c_str()));
    default:
      throw pep3156::ValueError("an address of family " + std::to_string(address.family()) +
                                " has no Python form");
  }
}

pep3156::SocketAddress from_python_address(int family, PyObject* address) {
  if (family == AF_UNIX) {
    // Python gives an unbound peer as '' (or b'' for an abstract one).
    PyRef text = check(PyObject_Str(address));
    const char* path = PyUnicode_AsUTF8(text.get());
    if (path == nullptr) throw_python_error();
    return pep3156::SocketAddress::unix_path(PyUnicode_Check(address) ? path : "");
  }
  if (family != AF_INET && family != AF_INET6) {
    throw pep3156::ValueError("a socket of family " + std::to_string(family) +
                              " has no address the contract knows");
  }
  // An IPv6 tuple's flowinfo and scope_id are not carried over: the kit's
  // addresses are loopback ones, where both are 0.
  PyRef host_and_port = check(PyTuple_GetSlice(address, 0, 2));
  const char* host = nullptr;
  int port = 0;
  if (!PyArg_ParseTuple(host_and_port.get(), "si", &host, &port)) throw_python_error();
  return pep3156::SocketAddress(host, static_cast<std::uint16_t>(port));
}

pep3156::SocketAddress from_python_address(PyObject* address) {
  if (!PyTuple_Check(address)) return from_python_address(AF_UNIX, address);
  return from_python_address(PyTuple_Size(address) == 4 ? AF_INET6 : AF_INET, address);
}

}  // namespace loopcert_python
