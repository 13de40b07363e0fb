// What the stream transport and stream protocol cases share (PEP 3156,
// "Bidirectional Stream Transports", "Stream Protocols"):
//
//   - RecordingProtocol: a Protocol that logs every call the transport makes
//     on it, in order, with its data, its thread and whether it ran nested
//     inside another protocol method or a transport method, so that the
//     calling-sequence rules are one-line checks (sequence_problem,
//     flow_problem, context_problem);
//   - connect_pair(): a client from create_connection() and its server-side
//     peer from create_server(), both on the loop under test, on 127.0.0.1
//     port 0;
//   - connect_raw(): a client from create_connection() to a listening socket
//     of the case's own, whose accepted descriptor (blocking) the case
//     controls exactly: it reads or never reads, half-closes, resets;
//   - Pattern and fill(): numbered bytes, to write more than the kernel takes
//     and to check that every byte arrived, once, in order;
//   - PeerReader: reads a raw peer to its end on a thread of its own while
//     the loop runs;
//   - run_until() (conformance/helpers.hpp) and settle(): run the loop under the watchdog until a
//     condition holds, or for a few more iterations in which a broken loop
//     would make a call it must not make.
//
// Header-only, written against spec/ alone, like the cases.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "conformance/conformance.hpp"
#include "conformance/helpers.hpp"
#include "pep3156/event_loop.hpp"
#include "pep3156/protocols.hpp"
#include "pep3156/server.hpp"
#include "pep3156/transports.hpp"

namespace stream_support {

// --- Recording the calls a transport makes on its protocol -------------------

enum class Call {
  connection_made,
  data_received,
  eof_received,
  connection_lost,
  pause_writing,
  resume_writing
};

inline const char* call_name(Call call) {
  switch (call) {
    case Call::connection_made:
      return "connection_made";
    case Call::data_received:
      return "data_received";
    case Call::eof_received:
      return "eof_received";
    case Call::connection_lost:
      return "connection_lost";
    case Call::pause_writing:
      return "pause_writing";
    case Call::resume_writing:
      return "resume_writing";
  }
  return "?";
}

struct Event {
  Call call = Call::connection_made;
  std::string data;          // data_received: a copy of its bytes
  std::exception_ptr error;  // connection_lost: its argument
  /// pause_writing / resume_writing: the transport's get_write_buffer_size()
  /// when the call came.
  std::size_t buffered = 0;
  /// Whether the call came on the thread that made the protocol (the case's
  /// thread, which runs the loop).
  bool on_loop_thread = true;
  /// Whether it came while another RecordingProtocol method, or a transport
  /// method called through RecordingProtocol::call(), was still running.
  bool nested = false;
};

/// Protocol methods running now, over every RecordingProtocol of the
/// process (all run on the loop's one thread), plus transport calls made
/// through RecordingProtocol::call().
inline int active_calls = 0;

class RecordingProtocol : public pep3156::Protocol {
 public:
  /// Every call, in order.
  std::vector<Event> events;
  /// The transport connection_made() received.
  std::shared_ptr<pep3156::BaseTransport> base_transport;
  std::shared_ptr<pep3156::Transport> transport;
  /// Every byte data_received() got, concatenated.
  std::string received;
  /// What eof_received() returns (false: let the transport close itself).
  bool eof_result = false;

  /// Called after the call is recorded, e.g. to write from inside
  /// connection_made() or to close from inside data_received().
  std::function<void(RecordingProtocol&)> on_made, on_eof, on_lost, on_pause, on_resume;
  std::function<void(RecordingProtocol&, std::string_view)> on_data;

