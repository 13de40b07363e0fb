#include "running/wire.hpp"

#include <nlohmann/json.hpp>

#include "json_integer.hpp"
namespace loopcert {

using nlohmann::json;

std::string encode_failure(const conformance::Failure& failure) {
  json j{{"event", "failure"}, {"message", failure.message}, {"file", failure.file}, {"line", failure.line}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string encode_result(const conformance::CaseResult& result) {
  json latency = json::array();
  for (const auto& s : result.latency) {
    latency.push_back({{"probe", s.probe},
                       {"count", s.count},
                       {"p50", s.p50},
                       {"p90", s.p90},
                       {"p99", s.p99},
                       {"max", s.max},
                       {"early", s.early}});
  }
  json j{{"event", "result"},
         {"outcome", conformance::outcome_name(result.outcome)},
         {"message", result.message},
         {"notImplemented", result.not_implemented},
         {"latency", latency}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

namespace {
conformance::CaseResult decode_result(const json& j) {
  conformance::CaseResult result;
  auto outcome = conformance::parse_outcome(j.at("outcome").get<std::string>());
  if (!outcome) throw std::runtime_error("unknown outcome");
  result.outcome = *outcome;
  result.message = j.value("message", "");
  result.not_implemented = j.value("notImplemented", false);
  for (const auto& s : j.value("latency", json::array())) {
    result.latency.push_back(conformance::LatencyStats{
        s.at("probe").get<std::string>(), json_integer<std::int64_t>(s.at("count"), "count"),
        json_integer<std::int64_t>(s.at("p50"), "p50"), json_integer<std::int64_t>(s.at("p90"), "p90"),
        json_integer<std::int64_t>(s.at("p99"), "p99"), json_integer<std::int64_t>(s.at("max"), "max"),
        json_integer_or<std::int64_t>(s, "early", 0)});
  }
  return result;
}
}  // namespace

ChildMessages decode_messages(std::string_view lines) {
  ChildMessages messages;
  while (!lines.empty()) {
    auto end = lines.find('\n');
    std::string_view line = lines.substr(0, end);
    lines = end == std::string_view::npos ? std::string_view() : lines.substr(end + 1);
    if (line.empty()) continue;
    try {
      json j = json::parse(line);
      std::string event = j.at("event").get<std::string>();
      if (event == "failure") {
        messages.failures.push_back(conformance::Failure{j.at("message").get<std::string>(),
                                                         j.value("file", ""), json_integer_or(j, "line", 0)});
      } else if (event == "result") {
        messages.result = decode_result(j);
      } else {
        messages.garbled.emplace_back(line);
      }
    } catch (const std::exception&) {
      messages.garbled.emplace_back(line);
    }
  }
  return messages;
}

}  // namespace loopcert
