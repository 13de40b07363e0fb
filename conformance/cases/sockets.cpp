// Wrapped socket methods (PEP 3156, "Wrapped Socket Methods"; decision
// D-SOCK-1): sock_recv(), sock_sendall(), sock_connect() and sock_accept()
// return Futures, are required of every loop, and take non-blocking
// descriptors the caller keeps owning.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "conformance/conformance.hpp"
#include "conformance/net_support.hpp"

using namespace pep3156;
using conformance::socket_pair;
using conformance::str;
using conformance::write_all;
using net_support::accept_from;
using net_support::drain;
using net_support::listen_on_loopback;
using net_support::Listener;
using net_support::run_until;
using net_support::tcp_socket;
using net_support::UniqueFd;

namespace {
/// Receives with sock_recv() until `size` bytes came or the stream ended.
std::string receive(conformance::Context& ctx, AbstractEventLoop& loop, int fd, std::size_t size) {
  std::string got;
  while (got.size() < size) {
    Bytes chunk = ctx.run_until_complete(loop, loop.sock_recv(fd, size - got.size()), "sock_recv()");
    if (chunk.empty()) break;
    got += as_text(chunk);
  }
  return got;
}

/// `size` bytes of a pattern that does not repeat every power of two, so
/// that a lost, doubled or reordered chunk shows.
std::string patterned(std::size_t size) {
  std::string data(size, '\0');
  unsigned state = 1;
  for (char& c : data) {
    state = state * 1103515245u + 12345u;
    c = static_cast<char>('a' + (state >> 16) % 26);
  }
  return data;
}
}  // namespace

LOOPCERT_CASE("sockets.required.tcp_round_trip",
              clauses("LOOP-SOCK-REQUIRED", "LOOP-SOCK-ACCEPT", "LOOP-SOCK-CONNECT", "LOOP-SOCK-SENDALL",
                      "LOOP-SOCK-RECV")) {
  // "there is no reason not to require them": all four work on every loop,
  // whatever optional categories it declares. A client connects with
  // sock_connect(), the server side is accepted with sock_accept(), and
  // bytes go both ways with sock_sendall() and sock_recv().
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  UniqueFd client = tcp_socket();
  Future<AcceptedSocket> accepting = loop->sock_accept(listener.fd.get());
  ctx.run_until_complete(*loop, loop->sock_connect(client.get(), listener.address()), "sock_connect()");
  AcceptedSocket accepted = ctx.run_until_complete(*loop, accepting, "sock_accept()");
  REQUIRE_THAT(static_cast<bool>(accepted.conn), "sock_accept() yields a connected socket");
  ctx.run_until_complete(*loop, loop->sock_sendall(client.get(), to_bytes("request")), "sock_sendall()");
  CHECK_EQUAL(receive(ctx, *loop, accepted.conn.fd(), 7), std::string("request"),
              "the accepted socket receives what the client sent");
  ctx.run_until_complete(*loop, loop->sock_sendall(accepted.conn.fd(), to_bytes("reply")), "sock_sendall()");
  CHECK_EQUAL(receive(ctx, *loop, client.get(), 5), std::string("reply"), "the client receives the reply");
}

LOOPCERT_CASE("sockets.sock_recv.returns_available_bytes", clauses("LOOP-SOCK-RECV", "LOOP-SOCK-REQUIRED")) {
  // "Receive up to n bytes from socket sock. Returns a Future whose result
  // on success will be a bytes object."
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  write_all(pair.second.get(), "hello", 5);
  Future<Bytes> future = loop->sock_recv(pair.first.get(), 100);
  REQUIRE_THAT(future.valid(), "sock_recv() returns a Future");
  Bytes first = ctx.run_until_complete(*loop, future, "sock_recv() of a socket with 5 bytes waiting");
  std::string got = to_string(first);
  CHECK_THAT(!got.empty() && std::string("hello").starts_with(got),
             str("sock_recv() yields the bytes waiting (or a first part of them), got \"", got, "\""));
  got += receive(ctx, *loop, pair.first.get(), 5 - got.size());
  CHECK_EQUAL(got, std::string("hello"), "successive sock_recv() calls yield the bytes in order");
}