  void connection_made(std::shared_ptr<pep3156::BaseTransport> t) override {
    base_transport = t;
    transport = std::dynamic_pointer_cast<pep3156::Transport>(t);
    Scope scope = record(Call::connection_made);
    if (on_made) on_made(*this);
  }
  void data_received(pep3156::BytesView data) override {
    std::string copy(pep3156::as_text(data));
    received += copy;
    Scope scope = record(Call::data_received);
    events.back().data = copy;
    if (on_data) on_data(*this, copy);
  }
  bool eof_received() override {
    Scope scope = record(Call::eof_received);
    if (on_eof) on_eof(*this);
    return eof_result;
  }
  void connection_lost(std::exception_ptr error) override {
    Scope scope = record(Call::connection_lost);
    events.back().error = error;
    if (on_lost) on_lost(*this);
  }
  void pause_writing() override {
    Scope scope = record(Call::pause_writing);
    if (on_pause) on_pause(*this);
  }
  void resume_writing() override {
    Scope scope = record(Call::resume_writing);
    if (on_resume) on_resume(*this);
  }

  /// Calls a transport method (or anything else) marked as such: a protocol
  /// method the loop calls before it returns is recorded as nested.
  template <class F>
  void call(F&& fn) {
    ++active_calls;
    try {
      std::forward<F>(fn)();
    } catch (...) {
      --active_calls;
      throw;
    }
    --active_calls;
  }

  int count(Call call) const {
    int n = 0;
    for (const Event& event : events) n += event.call == call;
    return n;
  }
  /// Calls of one kind from index `mark` on (mark: an earlier events.size()).
  int count_since(std::size_t mark, Call call) const {
    int n = 0;
    for (std::size_t i = mark; i < events.size(); ++i) n += events[i].call == call;
    return n;
  }
  bool made() const { return count(Call::connection_made) > 0; }
  bool got_eof() const { return count(Call::eof_received) > 0; }
  bool lost() const { return count(Call::connection_lost) > 0; }
  bool paused() const { return count(Call::pause_writing) > count(Call::resume_writing); }
  /// connection_lost()'s argument (null if it was not called).
  std::exception_ptr lost_error() const {
    for (const Event& event : events)
      if (event.call == Call::connection_lost) return event.error;
    return nullptr;
  }

  /// "connection_made data_received(3) eof_received connection_lost(null)",
  /// for messages.
  std::string trace() const {
    std::string out;
    for (const Event& event : events) {
      if (!out.empty()) out += ' ';
      out += call_name(event.call);
      if (event.call == Call::data_received) out += conformance::str("(", event.data.size(), ")");
      if (event.call == Call::connection_lost) out += event.error ? "(error)" : "(null)";
      if (event.call == Call::pause_writing || event.call == Call::resume_writing)
        out += conformance::str("(buffered ", event.buffered, ")");
    }
    return out.empty() ? "(no calls)" : out;
  }

 private:
  struct Scope {
    explicit Scope(int& counter) : counter_(&counter) { ++*counter_; }
    Scope(Scope&& other) noexcept : counter_(std::exchange(other.counter_, nullptr)) {}
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    Scope& operator=(Scope&&) = delete;
    ~Scope() {
      if (counter_) --*counter_;
    }
    int* counter_;
  };

  Scope record(Call call) {
    Event event;
    event.call = call;
    event.on_loop_thread = std::this_thread::get_id() == thread_;
    event.nested = active_calls > 0;
    if ((call == Call::pause_writing || call == Call::resume_writing) && transport)
      event.buffered = transport->get_write_buffer_size();
    events.push_back(std::move(event));
    return Scope(active_calls);
  }

