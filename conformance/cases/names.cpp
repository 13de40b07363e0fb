// Internet name lookups (PEP 3156, "Internet name lookups"; decision
// D-DNS-1): getaddrinfo() and getnameinfo() return Futures of what
// socket.getaddrinfo() and socket.getnameinfo() return. Every lookup here
// is of a numeric address or of "localhost", so no name service beyond
// the host's own files is involved.
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"
#include "conformance/net_support.hpp"

using namespace pep3156;
using conformance::str;
using net_support::attempt;
using Rows = std::vector<AddrInfo>;

namespace {
Future<Rows> lookup(AbstractEventLoop& loop, std::string host, std::string port, GetAddrInfoOptions options) {
  return loop.getaddrinfo(std::move(host), std::move(port), options);
}

/// Every row's family is one the options allow, and its address has that
/// family and the port asked for.
bool rows_match(const Rows& rows, int family, std::uint16_t port) {
  for (const AddrInfo& row : rows) {
    if (family != AF_UNSPEC && row.family != family) return false;
    if (row.family != AF_INET && row.family != AF_INET6) return false;
    if (row.address.family() != row.family || row.address.port() != port) return false;
  }
  return true;
}
}  // namespace

LOOPCERT_CASE("names.getaddrinfo.numeric_ipv4_rows",
              clauses("LOOP-GAI-FUTURE-LIST", "LOOP-GAI-ADDRESS-SHAPE")) {
  // "The Future's result on success will be a list ... (address_family,
  // socket_type, socket_protocol, canonical_name, address) where address is
  // a 2-tuple (ipv4_address, port) for IPv4 addresses".
  auto loop = ctx.new_loop();
  Future<Rows> future = loop->getaddrinfo("127.0.0.1", "8080", {.family = AF_INET, .type = SOCK_STREAM});
  REQUIRE_THAT(future.valid(), "getaddrinfo() returns a Future");
  Rows rows = ctx.run_until_complete(*loop, future, "getaddrinfo(\"127.0.0.1\", \"8080\")");
  REQUIRE_THAT(!rows.empty(), "the lookup of 127.0.0.1 yields at least one row");
  for (const AddrInfo& row : rows) {
    CHECK_EQUAL(row.family, AF_INET, "an IPv4 row's address_family is AF_INET");
    CHECK_EQUAL(row.address.family(), AF_INET, "an IPv4 row's address is an IPv4 address");
    CHECK_EQUAL(row.address.host(), std::string("127.0.0.1"), "the row's address is (ipv4_address, port)");
    CHECK_EQUAL(row.address.port(), 8080, "the row's address carries the port asked for");
  }
}

LOOPCERT_CASE("names.getaddrinfo.numeric_ipv6_rows",
              clauses("LOOP-GAI-ADDRESS-SHAPE", "LOOP-GAI-FAMILY-FILTER").needs(Category::ipv6)) {
  // "... and a 4-tuple (ipv6_address, port, flow_info, scope_id) for IPv6
  // addresses."
  auto loop = ctx.new_loop();
  Rows rows = ctx.run_until_complete(*loop, lookup(*loop, "::1", "443", {.family = AF_INET6}),
                                     "getaddrinfo(\"::1\", \"443\", family=AF_INET6)");
  REQUIRE_THAT(!rows.empty(), "the lookup of ::1 yields at least one row");
  for (const AddrInfo& row : rows) {
    CHECK_EQUAL(row.family, AF_INET6, "an IPv6 row's address_family is AF_INET6");
    CHECK_EQUAL(row.address.family(), AF_INET6, "an IPv6 row's address is an IPv6 address");
    CHECK_EQUAL(row.address.host(), std::string("::1"), "the row's address is (ipv6_address, ...)");
    CHECK_EQUAL(row.address.port(), 443, "the 4-tuple carries the port asked for");
    CHECK_EQUAL(row.address.flowinfo(), 0u, "the 4-tuple's flow_info of a plain ::1 is 0");
    CHECK_EQUAL(row.address.scope_id(), 0u, "the 4-tuple's scope_id of a plain ::1 is 0");
  }
}

