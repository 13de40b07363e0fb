// IoUringProactor: the Proactor on Linux's io_uring (io_uring(7), through
// liburing). The loop and the kernel share two rings: operations go in
// through the submission queue (SQ), results come back through the
// completion queue (CQ), and one io_uring_enter() both submits what was
// queued and sleeps until a completion arrives. An operation's user_data
// is its OperationId; cancel requests carry 0 (the cancelled operation's
// completion says it all). wake_up() writes to an eventfd (the Waker)
// that a poll always in flight watches.
//
// Quirks worked around here:
//   - io_uring_queue_init() fails with EPERM when sysctl
//     kernel.io_uring_disabled is 2 (or 1 and the caller is not in
//     io_uring_group), EPERM too under a container's seccomp profile that
//     blocks io_uring_setup (Docker's default since 25.0), and ENOSYS on a
//     kernel built without it: the error says which (make_proactor()).
//   - The wait's timeout rides on the io_uring_enter() call only with
//     IORING_FEAT_EXT_ARG (Linux 5.11); older kernels would need a timeout
//     operation in the SQ, whose completions liburing mixes into ours.
//     We require the feature instead (ENOSYS before 5.11).
//   - A full SQ makes io_uring_get_sqe() return null: submit what is
//     queued, then there is room.
//   - io_uring_submit_and_wait_timeout() returns -ETIME when the timeout
//     expires (not an error) and -EINTR when a signal handler ran: waited
//     again for the time that remains (WaitDeadline).
//   - A poll holds its own reference to the file: an fd closed while it
//     is polled does not complete it (the kernel still sees the file open
//     while the request holds it). Only cancel() ends such a poll.
#include <liburing.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <unordered_map>

#include "backends.hpp"
#include "pep3156/errors.hpp"
#include "reference/waker.hpp"
#include "wait_deadline.hpp"

namespace pep3156::reference {

namespace {

constexpr unsigned kQueueEntries = 256;
constexpr OperationId kCancelRequest = 0;

std::string refusal_reason(int error) {
  std::string reason =
      "io_uring_queue_init: the kernel refuses io_uring (" + std::string(std::strerror(error)) + ")";
  if (error == EPERM || error == EACCES) {
    reason += ": disabled by sysctl kernel.io_uring_disabled or by a container's seccomp profile";
  } else if (error == ENOSYS) {
    reason += ": this kernel was built without io_uring";
  }
  return reason;
}

Events events_of(int poll_mask) {
  Events found = Events::none;
  if (poll_mask & (POLLIN | POLLERR | POLLHUP)) found = found | Events::readable;
  if (poll_mask & (POLLOUT | POLLERR | POLLHUP)) found = found | Events::writable;
  return found;
}

class IoUringProactor final : public Proactor {
 public:
  IoUringProactor() {
    io_uring_params params{};
    if (int error = io_uring_queue_init_params(kQueueEntries, &ring_, &params); error < 0) {
      throw std::system_error(-error, std::generic_category(), refusal_reason(-error));
    }
    if (!(params.features & IORING_FEAT_EXT_ARG)) {
      io_uring_queue_exit(&ring_);
      throw std::system_error(ENOSYS, std::generic_category(),
                              "io_uring: this kernel cannot time a wait (IORING_FEAT_EXT_ARG, Linux 5.11)");
    }
    poll_waker();
  }

  ~IoUringProactor() override {
    cancel_everything();
    io_uring_queue_exit(&ring_);
  }

  OperationId poll(int fd, Events events, OnCompletion on_completion) override {
    check_registration(fd, events);
    unsigned mask =
        (has(events, Events::readable) ? POLLIN : 0) | (has(events, Events::writable) ? POLLOUT : 0);
    OperationId id = start([events, on_completion = std::move(on_completion)](int result) {
      on_completion(result < 0 ? result : static_cast<int>(events_of(result) & events));
    });
    io_uring_prep_poll_add(next_sqe(id), fd, mask);
    return id;
  }

  OperationId recv(int fd, std::span<std::byte> into, OnCompletion on_completion) override {
    return submit(std::move(on_completion), io_uring_prep_recv, fd, into.data(), into.size(), 0);
  }

  OperationId send(int fd, std::span<const std::byte> from, OnCompletion on_completion) override {
    return submit(std::move(on_completion), io_uring_prep_send, fd, from.data(), from.size(), MSG_NOSIGNAL);
  }