  std::thread::id thread_ = std::this_thread::get_id();
};

enum class Lost { required, optional };

/// What breaks the stream calling sequence (PROTO-SEQ-*: connection_made
/// exactly once and first, data_received non-empty and only before
/// eof_received and connection_lost, eof_received at most once,
/// connection_lost exactly once and last), or "" if nothing does.
/// pause_writing/resume_writing are left to flow_problem().
inline std::string sequence_problem(const RecordingProtocol& p, Lost lost = Lost::required) {
  int made = 0, eof = 0, gone = 0;
  for (const Event& event : p.events) {
    if (event.call == Call::pause_writing || event.call == Call::resume_writing) continue;
    if (gone > 0) return conformance::str(call_name(event.call), " after connection_lost: ", p.trace());
    switch (event.call) {
      case Call::connection_made:
        if (made++ > 0) return "connection_made called twice: " + p.trace();
        break;
      case Call::data_received:
        if (made == 0) return "data_received before connection_made: " + p.trace();
        if (eof > 0) return "data_received after eof_received: " + p.trace();
        if (event.data.empty()) return "data_received with empty data: " + p.trace();
        break;
      case Call::eof_received:
        if (made == 0) return "eof_received before connection_made: " + p.trace();
        if (eof++ > 0) return "eof_received called twice: " + p.trace();
        break;
      case Call::connection_lost:
        if (made == 0) return "connection_lost before connection_made: " + p.trace();
        ++gone;
        break;
      default:
        break;
    }
  }
  if (made == 0) return "connection_made was never called";
  if (lost == Lost::required && gone == 0) return "connection_lost was never called: " + p.trace();
  return "";
}

/// What breaks PROTO-FLOW-PAIRS (pause_writing and resume_writing
/// alternate, pause first, only between connection_made and
/// connection_lost; a final resume_writing is optional), or "".
inline std::string flow_problem(const RecordingProtocol& p) {
  bool made = false, gone = false, paused = false;
  for (const Event& event : p.events) {
    switch (event.call) {
      case Call::connection_made:
        made = true;
        break;
      case Call::connection_lost:
        gone = true;
        break;
      case Call::pause_writing:
      case Call::resume_writing: {
        bool pause = event.call == Call::pause_writing;
        if (!made) return conformance::str(call_name(event.call), " before connection_made: ", p.trace());
        if (gone) return conformance::str(call_name(event.call), " after connection_lost: ", p.trace());
        if (pause && paused) return "pause_writing twice without resume_writing between: " + p.trace();
        if (!pause && !paused) return "resume_writing without a pause_writing before it: " + p.trace();
        paused = pause;
        break;
      }
      default:
        break;
    }
  }
  return "";
}

/// What breaks PROTO-LOOP-CONTEXT (read with D-PROTO-1, D-PROTO-2, D-TR-5):
/// a call on another thread than the loop's, or a call nested inside
/// another protocol method or a transport method, except pause_writing and
/// resume_writing (write() may call them), or "".
inline std::string context_problem(const RecordingProtocol& p) {
  for (const Event& event : p.events) {
    if (!event.on_loop_thread)
      return conformance::str(call_name(event.call), " was called on another thread");
    bool flow = event.call == Call::pause_writing || event.call == Call::resume_writing;
    if (event.nested && !flow)
      return conformance::str(
          call_name(event.call),
          " was called inside another protocol method or a transport method: ", p.trace());
  }
  return "";
}

// --- Running the loop -------------------------------------------------------

using conformance::run_until;

/// Calls `call` and lets it throw: for calls on a closed or dead transport,
/// which the PEP neither forbids nor defines, so a case asserts only what
/// the protocol then sees.
inline void may_throw(const std::function<void()>& call) {
  try {
    call();
  } catch (...) {
  }
}

/// Runs the loop until done() holds or `seconds` have passed; returns
/// done(). For what a broken loop may never do (so that the case fails
/// without waiting for the watchdog); a correct loop ends the run early.
inline bool run_until_within(conformance::Context& ctx, pep3156::AbstractEventLoop& loop,
                             std::function<bool()> done, double seconds, std::string waiting_for) {
  if (done()) return true;
  bool expired = false;
  auto timer = loop.call_later(seconds, [&expired] { expired = true; });
  conformance::stop_when(loop, [&] { return expired || done(); });
  ctx.run_forever(loop, std::move(waiting_for));
  timer.cancel();
  return done();
}

/// Runs the loop for a few more iterations, with a short timer among them,
/// so that a call a broken loop would still make (a second
/// connection_lost, data after close) has its chance to come. An
/// observation window, not a synchronisation: cases never wait here for
/// something that must happen.
inline void settle(conformance::Context& ctx, pep3156::AbstractEventLoop& loop) {
  struct Step {
    pep3156::AbstractEventLoop* loop;
    int left;
    void operator()() const {
      if (left == 0) {
        loop->stop();
      } else if (left == 10) {
        loop->call_later(0.005, Step{loop, left - 1});
      } else {
        loop->call_soon(Step{loop, left - 1});
      }
    }
  };
  loop.call_soon(Step{&loop, 20});
  ctx.run_forever(loop, "a few more iterations of the loop");
}

// --- Numbered bytes ---------------------------------------------------------

/// An endless stream of bytes whose value follows their position (period
/// 251, prime, so no power-of-two chunking lines up with it): a received
/// stream equals the pattern's first total() bytes only if every byte
/// arrived, once, in order.
class Pattern {
 public:
  std::string next(std::size_t n) {
    std::string out(n, '\0');
    for (std::size_t i = 0; i < n; ++i) out[i] = byte_at(total_ + i);
    total_ += n;
    return out;
  }
  std::size_t total() const { return total_; }
  /// Whether `received` is exactly what next() handed out.
  bool matches(const std::string& received) const {
    if (received.size() != total_) return false;
    for (std::size_t i = 0; i < received.size(); ++i)
      if (received[i] != byte_at(i)) return false;
    return true;
  }
  /// Whether `received` is a prefix of it (what arrives before an abort).
  bool prefix_of(const std::string& received) const {
    if (received.size() > total_) return false;
    for (std::size_t i = 0; i < received.size(); ++i)
      if (received[i] != byte_at(i)) return false;
    return true;
  }

