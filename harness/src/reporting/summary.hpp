// What loopcert prints: a progress line on stderr while it runs (only on a
// terminal, or with --progress), and a summary on stdout at the end, whose
// last line is always "verdict: <verdict>".
#pragma once

#include <cstdio>
#include <string>

#include "reporting/run_record.hpp"

namespace loopcert {

void print_summary(std::FILE* out, const RunRecord& record);

class Progress {
 public:
  /// `enabled`: print at all; `terminal`: rewrite one line in place rather
  /// than printing a line per case.
  Progress(bool enabled, bool terminal, std::size_t total)
      : enabled_(enabled), terminal_(terminal), total_(total) {}
  void finished(const CaseRun& run);
  void done();

 private:
  bool enabled_;
  bool terminal_;
  std::size_t total_;
  std::size_t finished_ = 0;
  std::size_t passed_ = 0;
  std::size_t failed_ = 0;
  std::size_t other_ = 0;
};

}  // namespace loopcert
