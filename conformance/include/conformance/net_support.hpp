// What the cases about name lookups, connections, servers and the wrapped
// socket methods share: plain sockets of the case's own on 127.0.0.1, a
// protocol that records what the loop calls on it, a way to run the loop
// until something has happened, and a throw-away PKI for the TLS cases.
//
// Header-only and written against spec/ alone, like the cases.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <any>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "conformance/conformance.hpp"
#include "conformance/fixtures.hpp"
#include "conformance/helpers.hpp"
#include "conformance/loop_tools.hpp"
#include "pep3156/event_loop.hpp"
#include "pep3156/ssl.hpp"

namespace net_support {

using conformance::UniqueFd;

/// A TCP socket (IPv4), non-blocking unless asked otherwise.
inline UniqueFd tcp_socket(bool nonblocking = true) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0));
  if (!fd) throw std::system_error(errno, std::generic_category(), "socket()");
  return fd;
}

inline sockaddr_in loopback(std::uint16_t port, std::uint32_t host = INADDR_LOOPBACK) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(host);
  address.sin_port = htons(port);
  return address;
}

/// The address `fd` is bound to, or its peer's.
inline pep3156::SocketAddress local_of(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return {};
  return pep3156::SocketAddress(reinterpret_cast<sockaddr*>(&storage), length);
}
inline pep3156::SocketAddress peer_of(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return {};
  return pep3156::SocketAddress(reinterpret_cast<sockaddr*>(&storage), length);
}

/// A non-blocking TCP socket bound to 127.0.0.1 on a port of the kernel's
/// choice; listening unless `listen` is false (then a connection to it is
/// refused, and the port stays reserved while the socket lives).
struct Listener {
  UniqueFd fd;
  std::uint16_t port = 0;
  pep3156::SocketAddress address() const { return pep3156::SocketAddress("127.0.0.1", port); }
};
inline Listener listen_on_loopback(bool listen = true) {
  Listener listener{tcp_socket()};
  sockaddr_in address = loopback(0);
  if (::bind(listener.fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      (listen && ::listen(listener.fd.get(), 16) != 0)) {
    throw std::system_error(errno, std::generic_category(), "a socket bound to 127.0.0.1");
  }
  listener.port = local_of(listener.fd.get()).port();
  return listener;
}

/// A connection the kernel completes without anyone calling accept(): a
/// blocking connect() to a listening loopback port returns at once.
/// Non-blocking afterwards, so that the case can poll it.
inline UniqueFd connect_to(std::uint16_t port, std::uint32_t host = INADDR_LOOPBACK) {
  UniqueFd fd = tcp_socket(false);
  sockaddr_in address = loopback(port, host);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::system_error(errno, std::generic_category(), "connect() to 127.0.0.1");
  }
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
  return fd;
}

/// accept() on a non-blocking listener: an invalid UniqueFd if nobody waits.
/// A pending connection is accepted even when accept() fails spuriously
/// (EINTR, EAGAIN) or is short of descriptors for a moment (a few tries).
inline UniqueFd accept_from(const Listener& listener) {
  for (int tries = 0; tries < 10; ++tries) {
    UniqueFd fd(::accept4(listener.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (fd || !conformance::readable_now(listener.fd.get())) return fd;
  }
  return UniqueFd();
}

/// Appends what a non-blocking fd has to `into`; returns false once the
/// peer has closed (read() returned 0 or the connection was reset).
inline bool drain(int fd, std::string& into) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      into.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      return false;
    } else if (errno == EINTR ||
               ((errno == EAGAIN || errno == EWOULDBLOCK) && conformance::readable_now(fd))) {
      continue;  // a spurious failure: the data is still there
    } else {
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
  }
}

/// How many IPv4/IPv6 sockets the process has open: what a case waits to
/// drop back when the loop closes connections the case cannot see (the
/// server's side of a failed TLS handshake). Other descriptors a loop may
/// open lazily (pollers, wake-up pipes) are not counted.
inline std::size_t inet_sockets() {
  std::size_t count = 0;
  for (int fd : conformance::open_fds()) {
    int domain = 0;
    socklen_t length = sizeof domain;
    if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) == 0 &&
        (domain == AF_INET || domain == AF_INET6)) {
      ++count;
    }
  }
  return count;
}