 private:
  static char byte_at(std::size_t i) { return static_cast<char>(i % 251); }
  std::size_t total_ = 0;
};

/// Writes the pattern to `t` in 64 KiB chunks until the transport's own
/// buffer holds at least `min_buffered` bytes (with a peer that does not
/// read, that is beyond what the kernel takes), or `cap` bytes were written
/// (a transport that reports no buffer). Returns the bytes written.
inline std::size_t fill(pep3156::WriteTransport& t, Pattern& pattern, std::size_t min_buffered = 256 * 1024,
                        std::size_t cap = 32u << 20) {
  std::size_t written = 0;
  while (written < cap && t.get_write_buffer_size() < min_buffered) {
    std::string chunk = pattern.next(64 * 1024);
    t.write(chunk);
    written += chunk.size();
  }
  return written;
}

// --- Connections ------------------------------------------------------------

/// Both ends on the loop under test: `client` is create_connection()'s
/// protocol, `peer` the protocol create_server() made for the accepted
/// connection.
struct LoopPair {
  std::shared_ptr<pep3156::Server> server;
  pep3156::StreamConnection connection;  // what create_connection's Future gave
  std::shared_ptr<RecordingProtocol> client;
  std::shared_ptr<RecordingProtocol> peer;

  /// Closes both transports, waits for both connection_lost() calls, closes
  /// the server and waits for wait_closed().
  void close(conformance::Context& ctx, pep3156::AbstractEventLoop& loop) {
    for (auto* p : {client.get(), peer.get()})
      if (p->transport && !p->lost()) p->transport->close();
    run_until(
        ctx, loop, [this] { return client->lost() && peer->lost(); },
        "connection_lost() on both ends after close()");
    server->close();
    ctx.run_until_complete(loop, server->wait_closed(), "the server's wait_closed()");
  }
};

/// Connects `client` to a server of the loop's own whose one connection
/// gets `peer`; returns once both connection_made() calls came (decision
/// D-NET-1: whichever order the loop takes). Configure the protocols
/// (eof_result, hooks) before calling.
/// With options (e.g. TLS: a server context, and a client context with
/// server_hostname) for both calls.
inline LoopPair connect_pair(
    conformance::Context& ctx, pep3156::AbstractEventLoop& loop,
    std::shared_ptr<RecordingProtocol> client = std::make_shared<RecordingProtocol>(),
    std::shared_ptr<RecordingProtocol> peer = std::make_shared<RecordingProtocol>(),
    pep3156::ServerOptions server_options = {}, pep3156::ConnectionOptions client_options = {}) {
  LoopPair pair;
  pair.client = client;
  pair.peer = peer;
  pair.server = ctx.run_until_complete(
      loop,
      loop.create_server([peer] { return std::static_pointer_cast<pep3156::Protocol>(peer); }, "127.0.0.1", 0,
                         std::move(server_options)),
      "create_server() on 127.0.0.1 port 0");
  auto sockets = pair.server->sockets();
  REQUIRE_THAT(!sockets.empty(), "the server listens on a socket");
  pair.connection = ctx.run_until_complete(
      loop,
      loop.create_connection([client] { return std::static_pointer_cast<pep3156::Protocol>(client); },
                             "127.0.0.1", sockets.front().address.port(), std::move(client_options)),
      "create_connection() to the server");
  run_until(
      ctx, loop, [&] { return client->made() && peer->made(); },
      "connection_made() on both ends of a new connection");
  return pair;
}

/// A client of the loop's and the accepted end of a listening socket of the
/// case's own (blocking), which the case reads and writes itself.
struct RawPair {
  pep3156::StreamConnection connection;
  std::shared_ptr<RecordingProtocol> client;
  conformance::UniqueFd peer;