  OperationId send_gathered(int fd, std::span<const std::span<const std::byte>> buffers,
                            OnCompletion on_completion) override {
    auto message = std::make_shared<GatheredMessage>();
    for (auto bytes : buffers)
      message->iovecs.push_back({const_cast<std::byte*>(bytes.data()), bytes.size()});
    message->header.msg_iov = message->iovecs.data();
    message->header.msg_iovlen = message->iovecs.size();
    OperationId id = start([message, done = std::move(on_completion)](int result) { done(result); });
    io_uring_prep_sendmsg(next_sqe(id), fd, &message->header, MSG_NOSIGNAL);
    return id;
  }

  OperationId connect(int fd, const sockaddr* address, socklen_t length,
                      OnCompletion on_completion) override {
    return submit(std::move(on_completion), io_uring_prep_connect, fd, address, length);
  }

  OperationId accept(int fd, sockaddr* peer, socklen_t* peer_length, OnCompletion on_completion) override {
    return submit(std::move(on_completion), io_uring_prep_accept, fd, peer, peer_length,
                  SOCK_NONBLOCK | SOCK_CLOEXEC);
  }

  void cancel(OperationId id) noexcept override {
    if (!in_flight_.contains(id)) return;
    io_uring_prep_cancel64(next_sqe(kCancelRequest), id, 0);
    io_uring_submit(&ring_);  // now: the operation may not take what arrives next
  }

  std::span<Completion> wait(std::optional<std::chrono::nanoseconds> timeout) override {
    completed_.clear();
    WaitDeadline deadline(timeout);
    for (;;) {
      int result = enter(deadline);
      if (result == -EINTR) continue;
      if (result < 0 && result != -ETIME)
        throw std::system_error(-result, std::generic_category(), "io_uring_enter");
      break;
    }
    reap();
    return completed_;
  }

  void wake_up() noexcept override { waker_.wake(); }
  std::string_view name() const noexcept override { return "io_uring"; }

 private:
  // A sendmsg's header and iovecs, which the kernel reads at the next wait().
  struct GatheredMessage {
    std::vector<iovec> iovecs;
    msghdr header{};
  };

  // Drained before the loop takes the posts (after every wait()).
  void poll_waker() {
    poll(waker_.fd(), Events::readable, [this](int) {
      waker_.drain();
      poll_waker();
    });
  }

  // Submits, and waits for one completion unless the deadline says look.
  int enter(WaitDeadline& deadline) {
    if (deadline.just_look()) return io_uring_submit(&ring_);
    const timespec* remaining = deadline.remaining_timespec();
    __kernel_timespec limit{};
    if (remaining) limit = {remaining->tv_sec, remaining->tv_nsec};
    io_uring_cqe* first;
    return io_uring_submit_and_wait_timeout(&ring_, &first, 1, remaining ? &limit : nullptr, nullptr);
  }

  // Moves every completion out of the CQ into completed_.
  void reap() {
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      auto it = in_flight_.find(cqe->user_data);
      if (it == in_flight_.end()) continue;  // a cancel request's own completion
      completed_.push_back({std::move(it->second), cqe->res});
      in_flight_.erase(it);
    }
    io_uring_cq_advance(&ring_, seen);
  }

  OperationId start(OnCompletion on_completion) {
    OperationId id = ++last_id_;
    in_flight_.emplace(id, std::move(on_completion));
    return id;
  }

  // Queues one operation: liburing's io_uring_prep_*() fills its entry.
  template <class... Arguments>
  OperationId submit(OnCompletion on_completion, void (*prepare)(io_uring_sqe*, Arguments...),
                     std::type_identity_t<Arguments>... arguments) {
    OperationId id = start(std::move(on_completion));
    prepare(next_sqe(id), arguments...);
    return id;
  }

  // An SQ entry for operation `id`, making room if the SQ is full.
  io_uring_sqe* next_sqe(OperationId id) noexcept {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (!sqe) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    io_uring_sqe_set_data64(sqe, id);
    return sqe;
  }

  // The kernel may still write into a cancelled operation's buffer until
  // its completion arrives, so the ring is not torn down before every
  // operation has completed; their callbacks are dropped uncalled.
  void cancel_everything() noexcept {
    if (in_flight_.empty()) return;
    io_uring_prep_cancel64(next_sqe(kCancelRequest), 0, IORING_ASYNC_CANCEL_ANY);
    WaitDeadline safety_net(std::chrono::seconds(5));
    while (!in_flight_.empty() && safety_net.remaining_milliseconds() > 0) {
      if (int result = enter(safety_net); result < 0 && result != -EINTR && result != -ETIME) break;
      reap();
    }
  }

  io_uring ring_{};
  Waker waker_;
  OperationId last_id_ = 0;
  std::unordered_map<OperationId, OnCompletion> in_flight_;
};

}  // namespace

std::unique_ptr<Proactor> make_io_uring_proactor() { return std::make_unique<IoUringProactor>(); }

}  // namespace pep3156::reference
