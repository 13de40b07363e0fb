// libloopcert_faults.so: an LD_PRELOAD shim that makes the I/O calls of a
// process fail the way the kernel is allowed to make them fail -- EINTR,
// EAGAIN, short counts, and EMFILE from accept() -- at random, with a seed.
//
//   PEP3156_FAULTS="seed=7,rate=0.05,kinds=eintr+eagain+short+emfile"
//
// Off when PEP3156_FAULTS is unset. Only faults the kernel itself may return
// for that call and that descriptor are injected, or a pass would prove
// nothing (harness/README.md, "Fault injection"):
//   - data calls (read/write/readv/writev/recv*/send*) on sockets and pipes
//     only, never on regular files, eventfds or terminals;
//   - EAGAIN only on a non-blocking descriptor (O_NONBLOCK, or MSG_DONTWAIT),
//     and never on a pipe write of at most PIPE_BUF bytes (atomic: there,
//     EAGAIN means the pipe is full);
//   - EINTR on a call that could have slept: a blocking descriptor, a
//     poller call whose timeout is not zero;
//   - short counts on stream sockets, and on pipes for reads and for writes
//     past PIPE_BUF (smaller pipe writes are atomic);
//   - EMFILE (and EAGAIN/EINTR as above) from accept()/accept4().
// Each thread draws from its own generator, seeded from the seed and the
// order in which threads first made an I/O call, so a single-threaded run is
// the same for the same seed.
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

enum Kind : unsigned { kEintr = 1, kEagain = 2, kShort = 4, kEmfile = 8 };
constexpr unsigned kAllKinds = kEintr | kEagain | kShort | kEmfile;

struct Config {
  bool on = false;
  std::uint64_t seed = 1;
  double rate = 0.05;
  unsigned kinds = kAllKinds;
};
Config config;

unsigned parse_kinds(const char* text, std::size_t length) {
  static constexpr struct {
    const char* name;
    unsigned kind;
  } kNames[] = {{"eintr", kEintr}, {"eagain", kEagain}, {"short", kShort}, {"emfile", kEmfile}};
  unsigned kinds = 0;
  while (length > 0) {
    std::size_t word = 0;
    while (word < length && text[word] != '+') ++word;
    for (const auto& k : kNames)
      if (std::strlen(k.name) == word && std::strncmp(text, k.name, word) == 0) kinds |= k.kind;
    text += word;
    length -= word;
    if (length > 0) ++text, --length;  // the '+'
  }
  return kinds;
}

/// "seed=N,rate=R,kinds=a+b": unknown keys are ignored, missing ones keep
/// their defaults.
Config parse_config(const char* spec) {
  Config c;
  c.on = true;
  while (*spec != '\0') {
    const char* end = std::strchr(spec, ',');
    if (end == nullptr) end = spec + std::strlen(spec);
    if (std::strncmp(spec, "seed=", 5) == 0) c.seed = std::strtoull(spec + 5, nullptr, 10);
    if (std::strncmp(spec, "rate=", 5) == 0) c.rate = std::strtod(spec + 5, nullptr);
    if (std::strncmp(spec, "kinds=", 6) == 0) c.kinds = parse_kinds(spec + 6, end - spec - 6);
    spec = *end == ',' ? end + 1 : end;
  }
  return c;
}

__attribute__((constructor)) void read_config() {
  const char* spec = std::getenv("PEP3156_FAULTS");
  if (spec != nullptr) config = parse_config(spec);
  // The programs this process executes (a case's subprocesses) are not the
  // loop under test: the shim stays loaded in them, but off.
  ::unsetenv("PEP3156_FAULTS");
}

// The generator: splitmix64, one state per thread.
std::atomic<std::uint64_t> threads_seen{0};
thread_local bool seeded = false;
thread_local std::uint64_t state = 0;

