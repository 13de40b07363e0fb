// A server out of descriptors (PEP 3156 leaves it open; asyncio backs off):
// accept() failing with EMFILE stops accepting for a while, is reported
// once, and the server goes on serving. A process of its own, since it
// lowers RLIMIT_NOFILE.
#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cstdlib>
#include <set>

#include "net_testing.hpp"
#include "reference/net/report.hpp"
#include "reference/net/socket_ops.hpp"

using namespace pep3156;
using namespace pep3156::testing;

namespace {

std::set<int> open_descriptors() {
  std::set<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  REQUIRE(dir != nullptr);
  int own = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.' && std::atoi(entry->d_name) != own) fds.insert(std::atoi(entry->d_name));
  }
  ::closedir(dir);
  return fds;
}

/// The descriptor limit that leaves exactly `spare` numbers free.
rlim_t limit_leaving(int spare) {
  std::set<int> open = open_descriptors();
  int limit = 0;
  for (int free_below = 0; free_below < spare; ++limit) {
    if (!open.contains(limit)) ++free_below;
  }
  return static_cast<rlim_t>(limit);
}

/// Runs, once, what the back-off runs while no descriptor is free: the
/// first run of a type check under UBSan opens a pipe, which would fail
/// then and be reported as a bad object.
void warm_up(AbstractEventLoop& loop, int fd) {
  reference::net::report_error(loop, "warm-up", reference::net::os_error(EMFILE, "accept"), nullptr, nullptr,
                               fd);
  loop.call_later(1.0, [] {}).cancel();
}

}  // namespace

TEST_CASE("accept() hitting EMFILE backs off, reports once, and keeps serving") {
  for_each_loop([](AbstractEventLoop& loop) {
    std::vector<ExceptionContext> errors;
    loop.set_exception_handler([&](AbstractEventLoop&, const ExceptionContext& c) { errors.push_back(c); });
    RecordingFactory servers{loop, {}, echo};
    auto server = run(loop, loop.create_server(servers.factory(), "127.0.0.1", 0));
    SocketAddress address = server->sockets().at(0).address;

    // Clients connect with blocking connect(), which completes against the
    // backlog. The first is served before descriptors run short, so that
    // everything serving a connection has run once (sanitizers open
    // descriptors the first time they check a type).
    constexpr int kClients = 6;
    std::vector<Socket> clients;
    auto connect_client = [&] {
      Socket client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      REQUIRE(::connect(client.fd(), address.data(), address.size()) == 0);
      clients.push_back(std::move(client));
    };
    connect_client();
    run_until(loop, [&] { return servers.made.size() == 1; });
    run(loop, servers.made[0]->made);
    warm_up(loop, server->sockets().at(0).fd);
    errors.clear();
    while (clients.size() < kClients) connect_client();

    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
    rlimit low = saved;
    low.rlim_cur = limit_leaving(2);  // room for two accepted connections
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    run_until(loop, [&] { return servers.made.size() == 3 && !errors.empty(); });
    // Several back-off periods pass while descriptors stay short.
    auto later = loop.create_future<void>();
    loop.call_later(0.35, [&] { later.set_result(); });
    run(loop, later);
    CHECK(servers.made.size() == 3);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);

    REQUIRE(errors.size() == 1);  // reported once
    CHECK(errors[0].socket == server->sockets().at(0).fd);
    CHECK(error_code(errors[0].exception) == EMFILE);
    run_until(loop, [&] { return servers.made.size() == kClients; });  // serving goes on
    for (Socket& client : clients) write_all(client.fd(), "echo?");
    for (Socket& client : clients) {
      ::shutdown(client.fd(), SHUT_WR);
      std::string echoed;
      run_until(loop, [&] {
        char buffer[16];
        ssize_t n = ::recv(client.fd(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) echoed.append(buffer, static_cast<std::size_t>(n));
        return echoed == "echo?";
      });
    }
    clients.clear();
    server->close();
    run(loop, server->wait_closed());
    CHECK(errors.size() == 1);
  });
}