  /// Closes the client's transport and waits for connection_lost().
  void close(conformance::Context& ctx, pep3156::AbstractEventLoop& loop) {
    if (client->transport && !client->lost()) client->transport->close();
    run_until(
        ctx, loop, [this] { return client->lost(); }, "connection_lost() after close()");
  }
};

struct RawOptions {
  /// SO_RCVBUF of the peer's socket (0: the kernel's default): small, so
  /// that a peer that does not read makes the client's transport buffer.
  int peer_rcvbuf = 0;
};

/// A peer whose receive buffer is small, so that the kernel takes little of
/// what the client writes while the peer does not read.
inline constexpr RawOptions kSlowPeer{.peer_rcvbuf = 4096};

inline RawPair connect_raw(conformance::Context& ctx, pep3156::AbstractEventLoop& loop,
                           std::shared_ptr<RecordingProtocol> client = std::make_shared<RecordingProtocol>(),
                           RawOptions options = {}) {
  conformance::UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener) ctx.unresolved("socket() failed");
  if (options.peer_rcvbuf > 0)  // inherited by the accepted socket
    ::setsockopt(listener.get(), SOL_SOCKET, SO_RCVBUF, &options.peer_rcvbuf, sizeof options.peer_rcvbuf);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener.get(), 1) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
    ctx.unresolved("could not listen on 127.0.0.1 port 0");
  RawPair pair;
  pair.client = client;
  pair.connection = ctx.run_until_complete(
      loop,
      loop.create_connection([client] { return std::static_pointer_cast<pep3156::Protocol>(client); },
                             "127.0.0.1", ntohs(address.sin_port)),
      "create_connection() to a listening socket");
  // The connection is complete in the listener's backlog: accept() returns
  // at once, unless interrupted (EINTR) or short of descriptors for a
  // moment (EMFILE, ENFILE: a few more tries).
  for (int tries = 0; !pair.peer && tries < 10; ++tries) {
    pair.peer.reset(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!pair.peer && errno != EINTR && errno != EMFILE && errno != ENFILE) break;
  }
  if (!pair.peer) ctx.unresolved("accept() failed");
  run_until(
      ctx, loop, [&] { return client->made(); }, "connection_made() on a new connection");
  return pair;
}