std::uint64_t next_random() {
  if (!seeded) {
    state = config.seed * 0x9E3779B97F4A7C15ull + threads_seen.fetch_add(1);
    seeded = true;
  }
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// One of the kinds in `applicable` (and enabled), or 0: drawn with
/// probability `rate`, then uniformly among them.
unsigned draw(unsigned applicable) {
  applicable &= config.kinds;
  if (!config.on || applicable == 0) return 0;
  if (static_cast<double>(next_random() >> 11) * 0x1.0p-53 >= config.rate) return 0;
  unsigned choices[4];
  unsigned count = 0;
  for (unsigned kind = 1; kind <= kEmfile; kind <<= 1)
    if ((applicable & kind) != 0) choices[count++] = kind;
  return choices[next_random() % count];
}

/// The next definition of `name` after this library: the real call.
template <typename Function>
Function real(const char* name) {
  return reinterpret_cast<Function>(::dlsym(RTLD_NEXT, name));
}

enum class Direction { in, out };

/// The kinds the kernel may return for a data call on `fd` moving `length`
/// bytes. Looks at the descriptor with calls the shim does not wrap, and
/// keeps errno as it found it.
unsigned data_faults(int fd, std::size_t length, Direction direction, int flags) {
  int saved = errno;
  struct stat st {};
  unsigned kinds = 0;
  if (::fstat(fd, &st) == 0 && (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode))) {
    int status = ::fcntl(fd, F_GETFL);
    bool nonblocking = (status >= 0 && (status & O_NONBLOCK) != 0) || (flags & MSG_DONTWAIT) != 0;
    // A pipe write of at most PIPE_BUF bytes is atomic: EAGAIN means the
    // pipe is full, which a wake-up pipe relies on (a wake-up is pending).
    bool atomic_pipe_write = S_ISFIFO(st.st_mode) && direction == Direction::out && length <= PIPE_BUF;
    if (nonblocking && !atomic_pipe_write) kinds |= kEagain;
    if (!nonblocking) kinds |= kEintr;
    int type = 0;
    socklen_t size = sizeof type;
    bool stream_socket = S_ISSOCK(st.st_mode) && ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == 0 &&
                         type == SOCK_STREAM;
    bool divisible_pipe = S_ISFIFO(st.st_mode) && (direction == Direction::in || length > PIPE_BUF);
    if (length > 1 && (stream_socket || divisible_pipe)) kinds |= kShort;
  }
  errno = saved;
  return kinds;
}

/// What a wrapped data call does: fail with an errno, or go on with a
/// length that may have been cut short.
struct Decision {
  int error = 0;
  std::size_t length;
};

Decision decide(int fd, std::size_t length, Direction direction, int flags = 0) {
  if (!config.on) return {0, length};
  switch (draw(data_faults(fd, length, direction, flags))) {
    case kEintr:
      return {EINTR, length};
    case kEagain:
      return {EAGAIN, length};
    case kShort:
      return {0, 1 + next_random() % (length - 1)};
    default:
      return {0, length};
  }
}

/// accept() and accept4(): EMFILE always may happen; EAGAIN or EINTR as for
/// a data call on the listening socket.
int accept_error(int fd) {
  if (!config.on) return 0;
  int saved = errno;
  int status = ::fcntl(fd, F_GETFL);
  errno = saved;
  unsigned kind = draw(kEmfile | ((status >= 0 && (status & O_NONBLOCK) != 0) ? kEagain : kEintr));
  return kind == kEmfile ? EMFILE : kind == kEagain ? EAGAIN : kind == kEintr ? EINTR : 0;
}

/// A poller call that could sleep may return EINTR.
bool poller_interrupted(bool may_sleep) { return may_sleep && draw(kEintr) == kEintr; }

ssize_t fail(int error) {
  errno = error;
  return -1;
}

std::size_t total(const struct iovec* iov, int count) {
  std::size_t sum = 0;
  for (int i = 0; i < count; ++i) sum += iov[i].iov_len;
  return sum;
}

/// `iov` cut down to its first `limit` bytes, in `out`; the new count.
/// The caller's vector is never modified.
constexpr int kMaxTrimmedVectors = 64;
int trim(const struct iovec* iov, int count, std::size_t limit, struct iovec* out) {
  int n = 0;
  for (; n < count && limit > 0; ++n) {
    out[n] = iov[n];
    if (out[n].iov_len > limit) out[n].iov_len = limit;
    limit -= out[n].iov_len;
  }
  return n;
}

