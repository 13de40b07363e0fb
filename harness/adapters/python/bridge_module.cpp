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
import gc
import os
import selectors
import signal
import socket
import ssl
import subprocess
import weakref

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


class ProtocolProxy(asyncio.Protocol):
    """A C++ protocol driven by a Python transport: each event goes to
    `cpp` (a CppFunction) as (event, argument), connection_lost() too and
    whatever the library calls after it (the kit must see it). Python's gc
    cannot see what `cpp` holds (the C++ protocol, the transport's
    wrapper, hence the transport), so the loop cuts that edge when it
    closes or is released (detach_proxies())."""

    def __init__(self, loop, cpp):
        self._cpp = cpp
        _proxies.setdefault(id(loop), weakref.WeakSet()).add(self)

    def _send(self, event, argument=None):
        cpp = self._cpp
        return None if cpp is None else cpp(event, argument)

    def connection_made(self, transport):
        self._send('made', transport)

    def data_received(self, data):
        self._send('data', data)

    def eof_received(self):
        return self._send('eof')

    def pause_writing(self):
        self._send('pause')

    def resume_writing(self):
        self._send('resume')

    def connection_lost(self, exc):
        self._send('lost', exc)

    def detach(self):
        self._cpp = None


class DatagramProtocolProxy(ProtocolProxy, asyncio.DatagramProtocol):
    """A ProtocolProxy for a C++ datagram protocol."""

    def datagram_received(self, data, addr):
        self._send('datagram', (data, addr))

    def error_received(self, exc):
        self._send('error', exc)


class SubprocessProtocolProxy(ProtocolProxy, asyncio.SubprocessProtocol):
    """A ProtocolProxy for a C++ subprocess protocol."""

    def pipe_data_received(self, fd, data):
        self._send('pipe_data', (fd, data))

    def pipe_connection_lost(self, fd, exc):
        self._send('pipe_lost', (fd, exc))

    def process_exited(self):
        self._send('exited')


class PipeEnd:
    """The file-like object connect_read_pipe() and connect_write_pipe()
    take, owning the caller's pipe end: the transport owns the end from
    the call on and closes it (decision D-PIPE-3). asyncio's transports
    close it through close() (unix_events.py:588, 793);
    gbulb's take the fd over and close it themselves, dropping the file
    object (gbulb/transports.py:386, 396, 402, 412): unlike a FileIO, this
    object does not close the fd when collected, so no library closes it
    twice."""

    def __init__(self, fd):
        self._fd = fd

    def fileno(self):
        return self._fd

    def close(self):
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)


# Where a child's stdin/stdout/stderr goes: the contract's Stdio kinds.
_STDIO = {'pipe': subprocess.PIPE, 'stdout': subprocess.STDOUT,
          'devnull': subprocess.DEVNULL, 'inherit': None}


def stdio(kind, fd):
    """Popen's stdin=/stdout=/stderr= for a Stdio: a constant, or the
    caller's fd (Popen does not close it)."""
    return fd if kind == 'fd' else _STDIO[kind]


_proxies = {}  # id(loop): the loop's live ProtocolProxy objects


def detach_proxies(loop):
    """Cuts every C++ edge of `loop`'s proxies (the loop is closing, or
    released unclosed)."""
    for proxy in list(_proxies.pop(id(loop), ())):
        proxy.detach()


def listening_sockets(server):
    """(fd, family, address) of each socket `server` listens on."""
    return [(s.fileno(), s.family, s.getsockname()) for s in (server.sockets or ())]


def transport_socket_info(transport, name):
    """get_extra_info() of 'peername'/'sockname' as (family, address), or
    'socket' or 'pipe' as its fd: what the contract's SocketAddress and int
    need."""
    if name == 'pipe':
        pipe = transport.get_extra_info('pipe')
        try:
            return None if pipe is None else pipe.fileno()
        except ValueError:  # a closed file object: its fd is gone
            return None
    sock = transport.get_extra_info('socket')
    value = transport.get_extra_info(name)
    if sock is None or value is None:
        return None
    if name == 'socket':
        return sock.fileno()
    return sock.family, value


