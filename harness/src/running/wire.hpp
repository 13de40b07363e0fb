// The wire between a case process and the runner: JSON lines on a pipe
// (never the loop's stdout or stderr; through a --runner command, the
// command's stdout, which the case process keeps for the wire alone).
//
//   {"event":"failure","message":"...","file":"...","line":12}
//   {"event":"result","outcome":"FAIL","message":"...","notImplemented":false,"latency":[{...}]}
//   {"event":"loop","name":"epoll","description":"...","library":"...","contract":7,
//    "capabilities":{"categories":["io"],"embedded":false,"clockResolution":1e-09},
//    "host":{"ipv6Loopback":true}}
//
// A line may end in CRLF (a Windows program's stdout under Wine).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/result.hpp"
#include "pep3156/capabilities.hpp"
#include "registry/host.hpp"

namespace loopcert {

/// One loop an adapter offers, as `--describe-loops` sends it to a loopcert
/// that runs the cases through a command (--runner) and so never loads the
/// adapter itself.
struct LoopDescription {
  std::string name;
  std::string description;
  /// The adapter library where the command runs it; empty on the static route.
  std::string library;
  int contract_version = 0;
  pep3156::Capabilities capabilities;
  /// What the host where the command runs offers (probed there).
  HostProperties host;
};

std::string encode_failure(const conformance::Failure& failure);
std::string encode_result(const conformance::CaseResult& result);
std::string encode_loop(const LoopDescription& loop);

/// {"categories":["io",...],"embedded":false,"clockResolution":1e-9}, as the
/// wire and the CTRF report write a declaration.
nlohmann::json capabilities_json(const pep3156::Capabilities& capabilities);

/// What the runner reads back from one case process.
struct ChildMessages {
  std::vector<conformance::Failure> failures;
  std::optional<conformance::CaseResult> result;
  /// From --describe-loops.
  std::vector<LoopDescription> loops;
  /// Lines that were not valid messages (reported, never guessed at).
  std::vector<std::string> garbled;
};

ChildMessages decode_messages(std::string_view lines);

}  // namespace loopcert
