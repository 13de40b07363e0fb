// Mutants of transports and the calls they make on their protocols (stream
// connections and datagram endpoints).
//
// Each wraps the correct loop's create_connection() / create_server() (or
// create_datagram_endpoint()) so that a shim sits between the loop's
// transport and the caller's protocol: the loop's transport sees the shim
// as its protocol, the caller's protocol sees it as its transport. The shim
// forwards every call both ways; each mutant overrides the one call whose
// behaviour it breaks.
#include <fcntl.h>
#include <unistd.h>

#include <any>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../mutant.hpp"

namespace conformance::selftest {
namespace {

using namespace pep3156;

/// A Future on `loop` completed with map(inner's result), or with inner's
/// exception or cancellation.
template <class Pair, class Map>
Future<Pair> mapped(AbstractEventLoop& loop, const Future<Pair>& inner, Map map) {
  Future<Pair> outer(loop);
  // Cancelling the caller's Future cancels the loop's, as a faithful wrapper
  // must: otherwise the loop would go on with a connection nobody awaits.
  outer.add_done_callback([inner](Future<Pair> done) mutable {
    if (done.cancelled()) inner.cancel();
  });
  inner.add_done_callback([outer, map](Future<Pair> done) mutable {
    if (done.cancelled()) {
      outer.cancel();
    } else if (auto exc = done.exception()) {
      outer.set_exception(exc);
    } else {
      outer.set_result(map(done.result()));
    }
  });
  return outer;
}

// --- Streams ------------------------------------------------------------------------

class StreamShim : public Protocol, public Transport, public std::enable_shared_from_this<StreamShim> {
 public:
  using Transport::get_extra_info;
  using WriteTransport::write;

  /// Which end of a connection the shim's protocol is.
  enum class Side { client, server };

  StreamShim(AbstractEventLoop& loop, std::shared_ptr<Protocol> user, Side side)
      : side_(side), loop_(loop), original_(user), user_(std::move(user)) {}
  std::shared_ptr<Protocol> original() const { return original_.lock(); }
  /// Called once create_connection()'s Future has completed with this
  /// shim's pair (never for a server's connections).
  virtual void pair_returned() {}

  // The protocol side, called by the correct loop's transport.
  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    inner_ = std::dynamic_pointer_cast<Transport>(std::move(transport));
    user_->connection_made(shared_from_this());
  }
  void data_received(BytesView data) override {
    last_chunk_ = to_string(data);
    if (user_) user_->data_received(data);
  }
  bool eof_received() override { return user_ ? user_->eof_received() : false; }
  void pause_writing() override {
    if (user_) user_->pause_writing();
  }
  void resume_writing() override {
    if (user_) user_->resume_writing();
  }
  void connection_lost(std::exception_ptr exc) override {
    // Released once it has been told, as a transport does (D-TR-1).
    if (auto user = std::exchange(user_, nullptr)) user->connection_lost(exc);
  }

  // The transport side, called by the caller's protocol.
  std::any get_extra_info(std::string_view name) const override { return inner_->get_extra_info(name); }
  void close() override { inner_->close(); }
  bool is_closing() const override { return inner_->is_closing(); }
  void pause_reading() override { inner_->pause_reading(); }
  void resume_reading() override { inner_->resume_reading(); }
  void write(BytesView data) override { inner_->write(data); }
  void writelines(std::span<const BytesView> buffers) override { inner_->writelines(buffers); }
  void write_eof() override { inner_->write_eof(); }
  bool can_write_eof() const override { return inner_->can_write_eof(); }
  std::size_t get_write_buffer_size() const override { return inner_->get_write_buffer_size(); }
  void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) override {
    inner_->set_write_buffer_limits(high, low);
  }
  void abort() override { inner_->abort(); }

 protected:
  /// Bytes for a call the correct transport would not make: the last chunk
  /// it delivered again, or one byte if it delivered none.
  std::string stale_data() const { return last_chunk_.empty() ? std::string("x") : last_chunk_; }

  const Side side_;
  AbstractEventLoop& loop_;
  std::weak_ptr<Protocol> original_;  // the pair's protocol, for create_connection()'s result
  std::shared_ptr<Protocol> user_;    // null once connection_lost() has been forwarded
  std::shared_ptr<Transport> inner_;
  std::string last_chunk_;
};

