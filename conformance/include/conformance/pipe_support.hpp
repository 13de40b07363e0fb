// What the pipe and subprocess cases share (PEP 3156, "Pipes and
// subprocesses"; optional: Category pipes_subprocesses): pipes of the
// case's own, reading them, and a check of the calling sequence a protocol
// sees.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <string>
#include <system_error>
#include <vector>

#include "conformance/conformance.hpp"

namespace pipe_support {

struct Pipe {
  conformance::UniqueFd read;
  conformance::UniqueFd write;
};

/// A new pipe, both ends non-blocking (connect_read_pipe() and
/// connect_write_pipe() take non-blocking ends) and close-on-exec (so that
/// no child holds an end the case waits on).
inline Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  return {conformance::UniqueFd(fds[0]), conformance::UniqueFd(fds[1])};
}

/// Clears O_NONBLOCK: for an end a child reads with plain blocking reads.
inline void set_blocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
    throw std::system_error(errno, std::generic_category(), "fcntl");
}

/// Everything a non-blocking fd has to give now; `eof` says whether the
/// stream ended (every write end is closed).
inline std::string read_available(int fd, bool& eof) {
  std::string data;
  char chunk[4096];
  eof = false;
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      data.append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0) {
      eof = true;
      return data;
    } else if (errno != EINTR &&
               !((errno == EAGAIN || errno == EWOULDBLOCK) && conformance::readable_now(fd))) {
      return data;  // nothing more now (a spurious EAGAIN is retried)
    }
  }
}

/// `size` bytes in which a lost, repeated or reordered chunk shows.
inline std::string pattern(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>('a' + (i * 7 + i / 4093) % 26);
  return bytes;
}

inline int count(const std::vector<std::string>& calls, const std::string& name) {
  return static_cast<int>(std::count(calls.begin(), calls.end(), name));
}

inline std::string joined(const std::vector<std::string>& calls) {
  std::string all;
  for (const auto& call : calls) all += (all.empty() ? "" : ", ") + call;
  return "[" + all + "]";
}

/// What is wrong with the calls a protocol received, or "" if nothing.
/// PEP 3156, "Protocols": connection_made() exactly once and first,
/// connection_lost() exactly once and last; eof_received() at most once,
/// after every data_received(); pause_writing() and resume_writing()
/// alternate, starting with a pause (a final resume may be missing).
inline std::string sequence_problem(const std::vector<std::string>& calls) {
  std::string trace = " (calls: " + joined(calls) + ")";
  if (calls.empty() || calls.front() != "connection_made" || count(calls, "connection_made") != 1)
    return "connection_made() is called exactly once, first" + trace;
  if (calls.back() != "connection_lost" || count(calls, "connection_lost") != 1)
    return "connection_lost() is called exactly once, last" + trace;
  bool eof = false;
  bool paused = false;
  for (const auto& call : calls) {
    if (call == "eof_received") {
      if (eof) return "eof_received() is called at most once" + trace;
      eof = true;
    } else if (call == "data_received" && eof) {
      return "data_received() is never called after eof_received()" + trace;
    } else if (call == "pause_writing" || call == "resume_writing") {
      if (paused == (call == "pause_writing"))
        return "pause_writing() and resume_writing() alternate, starting with a pause" + trace;
      paused = !paused;
    }
  }
  return "";
}

}  // namespace pipe_support
