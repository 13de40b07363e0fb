// The conformance tiers and cross-cutting rules (PEP 3156, "Event Loop
// Methods Overview", "Callback Style", "Embedded Event Loops"; decisions
// D-TIER-1 to D-TIER-3, D-CB-4, D-LIFE-6).
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"

using namespace pep3156;
using conformance::str;

namespace {
/// The required methods exist: a call, or the Future it returns, may fail
/// for its own reasons, but never with NotImplementedError (D-TIER-3: the
/// error may come from either). Returns what went wrong, "" if nothing.
template <class T>
std::string not_implemented_in(conformance::Context& ctx, AbstractEventLoop& loop, const std::string& method,
                               const std::function<Future<T>()>& call, Future<T>* kept = nullptr) {
  try {
    Future<T> future = call();
    try {
      ctx.run_until_complete(loop, future, method + "'s Future");
    } catch (const NotImplementedError&) {
      return method + " (its Future)";
    } catch (...) {
    }
    if (kept != nullptr) *kept = future;
  } catch (const NotImplementedError&) {
    return method;
  } catch (...) {
  }
  return "";
}

/// A listening TCP socket on 127.0.0.1, made with the plain socket API.
struct Listener {
  conformance::UniqueFd fd;
  std::uint16_t port = 0;
};
Listener listen_on_loopback() {
  Listener listener{conformance::UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0))};
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (!listener.fd || ::bind(listener.fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener.fd.get(), 4) != 0 ||
      ::getsockname(listener.fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::system_error(errno, std::generic_category(), "a listening socket on 127.0.0.1");
  }
  listener.port = ntohs(address.sin_port);
  return listener;
}
}  // namespace

LOOPCERT_CASE("tier.required.callbacks_threads_errors_and_debug", clauses("TIER-REQUIRED-SET")) {
  // Every method of these categories is implemented: each call does its
  // job and none raises NotImplementedError.
  auto loop = ctx.new_loop();
  std::vector<std::string> missing;
  auto attempt = [&](const std::string& method, const std::function<void()>& call) {
    try {
      call();
    } catch (const NotImplementedError&) {
      missing.push_back(method);
    }
  };
  attempt("time()", [&] { loop->time(); });
  attempt("call_soon()", [&] { loop->call_soon([] {}); });
  attempt("call_later()", [&] { loop->call_later(0.0, [] {}); });
  attempt("call_at()", [&] { loop->call_at(loop->time(), [] {}); });
  attempt("call_soon_threadsafe()", [&] { loop->call_soon_threadsafe([] {}); });
  attempt("set_default_executor()", [&] { loop->set_default_executor(nullptr); });
  attempt("run_in_executor()", [&] {
    ctx.run_until_complete(*loop, loop->run_in_executor(nullptr, [] { return 1; }), "run_in_executor()");
  });
  attempt("create_future()", [&] { loop->create_future(); });
  attempt("create_task() and run_until_complete()", [&] {
    auto body = []() -> Coroutine<int> { co_return 1; };
    ctx.run_until_complete(*loop, loop->create_task(body()), "create_task()");
  });
  attempt("run_forever() and stop()", [&] {
    loop->call_soon([&] { loop->stop(); });
    ctx.run_forever(*loop, "run_forever() until stop()");
  });
  attempt("is_running()", [&] { loop->is_running(); });
  attempt("exception handler methods", [&] {
    loop->set_exception_handler([](AbstractEventLoop&, const ExceptionContext&) {});
    loop->get_exception_handler();
    loop->call_exception_handler(ExceptionContext{});
    loop->set_exception_handler(nullptr);
  });
  attempt("get_debug() and set_debug()", [&] { loop->set_debug(loop->get_debug()); });
  attempt("is_closed()", [&] { loop->is_closed(); });
  // Closing is the one method here an embedded loop may leave out
  // (TIER-EMBEDDED, decision D-LIFE-6).
  if (!ctx.capabilities().embedded) attempt("close()", [&] { loop->close(); });
  std::string list;
  for (const auto& m : missing) list += " " + m;
  CHECK_THAT(missing.empty(), "every required method is implemented; NotImplementedError from:" + list);
}