/// A loop whose stream connections (client and server side) run through a
/// Shim of type S.
template <class S>
class StreamShimLoop final : public ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;

  Future<StreamConnection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port,
                                             ConnectionOptions options) override {
    return shim_pair(inner().create_connection(shimmed(std::move(factory), StreamShim::Side::client),
                                               std::move(host), port, std::move(options)));
  }
  Future<std::shared_ptr<Server>> create_server(ProtocolFactory factory, std::string host, std::uint16_t port,
                                                ServerOptions options) override {
    return inner().create_server(shimmed(std::move(factory), StreamShim::Side::server), std::move(host), port,
                                 std::move(options));
  }
  Future<StreamConnection> create_unix_connection(ProtocolFactory factory, std::string path,
                                                  ConnectionOptions options) override {
    return shim_pair(inner().create_unix_connection(shimmed(std::move(factory), StreamShim::Side::client),
                                                    std::move(path), std::move(options)));
  }
  Future<std::shared_ptr<Server>> create_unix_server(ProtocolFactory factory, std::string path,
                                                     ServerOptions options) override {
    return inner().create_unix_server(shimmed(std::move(factory), StreamShim::Side::server), std::move(path),
                                      std::move(options));
  }

 private:
  ProtocolFactory shimmed(ProtocolFactory factory, StreamShim::Side side) {
    return [this, factory = std::move(factory), side]() -> std::shared_ptr<Protocol> {
      auto user = factory();
      if (!user) return nullptr;  // the correct loop rejects it
      return std::make_shared<S>(*this, std::move(user), side);
    };
  }
  Future<StreamConnection> shim_pair(const Future<StreamConnection>& inner_pair) {
    auto outer = mapped(*this, inner_pair, [](const StreamConnection& pair) {
      auto shim = std::dynamic_pointer_cast<S>(pair.second);
      return StreamConnection{shim, shim->original()};
    });
    // Registered before the caller can add its own: it runs first.
    outer.add_done_callback([](Future<StreamConnection> done) {
      if (!done.cancelled() && !done.exception())
        std::dynamic_pointer_cast<S>(done.result().first)->pair_returned();
    });
    return outer;
  }
};

class ConnectionLostTwice final : public StreamShim {
 public:
  using StreamShim::StreamShim;
  void connection_lost(std::exception_ptr exc) override {
    auto user = user_;
    StreamShim::connection_lost(exc);
    if (user) user->connection_lost(exc);
  }
};
LOOPCERT_MUTANT({"stream_connection_lost_twice", Expect::caught, "PROTO-SEQ-CONNECTION-LOST-ONCE",
                 "calls the stream protocol's connection_lost() twice in a row",
                 wrap<StreamShimLoop<ConnectionLostTwice>>});

class ConnectionLostNever final : public StreamShim {
 public:
  using StreamShim::StreamShim;
  void connection_lost(std::exception_ptr) override { user_.reset(); }
};
LOOPCERT_MUTANT({"stream_connection_lost_never", Expect::caught, "PROTO-SEQ-CONNECTION-LOST-ONCE",
                 "never calls the stream protocol's connection_lost()",
                 wrap<StreamShimLoop<ConnectionLostNever>>});

class DataAfterEof final : public StreamShim {
 public:
  using StreamShim::StreamShim;
  bool eof_received() override {
    bool keep_open = StreamShim::eof_received();
    if (user_) user_->data_received(as_bytes(stale_data()));
    return keep_open;
  }
};
LOOPCERT_MUTANT({"stream_data_after_eof", Expect::caught, "PROTO-SEQ-ORDER",
                 "calls data_received() right after eof_received()", wrap<StreamShimLoop<DataAfterEof>>});

class DataAfterClose final : public StreamShim {
 public:
  using StreamShim::StreamShim;
  void close() override {
    // Scheduled before the transport schedules connection_lost(): it runs
    // after close() and before connection_lost().
    loop_.call_soon([self = std::static_pointer_cast<DataAfterClose>(shared_from_this())] {
      if (self->user_) self->user_->data_received(as_bytes(self->stale_data()));
    });
    StreamShim::close();
  }
};
LOOPCERT_MUTANT({"stream_data_after_close", Expect::caught, "TR-CLOSE-STOPS-READING",
                 "calls data_received() once more after close()", wrap<StreamShimLoop<DataAfterClose>>});

