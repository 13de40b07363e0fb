// Keyword arguments as option structs (PEP 3156: "The optional arguments
// *must* be specified as keyword arguments"). Designated initializers read
// like Python's keywords:
//
//   loop.create_connection(factory, "example.com", 443, {.ssl = true});
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "pep3156/address.hpp"
#include "pep3156/ssl.hpp"

namespace pep3156 {

/// `ssl=`: false (plain), true (a default context), or a context.
using SslOption = std::variant<bool, std::shared_ptr<SSLContext>>;

inline bool ssl_requested(const SslOption& ssl) {
  if (const bool* flag = std::get_if<bool>(&ssl)) return *flag;
  return std::get<std::shared_ptr<SSLContext>>(ssl) != nullptr;
}

struct GetAddrInfoOptions {
  int family = 0;  // AF_UNSPEC, AF_INET or AF_INET6
  int type = 0;
  int proto = 0;
  int flags = 0;
};

struct ConnectionOptions {
  SslOption ssl = false;
  int family = 0;
  int proto = 0;
  int flags = 0;
  /// An already connected socket to use instead of host and port, which
  /// must then be empty (ValueError otherwise). Ownership passes to the
  /// transport.
  std::optional<Socket> sock{};
  /// Bind locally to this (host, port) first.
  std::optional<HostPort> local_addr{};
  /// TLS only: the name to verify; defaults to host. Empty with a
  /// verify_mode=none context disables hostname checks.
  std::optional<std::string> server_hostname{};
  /// TLS only (ValueError without ssl): seconds the TLS handshake may take
  /// before the connection is aborted with SSLError; must be positive.
  /// nullopt: 60 s. asyncio's ssl_handshake_timeout.
  std::optional<double> ssl_handshake_timeout{};
};

struct ServerOptions {
  /// A context with the server's certificate and key (`ssl=True` makes no
  /// sense for a server).
  std::shared_ptr<SSLContext> ssl{};
  int backlog = 100;
  /// SO_REUSEADDR; the PEP's default on UNIX is true.
  bool reuse_address = true;
  int family = AF_UNSPEC;
  int flags = AI_PASSIVE;
  /// An already bound listening socket to serve instead of host and port.
  std::optional<Socket> sock{};
  /// TLS only (ValueError without ssl): as ConnectionOptions; a client that
  /// does not finish its handshake in time is dropped.
  std::optional<double> ssl_handshake_timeout{};
};

struct DatagramOptions {
  std::optional<HostPort> local_addr{};
  std::optional<HostPort> remote_addr{};
  int family = 0;
  int proto = 0;
  int flags = 0;
};

/// Where a child's stdin/stdout/stderr goes (Python's subprocess.PIPE,
/// subprocess.STDOUT, DEVNULL, or an fd of the caller's).
struct Stdio {
  enum class Kind { pipe, stdout_, devnull, inherit, fd };
  Kind kind = Kind::pipe;
  int fd = -1;  // Kind::fd: the caller's descriptor, not taken over

  static Stdio pipe() { return {}; }
  static Stdio to_stdout() { return {Kind::stdout_, -1}; }
  static Stdio devnull() { return {Kind::devnull, -1}; }
  static Stdio inherit() { return {Kind::inherit, -1}; }
  static Stdio from_fd(int fd) { return {Kind::fd, fd}; }
};

/// The portable subset of Popen's arguments (clauses-summary M5).
struct SubprocessOptions {
  Stdio stdin_ = Stdio::pipe();
  Stdio stdout_ = Stdio::pipe();
  Stdio stderr_ = Stdio::pipe();
  std::optional<std::string> cwd{};
  /// Replaces the environment when set.
  std::optional<std::map<std::string, std::string>> env{};
  /// Close every other descriptor in the child (Python's default).
  bool close_fds = true;
  /// Descriptors kept open in the child even with close_fds.
  std::vector<int> pass_fds{};
  bool start_new_session = false;
  /// Reset signal dispositions the parent ignores (Python's default).
  bool restore_signals = true;
  /// The program to run instead of args[0] (argv[0] stays args[0]).
  std::optional<std::string> executable{};
};

}  // namespace pep3156