using conformance::run_until;

/// Runs the loop for `seconds`: only for checks that something does NOT
/// happen, where there is no event to wait for.
inline void run_for(conformance::Context& ctx, pep3156::AbstractEventLoop& loop, double seconds,
                    std::string waiting_for) {
  loop.call_later(seconds, [&loop] { loop.stop(); });
  ctx.run_forever(loop, std::move(waiting_for));
}

/// A stream protocol that records the calls it receives and, if asked,
/// echoes what it receives. It keeps its transport until connection_lost()
/// (decision D-TR-1), so that a case can write and close through it.
struct RecordingProtocol : pep3156::Protocol {
  void connection_made(std::shared_ptr<pep3156::BaseTransport> t) override {
    ++made;
    if (lost > 0 || received_data) out_of_order = true;
    transport = std::dynamic_pointer_cast<pep3156::Transport>(t);
    first_transport = t.get();
  }
  void data_received(pep3156::BytesView bytes) override {
    if (made == 0 || lost > 0) out_of_order = true;
    received_data = true;
    data += pep3156::as_text(bytes);
    if (echo && transport) transport->write(bytes);
  }
  bool eof_received() override {
    ++eofs;
    return false;
  }
  void connection_lost(std::exception_ptr exc) override {
    ++lost;
    if (made == 0) out_of_order = true;
    error = exc;
    transport.reset();
  }

  bool echo = false;
  int made = 0;
  int eofs = 0;
  int lost = 0;
  bool received_data = false;
  bool out_of_order = false;
  std::string data;
  std::exception_ptr error;
  std::shared_ptr<pep3156::Transport> transport;
  const pep3156::BaseTransport* first_transport = nullptr;
};

/// A factory that makes a new RecordingProtocol per call and keeps them all.
struct RecordingFactory {
  std::shared_ptr<std::vector<std::shared_ptr<RecordingProtocol>>> made =
      std::make_shared<std::vector<std::shared_ptr<RecordingProtocol>>>();
  bool echo = false;
  pep3156::ProtocolFactory factory() const {
    return [made = made, echo = echo] {
      auto protocol = std::make_shared<RecordingProtocol>();
      protocol->echo = echo;
      made->push_back(protocol);
      return protocol;
    };
  }
  std::size_t calls() const { return made->size(); }
  RecordingProtocol& operator[](std::size_t i) const { return *(*made)[i]; }
  bool all_lost() const {
    for (const auto& p : *made) {
      if (p->made > 0 && p->lost == 0) return false;
    }
    return true;
  }
};

/// What a call that returns a Future came to: its value, or the error it
/// threw or its Future completed with (decision D-TIER-3 accepts both).
template <class T>
struct Attempt {
  std::optional<T> value;
  std::exception_ptr error;
  bool ok() const { return value.has_value(); }
};
template <class T>
Attempt<T> attempt(conformance::Context& ctx, pep3156::AbstractEventLoop& loop,
                   const std::function<pep3156::Future<T>()>& call, std::string waiting_for) {
  Attempt<T> outcome;
  try {
    pep3156::Future<T> future = call();
    outcome.value.emplace(ctx.run_until_complete(loop, future, std::move(waiting_for)));
  } catch (...) {
    outcome.error = std::current_exception();
  }
  return outcome;
}

/// The address family of a transport's socket: from get_extra_info()
/// "sockname", else from getsockname() of "socket"; 0 if it says neither
/// (D-TR-9: the keys are not required).
inline int socket_family(const pep3156::BaseTransport& transport) {
  auto sockname = transport.get_extra_info("sockname");
  if (const auto* address = std::any_cast<pep3156::SocketAddress>(&sockname)) return address->family();
  int fd = transport.get_extra_info<int>("socket", -1);
  if (fd < 0) return 0;
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return 0;
  return storage.ss_family;
}