LOOPCERT_CASE("names.getaddrinfo.localhost_rows", clauses("LOOP-GAI-FUTURE-LIST", "LOOP-GAI-ADDRESS-SHAPE")) {
  // family=0: "the list returned may contain a mixture of IPv4 and IPv6
  // addresses"; each row is one or the other, with the port asked for.
  auto loop = ctx.new_loop();
  Rows rows = ctx.run_until_complete(*loop, lookup(*loop, "localhost", "80", {.type = SOCK_STREAM}),
                                     "getaddrinfo(\"localhost\", \"80\")");
  REQUIRE_THAT(!rows.empty(), "localhost resolves to at least one address");
  CHECK_THAT(rows_match(rows, AF_UNSPEC, 80),
             "every row is an IPv4 or IPv6 address of that family, with the port asked for");
  for (const AddrInfo& row : rows) {
    bool is_loopback = row.address.host().rfind("127.", 0) == 0 || row.address.host() == "::1";
    CHECK_THAT(is_loopback, str("localhost resolves to a loopback address, not ", row.address.to_string()));
  }
}

LOOPCERT_CASE("names.getaddrinfo.family_inet_filters",
              clauses("LOOP-GAI-FAMILY-FILTER", "LOOP-GAI-FAMILY-VALUES")) {
  // "otherwise the addresses returned are constrained by the family value".
  auto loop = ctx.new_loop();
  Rows rows = ctx.run_until_complete(*loop, lookup(*loop, "localhost", "80", {.family = AF_INET}),
                                     "getaddrinfo(\"localhost\", family=AF_INET)");
  REQUIRE_THAT(!rows.empty(), "localhost has an IPv4 address");
  CHECK_THAT(rows_match(rows, AF_INET, 80), "family=AF_INET yields IPv4 rows only");
}

LOOPCERT_CASE("names.getaddrinfo.family_inet6_excludes_ipv4_literal",
              clauses("LOOP-GAI-FAMILY-FILTER", "LOOP-GAI-FAMILY-VALUES")) {
  // "You can't ignore family": an IPv4 literal asked for as AF_INET6 either
  // fails or yields IPv6 rows only; an IPv4 row would mean that family was
  // ignored. (No IPv6 address is used, so this needs no IPv6 loopback.)
  auto loop = ctx.new_loop();
  auto outcome = attempt<Rows>(
      ctx, *loop, [&] { return lookup(*loop, "127.0.0.1", "80", {.family = AF_INET6}); },
      "getaddrinfo(\"127.0.0.1\", family=AF_INET6)");
  if (outcome.ok()) {
    CHECK_THAT(rows_match(*outcome.value, AF_INET6, 80), "family=AF_INET6 yields no IPv4 row");
  }
}

LOOPCERT_CASE("names.getaddrinfo.family_inet6_filters",
              clauses("LOOP-GAI-FAMILY-FILTER", "LOOP-GAI-FAMILY-VALUES").needs(Category::ipv6)) {
  // With AF_UNSPEC, "localhost" may give both families; with AF_INET6, only
  // IPv6 rows (or a failure where localhost has no IPv6 address here).
  auto loop = ctx.new_loop();
  auto outcome = attempt<Rows>(
      ctx, *loop, [&] { return lookup(*loop, "localhost", "80", {.family = AF_INET6}); },
      "getaddrinfo(\"localhost\", family=AF_INET6)");
  if (outcome.ok())
    CHECK_THAT(rows_match(*outcome.value, AF_INET6, 80), "family=AF_INET6 yields IPv6 rows only");
}

LOOPCERT_CASE("names.getaddrinfo.options_default_when_omitted",
              clauses("LOOP-GAI-KEYWORD-OPTIONS", "LOOP-GAI-FUTURE-LIST")) {
  // The options are keyword-only (an options struct in C++): omitted, each
  // takes its default (family 0: any family); given alone, it is the one
  // that takes effect.
  auto loop = ctx.new_loop();
  Rows all = ctx.run_until_complete(*loop, loop->getaddrinfo("127.0.0.1", "80"),
                                    "getaddrinfo(\"127.0.0.1\", \"80\") without options");
  REQUIRE_THAT(!all.empty(), "a lookup with every option omitted succeeds");
  CHECK_THAT(rows_match(all, AF_INET, 80), "an IPv4 literal yields IPv4 rows with the port asked for");
  Rows typed = ctx.run_until_complete(*loop, loop->getaddrinfo("localhost", "80", {.family = AF_INET}),
                                      "getaddrinfo() with only family= given");
  REQUIRE_THAT(!typed.empty(), "a lookup with only family= given succeeds");
  CHECK_THAT(rows_match(typed, AF_INET, 80), "family= given alone (by keyword) constrains the rows");
}