def ssl_context(server_side, verify_mode, check_hostname, minimum_version,
                maximum_version, cadata, chain_and_key):
    """A Python ssl.SSLContext configured as the contract's SSLContext is
    (python_ssl.cpp reads it). The SSL_CTX does not say whether the
    system's trust store was added (its lookups are opaque), so a client
    context gets it as create_default_context() gives it; the certificates
    it loaded itself come as `cadata`. The key never touches the disk: it
    is read from a memfd."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False  # verify_mode CERT_NONE needs it off first
    context.verify_mode = ssl.VerifyMode(verify_mode)
    # Under SSL_VERIFY_NONE OpenSSL ignores a hostname mismatch as any other
    # verification failure, while Python would turn check_hostname on by
    # raising verify_mode to CERT_REQUIRED: keep the check off there.
    context.check_hostname = bool(check_hostname) and context.verify_mode != ssl.CERT_NONE
    # SSL_CTX_get_{min,max}_proto_version(): OpenSSL's numbers, which
    # ssl.TLSVersion shares; 0 is no bound.
    for bound, version in (('minimum_version', minimum_version), ('maximum_version', maximum_version)):
        if version:
            setattr(context, bound, ssl.TLSVersion(version))
    if not server_side:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    if cadata:
        context.load_verify_locations(cadata=cadata)
    if chain_and_key:
        fd = os.memfd_create('loopcert-cert-chain', os.MFD_CLOEXEC)
        try:
            os.write(fd, chain_and_key.encode())
            context.load_cert_chain(f'/proc/self/fd/{fd}')
        finally:
            os.close(fd)
    return context


def install_child_watcher(name):
    """The child watcher the library's subprocesses report to (decision
    D-PIPE-1). asyncio: 3.11's default ThreadedChildWatcher
    (unix_events.py:1434-1439), a thread per child blocked in waitpid()
    that enters Python once: it serves any loop in any thread and needs
    no signal handler. PidfdChildWatcher, also in 3.11, serves the one
    loop attach_loop() gave it (unix_events.py:930-949; the policy
    attaches only from set_event_loop() in the main thread, 1441-1453),
    and attaching another loop drops the first one's children: the kit
    makes loops without set_event_loop(), several in a case, some off the
    main thread. gbulb: its own GLibChildWatcher (GLib's child watch
    source, glib_events.py:58-130), the one its policy gives (951-956).
    uvloop: libuv's uv_spawn() watches its children itself."""
    if name.startswith('asyncio'):
        asyncio.set_child_watcher(asyncio.ThreadedChildWatcher())
    elif name == 'gbulb':
        from gbulb.glib_events import GLibChildWatcher
        asyncio.set_child_watcher(GLibChildWatcher())


def prepare_process(name):
    """Opens what the loop's library opens once per process and keeps:
    libuv's signal pipe (uvloop: uv_loop_init(), src/unix/signal.c), the
    eventfd GLib opens on a process's first main-loop run and its worker
    context's on the first signal handler (gbulb). A loop
    made, run once, closed and collected leaves exactly that behind.
    Installs the library's child watcher."""
    install_child_watcher(name)
    loop = make_loop(name)
    if name == 'gbulb':
        # GLib's first unix signal source starts its worker context, whose
        # eventfd stays open for the life of the process (gmain.c,
        # ref_unix_signal_handler_unlocked(), g_get_worker_context()); the
        # disposition is SIG_DFL again once the source is removed.
        loop.add_signal_handler(signal.SIGUSR1, lambda: None)
        loop.remove_signal_handler(signal.SIGUSR1)
    loop.call_soon(loop.stop)
    loop.run_forever()
    loop.close()
    del loop
    gc.collect()


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

void prepare_library(const char* library) {
  ensure_interpreter();
  Gil gil;
  PyRef prepared = PyRef::steal(PyObject_CallMethod(bridge, "prepare_process", "s", library));
  if (!prepared) {
    PyErr_Print();  // the case's own make_loop() will fail and say why
  }
}

PyRef bridge_attribute(const char* name) { return PyRef::steal(PyObject_GetAttrString(bridge, name)); }

}  // namespace loopcert_python
