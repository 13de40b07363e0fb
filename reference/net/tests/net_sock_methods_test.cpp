// The wrapped socket methods (PEP 3156, "Wrapped Socket Methods"):
// sock_recv, sock_sendall, sock_connect and sock_accept.
#include <fcntl.h>
#include <sys/socket.h>

#include <thread>

#include "net_testing.hpp"
#include "reference/net/socket_ops.hpp"

using namespace pep3156;
using namespace pep3156::testing;

namespace {

/// A listening TCP socket on 127.0.0.1, non-blocking.
Socket listener() {
  Socket sock = reference::net::open_socket(AF_INET, SOCK_STREAM, 0);
  reference::net::bind_to(sock.fd(), SocketAddress("127.0.0.1", 0));
  REQUIRE(::listen(sock.fd(), 16) == 0);
  return sock;
}

void make_blocking(int fd) { REQUIRE(::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0); }

}  // namespace

TEST_CASE("sock_recv() returns up to n bytes once they arrive, and empty bytes at EOF") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto [ours, peer] = socket_pair();
    auto pending = loop.sock_recv(ours.fd(), 4);
    spin(loop);
    CHECK_FALSE(pending.done());
    write_all(peer.fd(), "abcdef");
    CHECK(to_string(run(loop, pending)) == "abcd");  // LOOP-SOCK-RECV
    CHECK(to_string(run(loop, loop.sock_recv(ours.fd(), 100))) == "ef");
    peer.reset();
    CHECK(run(loop, loop.sock_recv(ours.fd(), 100)).empty());
  });
}

TEST_CASE("sock_sendall() finishes only when every byte is sent") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto [ours, peer] = socket_pair();
    std::string data(8 << 20, 'q');
    auto sending = loop.sock_sendall(ours.fd(), to_bytes(data));
    CHECK_FALSE(sending.done());  // more than the kernel takes at once
    std::string received;
    std::thread reader([&, fd = peer.fd()] { received = read_to_eof(fd, data.size()); });
    run(loop, sending);  // LOOP-SOCK-SENDALL
    reader.join();
    CHECK(received == data);
    run(loop, loop.sock_sendall(ours.fd(), Bytes()));
  });
}

TEST_CASE("sock_connect() and sock_accept() make a connection; accept gives a non-blocking socket") {
  for_each_loop([](AbstractEventLoop& loop) {
    Socket server = listener();
    SocketAddress address = server.local_address();
    auto accepting = loop.sock_accept(server.fd());
    Socket client = reference::net::open_socket(AF_INET, SOCK_STREAM, 0);
    run(loop, loop.sock_connect(client.fd(), address));  // LOOP-SOCK-CONNECT
    AcceptedSocket accepted = run(loop, accepting);      // LOOP-SOCK-ACCEPT
    CHECK(accepted.peer == client.local_address());
    CHECK((::fcntl(accepted.conn.fd(), F_GETFL) & O_NONBLOCK) != 0);
    run(loop, loop.sock_sendall(client.fd(), to_bytes("over the wire")));
    CHECK(to_string(run(loop, loop.sock_recv(accepted.conn.fd(), 100))) == "over the wire");
  });
}

TEST_CASE("sock_connect() to a closed port fails with ECONNREFUSED") {
  for_each_loop([](AbstractEventLoop& loop) {
    SocketAddress address;
    {
      Socket gone = listener();
      address = gone.local_address();
    }
    Socket client = reference::net::open_socket(AF_INET, SOCK_STREAM, 0);
    auto connecting = loop.sock_connect(client.fd(), address);
    try {
      rethrow(loop, connecting);
      FAIL("connected to a closed port");
    } catch (const std::system_error& e) {
      CHECK(e.code().value() == ECONNREFUSED);
    }
  });
}

TEST_CASE("the wrapped socket methods refuse a blocking socket with ValueError") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto [ours, peer] = socket_pair();
    make_blocking(ours.fd());
    CHECK_THROWS_AS(loop.sock_recv(ours.fd(), 1), ValueError);
    CHECK_THROWS_AS(loop.sock_sendall(ours.fd(), to_bytes("x")), ValueError);
    CHECK_THROWS_AS(loop.sock_connect(ours.fd(), SocketAddress("127.0.0.1", 1)), ValueError);
    CHECK_THROWS_AS(loop.sock_accept(ours.fd()), ValueError);
    CHECK_THROWS_AS(loop.sock_recv(-1, 1), std::system_error);
  });
}

TEST_CASE("cancelling the Future removes the reader or writer registration") {
  for_each_loop([](AbstractEventLoop& loop) {
    auto [ours, peer] = socket_pair();
    auto receiving = loop.sock_recv(ours.fd(), 10);
    auto accepting = loop.sock_accept(listener().fd());
    CHECK(receiving.cancel());
    spin(loop);
    CHECK_FALSE(loop.remove_reader(ours.fd()));  // already gone
    write_all(peer.fd(), "for the next one");
    CHECK(to_string(run(loop, loop.sock_recv(ours.fd(), 100))) == "for the next one");
    accepting.cancel();
    spin(loop);

    // A sendall stuck on a full buffer.
    std::string data(8 << 20, 'z');
    auto sending = loop.sock_sendall(ours.fd(), to_bytes(data));
    REQUIRE_FALSE(sending.done());
    sending.cancel();
    spin(loop);
    CHECK_FALSE(loop.remove_writer(ours.fd()));
  });
}
