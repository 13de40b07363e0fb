#include "uv_connection_setup.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include "pep3156/errors.hpp"

namespace loopcert_libuv {

void FailedAttempts::add(const SocketAddress& address, std::exception_ptr error) {
  std::string text = address.to_string();
  try {
    std::rethrow_exception(error);
  } catch (const std::system_error& e) {
    if (!first_code_) first_code_ = e.code();
    text += std::string(": ") + e.what();
  } catch (const std::exception& e) {
    text += std::string(": ") + e.what();
  }
  failures_.emplace_back(std::move(text), std::move(error));
}

void FailedAttempts::raise(const std::string& what) const {
  if (failures_.size() == 1) std::rethrow_exception(failures_.front().second);
  std::string message = what + ": every address failed:";
  for (const auto& [text, error] : failures_) message += " [" + text + "]";
  throw std::system_error(first_code_ ? first_code_ : std::make_error_code(std::errc::io_error), message);
}

Coroutine<std::vector<AddrInfo>> resolve(UvEventLoop& loop, std::string host, std::uint16_t port,
                                         GetAddrInfoOptions options) {
  auto infos = co_await loop.getaddrinfo(host, std::to_string(port), options);
  if (infos.empty()) {
    throw std::system_error(EAI_NONAME, gai_category(),
                            "getaddrinfo(" + host + ", " + std::to_string(port) + ") returned nothing");
  }
  co_return infos;
}

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
  std::shared_ptr<Protocol> protocol = make_protocol(factory);
  auto handshake = loop.create_future<void>();
  std::shared_ptr<reference::tls::SSLTransport> layer;
  if (tls) layer = tls->layer(loop, protocol, handshake.state());
  auto waiter = loop.create_future<void>();
  std::shared_ptr<Protocol> lower = layer ? std::shared_ptr<Protocol>(layer) : protocol;
  auto transport = start_stream_transport(loop, std::move(stream), StreamKind::socket, lower, waiter);
  co_await connection_made(waiter, transport);
  if (!layer) co_return StreamConnection{transport, protocol};
  co_await connection_made(handshake, layer);
  co_return StreamConnection{layer, protocol};
}

}  // namespace loopcert_libuv
