// Wrapped socket methods (PEP 3156, "Wrapped Socket Methods"): cancelling a
// pending sock_recv(), sock_accept() or sock_connect().
//
// The cancelled Future ends cancelled (a Task's cancellation may take a
// step or two), and the loop stops working on the caller's socket: bytes
// or connections that arrive afterwards are still there for the next call,
// and the socket, which the caller owns (decision D-SOCK-1), stays open.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <string>

#include "conformance/conformance.hpp"
#include "conformance/net_support.hpp"
#include "conformance/stream_support.hpp"

using namespace pep3156;
using net_support::run_until;
using net_support::UniqueFd;
using stream_support::settle;

namespace {

/// Lets the loop start waiting on `pending`, cancels it, and runs the loop
/// until it is done; checks that it ended cancelled.
template <class T>
void cancel_while_waiting(conformance::Context& ctx, AbstractEventLoop& loop, Future<T>& pending,
                          const char* method) {
  settle(ctx, loop);
  REQUIRE_THAT(!pending.done(), conformance::str(method, "() waits while there is nothing to do"));
  pending.cancel();
  run_until(
      ctx, loop, [&] { return pending.done(); }, conformance::str("the cancelled ", method, "()"));
  CHECK_THAT(pending.cancelled(), conformance::str("a cancelled ", method, "() ends cancelled"));
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

}  // namespace

LOOPCERT_CASE("sockets.sock_recv.cancelled_loses_nothing", clauses("LOOP-SOCK-RECV")) {
  auto loop = ctx.new_loop();
  auto pair = conformance::socket_pair();
  Future<Bytes> pending = loop->sock_recv(pair.first.get(), 16);
  cancel_while_waiting(ctx, *loop, pending, "sock_recv");
  conformance::write_all(pair.second.get(), "data", 4);
  settle(ctx, *loop);
  // FIONREAD counts what waits in the socket; a peeking recv() may come back
  // short or with EAGAIN (the kernel's right, which the fault shim takes).
  int waiting = -1;
  if (::ioctl(pair.first.get(), FIONREAD, &waiting) < 0)
    ctx.fail(conformance::str("ioctl(FIONREAD): errno ", errno));
  CHECK_EQUAL(waiting, 4,
              "bytes that arrive after sock_recv() was cancelled stay in the socket, unread by the loop");
  Bytes got = ctx.run_until_complete(*loop, loop->sock_recv(pair.first.get(), 16), "the next sock_recv()");
  CHECK_EQUAL(to_string(got), std::string("data"), "the next sock_recv() gets them");
}

LOOPCERT_CASE("sockets.sock_accept.cancelled_loses_nothing", clauses("LOOP-SOCK-ACCEPT")) {
  auto loop = ctx.new_loop();
  net_support::Listener listener = net_support::listen_on_loopback();
  Future<AcceptedSocket> pending = loop->sock_accept(listener.fd.get());
  cancel_while_waiting(ctx, *loop, pending, "sock_accept");
  UniqueFd client = net_support::connect_to(listener.port);
  settle(ctx, *loop);
  UniqueFd accepted = net_support::accept_from(listener);
  CHECK_THAT(static_cast<bool>(accepted),
             "a client that connects after sock_accept() was cancelled is still waiting to be accepted");
}

LOOPCERT_CASE("sockets.sock_connect.cancelled_leaves_the_socket", clauses("LOOP-SOCK-CONNECT")) {
  // A listener whose accept queue is full (backlog 0, one connection
  // waiting) drops the next SYN: a connect() to it stays in progress.
  auto loop = ctx.new_loop();
  net_support::Listener listener = net_support::listen_on_loopback(false);
  ::listen(listener.fd.get(), 0);
  UniqueFd queued = net_support::connect_to(listener.port);
  UniqueFd socket = net_support::tcp_socket();
  Future<void> pending = loop->sock_connect(socket.get(), listener.address());
  cancel_while_waiting(ctx, *loop, pending, "sock_connect");
  settle(ctx, *loop);
  CHECK_THAT(is_open(socket.get()),
             "the loop leaves the caller's socket open after cancelling sock_connect()");
}