// --- A raw peer ---------------------------------------------------------------

/// Sends all of `data` (only as much as the kernel takes without the other
/// end reading: small amounts). False on an error (the other end is gone).
/// A send that fails spuriously (EINTR, or EAGAIN on a non-blocking socket
/// that can still take bytes: the kernel may return either) is tried again.
inline bool send_all(int fd, std::string_view data) {
  auto writable_now = [fd] {
    pollfd writable{fd, POLLOUT, 0};
    int ready;
    while ((ready = ::poll(&writable, 1, 0)) < 0 && errno == EINTR) {
    }
    return ready == 1 && (writable.revents & POLLOUT) != 0;
  };
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || ((errno == EAGAIN || errno == EWOULDBLOCK) && writable_now()))) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Grows a raw peer's receive buffer (made small by RawOptions so that the
/// client's transport buffers) once the case lets it read, so that draining
/// takes fewer round trips.
inline void read_faster(int fd) {
  int size = 1 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

/// Reads what is there now without blocking; sets `eof` at the end of the
/// stream (or on an error such as a reset).
inline std::string read_available(int fd, bool& eof) {
  std::string out;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
    } else if (n < 0 && (errno == EINTR ||
                         ((errno == EAGAIN || errno == EWOULDBLOCK) && conformance::readable_now(fd)))) {
      continue;  // a spurious failure: the data is still there
    } else {
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) eof = true;
      return out;
    }
  }
}

/// Ends the connection with a reset (RST) instead of a FIN.
inline void reset(conformance::UniqueFd& fd) {
  linger option{1, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &option, sizeof option);
  fd.reset();
}

/// Reads a blocking socket on a thread of its own until the end of the
/// stream (or an error), while the loop runs. done() says when; data and
/// error are for after done().
class PeerReader {
 public:
  /// Reads until the end of the stream, or until `limit` bytes.
  explicit PeerReader(int fd, std::size_t limit = SIZE_MAX)
      : fd_(fd), limit_(limit), thread_([this] {
          read_faster(fd_);
          read(fd_);
        }) {}
  PeerReader(const PeerReader&) = delete;
  PeerReader& operator=(const PeerReader&) = delete;
  /// A case that ends early must not hang here: wake the reader.
  ~PeerReader() {
    if (!done()) ::shutdown(fd_, SHUT_RD);
  }
  bool done() const { return done_.load(std::memory_order_acquire); }
  /// Waits for the thread (under the watchdog).
  void join(conformance::Context& ctx) {
    conformance::Watch guard = ctx.watch("the peer's reader thread");
    thread_.join();
  }
  std::string data;
  /// errno of the read that ended the stream (0: a clean end of stream).
  int error = 0;

 private:
  void read(int fd) {
    char buffer[65536];
    while (data.size() < limit_) {
      ssize_t n = ::recv(fd, buffer, std::min(sizeof buffer, limit_ - data.size()), 0);
      if (n > 0) {
        data.append(buffer, static_cast<std::size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        error = n < 0 ? errno : 0;
        break;
      }
    }
    done_.store(true, std::memory_order_release);
  }

  int fd_;
  std::size_t limit_;
  std::atomic<bool> done_{false};
  std::jthread thread_;
};

/// Reads the raw peer `fd` to the end of the stream on a PeerReader while
/// the loop runs, until that end and `also()` (if given) hold.
struct PeerEnd {
  std::string data;
  int error = 0;  // errno of the read that ended the stream; 0 for EOF
};
inline PeerEnd read_to_end(conformance::Context& ctx, pep3156::AbstractEventLoop& loop, int fd,
                           std::function<bool()> also = {}) {
  PeerReader reader(fd);
  run_until(
      ctx, loop, [&] { return reader.done() && (!also || also()); },
      "the peer to read to the end of the stream");
  reader.join(ctx);
  return {std::move(reader.data), reader.error};
}

}  // namespace stream_support