/// Whether `error` is (or derives from) E.
template <class E>
bool is_error(const std::exception_ptr& error) {
  if (!error) return false;
  try {
    std::rethrow_exception(error);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

/// Closes a connection's transport and runs the loop until its protocol
/// has been told (so that its descriptor is closed before the case ends).
inline void close_connection(conformance::Context& ctx, pep3156::AbstractEventLoop& loop,
                             const pep3156::StreamConnection& connection, const RecordingProtocol& protocol) {
  connection.first->close();
  run_until(
      ctx, loop, [&] { return protocol.lost > 0; }, "connection_lost() after close()");
}

/// Closes a server and every connection it accepted, and waits for all.
inline void close_server(conformance::Context& ctx, pep3156::AbstractEventLoop& loop,
                         const std::shared_ptr<pep3156::Server>& server, const RecordingFactory& accepted) {
  server->close();
  for (const auto& protocol : *accepted.made) {
    if (protocol->transport) protocol->transport->close();
  }
  ctx.run_until_complete(loop, server->wait_closed(), "wait_closed() of a closed server");
  run_until(
      ctx, loop, [&] { return accepted.all_lost(); }, "the server's connections to be lost");
}

/// The port a Server listens on (its first socket).
inline std::uint16_t port_of(const pep3156::Server& server) {
  auto sockets = server.sockets();
  return sockets.empty() ? 0 : sockets.front().address.port();
}

/// A throw-away PKI made with Debian's openssl command in a temporary
/// directory (removed again by the destructor): a CA, a server certificate
/// it signed for DNS:localhost only (no IP address, so that the name
/// verified is the one the case chose), and a self-signed certificate for
/// localhost. EC P-256 keys, which are quick to make.
class TestPki {
 public:
  explicit TestPki(conformance::Context& ctx) : ctx_(ctx) {
    if (::access(kOpenssl, X_OK) != 0) ctx.unresolved("no /usr/bin/openssl to make a test PKI");
    std::string pattern = (std::filesystem::temp_directory_path() / "loopcert-pki-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) ctx.unresolved("cannot make a temporary directory");
    directory_ = pattern;
    const std::string key = kKey;
    const std::string leaf = kLeaf;
    if (!openssl("req -x509 -new" + key + " -keyout ca.key -out ca.pem -subj /CN=loopcert-ca") ||
        !openssl("req -x509 -new -CA ca.pem -CAkey ca.key" + key + " -keyout server.key -out server.pem" +
                 leaf)) {
      std::error_code ignored;
      std::filesystem::remove_all(directory_, ignored);
      ctx.unresolved("openssl could not make the test PKI");
    }
  }
  ~TestPki() {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  /// A client context as the default one (verification, hostname checks)
  /// that trusts the test CA.
  std::shared_ptr<pep3156::SSLContext> client_context() const {
    auto context = pep3156::SSLContext::create_default_context();
    context->load_verify_locations(path("ca.pem"));
    return context;
  }
  /// A server context with the certificate the test CA signed.
  std::shared_ptr<pep3156::SSLContext> server_context() const { return server("server"); }
  /// A server context with the self-signed certificate (made on first use).
  std::shared_ptr<pep3156::SSLContext> self_signed_server_context() const {
    if (!std::filesystem::exists(directory_ / "self.pem") &&
        !openssl("req -x509 -new" + std::string(kKey) + " -keyout self.key -out self.pem" + kLeaf)) {
      ctx_.unresolved("openssl could not make a self-signed certificate");
    }
    return server("self");
  }

 private:
  static constexpr const char* kOpenssl = "/usr/bin/openssl";
  static constexpr const char* kKey = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2";
  static constexpr const char* kLeaf =
      " -subj /CN=localhost -addext subjectAltName=DNS:localhost -addext basicConstraints=critical,CA:FALSE";

  std::shared_ptr<pep3156::SSLContext> server(const std::string& name) const {
    auto context = pep3156::SSLContext::create_default_context(pep3156::SSLContext::Purpose::client_auth);
    context->load_cert_chain(path(name + ".pem"), path(name + ".key"));
    return context;
  }
  std::string path(const std::string& name) const { return (directory_ / name).string(); }
  bool openssl(const std::string& arguments) const {
    std::string command =
        "cd '" + directory_.string() + "' && " + kOpenssl + " " + arguments + " 2>/dev/null";
    return std::system(command.c_str()) == 0;
  }

  conformance::Context& ctx_;
  std::filesystem::path directory_;
};

}  // namespace net_support
