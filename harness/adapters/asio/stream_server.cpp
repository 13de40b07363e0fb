#include "stream_server.hpp"

#include <asio/ip/tcp.hpp>

#include "os_error.hpp"
#include "reference/net/make_protocol.hpp"
#include "reference/net/report.hpp"

namespace loopcert_asio {

namespace net = pep3156::reference::net;

namespace {
constexpr double kAcceptRetryDelay = 0.1;  // seconds, after accept() failed for lack of resources

pep3156::SocketAddress local_address(StreamAcceptor& acceptor) {
  auto endpoint = acceptor.local_endpoint();
  return pep3156::SocketAddress(endpoint.data(), static_cast<socklen_t>(endpoint.size()));
}
}  // namespace

std::shared_ptr<StreamServer> StreamServer::start(AsioEventLoop& loop, std::vector<StreamAcceptor> bound,
                                                  int backlog, pep3156::ProtocolFactory factory,
                                                  std::optional<pep3156::reference::tls::ServerTls> tls,
                                                  pep3156::Callback on_close) {
  auto server = std::make_shared<StreamServer>(Private{}, loop, std::move(factory), std::move(tls),
                                               std::move(on_close));
  for (StreamAcceptor& acceptor : bound) {
    acceptor.listen(backlog);  // throws std::system_error
    pep3156::SocketAddress address = local_address(acceptor);
    int fd = acceptor.native_handle();
    server->listeners_.push_back({std::move(acceptor), fd, std::move(address)});
  }
  loop.track(server);
  for (std::size_t i = 0; i < server->listeners_.size(); ++i) server->accept_next(i);
  return server;
}

StreamServer::StreamServer(Private, AsioEventLoop& loop, pep3156::ProtocolFactory factory,
                           std::optional<pep3156::reference::tls::ServerTls> tls, pep3156::Callback on_close)
    : loop_(loop), factory_(std::move(factory)), tls_(std::move(tls)), on_close_(std::move(on_close)) {}

void StreamServer::accept_next(std::size_t index) {
  // The accepted socket reaches serve() through the ready queue: the
  // protocol factory is user code.
  listeners_[index].acceptor.async_accept(
      [self = shared_from_this(), index](const asio::error_code& error, StreamSocket connection) {
        self->loop_.call_soon([self, index, error, connection = std::move(connection)]() mutable {
          self->accepted(index, error, std::move(connection));
        });
      });
}

void StreamServer::accepted(std::size_t index, asio::error_code error, StreamSocket connection) {
  if (closed_ || error == asio::error::operation_aborted) return;  // a closed acceptor's last wait
  if (error == asio::error::connection_aborted) {
    accept_next(index);  // that client is gone; serve the next
    return;
  }
  if (error) {
    // Out of descriptors or memory: say so once, and try again later
    // rather than spin on a listener that stays readable.
    if (!starved_) {
      starved_ = true;
      net::report_error(loop_, "accept() failed; retrying every 100 ms",
                        std::make_exception_ptr(os_error(error, "accept")), nullptr, nullptr,
                        listeners_[index].fd);
    }
    loop_.call_later(kAcceptRetryDelay, [self = shared_from_this(), index] {
      if (!self->closed_) self->accept_next(index);
    });
    return;
  }
  starved_ = false;
  serve(std::move(connection));  // the protocol factory may close() the server
  if (!closed_) accept_next(index);
}

void StreamServer::serve(StreamSocket connection) {
  connections_.opened();
  int fd = connection.native_handle();
  try {
    // LOOP-SERVER-PER-CONNECTION: a protocol and a transport each.
    std::shared_ptr<pep3156::Protocol> protocol = net::make_protocol(factory_);
    if (tls_) protocol = tls_->layer(loop_, std::move(protocol));
    StreamTransport::start(loop_, std::move(connection), std::move(protocol), {},
                           [self = shared_from_this()] { self->connections_.gone(); });
  } catch (const std::exception&) {
    net::report_error(loop_, "accepting a connection failed", std::current_exception(), nullptr, nullptr, fd);
    connections_.gone();
  }
}

void StreamServer::close() {
  if (closed_) return;
  closed_ = true;
  listeners_.clear();  // closes the acceptors; their pending accepts are aborted (SERVER-CLOSE)
  if (on_close_) std::exchange(on_close_, {})();
  connections_.server_closed();
}

pep3156::Future<void> StreamServer::wait_closed() {
  return connections_.wait_closed(loop_.create_future<void>());
}

std::vector<pep3156::ListeningSocket> StreamServer::sockets() const {
  std::vector<pep3156::ListeningSocket> result;
  for (const Listener& listener : listeners_) {
    result.push_back({listener.fd, listener.address});
  }
  return result;
}

void StreamServer::release_io() noexcept {
  closed_ = true;
  listeners_.clear();
}

}  // namespace loopcert_asio
