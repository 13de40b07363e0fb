// ProactorEventLoop's wrapped socket methods (PEP 3156, "Wrapped Socket
// Methods") as proactor operations: sock_recv() is one receive, sock_sendall()
// a send submitted again until every byte is gone, sock_accept() one accept.
// The selector's versions (reference/net/sock_methods.hpp) try the system
// call and wait for readiness; these hand the call to the kernel and wait
// for it to finish.
//
// While an operation is in flight its buffer belongs to the kernel, so the
// buffer lives in the completion's closure, which the proactor keeps until
// the completion arrives, whatever happens to the Future meanwhile.
// Cancelling the Future cancels the operation at once, inside cancel()
// (IORING_OP_ASYNC_CANCEL, submitted there and then): bytes or a client
// that arrive afterwards stay in the socket for the next call, as on the
// selector loop (LOOP-SOCK-RECV, LOOP-SOCK-ACCEPT). A done callback would
// be too late: it runs an iteration later, and by then the kernel may have
// completed the operation with data nobody will read.
#include <cerrno>
#include <functional>
#include <memory>
#include <utility>

#include "reference/net/socket_ops.hpp"
#include "reference/proactor_event_loop.hpp"

namespace pep3156::reference {

namespace {

/// A sock_*() call's Future: its cancel() also cancels the operation.
class OperationFuture final : public StandardFuture {
 public:
  using StandardFuture::StandardFuture;

  bool cancel() override {
    if (!StandardFuture::cancel()) return false;
    if (on_cancel) std::exchange(on_cancel, nullptr)();
    return true;
  }

  std::function<void()> on_cancel;
};

/// One sock_*() call: its Future, the operation in flight for it, and how
/// to submit that operation again and read its result.
class SockCall : public std::enable_shared_from_this<SockCall> {
 public:
  /// Submits the operation with the completion given.
  using Submit = std::function<OperationId(Proactor&, OnCompletion)>;
  /// Takes a result >= 0: true once the Future has its result, false to
  /// submit again (a partial send). Throws to fail the Future.
  using Finish = std::function<bool(FutureBase&, int result)>;

  SockCall(Proactor& proactor, int fd, Events direction, std::shared_ptr<OperationFuture> future,
           Submit submit, Finish finish)
      : proactor_(proactor),
        fd_(fd),
        direction_(direction),
        future_(std::move(future)),
        submit_(std::move(submit)),
        finish_(std::move(finish)) {}

  /// Submits the first operation; cancelling the Future cancels the one
  /// then in flight.
  FuturePtr start() {
    future_->on_cancel = [weak = weak_from_this()] {
      if (auto call = weak.lock(); call && call->in_flight_ != 0) call->proactor_.cancel(call->in_flight_);
    };
    submit();
    return future_;
  }

 private:
  void submit() {
    in_flight_ = submit_(proactor_, [call = shared_from_this()](int result) { call->completed(result); });
  }

  void completed(int result) {
    in_flight_ = 0;
    if (future_->done()) return;  // cancelled while in flight
    if (result == -EAGAIN) {
      // This kernel honours the socket's O_NONBLOCK for the operation:
      // wait until the socket is ready, then submit it again.
      in_flight_ = proactor_.poll(fd_, direction_, [call = shared_from_this()](int) { call->submit(); });
      return;
    }
    try {
      if (result < 0) throw_system_error(-result, "socket operation");
      if (!finish_(*future_, result)) submit();
    } catch (...) {
      future_->set_exception(std::current_exception());
    }
  }