class PauseWritingTwice final : public StreamShim {
 public:
  using StreamShim::StreamShim;
  void pause_writing() override {
    StreamShim::pause_writing();
    StreamShim::pause_writing();
  }
};
LOOPCERT_MUTANT({"stream_pause_writing_twice", Expect::caught, "PROTO-FLOW-PAIRS",
                 "calls pause_writing() twice for each pause", wrap<StreamShimLoop<PauseWritingTwice>>});

class ResumeWritingUnpaired final : public StreamShim {
 public:
  using StreamShim::StreamShim;
  void resume_writing() override {
    StreamShim::resume_writing();
    StreamShim::resume_writing();
  }
};
LOOPCERT_MUTANT({"stream_resume_writing_unpaired", Expect::caught, "PROTO-FLOW-PAIRS",
                 "calls resume_writing() a second time, with no pause_writing() before it",
                 wrap<StreamShimLoop<ResumeWritingUnpaired>>});

class CloseDropsBuffer final : public StreamShim {
 public:
  using StreamShim::StreamShim;
  void close() override { inner_->abort(); }
};
LOOPCERT_MUTANT({"stream_close_drops_buffer", Expect::caught, "TR-CLOSE-FLUSHES",
                 "close() discards the write buffer, as abort() does",
                 wrap<StreamShimLoop<CloseDropsBuffer>>});

// can_write_eof() answers True on every transport, TLS ones included, whose
// write_eof() raises (TR-CAN-WRITE-EOF: "False if it does not").
class CanWriteEofAlways final : public StreamShim {
 public:
  using StreamShim::StreamShim;
  bool can_write_eof() const override { return true; }
};
LOOPCERT_MUTANT({"stream_can_write_eof_always_true", Expect::caught, "TR-CAN-WRITE-EOF",
                 "can_write_eof() is True on a TLS transport that cannot write EOF",
                 wrap<StreamShimLoop<CanWriteEofAlways>>});

// A high-water mark of 0 "causes pause_writing() to be called whenever the
// buffer becomes non-empty" (TR-LIMITS-HIGH-ZERO); this transport keeps its
// default marks instead, so it pauses only once its default mark is passed.
class HighZeroIgnored final : public StreamShim {
 public:
  using StreamShim::StreamShim;
  void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) override {
    if (high == std::size_t{0}) return;
    StreamShim::set_write_buffer_limits(high, low);
  }
};
LOOPCERT_MUTANT({"stream_high_zero_ignored", Expect::caught, "TR-LIMITS-HIGH-ZERO",
                 "set_write_buffer_limits(0) keeps the default marks",
                 wrap<StreamShimLoop<HighZeroIgnored>>});

// "When the coroutine completes, the protocol's connection_made() method
// has not yet been called" (LOOP-CONN-CONNECTION-MADE-TIMING, decision
// D-NET-1): a client connection's connection_made() comes one iteration
// after create_connection()'s Future completed (and so after the code
// awaiting it resumed), or at once if another protocol call comes first:
// still exactly once and before any other call.
class ConnectionMadeAfterCompletion final : public StreamShim {
 public:
  using StreamShim::StreamShim;
  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    inner_ = std::dynamic_pointer_cast<Transport>(std::move(transport));
    if (side_ == Side::server) make();
  }
  void pair_returned() override {
    loop_.call_soon([self = std::static_pointer_cast<ConnectionMadeAfterCompletion>(shared_from_this())] {
      self->make();
    });
  }
  void data_received(BytesView data) override {
    make();
    StreamShim::data_received(data);
  }
  bool eof_received() override {
    make();
    return StreamShim::eof_received();
  }
  void pause_writing() override {
    make();
    StreamShim::pause_writing();
  }
  void resume_writing() override {
    make();
    StreamShim::resume_writing();
  }
  void connection_lost(std::exception_ptr exc) override {
    make();
    StreamShim::connection_lost(exc);
  }

 private:
  void make() {
    if (std::exchange(made_, true) || !user_) return;
    user_->connection_made(shared_from_this());
  }
  bool made_ = false;
};
LOOPCERT_MUTANT({"connection_made_after_completion", Expect::tolerated, "LOOP-CONN-CONNECTION-MADE-TIMING",
                 "calls a client's connection_made() only after create_connection() completed",
                 wrap<StreamShimLoop<ConnectionMadeAfterCompletion>>});

