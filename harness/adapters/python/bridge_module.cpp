// The bridge's Python side: what is simpler said in Python than through
// the C API. Compiled once per process into the module `loopcert_bridge`.
#include "bridge_module.hpp"

#include <cstdio>
#include <cstdlib>

namespace loopcert_python {

namespace {

constexpr const char* kBridgeSource = R"PY(
import asyncio
import fcntl
import os
import selectors
import socket
import ssl

# The Python classes the exception mapping (exceptions.cpp) looks for.
CancelledError = asyncio.CancelledError
InvalidStateError = asyncio.InvalidStateError
SSLError = ssl.SSLError
gaierror = socket.gaierror


class CppException(Exception):
    """A C++ std::exception crossing Python frames; `cpp` holds it."""


class CppBaseException(SystemExit):
    """A C++ pep3156::BaseException crossing Python frames. SystemExit is
    the BaseException asyncio lets leave run_forever() (events.py,
    Handle._run), as the contract wants of the BaseException family."""


class CppCancelledError(asyncio.CancelledError):
    """A C++ pep3156::CancelledError: Python must see it as a cancellation."""


def caller_socket(fd):
    """A socket object on the caller's fd, which stays the caller's: the
    user of it must detach() it, never close it. Non-blocking as the fd is
    (asyncio checks it in debug mode), without touching the fd's flags."""
    sock = socket.socket(fileno=fd)
    if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK:
        sock.settimeout(0)
    return sock


async def sock_method(loop, method, fd, *args):
    """loop.<method>(sock, *args) on the caller's fd."""
    sock = caller_socket(fd)
    try:
        return await getattr(loop, method)(sock, *args)
    finally:
        sock.detach()


async def sock_accept(loop, fd):
    """loop.sock_accept() on the caller's fd: the accepted socket's fd
    (the caller's from now on), its family and the peer's address."""
    conn, peer = await sock_method(loop, 'sock_accept', fd)
    return conn.family, peer, conn.detach()


_SELECTORS = {
    'asyncio-select': 'SelectSelector',
    'asyncio-poll': 'PollSelector',
    'asyncio-epoll': 'EpollSelector',
}


def make_loop(name):
    """A fresh loop of the library the adapter's loop `name` certifies."""
    if name == 'asyncio':
        return asyncio.SelectorEventLoop()
    if name in _SELECTORS:
        return asyncio.SelectorEventLoop(getattr(selectors, _SELECTORS[name])())
    if name == 'uvloop':
        import uvloop
        return uvloop.Loop()
    if name == 'gbulb':
        import gbulb
        return gbulb.GLibEventLoop()
    raise ValueError(f'no Python loop named {name!r}')
)PY";

PyObject* bridge = nullptr;  // the module, kept for the life of the process

}  // namespace

void load_bridge_module() {
  PyObject* code = Py_CompileString(kBridgeSource, "<loopcert_bridge>", Py_file_input);
  if (code != nullptr) bridge = PyImport_ExecCodeModule("loopcert_bridge", code);
  Py_XDECREF(code);
  if (bridge == nullptr) {
    PyErr_Print();
    std::fprintf(stderr, "loopcert python adapter: the bridge module does not load\n");
    std::abort();
  }
}

PyRef bridge_attribute(const char* name) { return PyRef::steal(PyObject_GetAttrString(bridge, name)); }

}  // namespace loopcert_python
