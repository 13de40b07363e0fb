// The echo probe's side of loopbench_echo_load (echo_load.cpp): spawns the
// generator, a separate process, and talks to it by lines.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstdio>

namespace loopbench {

class EchoLoad {
 public:
  /// Starts the generator against 127.0.0.1:port and waits until its
  /// `connections` connections are established (the server need not have
  /// accepted them: the backlog holds them).
  EchoLoad(std::uint16_t port, long connections, std::size_t message_bytes);
  /// Kills the generator if finish() was not called.
  ~EchoLoad();
  EchoLoad(const EchoLoad&) = delete;
  EchoLoad& operator=(const EchoLoad&) = delete;

  /// Makes `round_trips` round trips; the seconds they took.
  double run(long round_trips);

  struct Latency {
    double p50_us;
    double p99_us;
  };
  /// Ends the generator (its connections close) and returns the latency
  /// percentiles over every round trip it made.
  Latency finish();

 private:
  /// The generator's next line; throws with it if it reports an error.
  const char* read_line();
  /// Closes the pipes and kills the generator if it still runs.
  void end() noexcept;

  pid_t pid_ = -1;
  std::FILE* to_ = nullptr;
  std::FILE* from_ = nullptr;
  char line_[256] = {};
};

}  // namespace loopbench
