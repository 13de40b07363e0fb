#include "stream_server.hpp"

#include <asio/ip/tcp.hpp>

#include "os_error.hpp"

namespace loopcert_asio {

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
                                                  std::function<void()> on_close) {
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
                           std::optional<pep3156::reference::tls::ServerTls> tls,
                           std::function<void()> on_close)
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
      pep3156::ExceptionContext context;
      context.message = "accept() failed; retrying every 100 ms";
      context.exception = std::make_exception_ptr(os_error(error, "accept"));
      context.socket = listeners_[index].fd;
      loop_.call_exception_handler(context);
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
  ++active_connections_;
  int fd = connection.native_handle();
  try {
    // LOOP-SERVER-PER-CONNECTION: a protocol and a transport each.
    std::shared_ptr<pep3156::Protocol> protocol = factory_();
    if (!protocol) throw pep3156::TypeError("the protocol factory returned no protocol");
    if (tls_) protocol = tls_->layer(loop_, std::move(protocol));
    StreamTransport::start(loop_, std::move(connection), std::move(protocol), {},
                           [self = shared_from_this()] { self->connection_done(); });
  } catch (const std::exception&) {
    pep3156::ExceptionContext context;
    context.message = "accepting a connection failed";
    context.exception = std::current_exception();
    context.socket = fd;
    loop_.call_exception_handler(context);
    connection_done();
  }
}

void StreamServer::connection_done() {
  --active_connections_;
  finish_waiters_if_done();
}

void StreamServer::close() {
  if (closed_) return;
  closed_ = true;
  listeners_.clear();  // closes the acceptors; their pending accepts are aborted (SERVER-CLOSE)
  if (on_close_) std::exchange(on_close_, {})();
  finish_waiters_if_done();
}

pep3156::Future<void> StreamServer::wait_closed() {
  auto waiter = loop_.create_future<void>();
  waiters_.push_back(waiter);
  finish_waiters_if_done();  // SERVER-WAIT-CLOSED
  return waiter;
}

void StreamServer::finish_waiters_if_done() {
  if (!closed_ || active_connections_ > 0) return;
  for (pep3156::Future<void>& waiter : std::exchange(waiters_, {})) {
    if (!waiter.done()) waiter.set_result();
  }
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
