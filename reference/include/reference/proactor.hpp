// The proactor contract: the one interface between ProactorEventLoop and a
// kernel's completion API (io_uring on Linux, IOCP on Windows), as the
// Poller is for SelectorEventLoop.
//
// A poller answers "which fds could I read or write now?", and the loop
// then does the I/O itself. A proactor is handed the I/O itself — "read
// into this buffer when data arrives", "tell me when this fd is readable" —
// and later reports "done, with this result". So the loop does not ask
// what is ready; it submits operations and collects their completions.
//
// Each submit function starts one operation and returns its OperationId:
// io_uring queues it for the next wait(), which submits what is queued and
// then sleeps until at least one operation completes; IOCP hands it to the
// kernel at once. Either way its completion is only ever reported by a
// later wait(), never by the submit function itself. Every
// operation completes exactly once, cancelled ones included: wait() hands
// back its Completion (its OnCompletion and its result), and the loop
// calls it in step 3 of the iteration. Whatever the operation reads from
// or writes to belongs to the kernel until that completion arrives.
//
// The backends live in one file each (src/io_uring_proactor.cpp,
// src/iocp_proactor.cpp), with the kernel quirks they work around
// described at the top of that file.
//
// Portability: a socket is an `int` on both systems. A Windows SOCKET is a
// 64-bit kernel handle, but a handle has 32 significant bits so that 32-
// and 64-bit processes can share it (Microsoft, "Interprocess
// Communication Between 32-bit and 64-bit Applications"): it fits an int
// and back. Results are negated errno values everywhere; the IOCP backend
// maps Win32 and Winsock errors to them in one table.
//
// Threads: a proactor is used by one thread at a time (the loop's), except
// wake_up(), which any thread may call to end a blocked wait().
#pragma once

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <sys/socket.h>
#endif

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reference/poller.hpp"

namespace pep3156::reference {

/// Names an operation in flight, for cancel(). Never 0.
using OperationId = std::uint64_t;

/// Called by the loop with an operation's result: >= 0 on success (for a
/// poll, the Events it found), or a negated errno: -ECANCELED when
/// cancel() stopped it before it finished.
using OnCompletion = std::function<void(int result)>;

/// One finished operation, as wait() reports it.
struct Completion {
  OnCompletion on_completion;
  int result;
};

class Proactor {
 public:
  virtual ~Proactor() = default;
  Proactor() = default;
  Proactor(const Proactor&) = delete;
  Proactor& operator=(const Proactor&) = delete;

  /// Completes once `fd` is readable or writable (`events`: one or both),
  /// at once if it already is; the result is the Events found (an error or
  /// a hang-up counts as all of `events`, so the caller finds it with its
  /// next read or write). One-shot: to be told again, poll again. An fd
  /// closed before the operation reaches the kernel completes with
  /// -EBADF. ValueError unless fd >= 0 and `events` is readable, writable
  /// or both. IOCP has no readiness primitive: readable is a zero-byte
  /// receive, so only on a connected stream socket; writable completes at
  /// once, since an overlapped send never refuses for want of room (it
  /// waits in the kernel).
  virtual OperationId poll(int fd, Events events, OnCompletion on_completion) = 0;

  /// Receives up to into.size() bytes from socket `fd` into `into`; the
  /// result is the count, 0 at end of stream. A kernel may answer -EAGAIN
  /// for a non-blocking socket with nothing to read: poll(), then again.
  virtual OperationId recv(int fd, std::span<std::byte> into, OnCompletion on_completion) = 0;

  /// Sends some of `from` on socket `fd` (never raising SIGPIPE); the
  /// result is the count sent, which may be short. -EAGAIN as for recv().
  virtual OperationId send(int fd, std::span<const std::byte> from, OnCompletion on_completion) = 0;

  /// Sends some of the bytes of `buffers`, in order, on socket `fd`, as
  /// one operation (never raising SIGPIPE): a transport's writelines()
  /// (io_uring: a sendmsg; IOCP: one WSASend of several WSABUFs). The
  /// result and -EAGAIN as for send(); the bytes belong to the kernel
  /// until the completion (the array of spans only until this returns).
  virtual OperationId send_gathered(int fd, std::span<const std::span<const std::byte>> buffers,
                                    OnCompletion on_completion) = 0;

  /// Connects socket `fd` to `address` (`length` bytes, the kernel's until
  /// the completion); the result is 0 once connected. A kernel may answer
  /// -EINPROGRESS or -EALREADY for a non-blocking socket: poll() for
  /// writability, then connect again, which tells how the attempt ended.
  /// IOCP (ConnectEx) first binds an unbound socket to the wildcard
  /// address, as a connect() would implicitly.
  virtual OperationId connect(int fd, const sockaddr* address, socklen_t length,
                              OnCompletion on_completion) = 0;

  /// Accepts a connection on listening socket `fd`: the result is the new
  /// socket, non-blocking and close-on-exec (on Windows: not inherited by
  /// child processes), its peer's address in `peer`
  /// (`*peer_length` bytes). -EAGAIN as for recv().
  virtual OperationId accept(int fd, sockaddr* peer, socklen_t* peer_length, OnCompletion on_completion) = 0;

  /// Asks the kernel to stop operation `id`, at once: the request is
  /// submitted now, not at the next wait(), so nothing that happens after
  /// this call can complete the operation. Its completion still arrives:
  /// -ECANCELED, or its real result if it finished first. Ignored for an
  /// id that has already completed. Never fails.
  virtual void cancel(OperationId id) noexcept = 0;

  /// Submits the queued operations, then waits until at least one
  /// operation has completed or `timeout` has elapsed, and returns the
  /// completions, in the kernel's order.
  ///
  ///   - timeout: nullopt waits with no limit; zero (or negative) submits
  ///     and only looks. Nanosecond precision: wait() never returns before
  ///     the timeout because of rounding (it may return later). Timeouts
  ///     above one day are cut to one day.
  ///   - An empty result means the timeout expired, a signal interrupted
  ///     the wait, or wake_up() ended it: a caller checks its clock and
  ///     its posts, not the result.
  ///   - The span stays valid until the next wait(); the caller may submit
  ///     and cancel while it calls the completions.
  /// Throws std::system_error (errno) if the kernel refuses to submit or
  /// to wait.
  virtual std::span<Completion> wait(std::optional<std::chrono::nanoseconds> timeout) = 0;

  /// Makes the wait() in progress return, or the next one if none is:
  /// how another thread gets the loop to take what it posted
  /// (LOOP-THREADSAFE-WAKEUP). Any thread, any time until the proactor is
  /// destroyed; never blocks; many calls before a wait() returns may count
  /// as one. io_uring: a write to an eventfd the proactor keeps a poll on;
  /// IOCP: a packet posted to the completion port.
  virtual void wake_up() noexcept = 0;

  /// "io_uring" or "iocp".
  virtual std::string_view name() const noexcept = 0;

 protected:
  /// What wait() returns: every backend fills this one array.
  std::vector<Completion> completed_;
};

/// The proactors this build offers: "io_uring" on Linux with liburing,
/// "iocp" on Windows.
std::vector<std::string> available_proactors();

/// A new proactor by name; "" means the best available. ValueError for an
/// unknown name or one this build does not offer. std::system_error if
/// the kernel refuses it (io_uring: EPERM or EACCES where a container or
/// sysctl kernel.io_uring_disabled forbids it, ENOSYS where the kernel was
/// built without it), its message naming the cause.
std::unique_ptr<Proactor> make_proactor(std::string_view name);

}  // namespace pep3156::reference
