#include "reference/waker.hpp"

#include <unistd.h>

#include <cstdint>

#include "pep3156/errors.hpp"
#include "self_pipe.hpp"

#ifdef __linux__
#include <sys/eventfd.h>
#endif

namespace pep3156::reference {

Waker::Waker() {
#ifdef __linux__
  read_fd_ = write_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (read_fd_ < 0) throw_errno("eventfd");
#else
  open_self_pipe(read_fd_, write_fd_);
#endif
}

void Waker::wake() noexcept {
  // An eventfd takes exactly 8 bytes, a pipe any number. EAGAIN (a full
  // pipe, a saturated counter) means a wake-up is already pending.
  std::uint64_t one = 1;
  if (::write(write_fd_, &one, sizeof one) < 0) return;
}

void Waker::drain() noexcept {
  // An eventfd resets on its first read; a pipe is read until EAGAIN.
  std::uint64_t buffer[16];
  while (::read(read_fd_, buffer, sizeof buffer) > 0) {
  }
}

void Waker::close() noexcept {
  if (write_fd_ >= 0 && write_fd_ != read_fd_) ::close(write_fd_);
  if (read_fd_ >= 0) ::close(read_fd_);
  read_fd_ = write_fd_ = -1;
}

}  // namespace pep3156::reference
