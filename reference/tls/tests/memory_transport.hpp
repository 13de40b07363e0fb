// MemoryTransport: the two ends of a stream connection that lives in
// memory, to test a protocol that is itself a transport (SSLTransport)
// without sockets.
//
// It behaves as a TCP transport does, as far as a layered protocol can
// tell: what one end writes waits in that end's write buffer until the
// loop delivers it to the other end's protocol, in chunks of at most
// `chunk` bytes (so records arrive split), and not while the other end is
// paused reading; the buffer's water marks call pause_writing() and
// resume_writing(). close() delivers what is buffered, then the other end
// sees eof_received(); abort() drops the buffer first. Every protocol
// method runs from the loop, except pause_writing() from write() (D-PROTO-2).
#pragma once

#include <algorithm>
#include <memory>
#include <utility>

#include "pep3156/event_loop.hpp"

namespace pep3156::reference::testing {

class MemoryTransport final : public Transport, public std::enable_shared_from_this<MemoryTransport> {
 public:
  /// Two connected ends; attach() a protocol to each.
  static std::pair<std::shared_ptr<MemoryTransport>, std::shared_ptr<MemoryTransport>> make_pair(
      AbstractEventLoop& loop, std::size_t chunk = 1000) {
    auto a = std::make_shared<MemoryTransport>(loop, chunk);
    auto b = std::make_shared<MemoryTransport>(loop, chunk);
    a->peer_ = b;
    b->peer_ = a;
    return {a, b};
  }

  MemoryTransport(AbstractEventLoop& loop, std::size_t chunk) : loop_(loop), chunk_(chunk) {}

  /// Makes `protocol` this end's protocol: connection_made() comes soon.
  void attach(std::shared_ptr<Protocol> protocol) {
    protocol_ = std::move(protocol);
    loop_.call_soon([self = shared_from_this()] { self->protocol_->connection_made(self); });
  }

  std::any get_extra_info(std::string_view name) const override {
    if (name == "peername") return std::string("memory peer");
    return {};
  }
  void close() override {
    if (closing_) return;
    closing_ = true;
    schedule_delivery();
  }
  bool is_closing() const override { return closing_; }
  /// connection_lost() has been called: this end holds its protocol no more.
  bool lost() const { return lost_; }
  void pause_reading() override { reading_paused_ = true; }
  void resume_reading() override {
    if (!reading_paused_) return;
    reading_paused_ = false;
    if (auto peer = peer_.lock()) peer->schedule_delivery();
  }
  using WriteTransport::write;
  void write(BytesView data) override {
    if (closing_) return;
    outbox_.insert(outbox_.end(), data.begin(), data.end());
    if (!writing_paused_ && outbox_.size() > high_) {
      writing_paused_ = true;
      protocol_->pause_writing();
    }
    schedule_delivery();
  }
  void write_eof() override { throw NotImplementedError("MemoryTransport::write_eof"); }
  bool can_write_eof() const override { return false; }
  std::size_t get_write_buffer_size() const override { return outbox_.size(); }
  void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) override {
    high_ = high.value_or(low ? *low * 4 : 64 * 1024);
    low_ = low.value_or(high_ / 4);
    if (low_ > high_) throw ValueError("low > high");
  }
  void abort() override {
    outbox_.clear();
    close();
  }

 private:
  void schedule_delivery() {
    if (delivery_scheduled_) return;
    delivery_scheduled_ = true;
    loop_.call_soon([self = shared_from_this()] { self->deliver(); });
  }

  // One chunk per callback, so that the other end's protocol sees the
  // stream split at arbitrary points, interleaved with other callbacks.
  void deliver() {
    delivery_scheduled_ = false;
    if (lost_) return;
    auto peer = peer_.lock();
    bool peer_reads = peer && !peer->lost_ && !peer->reading_paused_;
    if (peer_reads && !outbox_.empty()) {
      std::size_t size = std::min(chunk_, outbox_.size());
      Bytes chunk(outbox_.begin(), outbox_.begin() + static_cast<std::ptrdiff_t>(size));
      outbox_.erase(outbox_.begin(), outbox_.begin() + static_cast<std::ptrdiff_t>(size));
      peer->protocol_->data_received(chunk);
      if (writing_paused_ && !closing_ && outbox_.size() <= low_) {
        writing_paused_ = false;
        protocol_->resume_writing();
      }
    }
    if (!peer || peer->lost_) outbox_.clear();  // nobody reads it any more
    if (!outbox_.empty()) {
      if (peer_reads) schedule_delivery();  // else the other end's resume_reading() does
    } else if (closing_) {
      finish();
    }
  }

  // The end of a close() or abort(): the other end reads EOF, this end is
  // lost.
  void finish() {
    lost_ = true;
    if (auto peer = peer_.lock(); peer && !peer->lost_ && !peer->eof_seen_) {
      peer->eof_seen_ = true;
      if (!peer->protocol_->eof_received()) peer->close();
    }
    std::shared_ptr<Protocol> protocol = std::move(protocol_);
    protocol->connection_lost(nullptr);
  }

  AbstractEventLoop& loop_;
  std::size_t chunk_;
  std::weak_ptr<MemoryTransport> peer_;
  std::shared_ptr<Protocol> protocol_;
  Bytes outbox_;
  std::size_t high_ = 64 * 1024;
  std::size_t low_ = 16 * 1024;
  bool closing_ = false;
  bool lost_ = false;
  bool eof_seen_ = false;
  bool reading_paused_ = false;
  bool writing_paused_ = false;
  bool delivery_scheduled_ = false;
};

}  // namespace pep3156::reference::testing
