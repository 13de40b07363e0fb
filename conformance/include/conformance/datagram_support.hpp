// What the datagram cases share (PEP 3156, create_datagram_endpoint(),
// "Datagram Transports", "Datagram Protocols"): plain UDP sockets of the
// case's own on the loopback, a DatagramProtocol that records every call, and
// the endpoint's opening and closing.
//
// Header-only and written against spec/ alone, like the cases.
#pragma once

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/loop_tools.hpp"
#include "conformance/net_support.hpp"
#include "pep3156/event_loop.hpp"
#include "pep3156/protocols.hpp"
#include "pep3156/transports.hpp"

namespace datagram_support {

// The helpers were written for the cases, which use the contract's names
// unqualified.
using namespace pep3156;
using conformance::run_until;
using conformance::stop_when;
using conformance::UniqueFd;
using net_support::socket_family;

struct Datagram {
  std::string data;
  SocketAddress from;
};

/// Records every call the transport makes on its protocol, in order.
struct Recorder : DatagramProtocol {
  std::vector<std::string> calls;
  std::shared_ptr<BaseTransport> transport;  // from connection_made until connection_lost
  std::vector<Datagram> datagrams;
  std::vector<std::exception_ptr> errors;
  std::exception_ptr lost_with;
  std::function<void(Recorder&)> on_datagram;  // optional: runs inside datagram_received
  bool in_close = false;                       // set by cases around their own close()/abort()

  void connection_made(std::shared_ptr<BaseTransport> t) override {
    calls.push_back("connection_made");
    transport = std::move(t);
  }
  void datagram_received(BytesView data, const SocketAddress& from) override {
    calls.push_back("datagram_received");
    datagrams.push_back({to_string(data), from});
    if (on_datagram) on_datagram(*this);
  }
  void error_received(std::exception_ptr exc) override {
    calls.push_back("error_received");
    errors.push_back(std::move(exc));
  }
  void connection_lost(std::exception_ptr exc) override {
    calls.push_back("connection_lost");
    lost_with = std::move(exc);
    transport.reset();
  }
  // Not datagram methods: recorded, and ignored by follows_datagram_chart().
  void pause_writing() override { calls.push_back("pause_writing"); }
  void resume_writing() override { calls.push_back("resume_writing"); }

  int count(const std::string& name) const {
    int n = 0;
    for (const auto& call : calls) n += call == name ? 1 : 0;
    return n;
  }
  bool made() const { return count("connection_made") > 0; }
  bool lost() const { return count("connection_lost") > 0; }
  /// The payloads received, in order.
  std::vector<std::string> payloads() const {
    std::vector<std::string> out;
    for (const auto& d : datagrams) out.push_back(d.data);
    return out;
  }
};

/// What create_datagram_endpoint() produced, with the recorder behind it.
struct Endpoint {
  std::shared_ptr<DatagramTransport> transport;
  std::shared_ptr<Recorder> protocol;
  std::shared_ptr<int> factory_calls = std::make_shared<int>(0);
};

inline SocketAddress loopback(int family, std::uint16_t port) {
  return SocketAddress(family == AF_INET6 ? "::1" : "127.0.0.1", port);
}

inline SocketAddress local_address(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) throw_errno("getsockname");
  return SocketAddress(reinterpret_cast<const sockaddr*>(&storage), length);
}

/// A non-blocking UDP socket of the case's own, bound to the loopback.
inline UniqueFd udp_socket(int family = AF_INET, std::uint16_t port = 0) {
  UniqueFd fd(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  SocketAddress address = loopback(family, port);
  if (::bind(fd.get(), address.data(), address.size()) != 0) throw_errno("bind");
  return fd;
}

/// A loopback port nothing is bound to now (bound once, then released).
inline std::uint16_t unused_port(int family = AF_INET) {
  return local_address(udp_socket(family).get()).port();
}

/// Sends one datagram from a non-blocking socket, waiting for room in its
/// send buffer after EAGAIN.
inline void send_datagram(int fd, std::string_view payload, const SocketAddress& to) {
  while (::sendto(fd, payload.data(), payload.size(), 0, to.data(), to.size()) < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      conformance::wait_writable(fd);
    } else if (errno != EINTR) {
      throw_errno("sendto");
    }
  }
}

/// One datagram waiting on fd, if any (never blocks).
inline std::optional<Datagram> try_receive(int fd) {
  std::string buffer(65536, '\0');
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), MSG_DONTWAIT,
                         reinterpret_cast<sockaddr*>(&storage), &length);
  if (n < 0) return std::nullopt;
  buffer.resize(static_cast<std::size_t>(n));
  return Datagram{std::move(buffer), SocketAddress(reinterpret_cast<const sockaddr*>(&storage), length)};
}

