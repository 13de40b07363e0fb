// UNIX-domain stream connections and servers (asyncio's extension:
// create_unix_connection() and create_unix_server()).
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "net_testing.hpp"
#include "reference/net/socket_ops.hpp"

using namespace pep3156;
using namespace pep3156::testing;

namespace {

bool is_socket_file(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode);
}

std::shared_ptr<RecordingProtocol> connect_client(AbstractEventLoop& loop, RecordingFactory& clients,
                                                  const std::string& path) {
  run(loop, loop.create_unix_connection(clients.factory(), path));
  return clients.made.back();
}

void check_echo(AbstractEventLoop& loop, RecordingProtocol& client, std::string_view text) {
  client.transport->write(text);
  run_until(loop, [&] { return client.received == text; });
  client.transport->close();
  run(loop, client.lost);
}

int error_of(AbstractEventLoop& loop, const Future<std::shared_ptr<Server>>& future) {
  try {
    rethrow(loop, future);
  } catch (const std::system_error& e) {
    return e.code().value();
  }
  return 0;
}

}  // namespace

TEST_CASE("a UNIX-domain server and connection echo; close() removes the socket file") {
  for_each_loop([](AbstractEventLoop& loop) {
    std::string path = temporary_socket_path("echo");
    RecordingFactory servers{loop, {}, echo};
    auto server = run(loop, loop.create_unix_server(servers.factory(), path));
    CHECK(is_socket_file(path));
    REQUIRE(server->sockets().size() == 1);
    CHECK(server->sockets()[0].address == SocketAddress::unix_path(path));

    RecordingFactory clients{loop};
    auto client = connect_client(loop, clients, path);
    CHECK(client->transport->get_extra_info<SocketAddress>("peername", {}) == SocketAddress::unix_path(path));
    CHECK(client->transport->get_extra_info<SocketAddress>("sockname", {}).family() == AF_UNIX);
    check_echo(loop, *client, "over a UNIX socket");
    server->close();
    CHECK_FALSE(is_socket_file(path));
    run(loop, server->wait_closed());
  });
}

TEST_CASE("create_unix_server() removes a stale socket file but never a live one or another file") {
  for_each_loop([](AbstractEventLoop& loop) {
    std::string path = temporary_socket_path("stale");
    {
      // A server that died without cleaning up leaves its socket file.
      Socket dead = reference::net::open_socket(AF_UNIX, SOCK_STREAM, 0);
      reference::net::bind_to(dead.fd(), SocketAddress::unix_path(path));
    }
    REQUIRE(is_socket_file(path));
    RecordingFactory servers{loop, {}, echo};
    auto server = run(loop, loop.create_unix_server(servers.factory(), path));

    // Someone listens there now: a second server must not take it over.
    CHECK(error_of(loop, loop.create_unix_server(servers.factory(), path)) == EADDRINUSE);
    RecordingFactory clients{loop};
    check_echo(loop, *connect_client(loop, clients, path), "first server still there");
    server->close();
    run(loop, server->wait_closed());

    // Not a socket: left alone.
    { std::ofstream(path) << "precious"; }
    CHECK(error_of(loop, loop.create_unix_server(servers.factory(), path)) == EADDRINUSE);
    std::ifstream kept(path);
    std::string content;
    kept >> content;
    CHECK(content == "precious");
    ::unlink(path.c_str());
  });
}

TEST_CASE("UNIX-domain sock= and the errors") {
  for_each_loop([](AbstractEventLoop& loop) {
    std::string path = temporary_socket_path("sock");
    Socket listening = reference::net::open_socket(AF_UNIX, SOCK_STREAM, 0);
    reference::net::bind_to(listening.fd(), SocketAddress::unix_path(path));
    RecordingFactory servers{loop, {}, echo};
    auto server = run(loop, loop.create_unix_server(servers.factory(), "", {.sock = std::move(listening)}));

    Socket own = reference::net::open_socket(AF_UNIX, SOCK_STREAM, 0);
    run(loop, loop.sock_connect(own.fd(), SocketAddress::unix_path(path)));
    RecordingFactory clients{loop};
    run(loop, loop.create_unix_connection(clients.factory(), "", {.sock = std::move(own)}));
    check_echo(loop, *clients.made.at(0), "on my own socket");

    Socket inet = reference::net::open_socket(AF_INET, SOCK_STREAM, 0);
    CHECK_THROWS_AS(loop.create_unix_connection(clients.factory(), "", {.sock = std::move(inet)}),
                    ValueError);
    Socket extra = reference::net::open_socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_THROWS_AS(loop.create_unix_connection(clients.factory(), path, {.sock = std::move(extra)}),
                    ValueError);
    CHECK_THROWS_AS(loop.create_unix_connection(clients.factory(), ""), ValueError);
    CHECK_THROWS_AS(loop.create_unix_server(clients.factory(), ""), ValueError);
    // TLS over a UNIX socket needs a server_hostname to check.
    CHECK_THROWS_AS(loop.create_unix_connection(clients.factory(), path, {.ssl = true}), ValueError);
    try {
      rethrow(loop, loop.create_unix_connection(clients.factory(), temporary_socket_path("nobody")));
      FAIL("connected to nothing");
    } catch (const std::system_error& e) {
      CHECK(e.code().value() == ENOENT);
    }
    server->close();
    CHECK(is_socket_file(path));  // not ours to remove: we did not bind it
    ::unlink(path.c_str());
    run(loop, server->wait_closed());
  });
}