// "The transport is free to buffer the bytes, but it must eventually cause
// the bytes to be transferred" (TR-WRITE-DELIVERY; "may be sent immediately
// or buffered", decision D-TR-12): write() never sends, not even from inside
// a protocol callback; the bytes reach the correct transport on the loop's
// next iteration. write_eof(), close() and the close that follows an
// eof_received() returning false act on every byte written before them.
//
// Its buffer is its unsent bytes plus the correct transport's, and it runs
// flow control on that whole buffer (TR-LIMITS-*): the correct transport is
// set to pause at any byte, so that its pause_writing() and
// resume_writing() say when its own part fills and drains.
class WritesBuffered final : public StreamShim {
 public:
  using StreamShim::StreamShim;

  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    std::dynamic_pointer_cast<Transport>(transport)->set_write_buffer_limits(0, 0);
    StreamShim::connection_made(std::move(transport));
  }
  bool eof_received() override {
    bool keep_open = StreamShim::eof_received();
    // The correct transport closes itself when this returns false: its
    // close() flushes what it holds, so it must hold every byte by then.
    if (!keep_open) hand_over();
    return keep_open;
  }
  void pause_writing() override { update_flow(); }
  void resume_writing() override { update_flow(); }
  void connection_lost(std::exception_ptr exc) override {
    unsent_.clear();
    StreamShim::connection_lost(exc);
  }

  void write(BytesView data) override { writelines(std::span<const BytesView>(&data, 1)); }
  void writelines(std::span<const BytesView> buffers) override {
    // Past write_eof() or close(), the correct transport says what happens
    // (an error, or nothing sent), as it would have at once.
    if (eof_written_ || inner_->is_closing()) return inner_->writelines(buffers);
    bool was_empty = unsent_.empty();
    for (BytesView data : buffers) unsent_ += to_string(data);
    if (was_empty && !unsent_.empty()) {
      loop_.call_soon([self = std::static_pointer_cast<WritesBuffered>(shared_from_this())] {
        self->hand_over();
        self->update_flow();
      });
    }
    update_flow(/*may_resume=*/false);
  }
  std::size_t get_write_buffer_size() const override {
    return unsent_.size() + inner_->get_write_buffer_size();
  }
  void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) override {
    inner_->set_write_buffer_limits(high, low);  // raises where the correct transport raises
    inner_->set_write_buffer_limits(0, 0);
    high_ = high ? *high : (low ? 4 * *low : kDefaultHigh);
    low_ = low ? *low : high_ / 4;
    update_flow(/*may_resume=*/false);
  }
  void write_eof() override {
    hand_over();
    inner_->write_eof();
    eof_written_ = true;
  }
  void close() override {
    hand_over();
    inner_->close();
  }
  void abort() override {
    unsent_.clear();
    inner_->abort();
  }

 private:
  static constexpr std::size_t kDefaultHigh = 64 * 1024;

  void hand_over() {
    if (unsent_.empty() || inner_->is_closing()) return;
    inner_->write(as_bytes(std::exchange(unsent_, std::string())));
  }
  /// pause_writing() once the whole buffer is over the high-water mark,
  /// resume_writing() once it is down to the low-water mark (from the loop
  /// only, never from write(): D-PROTO-2); what the protocol raises goes to
  /// the exception handler, as from the loop.
  void update_flow(bool may_resume = true) {
    std::size_t buffered = get_write_buffer_size();
    bool pause = !paused_ && buffered > high_;
    bool resume = may_resume && paused_ && buffered <= low_;
    if (!user_ || !(pause || resume)) return;
    paused_ = pause;
    try {
      pause ? user_->pause_writing() : user_->resume_writing();
    } catch (const std::exception&) {
      ExceptionContext context;
      context.message = pause ? "protocol.pause_writing() failed" : "protocol.resume_writing() failed";
      context.exception = std::current_exception();
      context.transport = shared_from_this();
      context.protocol = user_;
      loop_.call_exception_handler(context);
    }
  }

  std::string unsent_;
  bool eof_written_ = false;
  bool paused_ = false;
  std::size_t high_ = kDefaultHigh;
  std::size_t low_ = kDefaultHigh / 4;
};