LOOPCERT_CASE("names.getaddrinfo.unknown_service_fails", clauses("LOOP-GAI-FUTURE-LIST")) {
  // socket.getaddrinfo() raises for a port it cannot resolve; so does the
  // Future (a loop that supports no service names at all fails too:
  // LOOP-GAI-SUBSET). No error kind is asserted (D-DNS-1).
  auto loop = ctx.new_loop();
  auto outcome = attempt<Rows>(
      ctx, *loop, [&] { return lookup(*loop, "127.0.0.1", "no-such-service-loopcert", {.family = AF_INET}); },
      "getaddrinfo() of an unknown service name");
  CHECK_THAT(!outcome.ok(), "a lookup of an unknown service name fails");
}

LOOPCERT_CASE("names.getaddrinfo.type_and_proto_echoed", clauses("LOOP-GAI-ECHO-IGNORED-ARGS")) {
  // Honoured or ignored, type and proto come back as given: "if type and
  // proto are ignored, the argument values passed in should be copied
  // unchanged into the return tuples".
  auto loop = ctx.new_loop();
  for (auto [type, proto] : {std::pair{SOCK_STREAM, IPPROTO_TCP}, std::pair{SOCK_DGRAM, IPPROTO_UDP}}) {
    Rows rows = ctx.run_until_complete(
        *loop, lookup(*loop, "127.0.0.1", "53", {.family = AF_INET, .type = type, .proto = proto}),
        "getaddrinfo() with type= and proto=");
    REQUIRE_THAT(!rows.empty(), "the lookup succeeds");
    for (const AddrInfo& row : rows) {
      CHECK_EQUAL(row.type, type, "each row's socket_type is the type passed in");
      CHECK_EQUAL(row.protocol, proto, "each row's socket_protocol is the proto passed in");
    }
  }
}

LOOPCERT_CASE("names.getaddrinfo.service_name_subset", clauses("LOOP-GAI-SUBSET").tolerance()) {
  // "they may not support symbolic port names": "http" either resolves to
  // port 80 or fails; it never yields another port.
  auto loop = ctx.new_loop();
  auto outcome = attempt<Rows>(
      ctx, *loop,
      [&] { return lookup(*loop, "127.0.0.1", "http", {.family = AF_INET, .type = SOCK_STREAM}); },
      "getaddrinfo(\"127.0.0.1\", \"http\")");
  if (outcome.ok()) CHECK_THAT(rows_match(*outcome.value, AF_INET, 80), "the service http is port 80");
}

LOOPCERT_CASE("names.getaddrinfo.any_resolver", clauses("LOOP-GAI-OWN-RESOLVER").tolerance()) {
  // "other implementations may choose to implement their own DNS lookup":
  // with an executor of the case's own as the default one, the lookup gives
  // the same answer whether or not the loop uses the executor.
  auto loop = ctx.new_loop();
  auto executor = std::make_shared<conformance::RecordingExecutor>();
  loop->set_default_executor(executor);
  Rows rows = ctx.run_until_complete(*loop, lookup(*loop, "127.0.0.1", "80", {.family = AF_INET}),
                                     "getaddrinfo() with an executor of the case's own");
  CHECK_THAT(!rows.empty() && rows_match(rows, AF_INET, 80),
             str("the lookup succeeds, whoever resolves it (the executor ran ", executor->submitted.load(),
                 " jobs)"));
}

