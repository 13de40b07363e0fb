// PythonEventLoop's socket methods and name lookups: the Python loop's own
// sock_*(), getaddrinfo() and getnameinfo(), each a Task on the Python loop
// whose outcome a PythonFuture hands to C++. The caller's fd is lent to a
// Python socket object for the call and detached, never closed
// (bridge_module.cpp, sock_method()).
#include <sys/socket.h>

#include "addresses.hpp"
#include "bridge_module.hpp"
#include "conversions.hpp"
#include "exceptions.hpp"
#include "python_event_loop.hpp"
#include "python_future.hpp"

namespace loopcert_python {

PyRef PythonEventLoop::sock_method(const char* method, int fd, PyObject* argument) {
  PyRef sock_method = check(bridge_attribute("sock_method").release());
  return check(argument == nullptr
                   ? PyObject_CallFunction(sock_method.get(), "Osi", loop_.get(), method, fd)
                   : PyObject_CallFunction(sock_method.get(), "OsiO", loop_.get(), method, fd, argument));
}

pep3156::Future<pep3156::Bytes> PythonEventLoop::sock_recv(int fd, std::size_t n) {
  Gil gil;
  PyRef size = check(PyLong_FromSize_t(n));
  return pep3156::Future<pep3156::Bytes>(adopt(sock_method("sock_recv", fd, size.get()), [](PyObject* data) {
    pep3156::BytesView view = bytes_view(data);
    return pep3156::Value(pep3156::Bytes(view.begin(), view.end()));
  }));
}

pep3156::Future<void> PythonEventLoop::sock_sendall(int fd, pep3156::Bytes data) {
  Gil gil;
  PyRef bytes = to_python_bytes(data);
  return pep3156::Future<void>(adopt(sock_method("sock_sendall", fd, bytes.get())));
}

pep3156::Future<void> PythonEventLoop::sock_connect(int fd, pep3156::SocketAddress address) {
  Gil gil;
  PyRef python_address = to_python_address(address);
  return pep3156::Future<void>(adopt(sock_method("sock_connect", fd, python_address.get())));
}

pep3156::Future<pep3156::AcceptedSocket> PythonEventLoop::sock_accept(int fd) {
  Gil gil;
  PyRef sock_accept = check(bridge_attribute("sock_accept").release());
  PyRef coroutine = check(PyObject_CallFunction(sock_accept.get(), "Oi", loop_.get(), fd));
  return pep3156::Future<pep3156::AcceptedSocket>(adopt(std::move(coroutine), [](PyObject* accepted) {
    // (family, peer, fd): the fd is the caller's from here on, whatever follows.
    pep3156::Socket conn(to_int(PyTuple_GetItem(accepted, 2)));
    pep3156::SocketAddress peer =
        from_python_address(to_int(PyTuple_GetItem(accepted, 0)), PyTuple_GetItem(accepted, 1));
    return pep3156::Value(pep3156::AcceptedSocket{std::move(conn), std::move(peer)});
  }));
}

pep3156::Future<std::vector<pep3156::AddrInfo>> PythonEventLoop::getaddrinfo(
    std::string host, std::string port, pep3156::GetAddrInfoOptions options) {
  Gil gil;
  PyRef method = check(PyObject_GetAttrString(loop_.get(), "getaddrinfo"));
  PyRef arguments =
      check(Py_BuildValue("(NN)", optional_text(host).release(), optional_text(port).release()));
  PyRef keywords = check(Py_BuildValue("{sisisisi}", "family", options.family, "type", options.type, "proto",
                                       options.proto, "flags", options.flags));
  PyRef coroutine = check(PyObject_Call(method.get(), arguments.get(), keywords.get()));
  return pep3156::Future<std::vector<pep3156::AddrInfo>>(adopt(std::move(coroutine), [](PyObject* rows) {
    std::vector<pep3156::AddrInfo> infos;
    PyRef iterator = check(PyObject_GetIter(rows));
    while (PyRef row = PyRef::steal(PyIter_Next(iterator.get()))) {
      // (family, type, proto, canonname, sockaddr)
      int family = to_int(PyTuple_GetItem(row.get(), 0));
      infos.push_back(pep3156::AddrInfo{family, to_int(PyTuple_GetItem(row.get(), 1)),
                                        to_int(PyTuple_GetItem(row.get(), 2)),
                                        to_string(PyTuple_GetItem(row.get(), 3)),
                                        from_python_address(family, PyTuple_GetItem(row.get(), 4))});
    }
    if (PyErr_Occurred()) throw_python_error();
    return pep3156::Value(std::move(infos));
  }));
}

pep3156::Future<pep3156::NameInfo> PythonEventLoop::getnameinfo(pep3156::SocketAddress address, int flags) {
  Gil gil;
  PyRef python_address = to_python_address(address);
  PyRef coroutine = call_method("getnameinfo", "Oi", python_address.get(), flags);
  return pep3156::Future<pep3156::NameInfo>(adopt(std::move(coroutine), [](PyObject* pair) {
    return pep3156::Value(
        pep3156::NameInfo{to_string(PyTuple_GetItem(pair, 0)), to_string(PyTuple_GetItem(pair, 1))});
  }));
}

}  // namespace loopcert_python