// --- Datagrams --------------------------------------------------------------------------

class DatagramShim : public DatagramProtocol,
                     public DatagramTransport,
                     public std::enable_shared_from_this<DatagramShim> {
 public:
  using DatagramTransport::get_extra_info;

  DatagramShim(AbstractEventLoop& loop, std::shared_ptr<DatagramProtocol> user)
      : loop_(loop), original_(user), user_(std::move(user)) {}
  std::shared_ptr<DatagramProtocol> original() const { return original_.lock(); }

  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    inner_ = std::dynamic_pointer_cast<DatagramTransport>(std::move(transport));
    user_->connection_made(shared_from_this());
  }
  void datagram_received(BytesView data, const SocketAddress& from) override {
    last_datagram_ = to_string(data);
    last_sender_ = from;
    if (user_) user_->datagram_received(data, from);
  }
  void error_received(std::exception_ptr exc) override {
    if (user_) user_->error_received(exc);
  }
  void pause_writing() override {
    if (user_) user_->pause_writing();
  }
  void resume_writing() override {
    if (user_) user_->resume_writing();
  }
  void connection_lost(std::exception_ptr exc) override {
    if (auto user = std::exchange(user_, nullptr)) user->connection_lost(exc);
  }

  std::any get_extra_info(std::string_view name) const override { return inner_->get_extra_info(name); }
  void close() override { inner_->close(); }
  bool is_closing() const override { return inner_->is_closing(); }
  void sendto(BytesView data, const std::optional<SocketAddress>& address) override {
    inner_->sendto(data, address);
  }
  void abort() override { inner_->abort(); }
  std::size_t get_write_buffer_size() const override { return inner_->get_write_buffer_size(); }

 protected:
  AbstractEventLoop& loop_;
  std::weak_ptr<DatagramProtocol> original_;
  std::shared_ptr<DatagramProtocol> user_;  // null once connection_lost() has been forwarded
  std::shared_ptr<DatagramTransport> inner_;
  std::string last_datagram_ = "x";
  SocketAddress last_sender_ = SocketAddress("127.0.0.1", 9);
};

/// A loop whose datagram endpoints run through a shim of type S; S may
/// keep per-loop state in the loop (S::LoopState).
template <class S>
class DatagramShimLoop final : public ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;

  Future<DatagramConnection> create_datagram_endpoint(DatagramProtocolFactory factory,
                                                      DatagramOptions options) override {
    auto shimmed = [this, factory = std::move(factory)]() -> std::shared_ptr<DatagramProtocol> {
      auto user = factory();
      if (!user) return nullptr;
      return std::make_shared<S>(*this, std::move(user));
    };
    auto inner_pair = inner().create_datagram_endpoint(std::move(shimmed), std::move(options));
    return mapped(*this, inner_pair, [this](const DatagramConnection& pair) {
      endpoint_created();
      auto shim = std::dynamic_pointer_cast<S>(pair.second);
      return DatagramConnection{shim, shim->original()};
    });
  }

  /// Descriptors to close again (FdClosedTwice).
  std::vector<int> stale_fds;

 private:
  /// FdClosedTwice's deferred second close(): the next endpoint's socket
  /// has, by now, taken the lowest free number, which is a lost one's.
  void endpoint_created() {
    for (int fd : std::exchange(stale_fds, {})) ::close(fd);
  }
};

// The PEP lets a datagram arrive between close() and connection_lost()
// (decision D-TR-10): a transport whose close() takes effect one loop
// iteration later, still delivering what arrives meanwhile, is tolerated.
class DatagramCloseDeferred final : public DatagramShim {
 public:
  using DatagramShim::DatagramShim;
  void close() override {
    closing_ = true;
    loop_.call_soon([self = std::static_pointer_cast<DatagramCloseDeferred>(shared_from_this())] {
      self->DatagramShim::close();
    });
  }
  bool is_closing() const override { return closing_ || DatagramShim::is_closing(); }