/// Runs the loop until fd has received `count` datagrams (what the
/// endpoint sent: the transport may buffer, so the loop must run).
inline std::vector<Datagram> receive(conformance::Context& ctx, AbstractEventLoop& loop, int fd,
                                     std::size_t count, std::string waiting_for) {
  std::vector<Datagram> got;
  stop_when(loop, [&] {
    while (got.size() < count) {
      auto datagram = try_receive(fd);
      if (!datagram) break;
      got.push_back(std::move(*datagram));
    }
    return got.size() >= count;
  });
  ctx.run_forever(loop, std::move(waiting_for));
  return got;
}

/// Creates an endpoint over a Recorder and waits for connection_made(),
/// which may come before or after the Future completes (D-NET-1).
inline Endpoint open(conformance::Context& ctx, AbstractEventLoop& loop, DatagramOptions options) {
  Endpoint endpoint;
  auto recorder = std::make_shared<Recorder>();
  auto calls = endpoint.factory_calls;
  auto future = loop.create_datagram_endpoint(
      [recorder, calls] {
        ++*calls;
        return recorder;
      },
      std::move(options));
  DatagramConnection pair = ctx.run_until_complete(loop, future, "create_datagram_endpoint()");
  REQUIRE_THAT(pair.first != nullptr, "create_datagram_endpoint() yields a transport");
  endpoint.transport = pair.first;
  endpoint.protocol = recorder;
  REQUIRE_THAT(pair.second == recorder, "the pair's protocol is the one protocol_factory() returned");
  run_until(
      ctx, loop, [&] { return recorder->made(); }, "connection_made() of a new datagram endpoint");
  return endpoint;
}

/// Closes the endpoint (if the case has not) and waits for connection_lost().
inline void close(conformance::Context& ctx, AbstractEventLoop& loop, const Endpoint& endpoint) {
  if (!endpoint.protocol->lost()) endpoint.transport->close();
  run_until(
      ctx, loop, [&] { return endpoint.protocol->lost(); }, "connection_lost() after close()");
}

/// -1 if creating the endpoint fails, by a throw from the call or through
/// its Future (D-TIER-3); else the family of its socket (0 if unknown). An
/// endpoint created is closed again.
inline int created_family(conformance::Context& ctx, AbstractEventLoop& loop, DatagramOptions options) {
  auto recorder = std::make_shared<Recorder>();
  Future<DatagramConnection> future;
  try {
    future = loop.create_datagram_endpoint([recorder] { return recorder; }, std::move(options));
  } catch (const std::exception&) {
    return -1;
  }
  try {
    DatagramConnection pair = ctx.run_until_complete(loop, future, "create_datagram_endpoint()");
    int family = socket_family(*pair.first);
    run_until(
        ctx, loop, [&] { return recorder->made(); }, "connection_made() of the endpoint");
    close(ctx, loop, Endpoint{pair.first, recorder});
    return family;
  } catch (const std::exception&) {
    return -1;
  }
}

/// Whether creating the endpoint fails (see created_family()).
inline bool creation_fails(conformance::Context& ctx, AbstractEventLoop& loop, DatagramOptions options) {
  return created_family(ctx, loop, std::move(options)) < 0;
}

inline bool is_connection_refused(const std::exception_ptr& exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const std::system_error& error) {
    return error.code() == std::errc::connection_refused;
  } catch (...) {
    return false;
  }
}

/// The PEP's chart: connection_made once, datagram_received/error_received
/// any number of times, connection_lost once. pause_writing() and
/// resume_writing() are ignored: the PEP does not say a datagram transport
/// never calls them.
inline bool follows_datagram_chart(std::vector<std::string> calls) {
  std::erase_if(calls,
                [](const std::string& call) { return call == "pause_writing" || call == "resume_writing"; });
  if (calls.size() < 2 || calls.front() != "connection_made" || calls.back() != "connection_lost")
    return false;
  for (std::size_t i = 1; i + 1 < calls.size(); ++i) {
    if (calls[i] != "datagram_received" && calls[i] != "error_received") return false;
  }
  return true;
}

inline std::string trace(const std::vector<std::string>& calls) {
  std::string out;
  for (const auto& call : calls) out += (out.empty() ? "" : " ") + call;
  return out;
}

/// Whether "localhost" resolves to both 127.0.0.1 and ::1 here (the cases
/// about several candidates need two).
inline bool localhost_is_dual_stack() {
  bool v4 = false;
  bool v6 = false;
  try {
    for (const AddrInfo& info : getaddrinfo_blocking("localhost", "0", {.type = SOCK_DGRAM})) {
      v4 |= info.family == AF_INET;
      v6 |= info.family == AF_INET6;
    }
  } catch (const std::exception&) {
    return false;
  }
  return v4 && v6;
}

}  // namespace datagram_support
