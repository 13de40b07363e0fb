#include "reporting/report_ctrf.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

#include "judging/budgets.hpp"
#include "pep3156/adapter.hpp"
#include "reporting/report_file.hpp"
#include "running/wire.hpp"

namespace loopcert {

using conformance::Outcome;
using nlohmann::json;

namespace {
std::string uuid4() {
  std::random_device random;
  unsigned char bytes[16];
  for (auto& b : bytes) b = static_cast<unsigned char>(random());
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return text;
}

}  // namespace

std::string iso8601_utc(std::int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string case_trace(const CaseRun& run) {
  std::string trace;
  if (run.failures.size() > 1) {
    for (const auto& f : run.failures) trace += f + "\n";
  }
  if (!run.output.empty()) trace += "--- output of the case process (tail) ---\n" + run.output;
  return trace;
}

std::string test_name(const AdapterInfo& adapter, std::string_view case_id) {
  return std::string(case_id) + " [" + adapter.label() + "]";
}

namespace {
json probe_json(const ProbeResult& probe) {
  const auto& s = probe.stats;
  json j{{"unit", "ns"}, {"count", s.count}, {"p50", s.p50},     {"p90", s.p90},
         {"p99", s.p99}, {"max", s.max},     {"early", s.early}, {"overBudget", probe.over_budget}};
  if (!probe.budget.empty()) j["budget"] = probe.budget;
  return j;
}

json test_json(const CaseRun& run, const AdapterInfo& adapter) {
  const conformance::CaseInfo& info = *run.meta.info;
  json tags = json::array();
  for (std::string_view id : info.spec.clauses()) tags.push_back(std::string(id));
  json extra{{"caseId", info.id},
             {"level", level_name(run.meta.level)},
             {"tier", tier_name(run.meta.tier)},
             {"advisory", run.meta.advisory},
             {"category", pep_category_of(info.id)}};
  if (run.not_implemented) extra["notImplemented"] = true;
  if (!run.meta.extension.empty()) extra["extension"] = run.meta.extension;
  if (run.expected) {
    extra["expected"] = {{"outcome", conformance::outcome_name(run.expected->outcome)},
                         {"reason", run.expected->reason}};
  }
  if (!run.latency.empty()) {
    json latency = json::object();
    for (const auto& probe : run.latency) latency[probe.stats.probe] = probe_json(probe);
    extra["latency"] = latency;
  }
  json test{{"name", test_name(adapter, info.id)},
            {"status", ctrf_status(run.outcome)},
            {"rawStatus", conformance::outcome_name(run.outcome)},
            {"duration", run.duration_ms},
            {"suite", json::array({std::string(info.suite())})},
            {"tags", tags},
            {"filePath", info.file},
            {"line", info.line},
            {"extra", extra}};
  if (run.ran) {
    test["start"] = run.start_ms;
    test["stop"] = run.start_ms + run.duration_ms;
  }
  if (run.outcome != Outcome::pass) test["message"] = run.message.empty() ? "(no reason given)" : run.message;
  if (std::string trace = case_trace(run); !trace.empty()) test["trace"] = trace;
  return test;
}

/// The status of a clause over the cases that checked it: failed if any
/// failed, else other if any was unresolved, else skipped if all were
/// skipped, else passed; untested when no case checks it.
std::string clause_status(const std::vector<const CaseRun*>& runs) {
  if (runs.empty()) return "untested";
  bool any_failed = false, any_unresolved = false, all_skipped = true;
  for (const CaseRun* run : runs) {
    any_failed |= conformance::is_failure(run->outcome);
    any_unresolved |= run->outcome == Outcome::unresolved;
    all_skipped &= run->outcome == Outcome::unsupported;
  }
  if (any_failed) return "failed";
  if (any_unresolved) return "other";
  return all_skipped ? "skipped" : "passed";
}

json clauses_json(const RunRecord& record, bool filtered) {
  std::map<std::string, std::vector<const CaseRun*>> by_clause;
  for (const CaseRun& run : record.runs) {
    for (std::string_view id : run.meta.info->spec.clauses()) by_clause[std::string(id)].push_back(&run);
  }
  json clauses = json::object();
  for (const Clause& clause : record.registry->clauses()) {
    if (!loop_testable(clause.tier)) continue;
    auto runs = by_clause.find(clause.id);
    // A clause whose cases were filtered out is not reported; one with no
    // case at all is "untested".
    if (runs == by_clause.end() && filtered) continue;
    std::vector<const CaseRun*> checked =
        runs == by_clause.end() ? std::vector<const CaseRun*>{} : runs->second;
    json cases = json::array();
    for (const CaseRun* run : checked) cases.push_back(run->meta.info->id);
    clauses[clause.id] = {{"level", level_name(clause.level)},
                          {"tier", tier_name(clause.tier)},
                          {"status", clause_status(checked)},
                          {"cases", cases}};
  }
  return clauses;
}

json categories_json(const std::vector<CategoryResult>& categories) {
  json all = json::object();
  for (const CategoryResult& category : categories) {
    json entry{{"status", standing_name(category.standing)},
               {"summary", describe(category)},
               {"cases", category.cases},
               {"applicable", category.applicable},
               {"failing", category.failing},
               {"advisoryNotPassed", category.advisory}};
    if (!category.reason.empty()) entry["reason"] = category.reason;
    all[std::string(category.name)] = entry;
  }
  return all;
}

json environment_json() {
  utsname host{};
  ::uname(&host);
  std::string platform = host.sysname;
  std::transform(platform.begin(), platform.end(), platform.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return {{"osPlatform", platform},
          {"osRelease", host.release},
          {"extra", {{"cores", std::thread::hardware_concurrency()}, {"machine", host.machine}}}};
}
}  // namespace

std::string_view ctrf_status(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::pass:
    case Outcome::quality_warning:
      return "passed";
    case Outcome::fail:
    case Outcome::timeout:
    case Outcome::crash:
      return "failed";
    case Outcome::unsupported:
      return "skipped";
    case Outcome::unresolved:
      return "other";
  }
  return "other";
}

json ctrf_report(const RunRecord& record) {
  json tests = json::array();
  json latency = json::object();
  std::map<std::string, int> counts{
      {"passed", 0}, {"failed", 0}, {"skipped", 0}, {"pending", 0}, {"other", 0}};
  for (const CaseRun& run : record.runs) {
    tests.push_back(test_json(run, record.adapter));
    ++counts[std::string(ctrf_status(run.outcome))];
    for (const auto& probe : run.latency) latency[probe.stats.probe] = probe_json(probe);
  }
  bool filtered = record.runs.size() < record.cases_in_kit;
  json reasons = record.verdict.reasons;
  json loopcert{
      {"contractVersion", pep3156::kAdapterContractVersion},
      {"registry", {{"version", record.registry->version()}, {"source", record.registry->source()}}},
      {"adapter",
       {{"name", record.adapter.name},
        {"description", record.adapter.description},
        {"library", record.adapter.library},
        {"capabilities", capabilities_json(record.adapter.capabilities)}}},
      {"host", {{"ipv6Loopback", record.host.ipv6_loopback}}},
      {"verdict", verdict_name(record.verdict.kind)},
      {"verdictReasons", reasons},
      {"categories", categories_json(record.categories)},
      {"clauses", clauses_json(record, filtered)},
      {"latency", latency}};
  if (!record.faults.empty()) loopcert["faults"] = record.faults;
  if (!record.runner.empty()) loopcert["runner"] = record.runner;
  if (record.gate) loopcert["gate"] = {{"green", record.gate->green}, {"problems", record.gate->problems}};
  return {{"reportFormat", "CTRF"},
          {"specVersion", "0.0.0"},
          {"reportId", uuid4()},
          {"timestamp", iso8601_utc(record.start_ms)},
          {"generatedBy", "loopcert"},
          {"results",
           {{"tool", {{"name", "loopcert"}, {"version", std::string(kLoopcertVersion)}}},
            {"summary",
             {{"tests", record.runs.size()},
              {"passed", counts["passed"]},
              {"failed", counts["failed"]},
              {"pending", counts["pending"]},
              {"skipped", counts["skipped"]},
              {"other", counts["other"]},
              {"start", record.start_ms},
              {"stop", record.stop_ms}}},
            {"tests", tests},
            {"environment", environment_json()},
            {"extra", {{"loopcert", loopcert}}}}}};
}

void write_json_file(const std::string& path, const json& document) {
  write_report_file(path, document.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

}  // namespace loopcert