 private:
  bool closing_ = false;
};
LOOPCERT_MUTANT({"datagram_close_deferred", Expect::tolerated, "TR-DGRAM-CLOSE",
                 "close() takes effect one iteration later; datagrams arriving meanwhile are delivered",
                 wrap<DatagramShimLoop<DatagramCloseDeferred>>});

// After connection_lost() nothing may follow (PROTO-DGRAM-SEQ).
class DatagramAfterLost final : public DatagramShim {
 public:
  using DatagramShim::DatagramShim;
  void connection_lost(std::exception_ptr exc) override {
    auto user = user_;
    DatagramShim::connection_lost(exc);
    if (user) user->datagram_received(as_bytes(last_datagram_), last_sender_);
  }
};
LOOPCERT_MUTANT({"datagram_received_after_connection_lost", Expect::caught, "PROTO-DGRAM-SEQ",
                 "calls datagram_received() once more after connection_lost()",
                 wrap<DatagramShimLoop<DatagramAfterLost>>});

class FdClosedTwice final : public DatagramShim {
 public:
  using DatagramShim::DatagramShim;
  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    fd_ = transport->get_extra_info<int>("socket", -1);
    DatagramShim::connection_made(std::move(transport));
  }
  void connection_lost(std::exception_ptr exc) override {
    DatagramShim::connection_lost(exc);
    if (fd_ >= 0) static_cast<DatagramShimLoop<FdClosedTwice>&>(loop_).stale_fds.push_back(fd_);
  }

 private:
  int fd_ = -1;
};
LOOPCERT_MUTANT({"datagram_fd_closed_twice", Expect::caught, "TR-DGRAM-CLOSE",
                 "closes a lost endpoint's descriptor number again later, by then another endpoint's socket",
                 wrap<DatagramShimLoop<FdClosedTwice>>});

// writes_buffered's datagram endpoints (TR-WRITE-DELIVERY, D-TR-12):
// sendto() never sends; the datagrams reach the correct transport, in
// order, on the loop's next iteration. What the correct transport would
// refuse at once (an endpoint closing, an address that is not remote_addr)
// it still refuses at once, as a buffering transport checks before it
// queues. get_write_buffer_size() counts the queued bytes too; flow control
// stays the correct transport's, which the queue reaches one iteration later.
class SendtoBuffered final : public DatagramShim {
 public:
  using DatagramShim::DatagramShim;

  void sendto(BytesView data, const std::optional<SocketAddress>& address) override {
    if (inner_->is_closing() || refused(address)) return inner_->sendto(data, address);
    if (queue_.empty()) {
      loop_.call_soon(
          [self = std::static_pointer_cast<SendtoBuffered>(shared_from_this())] { self->hand_over(); });
    }
    queued_bytes_ += data.size();
    queue_.push_back({to_string(data), address});
  }
  std::size_t get_write_buffer_size() const override {
    return queued_bytes_ + inner_->get_write_buffer_size();
  }
  void close() override {
    hand_over();
    inner_->close();
  }
  void abort() override {
    discard();
    inner_->abort();
  }
  void connection_lost(std::exception_ptr exc) override {
    discard();
    DatagramShim::connection_lost(exc);
  }

 private:
  struct Datagram {
    std::string data;
    std::optional<SocketAddress> address;
  };

  bool refused(const std::optional<SocketAddress>& address) const {
    std::any peer = inner_->get_extra_info("peername");
    return address && peer.has_value() && std::any_cast<SocketAddress>(peer) != *address;
  }
  void hand_over() {
    if (inner_->is_closing()) return discard();
    for (auto& datagram : std::exchange(queue_, {}))
      inner_->sendto(as_bytes(datagram.data), datagram.address);
    queued_bytes_ = 0;
  }
  void discard() {
    queue_.clear();
    queued_bytes_ = 0;
  }

  std::vector<Datagram> queue_;
  std::size_t queued_bytes_ = 0;
};

/// writes_buffered: its stream connections and its datagram endpoints
/// only buffer what they are given to send.
LoopPtr wrap_writes_buffered(LoopPtr correct) {
  return std::make_shared<StreamShimLoop<WritesBuffered>>(
      std::make_shared<DatagramShimLoop<SendtoBuffered>>(std::move(correct)));
}
LOOPCERT_MUTANT({"writes_buffered", Expect::tolerated, "TR-WRITE-DELIVERY",
                 "write() and sendto() only buffer: the bytes reach the socket one iteration later",
                 wrap_writes_buffered});