namespace {
/// An executor that holds what it is given until release(), then runs it
/// on a thread of its own: a name lookup that takes as long as the case
/// wants.
class HeldExecutor final : public Executor {
 public:
  void submit(UniqueFunction<void()> work) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (released_) {
      pool_.submit(std::move(work));
    } else {
      held_.push_back(std::move(work));
    }
  }
  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    released_ = true;
    for (auto& work : held_) pool_.submit(std::move(work));
    held_.clear();
  }
  void shutdown(bool wait) override {
    release();
    pool_.shutdown(wait);
  }

 private:
  std::mutex mutex_;
  bool released_ = false;
  std::vector<UniqueFunction<void()>> held_;
  ThreadPoolExecutor pool_{1};
};
}  // namespace

LOOPCERT_CASE("names.getaddrinfo.loop_runs_while_pending", clauses("LOOP-GAI-NONBLOCKING")) {
  // The point of getaddrinfo() is to look a name up "without the risk of
  // blocking": while the lookup is pending, callbacks run. The default
  // executor holds its jobs until a callback releases them, so a loop that
  // waited for the lookup inside getaddrinfo() or run_until_complete()
  // without running callbacks would never finish (the watchdog ends it). A
  // loop with a resolver of its own may answer without the executor.
  auto loop = ctx.new_loop();
  auto executor = std::make_shared<HeldExecutor>();
  loop->set_default_executor(executor);
  Future<Rows> future = lookup(*loop, "localhost", "80", {.family = AF_INET});
  int turns = 0;
  std::function<void()> step = [&] {
    if (++turns == 5) executor->release();
    if (!future.done()) loop->call_soon(step);
  };
  loop->call_soon(step);
  Rows rows = ctx.run_until_complete(*loop, future, "a lookup whose executor waits for the loop's callbacks");
  CHECK_THAT(!rows.empty() && rows_match(rows, AF_INET, 80), "the lookup completes with localhost's address");
}

LOOPCERT_CASE("names.getnameinfo.numeric", clauses("LOOP-GNI-FUTURE")) {
  // "The Future's result on success will be a tuple (host, port)."
  auto loop = ctx.new_loop();
  Future<NameInfo> future =
      loop->getnameinfo(SocketAddress("127.0.0.1", 8080), NI_NUMERICHOST | NI_NUMERICSERV);
  REQUIRE_THAT(future.valid(), "getnameinfo() returns a Future");
  NameInfo info = ctx.run_until_complete(*loop, future, "getnameinfo((127.0.0.1, 8080))");
  CHECK_EQUAL(info.host, std::string("127.0.0.1"), "the host of 127.0.0.1 with NI_NUMERICHOST");
  CHECK_EQUAL(info.port, std::string("8080"), "the port of 8080 with NI_NUMERICSERV");
}

LOOPCERT_CASE("names.getnameinfo.flags_passed", clauses("LOOP-GNI-FUTURE")) {
  // The flags are socket.getnameinfo()'s: NI_NUMERICHOST alone keeps the
  // host numeric and lets the port be a service name ("http") or, where
  // the host has no name for it, the number.
  auto loop = ctx.new_loop();
  NameInfo info =
      ctx.run_until_complete(*loop, loop->getnameinfo(SocketAddress("127.0.0.1", 80), NI_NUMERICHOST),
                             "getnameinfo((127.0.0.1, 80), NI_NUMERICHOST)");
  CHECK_EQUAL(info.host, std::string("127.0.0.1"), "NI_NUMERICHOST keeps the host numeric");
  CHECK_THAT(info.port == "http" || info.port == "80", str("port 80 is \"http\" or \"80\", got ", info.port));
}

LOOPCERT_CASE("names.getnameinfo.ipv6", clauses("LOOP-GNI-FUTURE").needs(Category::ipv6)) {
  auto loop = ctx.new_loop();
  NameInfo info = ctx.run_until_complete(
      *loop, loop->getnameinfo(SocketAddress("::1", 443), NI_NUMERICHOST | NI_NUMERICSERV),
      "getnameinfo((::1, 443, 0, 0))");
  CHECK_EQUAL(info.host, std::string("::1"), "the host of ::1 with NI_NUMERICHOST");
  CHECK_EQUAL(info.port, std::string("443"), "the port of 443 with NI_NUMERICSERV");
}