  Proactor& proactor_;
  int fd_;
  Events direction_;
  std::shared_ptr<OperationFuture> future_;
  OperationId in_flight_ = 0;
  Submit submit_;
  Finish finish_;
};

}  // namespace

FuturePtr ProactorEventLoop::start_sock_call(int fd, Events direction, const char* method,
                                             std::function<OperationId(Proactor&, OnCompletion)> submit,
                                             std::function<bool(FutureBase&, int)> finish) {
  // Argument errors are thrown here (decision D-TIER-3), as the selector's.
  check_open(method);
  net::require_nonblocking(fd, method);
  auto call = std::make_shared<SockCall>(proactor(), fd, direction, std::make_shared<OperationFuture>(*this),
                                         std::move(submit), std::move(finish));
  return call->start();
}

Future<Bytes> ProactorEventLoop::sock_recv(int fd, std::size_t n) {
  auto data = std::make_shared<Bytes>(n);
  return Future<Bytes>(start_sock_call(
      fd, Events::readable, "sock_recv()",
      [fd, data](Proactor& proactor, OnCompletion done) { return proactor.recv(fd, *data, std::move(done)); },
      [data](FutureBase& future, int received) {
        data->resize(static_cast<std::size_t>(received));  // LOOP-SOCK-RECV: empty at EOF
        future.set_result_value(Value(std::move(*data)));
        return true;
      }));
}

Future<void> ProactorEventLoop::sock_sendall(int fd, Bytes data) {
  auto rest = std::make_shared<Bytes>(std::move(data));
  auto sent = std::make_shared<std::size_t>(0);
  return Future<void>(start_sock_call(
      fd, Events::writable, "sock_sendall()",
      [fd, rest, sent](Proactor& proactor, OnCompletion done) {
        return proactor.send(fd, BytesView(*rest).subspan(*sent), std::move(done));
      },
      [rest, sent](FutureBase& future, int count) {
        *sent += static_cast<std::size_t>(count);
        if (*sent < rest->size()) return false;  // LOOP-SOCK-SENDALL: every byte, however many sends
        future.set_result_value(Value());
        return true;
      }));
}

Future<void> ProactorEventLoop::sock_connect(int fd, SocketAddress address) {
  // A UNIX-domain listener with a full backlog refuses at once with EAGAIN
  // (net/sock_methods.hpp), which the proactor's contract reads as "not
  // ready yet": those connects stay the readiness ones.
  if (address.family() == AF_UNIX) return ReadinessTransports::sock_connect(fd, std::move(address));
  auto target = std::make_shared<SocketAddress>(std::move(address));
  auto asked_before = std::make_shared<bool>(false);
  return Future<void>(start_sock_call(
      fd, Events::writable, "sock_connect()",
      [fd, target, asked_before](Proactor& proactor, OnCompletion done) {
        bool again = std::exchange(*asked_before, true);
        return proactor.connect(fd, target->data(), target->size(),
                                [again, done = std::move(done)](int result) {
                                  // In progress: wait for writability and connect again, which
                                  // answers 0, how the attempt failed, or -EISCONN if it is done.
                                  if (result == -EINPROGRESS || result == -EALREADY) result = -EAGAIN;
                                  if (again && result == -EISCONN) result = 0;
                                  done(result);
                                });
      },
      [](FutureBase& future, int) {
        future.set_result_value(Value());  // LOOP-SOCK-CONNECT
        return true;
      }));
}

Future<AcceptedSocket> ProactorEventLoop::sock_accept(int fd) {
  struct Peer {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
  };
  auto peer = std::make_shared<Peer>();
  return Future<AcceptedSocket>(start_sock_call(
      fd, Events::readable, "sock_accept()",
      [fd, peer](Proactor& proactor, OnCompletion done) {
        peer->length = sizeof peer->address;
        return proactor.accept(fd, reinterpret_cast<sockaddr*>(&peer->address), &peer->length,
                               std::move(done));
      },
      [peer](FutureBase& future, int conn) {
        AcceptedSocket accepted{Socket(conn),
                                SocketAddress(reinterpret_cast<sockaddr*>(&peer->address), peer->length)};
        future.set_result_value(Value(std::move(accepted)));  // LOOP-SOCK-ACCEPT
        return true;
      }));
}

}  // namespace pep3156::reference