LOOPCERT_CASE("tier.required.name_lookups", clauses("TIER-REQUIRED-SET")) {
  // Numeric lookups, so that no name service is involved.
  auto loop = ctx.new_loop();
  std::string missing;
  missing += not_implemented_in<std::vector<AddrInfo>>(ctx, *loop, " getaddrinfo()", [&] {
    return loop->getaddrinfo("127.0.0.1", "80",
                             {.family = AF_INET, .flags = AI_NUMERICHOST | AI_NUMERICSERV});
  });
  missing += not_implemented_in<NameInfo>(ctx, *loop, " getnameinfo()", [&] {
    return loop->getnameinfo(SocketAddress("127.0.0.1", 80), NI_NUMERICHOST | NI_NUMERICSERV);
  });
  CHECK_THAT(missing.empty(), "the name lookup methods are implemented; NotImplementedError from:" + missing);
}

LOOPCERT_CASE("tier.required.socket_methods", clauses("TIER-REQUIRED-SET")) {
  auto loop = ctx.new_loop();
  std::string missing;
  auto pair = conformance::socket_pair();
  conformance::write_all(pair.second.get(), "x", 1);
  missing += not_implemented_in<Bytes>(ctx, *loop, " sock_recv()",
                                       [&] { return loop->sock_recv(pair.first.get(), 1); });
  missing += not_implemented_in<void>(ctx, *loop, " sock_sendall()",
                                      [&] { return loop->sock_sendall(pair.first.get(), to_bytes("y")); });
  Listener listener = listen_on_loopback();
  conformance::UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  missing += not_implemented_in<void>(ctx, *loop, " sock_connect()", [&] {
    return loop->sock_connect(client.get(), SocketAddress("127.0.0.1", listener.port));
  });
  Future<AcceptedSocket> accepted;
  missing += not_implemented_in<AcceptedSocket>(
      ctx, *loop, " sock_accept()", [&] { return loop->sock_accept(listener.fd.get()); }, &accepted);
  CHECK_THAT(missing.empty(),
             "the wrapped socket methods are implemented; NotImplementedError from:" + missing);
}

LOOPCERT_CASE("tier.required.connection_methods", clauses("TIER-REQUIRED-SET")) {
  // create_server() on an ephemeral port, create_connection() to it, and a
  // datagram endpoint; every transport is closed again before the end.
  auto loop = ctx.new_loop();
  std::string missing;
  auto protocol = [] { return std::make_shared<Protocol>(); };
  Future<std::shared_ptr<Server>> server;
  missing += not_implemented_in<std::shared_ptr<Server>>(
      ctx, *loop, " create_server()", [&] { return loop->create_server(protocol, "127.0.0.1", 0); }, &server);
  std::uint16_t port = 0;
  if (server.valid() && !server.exception() && !server.result()->sockets().empty()) {
    port = server.result()->sockets().front().address.port();
  }
  Future<StreamConnection> connection;
  if (port != 0) {
    missing += not_implemented_in<StreamConnection>(
        ctx, *loop, " create_connection()",
        [&] { return loop->create_connection(protocol, "127.0.0.1", port); }, &connection);
  }
  Future<DatagramConnection> datagram;
  missing += not_implemented_in<DatagramConnection>(
      ctx, *loop, " create_datagram_endpoint()",
      [&] {
        return loop->create_datagram_endpoint([] { return std::make_shared<DatagramProtocol>(); },
                                              {.local_addr = HostPort{"127.0.0.1", 0}});
      },
      &datagram);
  // Close what was opened, and let the loop finish closing it.
  if (connection.valid() && !connection.exception()) connection.result().first->close();
  if (datagram.valid() && !datagram.exception()) datagram.result().first->close();
  if (server.valid() && !server.exception()) {
    server.result()->close();
    ctx.run_until_complete(*loop, server.result()->wait_closed(), "the server to close");
  }
  loop->call_later(0.01, [&] { loop->stop(); });
  ctx.run_forever(*loop, "the transports to close");
  CHECK_THAT(missing.empty(),
             "the internet connection methods are implemented; NotImplementedError from:" + missing);
  CHECK_THAT(!server.valid() || server.exception() || port != 0,
             "a Server made by create_server() on port 0 reports the port it listens on");
}