// --- Subprocesses -----------------------------------------------------------------------

// "If (as is the more common case) the subprocess exits and thereby
// implicitly closes all pipes, the calling order is undefined" (decision
// D-PIPE-4): a protocol shim that passes pipe_connection_lost() and
// connection_lost() on one loop iteration late, in their order, so that a
// process_exited() of the same iteration overtakes them.
class SubprocessExitFirst final : public SubprocessProtocol,
                                  public std::enable_shared_from_this<SubprocessExitFirst> {
 public:
  SubprocessExitFirst(AbstractEventLoop& loop, std::shared_ptr<SubprocessProtocol> user)
      : loop_(loop), user_(std::move(user)) {}
  std::shared_ptr<SubprocessProtocol> user() const { return user_; }

  void connection_made(std::shared_ptr<BaseTransport> transport) override {
    user_->connection_made(std::move(transport));
  }
  void pipe_data_received(int fd, BytesView data) override { user_->pipe_data_received(fd, data); }
  void process_exited() override { user_->process_exited(); }
  void pause_writing() override { user_->pause_writing(); }
  void resume_writing() override { user_->resume_writing(); }
  void pipe_connection_lost(int fd, std::exception_ptr exc) override {
    later([fd, exc](SubprocessProtocol& user) { user.pipe_connection_lost(fd, exc); });
  }
  void connection_lost(std::exception_ptr exc) override {
    later([exc](SubprocessProtocol& user) { user.connection_lost(exc); });
  }

 private:
  void later(std::function<void(SubprocessProtocol&)> call) {
    loop_.call_soon([self = shared_from_this(), call = std::move(call)] { call(*self->user_); });
  }
  AbstractEventLoop& loop_;
  std::shared_ptr<SubprocessProtocol> user_;
};

/// A loop whose subprocess_exec() and subprocess_shell() pass their
/// protocol factory through shimmed() and their Future through unshimmed():
/// the base of the subprocess mutants.
class SubprocessShimLoop : public ForwardingEventLoop {
 public:
  using ForwardingEventLoop::ForwardingEventLoop;
  Future<SubprocessConnection> subprocess_shell(SubprocessProtocolFactory factory, std::string command,
                                                SubprocessOptions options) override {
    return unshimmed(
        inner().subprocess_shell(shimmed(std::move(factory)), std::move(command), std::move(options)));
  }
  Future<SubprocessConnection> subprocess_exec(SubprocessProtocolFactory factory,
                                               std::vector<std::string> args,
                                               SubprocessOptions options) override {
    return unshimmed(
        inner().subprocess_exec(shimmed(std::move(factory)), std::move(args), std::move(options)));
  }

 protected:
  virtual SubprocessProtocolFactory shimmed(SubprocessProtocolFactory factory) { return factory; }
  virtual Future<SubprocessConnection> unshimmed(const Future<SubprocessConnection>& inner_pair) {
    return inner_pair;
  }
};

class SubprocessExitFirstLoop final : public SubprocessShimLoop {
 public:
  using SubprocessShimLoop::SubprocessShimLoop;

 private:
  SubprocessProtocolFactory shimmed(SubprocessProtocolFactory factory) override {
    return [this, factory = std::move(factory)]() -> std::shared_ptr<SubprocessProtocol> {
      auto user = factory();
      if (!user) return nullptr;
      return std::make_shared<SubprocessExitFirst>(*this, std::move(user));
    };
  }
  Future<SubprocessConnection> unshimmed(const Future<SubprocessConnection>& inner_pair) override {
    return mapped(*this, inner_pair, [](const SubprocessConnection& pair) {
      return SubprocessConnection{pair.first,
                                  std::dynamic_pointer_cast<SubprocessExitFirst>(pair.second)->user()};
    });
  }
};
LOOPCERT_MUTANT({"subprocess_exit_before_pipes_lost", Expect::tolerated, "PROTO-SUBPROC-ORDER-UNDEFINED",
                 "process_exited() overtakes the pipe_connection_lost() calls of the same iteration",
                 wrap<SubprocessExitFirstLoop>});

