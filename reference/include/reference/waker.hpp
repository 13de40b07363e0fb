// Waker: how another thread wakes a loop blocked in Poller::wait()
// (LOOP-THREADSAFE-WAKEUP). The loop watches fd() for reading like any
// other fd; wake() makes it readable, drain() makes it quiet again.
//
// Linux: one eventfd, a kernel counter that is its own read and write end
// (eventfd(2)). Elsewhere: the classic self-pipe, a pipe with both ends
// non-blocking. (Windows needs none: the IOCP proactor wakes with a posted
// completion packet, Proactor::wake_up().) Either way wake() is one write
// and never blocks: a full pipe or a huge counter already means "awake".
#pragma once

namespace pep3156::reference {

class Waker {
 public:
  /// std::system_error if the kernel refuses the fds.
  Waker();
  ~Waker() { close(); }
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  /// The fd to watch for reading.
  int fd() const noexcept { return read_fd_; }
  /// Any thread, until close(). Many wake()s before one drain() are one
  /// wake-up.
  void wake() noexcept;
  /// The loop's thread: takes every pending wake-up back.
  void drain() noexcept;
  /// Closes the fds. Idempotent.
  void close() noexcept;

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;  // == read_fd_ for an eventfd
};

}  // namespace pep3156::reference