LOOPCERT_CASE("tier.public_api.task_over_a_forwarding_loop", clauses("TIER-SCHEDULER-PUBLIC-API-ONLY")) {
  // The standard Future and Task need nothing but the public interface: run
  // over a ForwardingEventLoop (which has nothing else), they work.
  auto loop = ctx.new_loop();
  auto facade = std::make_shared<ForwardingEventLoop>(loop);
  Future<int> later = facade->create_future<int>();
  facade->call_later(0.001, [later] { later.set_result(20); });
  auto body = [](AbstractEventLoop* on, Future<int> later) -> Coroutine<int> {
    co_await sleep(0.001, on);
    int value = co_await later;
    co_return value + 1;
  };
  CHECK_EQUAL(ctx.run_until_complete(*facade, facade->create_task(body(facade.get(), later)),
                                     "a Task on a ForwardingEventLoop over the loop"),
              21, "a Task awaiting a sleep and a Future runs on the public interface alone");
}

LOOPCERT_CASE("tier.embedded.allowance_only_if_declared", clauses("TIER-EMBEDDED").tolerance()) {
  // An embedded loop may leave starting, stopping and closing unimplemented;
  // this case runs only for loops that do not declare themselves embedded,
  // and checks that they do not take the allowance silently.
  auto loop = ctx.new_loop();
  CHECK_THAT(!loop->is_running(), "a loop that is not embedded is not running before it is run");
  bool implemented = true;
  try {
    loop->call_soon([&] { loop->stop(); });
    ctx.run_forever(*loop, "run_forever() until stop()");
    loop->close();
  } catch (const NotImplementedError&) {
    implemented = false;
  }
  CHECK_THAT(implemented, "a loop that is not embedded implements run_forever(), stop() and close()");
}

LOOPCERT_CASE("tier.callbacks.arguments_bound_when_scheduled", clauses("TIER-CALLBACK-POSITIONAL-ARGS")) {
  // Decision D-CB-4: the arguments are bound (copied or moved in) when the
  // callback is scheduled, for every scheduling method, move-only ones too.
  auto loop = ctx.new_loop();
  std::vector<std::string> seen;
  auto record = [&seen](const std::string& method, const std::string& text,
                        const std::unique_ptr<int>& number) {
    seen.push_back(method + ":" + text + "/" + std::to_string(number ? *number : -1));
  };
  std::string text = "original";
  loop->call_soon(record, std::string("call_soon"), text, std::make_unique<int>(1));
  loop->call_later(0.0, record, std::string("call_later"), text, std::make_unique<int>(2));
  loop->call_at(loop->time(), record, std::string("call_at"), text, std::make_unique<int>(3));
  loop->call_soon_threadsafe(record, std::string("call_soon_threadsafe"), text, std::make_unique<int>(4));
  text = "changed after scheduling";
  conformance::stop_when(*loop, [&] { return seen.size() >= 4; });
  ctx.run_forever(*loop, "four callbacks with arguments");
  std::sort(seen.begin(), seen.end());
  CHECK_THAT(seen == (std::vector<std::string>{"call_at:original/3", "call_later:original/2",
                                               "call_soon:original/1", "call_soon_threadsafe:original/4"}),
             str("each callback receives its arguments as they were when it was scheduled (got ", seen.size(),
                 " calls)"));
}

LOOPCERT_CASE("tier.callbacks.no_keyword_arguments", clauses("TIER-CALLBACK-NO-KWARGS")) {
  // C++ has no keyword arguments; an API's options are a struct of its own
  // (decision D-API-1). The rule's C++ reading: whatever follows the
  // callback is the callback's, even a value that looks like options, and
  // reaches it untouched.
  auto loop = ctx.new_loop();
  int received_backlog = 0;
  bool received_reuse = false;
  loop->call_soon(
      [&](const ServerOptions& options) {
        received_backlog = options.backlog;
        received_reuse = options.reuse_address;
        loop->stop();
      },
      ServerOptions{.backlog = 7, .reuse_address = false});
  ctx.run_forever(*loop, "a callback given an options struct as its argument");
  CHECK_THAT(received_backlog == 7 && !received_reuse,
             "an options-like argument is passed to the callback as given, not taken by call_soon()");
}
