// What a case reports, and to whom.
//
// A case process reports as it goes: each failed check is sent the moment
// it fails, so that a case that crashes afterwards still explains itself;
// the result comes last. The runner's child process implements ResultSink
// by writing JSON lines to a pipe (never to stdout or stderr).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conformance/outcome.hpp"

namespace conformance {

/// One failed check, where it failed and why.
struct Failure {
  std::string message;
  std::string file;
  int line = 0;
};

/// A latency probe's samples, summarised (nanoseconds; nearest-rank
/// percentiles). `early` counts negative samples (for timer lateness, fires
/// before the deadline), which the figures count as zero.
struct LatencyStats {
  std::string probe;
  std::int64_t count = 0;
  std::int64_t p50 = 0;
  std::int64_t p90 = 0;
  std::int64_t p99 = 0;
  std::int64_t max = 0;
  std::int64_t early = 0;
};

/// Sorts the samples and summarises them.
LatencyStats summarize(std::string probe, std::vector<std::int64_t> samples_ns);

struct CaseResult {
  Outcome outcome = Outcome::pass;
  /// Why it did not pass (the first failure, or the reason given).
  std::string message;
  /// It failed, and its first failure was a NotImplementedError from the
  /// loop: what the case exercises is not there yet (loopcert's
  /// per-category view tells "not implemented" from "broken" with it).
  bool not_implemented = false;
  std::vector<LatencyStats> latency;
};

class ResultSink {
 public:
  virtual ~ResultSink() = default;
  /// Called once per failed check, from whichever thread failed it (the
  /// Context serialises the calls).
  virtual void failure(const Failure& failure) = 0;
  /// Called exactly once, last.
  virtual void finish(const CaseResult& result) = 0;
};

}  // namespace conformance
