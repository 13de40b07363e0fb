// Transports (PEP 3156, "Transports"; PEP 3153, "Transport").
//
// A transport is concerned with *how* bytes move; its protocol decides
// *which* bytes. Users rarely implement transports: loops create them and
// hand them to protocols.
//
// Hierarchy, as the PEP's:
//   BaseTransport                       get_extra_info, close, is_closing
//   ReadTransport   : BaseTransport     pause_reading, resume_reading
//   WriteTransport  : BaseTransport     write, writelines, write_eof, ...
//   Transport       : Read + Write      bidirectional stream (TCP, TLS, UNIX)
//   DatagramTransport                   sendto, abort
//   SubprocessTransport                 get_pid, get_returncode, ...
//
// Ownership and lifetime (decision D-TR-1):
//   - The loop creates transports as shared_ptr and keeps its own reference
//     until the protocol's connection_lost() has returned; the protocol
//     receives a shared_ptr in connection_made() and may keep it.
//   - The transport holds its protocol until connection_lost() has returned
//     and then releases it, which breaks the transport <-> protocol cycle.
//   - After close() or abort() every method stays safe to call: write()
//     does nothing (nothing is sent), is_closing() is true,
//     get_extra_info() still answers.
//   - No method blocks (PEP 3156: "Neither transport nor protocol methods
//     'block'"), and none calls a protocol method re-entrantly, with one
//     exception: write() may call pause_writing() when it crosses the high
//     water mark (decision D-PROTO-2).
#pragma once

#include <signal.h>

#include <any>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "pep3156/address.hpp"
#include "pep3156/bytes.hpp"

namespace pep3156 {

class BaseProtocol;

class BaseTransport {
 public:
  virtual ~BaseTransport() = default;

  /// PEP 3156 "get_extra_info(name, default=None)": an empty std::any means
  /// "unknown". Keys every stream transport of this project answers:
  /// "peername" and "sockname" (SocketAddress), "socket" (int fd), "pipe"
  /// (int fd); TLS adds "sslcontext" (shared_ptr<SSLContext>), "peercert"
  /// (std::string, PEM), "cipher" (std::string) and "ssl_object" (SSL*).
  virtual std::any get_extra_info(std::string_view name) const = 0;

  /// get_extra_info(name, default) with the value's type spelled out.
  template <class T>
  T get_extra_info(std::string_view name, T fallback) const {
    std::any value = get_extra_info(name);
    if (const T* typed = std::any_cast<T>(&value)) return *typed;
    return fallback;
  }

  /// Sever the connection once buffered data is sent; connection_lost(null)
  /// follows, later, from the loop (never from inside close()).
  virtual void close() = 0;
  /// True once close() or abort() was called or the connection was lost.
  virtual bool is_closing() const = 0;
};

class ReadTransport : public virtual BaseTransport {
 public:
  /// Suspend data_received() until resume_reading(). Calling it while paused
  /// does nothing (decision D-TR-4).
  virtual void pause_reading() = 0;
  /// Restart data_received(). Calling it while not paused does nothing.
  virtual void resume_reading() = 0;
};

class WriteTransport : public virtual BaseTransport {
 public:
  /// Buffer `data` and send it as soon as possible; never blocks. The bytes
  /// are copied before write() returns. After write_eof() or close():
  /// RuntimeError, resp. silently ignored (decision D-TR-2).
  virtual void write(BytesView data) = 0;
  void write(std::string_view text) { write(as_bytes(text)); }

  /// Equivalent to write() of each buffer in order (PEP 3153's
  /// write_sequence); implementations may use scatter/gather I/O.
  virtual void writelines(std::span<const BytesView> buffers) {
    for (BytesView buffer : buffers) write(buffer);
  }

  /// Close the write end after flushing (half-close).
  virtual void write_eof() = 0;
  virtual bool can_write_eof() const = 0;

  /// Bytes buffered and not yet sent.
  virtual std::size_t get_write_buffer_size() const = 0;
  /// Water marks for pause_writing()/resume_writing(); std::nullopt picks
  /// the implementation's default (high default 64 KiB, low default high/4).
  /// ValueError unless 0 <= low <= high (decision D-TR-3).
  virtual void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                                       std::optional<std::size_t> low = std::nullopt) = 0;

  /// Close at once, dropping buffered data; connection_lost(null) follows.
  virtual void abort() = 0;
};

/// A bidirectional stream transport.
class Transport : public ReadTransport, public WriteTransport {};

class DatagramTransport : public virtual BaseTransport {
 public:
  /// Send one datagram. With `address` on a connected endpoint it must equal
  /// the remote address (ValueError otherwise).
  virtual void sendto(BytesView data, const std::optional<SocketAddress>& address = std::nullopt) = 0;
  virtual void abort() = 0;
  virtual std::size_t get_write_buffer_size() const { return 0; }
};

class SubprocessTransport : public virtual BaseTransport {
 public:
  virtual int get_pid() const = 0;
  /// The exit status once the process has exited: its exit code, or -N if
  /// it was killed by signal N (as Python's returncode).
  virtual std::optional<int> get_returncode() const = 0;
  /// The pipe transport for fd 0, 1 or 2, or null if that stream is not a
  /// pipe of ours.
  virtual std::shared_ptr<BaseTransport> get_pipe_transport(int fd) const = 0;
  virtual void send_signal(int signal) = 0;
  virtual void terminate() { send_signal(SIGTERM); }
#if defined(_WIN32)
  // Windows has no SIGKILL: as Python's subprocess there, kill() is
  // terminate() (TerminateProcess).
  virtual void kill() { terminate(); }
#else
  virtual void kill() { send_signal(SIGKILL); }
#endif
};

}  // namespace pep3156