LOOPCERT_CASE("sockets.sock_recv.at_most_n", clauses("LOOP-SOCK-RECV")) {
  // "up to n bytes": with ten bytes waiting, sock_recv(fd, 4) yields one to
  // four of them, and the rest stays for the next call.
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  write_all(pair.second.get(), "abcdefghij", 10);
  std::string got;
  while (got.size() < 10) {
    Bytes chunk = ctx.run_until_complete(*loop, loop->sock_recv(pair.first.get(), 4), "sock_recv(fd, 4)");
    REQUIRE_THAT(!chunk.empty() && chunk.size() <= 4,
                 str("sock_recv(fd, 4) yields 1 to 4 bytes, got ", chunk.size()));
    got += as_text(chunk);
  }
  CHECK_EQUAL(got, std::string("abcdefghij"), "the chunks are the bytes in order, none lost or repeated");
}

LOOPCERT_CASE("sockets.sock_recv.waits_for_data", clauses("LOOP-SOCK-RECV")) {
  // With nothing to read, the Future stays pending until data arrives.
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  Future<Bytes> future = loop->sock_recv(pair.first.get(), 16);
  bool done_before_data = true;
  loop->call_later(0.01, [&] {
    done_before_data = future.done();
    write_all(pair.second.get(), "late", 4);
  });
  std::string got = to_string(ctx.run_until_complete(*loop, future, "sock_recv() of data written later"));
  CHECK_THAT(!done_before_data, "sock_recv() is not done before there is data to read");
  CHECK_THAT(!got.empty() && std::string("late").starts_with(got),
             "sock_recv() yields the data that arrived");
}

LOOPCERT_CASE("sockets.sock_recv.end_of_stream_is_empty", clauses("LOOP-SOCK-RECV")) {
  // As socket.recv(): once the peer has closed, the result is b"".
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  pair.second.reset();
  Bytes got =
      ctx.run_until_complete(*loop, loop->sock_recv(pair.first.get(), 16), "sock_recv() at end of stream");
  CHECK_THAT(got.empty(), "sock_recv() at the end of the stream yields empty bytes");
}

LOOPCERT_CASE("sockets.sock_sendall.done_only_when_all_sent", clauses("LOOP-SOCK-SENDALL")) {
  // "the semantics ... echo those of the standard library socket method
  // sendall() rather than send()": 1 MiB does not fit in the socket's
  // buffer, so the Future stays pending while the peer does not read, and
  // once the peer reads, every byte arrives, in order, before it is done.
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  const std::string data = patterned(1 << 20);
  Future<void> future = loop->sock_sendall(pair.first.get(), to_bytes(data));
  REQUIRE_THAT(future.valid(), "sock_sendall() returns a Future");
  bool done_before_reading = true;
  bool reading = false;
  loop->call_later(0.01, [&] {
    done_before_reading = future.done();
    reading = true;
  });
  std::string got;
  run_until(
      ctx, *loop, [&] { return reading && (drain(pair.second.get(), got), future.done()); },
      "sock_sendall() of 1 MiB while the peer reads");
  CHECK_THAT(!done_before_reading, "sock_sendall() is not done while most of the data is still unsent");
  ctx.run_until_complete(*loop, future, "sock_sendall()'s result");  // None, or its exception
  drain(pair.second.get(), got);
  CHECK_THAT(got == data,
             str("the peer receives all the data, in order (", got.size(), " of ", data.size(), " bytes)"));
}