// A loop that lets SIGPIPE kill the process: the child's stdin transport
// writes straight to the pipe when nothing is buffered, on a descriptor of
// its own, with SIGPIPE neither ignored nor held back, as a loop that forgot
// the signal would. Writing to a dead child's stdin then kills the process
// instead of failing with EPIPE or ending in pipe_connection_lost(0)
// (PROTO-SUBPROC-PIPE-LOST). Its own descriptor, because the correct loop
// under it may already have closed the pipe when it saw the child go.
class UnguardedStdin final : public WriteTransport {
 public:
  explicit UnguardedStdin(std::shared_ptr<WriteTransport> inner)
      : inner_(std::move(inner)),
        own_(::fcntl(inner_->get_extra_info<int>("pipe", -1), F_DUPFD_CLOEXEC, 0)) {}
  ~UnguardedStdin() override { let_go(); }
  std::any get_extra_info(std::string_view name) const override { return inner_->get_extra_info(name); }
  void close() override {
    let_go();
    inner_->close();
  }
  bool is_closing() const override { return inner_->is_closing(); }
  void write(BytesView data) override {
    if (own_ >= 0 && !data.empty() && inner_->get_write_buffer_size() == 0) {
      ssize_t sent = ::write(own_, data.data(), data.size());
      if (sent > 0) data = data.subspan(static_cast<std::size_t>(sent));
    }
    if (!data.empty()) inner_->write(data);
  }
  void write_eof() override {
    let_go();
    inner_->write_eof();
  }
  bool can_write_eof() const override { return inner_->can_write_eof(); }
  std::size_t get_write_buffer_size() const override { return inner_->get_write_buffer_size(); }
  void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) override {
    inner_->set_write_buffer_limits(high, low);
  }
  void abort() override {
    let_go();
    inner_->abort();
  }

 private:
  /// Closes its own descriptor, so that the child sees the end of its input.
  void let_go() {
    if (own_ >= 0) ::close(std::exchange(own_, -1));
  }
  std::shared_ptr<WriteTransport> inner_;
  int own_;
};

/// The subprocess transport, with its stdin pipe's transport an UnguardedStdin.
class UnguardedStdinSubprocess final : public SubprocessTransport {
 public:
  explicit UnguardedStdinSubprocess(std::shared_ptr<SubprocessTransport> inner) : inner_(std::move(inner)) {
    if (auto in = std::dynamic_pointer_cast<WriteTransport>(inner_->get_pipe_transport(0)))
      stdin_ = std::make_shared<UnguardedStdin>(std::move(in));
  }
  std::any get_extra_info(std::string_view name) const override { return inner_->get_extra_info(name); }
  void close() override { inner_->close(); }
  bool is_closing() const override { return inner_->is_closing(); }
  int get_pid() const override { return inner_->get_pid(); }
  std::optional<int> get_returncode() const override { return inner_->get_returncode(); }
  std::shared_ptr<BaseTransport> get_pipe_transport(int fd) const override {
    return fd == 0 && stdin_ ? stdin_ : inner_->get_pipe_transport(fd);
  }
  void send_signal(int signal) override { inner_->send_signal(signal); }
  void terminate() override { inner_->terminate(); }
  void kill() override { inner_->kill(); }

 private:
  std::shared_ptr<SubprocessTransport> inner_;
  std::shared_ptr<BaseTransport> stdin_;
};

class UnguardedStdinLoop final : public SubprocessShimLoop {
 public:
  using SubprocessShimLoop::SubprocessShimLoop;

 private:
  Future<SubprocessConnection> unshimmed(const Future<SubprocessConnection>& inner_pair) override {
    return mapped(*this, inner_pair, [](const SubprocessConnection& pair) {
      return SubprocessConnection{std::make_shared<UnguardedStdinSubprocess>(pair.first), pair.second};
    });
  }
};
LOOPCERT_MUTANT({"subprocess_stdin_sigpipe", Expect::caught, "PROTO-SUBPROC-PIPE-LOST",
                 "writes to a child's stdin with SIGPIPE neither ignored nor blocked: a dead child kills the "
                 "process",
                 wrap<UnguardedStdinLoop>});

}  // namespace
}  // namespace conformance::selftest