/// Runs a vectored call with its vector cut to `decision`'s length.
template <typename Call>
ssize_t vectored(const struct iovec* iov, int count, const Decision& decision, Call call) {
  if (decision.error != 0) return fail(decision.error);
  if (decision.length == total(iov, count) || count > kMaxTrimmedVectors) return call(iov, count);
  struct iovec cut[kMaxTrimmedVectors];
  return call(cut, trim(iov, count, decision.length, cut));
}

bool may_sleep(const struct timeval* timeout) {
  return timeout == nullptr || timeout->tv_sec != 0 || timeout->tv_usec != 0;
}
bool may_sleep(const struct timespec* timeout) {
  return timeout == nullptr || timeout->tv_sec != 0 || timeout->tv_nsec != 0;
}

}  // namespace

extern "C" {

ssize_t read(int fd, void* buffer, std::size_t length) {
  static auto next = real<ssize_t (*)(int, void*, std::size_t)>("read");
  Decision d = decide(fd, length, Direction::in);
  return d.error != 0 ? fail(d.error) : next(fd, buffer, d.length);
}

ssize_t write(int fd, const void* buffer, std::size_t length) {
  static auto next = real<ssize_t (*)(int, const void*, std::size_t)>("write");
  Decision d = decide(fd, length, Direction::out);
  return d.error != 0 ? fail(d.error) : next(fd, buffer, d.length);
}

ssize_t readv(int fd, const struct iovec* iov, int count) {
  static auto next = real<ssize_t (*)(int, const struct iovec*, int)>("readv");
  return vectored(iov, count, decide(fd, total(iov, count), Direction::in),
                  [&](const struct iovec* v, int n) { return next(fd, v, n); });
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  static auto next = real<ssize_t (*)(int, const struct iovec*, int)>("writev");
  return vectored(iov, count, decide(fd, total(iov, count), Direction::out),
                  [&](const struct iovec* v, int n) { return next(fd, v, n); });
}

ssize_t recv(int fd, void* buffer, std::size_t length, int flags) {
  static auto next = real<ssize_t (*)(int, void*, std::size_t, int)>("recv");
  Decision d = decide(fd, length, Direction::in, flags);
  return d.error != 0 ? fail(d.error) : next(fd, buffer, d.length, flags);
}

ssize_t send(int fd, const void* buffer, std::size_t length, int flags) {
  static auto next = real<ssize_t (*)(int, const void*, std::size_t, int)>("send");
  Decision d = decide(fd, length, Direction::out, flags);
  return d.error != 0 ? fail(d.error) : next(fd, buffer, d.length, flags);
}

ssize_t recvfrom(int fd, void* buffer, std::size_t length, int flags, struct sockaddr* from,
                 socklen_t* from_length) {
  static auto next =
      real<ssize_t (*)(int, void*, std::size_t, int, struct sockaddr*, socklen_t*)>("recvfrom");
  Decision d = decide(fd, length, Direction::in, flags);
  return d.error != 0 ? fail(d.error) : next(fd, buffer, d.length, flags, from, from_length);
}

ssize_t sendto(int fd, const void* buffer, std::size_t length, int flags, const struct sockaddr* to,
               socklen_t to_length) {
  static auto next =
      real<ssize_t (*)(int, const void*, std::size_t, int, const struct sockaddr*, socklen_t)>("sendto");
  Decision d = decide(fd, length, Direction::out, flags);
  return d.error != 0 ? fail(d.error) : next(fd, buffer, d.length, flags, to, to_length);
}

ssize_t recvmsg(int fd, struct msghdr* message, int flags) {
  static auto next = real<ssize_t (*)(int, struct msghdr*, int)>("recvmsg");
  const struct iovec* iov = message->msg_iov;
  int count = static_cast<int>(message->msg_iovlen);
  return vectored(iov, count, decide(fd, total(iov, count), Direction::in, flags),
                  [&](const struct iovec* v, int n) {
                    struct msghdr cut = *message;
                    cut.msg_iov = const_cast<struct iovec*>(v);
                    cut.msg_iovlen = n;
                    ssize_t result = next(fd, &cut, flags);
                    // What the kernel reports back besides the data.
                    message->msg_namelen = cut.msg_namelen;
                    message->msg_controllen = cut.msg_controllen;
                    message->msg_flags = cut.msg_flags;
                    return result;
                  });
}

ssize_t sendmsg(int fd, const struct msghdr* message, int flags) {
  static auto next = real<ssize_t (*)(int, const struct msghdr*, int)>("sendmsg");
  const struct iovec* iov = message->msg_iov;
  int count = static_cast<int>(message->msg_iovlen);
  return vectored(iov, count, decide(fd, total(iov, count), Direction::out, flags),
                  [&](const struct iovec* v, int n) {
                    struct msghdr cut = *message;
                    cut.msg_iov = const_cast<struct iovec*>(v);
                    cut.msg_iovlen = n;
                    return next(fd, &cut, flags);
                  });
}

int accept(int fd, struct sockaddr* address, socklen_t* length) {
  static auto next = real<int (*)(int, struct sockaddr*, socklen_t*)>("accept");
  int error = accept_error(fd);
  return error != 0 ? static_cast<int>(fail(error)) : next(fd, address, length);
}

int accept4(int fd, struct sockaddr* address, socklen_t* length, int flags) {
  static auto next = real<int (*)(int, struct sockaddr*, socklen_t*, int)>("accept4");
  int error = accept_error(fd);
  return error != 0 ? static_cast<int>(fail(error)) : next(fd, address, length, flags);
}

int epoll_wait(int epfd, struct epoll_event* events, int max, int timeout) {
  static auto next = real<int (*)(int, struct epoll_event*, int, int)>("epoll_wait");
  return poller_interrupted(timeout != 0) ? static_cast<int>(fail(EINTR)) : next(epfd, events, max, timeout);
}

int epoll_pwait(int epfd, struct epoll_event* events, int max, int timeout, const sigset_t* mask) {
  static auto next = real<int (*)(int, struct epoll_event*, int, int, const sigset_t*)>("epoll_pwait");
  return poller_interrupted(timeout != 0) ? static_cast<int>(fail(EINTR))
                                          : next(epfd, events, max, timeout, mask);
}

int epoll_pwait2(int epfd, struct epoll_event* events, int max, const struct timespec* timeout,
                 const sigset_t* mask) {
  static auto next =
      real<int (*)(int, struct epoll_event*, int, const struct timespec*, const sigset_t*)>("epoll_pwait2");
  return poller_interrupted(may_sleep(timeout)) ? static_cast<int>(fail(EINTR))
                                                : next(epfd, events, max, timeout, mask);
}

int poll(struct pollfd* fds, nfds_t count, int timeout) {
  static auto next = real<int (*)(struct pollfd*, nfds_t, int)>("poll");
  return poller_interrupted(timeout != 0) ? static_cast<int>(fail(EINTR)) : next(fds, count, timeout);
}

int ppoll(struct pollfd* fds, nfds_t count, const struct timespec* timeout, const sigset_t* mask) {
  static auto next = real<int (*)(struct pollfd*, nfds_t, const struct timespec*, const sigset_t*)>("ppoll");
  return poller_interrupted(may_sleep(timeout)) ? static_cast<int>(fail(EINTR))
                                                : next(fds, count, timeout, mask);
}

int select(int count, fd_set* readable, fd_set* writable, fd_set* exceptional, struct timeval* timeout) {
  static auto next = real<int (*)(int, fd_set*, fd_set*, fd_set*, struct timeval*)>("select");
  return poller_interrupted(may_sleep(timeout)) ? static_cast<int>(fail(EINTR))
                                                : next(count, readable, writable, exceptional, timeout);
}

int pselect(int count, fd_set* readable, fd_set* writable, fd_set* exceptional,
            const struct timespec* timeout, const sigset_t* mask) {
  static auto next =
      real<int (*)(int, fd_set*, fd_set*, fd_set*, const struct timespec*, const sigset_t*)>("pselect");
  return poller_interrupted(may_sleep(timeout)) ? static_cast<int>(fail(EINTR))
                                                : next(count, readable, writable, exceptional, timeout, mask);
}

}  // extern "C"
