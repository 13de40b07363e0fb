// The wire between a case process and the runner: JSON lines on a pipe
// (never stdout or stderr, which belong to the loop under test).
//
//   {"event":"failure","message":"...","file":"...","line":12}
//   {"event":"result","outcome":"FAIL","message":"...","notImplemented":false,"latency":[{...}]}
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/result.hpp"

namespace loopcert {

std::string encode_failure(const conformance::Failure& failure);
std::string encode_result(const conformance::CaseResult& result);

/// What the runner reads back from one case process.
struct ChildMessages {
  std::vector<conformance::Failure> failures;
  std::optional<conformance::CaseResult> result;
  /// Lines that were not valid messages (reported, never guessed at).
  std::vector<std::string> garbled;
};

ChildMessages decode_messages(std::string_view lines);

}  // namespace loopcert
