#include "uv_connection_setup.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include "pep3156/errors.hpp"
#include "reference/net/client_stream.hpp"

namespace loopcert_libuv {

namespace {

/// A UvStream whose handle `init` initialised; std::system_error if it failed.
template <class Init>
UvStreamPtr new_stream(Init init, const char* what) {
  auto stream = std::make_unique<UvStream>();
  if (int status = init(*stream); status < 0) throw_uv_error(status, what);
  return UvStreamPtr(stream.release());
}

int socket_option(int fd, int option) {
  int value = 0;
  socklen_t length = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, option, &value, &length) != 0) return -1;
  return value;
}

}  // namespace

UvStreamPtr tcp_handle(UvEventLoop& loop, int family) {
  return new_stream([&](UvStream& stream) { return uv_tcp_init_ex(loop.uv(), &stream.tcp, family); },
                    "uv_tcp_init_ex()");
}

UvStreamPtr pipe_handle(UvEventLoop& loop) {
  return new_stream([&](UvStream& stream) { return uv_pipe_init(loop.uv(), &stream.pipe, 0); },
                    "uv_pipe_init()");
}

bool is_unix_socket(int fd) { return socket_option(fd, SO_DOMAIN) == AF_UNIX; }

UvStreamPtr stream_on(UvEventLoop& loop, Socket sock) {
  bool unix_domain = is_unix_socket(sock.fd());
  UvStreamPtr stream = unix_domain ? pipe_handle(loop) : tcp_handle(loop);
  int status = unix_domain ? uv_pipe_open(&stream->pipe, sock.fd()) : uv_tcp_open(&stream->tcp, sock.fd());
  if (status < 0) throw_uv_error(status, unix_domain ? "uv_pipe_open()" : "uv_tcp_open()");
  sock.release();  // the handle's now
  return stream;
}

Coroutine<StreamConnection> start_connection(UvEventLoop& loop, UvStreamPtr stream, ProtocolFactory factory,
                                             std::optional<reference::tls::ClientTls> tls) {
  return reference::net::start_client_stream(
      loop, std::move(factory), std::move(tls),
      [&loop, stream = std::move(stream)](std::shared_ptr<Protocol> lower, Future<void> waiter) mutable {
        return start_stream_transport(loop, std::move(stream), StreamKind::socket, std::move(lower), waiter);
      });
}

}  // namespace loopcert_libuv
