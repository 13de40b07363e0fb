#include "running/wire.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "json_integer.hpp"
#include "registry/case_meta.hpp"

namespace loopcert {

using nlohmann::json;

namespace {
/// One message: a line of JSON, bytes that are not UTF-8 replaced.
std::string as_line(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }
}  // namespace

std::string encode_failure(const conformance::Failure& failure) {
  json j{{"event", "failure"}, {"message", failure.message}, {"file", failure.file}, {"line", failure.line}};
  return as_line(j);
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
  return as_line(j);
}

json capabilities_json(const pep3156::Capabilities& capabilities) {
  json categories = json::array();
  for (pep3156::Category c : all_categories()) {
    if (pep3156::has(capabilities.categories, c))
      categories.push_back(std::string(pep3156::category_name(c)));
  }
  return {{"categories", categories},
          {"embedded", capabilities.embedded},
          {"clockResolution", capabilities.clock_resolution}};
}

std::string encode_loop(const LoopDescription& loop) {
  json j{{"event", "loop"},
         {"name", loop.name},
         {"description", loop.description},
         {"library", loop.library},
         {"contract", loop.contract_version},
         {"capabilities", capabilities_json(loop.capabilities)},
         {"host", {{"ipv6Loopback", loop.host.ipv6_loopback}}}};
  return as_line(j);
}

namespace {
pep3156::Capabilities decode_capabilities(const json& j) {
  pep3156::Capabilities capabilities;
  for (const auto& name : j.at("categories")) {
    auto named = std::find_if(all_categories().begin(), all_categories().end(), [&](pep3156::Category c) {
      return pep3156::category_name(c) == name.get<std::string>();
    });
    if (named == all_categories().end()) throw std::runtime_error("unknown category");
    capabilities.categories = capabilities.categories | *named;
  }
  capabilities.embedded = j.at("embedded").get<bool>();
  capabilities.clock_resolution = j.at("clockResolution").get<double>();
  return capabilities;
}

LoopDescription decode_loop(const json& j) {
  return LoopDescription{j.at("name").get<std::string>(),
                         j.value("description", ""),
                         j.value("library", ""),
                         json_integer<int>(j.at("contract"), "contract"),
                         decode_capabilities(j.at("capabilities")),
                         HostProperties{.ipv6_loopback = j.at("host").at("ipv6Loopback").get<bool>()}};
}

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
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    try {
      json j = json::parse(line);
      std::string event = j.at("event").get<std::string>();
      if (event == "failure") {
        messages.failures.push_back(conformance::Failure{j.at("message").get<std::string>(),
                                                         j.value("file", ""), json_integer_or(j, "line", 0)});
      } else if (event == "result") {
        messages.result = decode_result(j);
      } else if (event == "loop") {
        messages.loops.push_back(decode_loop(j));
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
