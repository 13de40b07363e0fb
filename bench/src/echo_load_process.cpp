#include "echo_load_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include "pep3156/errors.hpp"

extern char** environ;

namespace loopbench {

namespace {

/// loopbench_echo_load, beside this loopbench (in the build tree as once
/// installed).
std::string generator_path() {
  char self[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (length <= 0) pep3156::throw_errno("readlink(/proc/self/exe)");
  std::string path(self, static_cast<std::size_t>(length));
  return path.substr(0, path.rfind('/') + 1) + "loopbench_echo_load";
}

}  // namespace

EchoLoad::EchoLoad(std::uint16_t port, long connections, std::size_t message_bytes) {
  int to[2], from[2];
  if (::pipe2(to, O_CLOEXEC) != 0) pep3156::throw_errno("pipe2");
  if (::pipe2(from, O_CLOEXEC) != 0) {
    ::close(to[0]);
    ::close(to[1]);
    pep3156::throw_errno("pipe2");
  }
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, to[0], STDIN_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, from[1], STDOUT_FILENO);
  std::string program = generator_path();
  std::string arguments[] = {std::to_string(port), std::to_string(connections),
                             std::to_string(message_bytes)};
  char* argv[] = {program.data(), arguments[0].data(), arguments[1].data(), arguments[2].data(), nullptr};
  int error = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv, environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(to[0]);
  ::close(from[1]);
  to_ = ::fdopen(to[1], "w");
  from_ = ::fdopen(from[0], "r");
  try {
    if (error != 0) {
      pid_ = -1;
      throw std::system_error(error, std::generic_category(), "posix_spawn(" + program + ")");
    }
    if (std::strcmp(read_line(), "ready") != 0) throw std::runtime_error(std::string("echo load: ") + line_);
  } catch (...) {
    end();  // no destructor runs for an object whose constructor throws
    throw;
  }
}

EchoLoad::~EchoLoad() { end(); }

void EchoLoad::end() noexcept {
  if (to_ != nullptr) std::fclose(to_);
  to_ = nullptr;
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  if (from_ != nullptr) std::fclose(from_);
  from_ = nullptr;
}

double EchoLoad::run(long round_trips) {
  std::fprintf(to_, "%ld\n", round_trips);
  std::fflush(to_);
  long long nanoseconds = 0;
  if (std::sscanf(read_line(), "done %lld", &nanoseconds) != 1) {
    throw std::runtime_error(std::string("echo load: ") + line_);
  }
  return static_cast<double>(nanoseconds) * 1e-9;
}

EchoLoad::Latency EchoLoad::finish() {
  std::fclose(to_);
  to_ = nullptr;
  long long p50 = 0, p99 = 0;
  if (std::sscanf(read_line(), "latency %lld %lld", &p50, &p99) != 2) {
    throw std::runtime_error(std::string("echo load: ") + line_);
  }
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return {static_cast<double>(p50) * 1e-3, static_cast<double>(p99) * 1e-3};
}

const char* EchoLoad::read_line() {
  if (std::fgets(line_, sizeof line_, from_) == nullptr)
    throw std::runtime_error("echo load: exited without a word");
  line_[std::strcspn(line_, "\n")] = '\0';
  if (std::strncmp(line_, "error ", 6) == 0)
    throw std::runtime_error(std::string("echo load: ") + (line_ + 6));
  return line_;
}

}  // namespace loopbench