LOOPCERT_CASE("sockets.sock_sendall.small_data", clauses("LOOP-SOCK-SENDALL")) {
  // A result of None once sent; the peer has the bytes.
  auto loop = ctx.new_loop();
  auto pair = socket_pair();
  ctx.run_until_complete(*loop, loop->sock_sendall(pair.first.get(), to_bytes("tiny")),
                         "sock_sendall(\"tiny\")");
  std::string got;
  drain(pair.second.get(), got);
  CHECK_EQUAL(got, std::string("tiny"), "the bytes were sent when the Future is done");
}

LOOPCERT_CASE("sockets.sock_connect.connects", clauses("LOOP-SOCK-CONNECT")) {
  // "Connect to the given address. Returns a Future whose result on success
  // will be None": the socket is then connected to that address.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  UniqueFd client = tcp_socket();
  Future<void> future = loop->sock_connect(client.get(), listener.address());
  REQUIRE_THAT(future.valid(), "sock_connect() returns a Future");
  ctx.run_until_complete(*loop, future, "sock_connect() to a listening socket");
  CHECK_THAT(net_support::peer_of(client.get()) == listener.address(),
             "the socket is connected to the address given");
  UniqueFd peer = accept_from(listener);
  CHECK_THAT(static_cast<bool>(peer), "the listener has the connection");
}

LOOPCERT_CASE("sockets.sock_connect.refused_fails", clauses("LOOP-SOCK-CONNECT")) {
  // A refused connection completes the Future with an error (of any kind).
  auto loop = ctx.new_loop();
  Listener closed_port = listen_on_loopback(false);
  UniqueFd client = tcp_socket();
  bool connected = false;
  try {
    ctx.run_until_complete(*loop, loop->sock_connect(client.get(), closed_port.address()),
                           "sock_connect() to a port that refuses");
    connected = true;
  } catch (...) {
    // The error may come from the call or through the Future (D-TIER-3).
  }
  CHECK_THAT(!connected, "sock_connect() to a refusing port fails");
}

LOOPCERT_CASE("sockets.sock_accept.conn_and_peer", clauses("LOOP-SOCK-ACCEPT")) {
  // "a tuple (conn, peer) where conn is a connected non-blocking socket and
  // peer is the peer address".
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  UniqueFd client = net_support::connect_to(listener.port);
  Future<AcceptedSocket> future = loop->sock_accept(listener.fd.get());
  REQUIRE_THAT(future.valid(), "sock_accept() returns a Future");
  AcceptedSocket accepted = ctx.run_until_complete(*loop, future, "sock_accept() with a client waiting");
  REQUIRE_THAT(static_cast<bool>(accepted.conn), "conn is a socket");
  CHECK_THAT(conformance::is_nonblocking(accepted.conn.fd()), "conn is non-blocking");
  CHECK_THAT(accepted.peer == net_support::local_of(client.get()), "peer is the client's address");
  CHECK_THAT(net_support::peer_of(accepted.conn.fd()) == net_support::local_of(client.get()),
             "conn is connected to the client");
  write_all(client.get(), "hi", 2);
  CHECK_EQUAL(receive(ctx, *loop, accepted.conn.fd(), 2), std::string("hi"),
              "conn carries the client's bytes");
}

LOOPCERT_CASE("sockets.sock_accept.waits_for_client", clauses("LOOP-SOCK-ACCEPT")) {
  // With no client waiting, the Future stays pending until one connects.
  auto loop = ctx.new_loop();
  Listener listener = listen_on_loopback();
  Future<AcceptedSocket> future = loop->sock_accept(listener.fd.get());
  UniqueFd client;
  bool done_before_client = true;
  loop->call_later(0.01, [&] {
    done_before_client = future.done();
    client = net_support::connect_to(listener.port);
  });
  AcceptedSocket accepted =
      ctx.run_until_complete(*loop, future, "sock_accept() of a client that connects later");
  CHECK_THAT(!done_before_client, "sock_accept() is not done before a client connects");
  CHECK_THAT(accepted.peer == net_support::local_of(client.get()), "peer is the client that connected");
  CHECK_THAT(conformance::is_nonblocking(accepted.conn.fd()), "conn is non-blocking");
}
