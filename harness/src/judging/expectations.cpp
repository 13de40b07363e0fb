#include "judging/expectations.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "judging/verdict.hpp"

namespace loopcert {

using conformance::Outcome;

namespace {
/// Does an "adapter" entry name this loop?
bool names_loop(const std::string& entry, const AdapterInfo& adapter) {
  const std::string label = adapter.label();
  if (entry == adapter.name || entry == label) return true;
  return entry.ends_with("/*") && label.rfind(entry.substr(0, entry.size() - 1), 0) == 0;
}
}  // namespace

Expectations load_expectations(const std::string& path, const AdapterInfo& adapter) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the expectations file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return parse_expectations(text.str(), adapter);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

Expectations parse_expectations(std::string_view text, const AdapterInfo& adapter) {
  Expectations expectations;
  nlohmann::json doc = nlohmann::json::parse(text);
  // Another adapter's deviations would turn this one's gate green.
  const nlohmann::json& named = doc.at("adapter");
  std::vector<std::string> entries = named.is_array() ? named.get<std::vector<std::string>>()
                                                      : std::vector<std::string>{named.get<std::string>()};
  if (std::none_of(entries.begin(), entries.end(),
                   [&](const std::string& e) { return names_loop(e, adapter); })) {
    std::string listed;
    for (const std::string& e : entries) listed += (listed.empty() ? "'" : ", '") + e + "'";
    throw std::runtime_error("the file is for the adapter " + listed + ", not for '" + adapter.name + "' (" +
                             adapter.label() + ")");
  }
  for (const auto& [id, entry] : doc.at("expectations").items()) {
    std::string name = entry.at("outcome").get<std::string>();
    auto outcome = conformance::parse_outcome(name);
    if (!outcome || *outcome == Outcome::pass || *outcome == Outcome::quality_warning ||
        *outcome == Outcome::unsupported) {
      throw std::runtime_error(
          "case " + id + ": expected outcome must be FAIL, TIMEOUT, CRASH or UNRESOLVED, not '" + name + "'");
    }
    std::string reason = entry.value("reason", "");
    if (reason.empty()) throw std::runtime_error("case " + id + ": every expectation needs a reason");
    expectations[id] = Expectation{*outcome, reason};
  }
  return expectations;
}

Gate apply_expectations(const Expectations& expectations, std::vector<CaseRun>& runs,
                        const std::vector<std::string>& kit_case_ids) {
  Gate gate;
  auto problem = [&gate](std::string text) {
    gate.green = false;
    gate.problems.push_back(std::move(text));
  };
  for (CaseRun& run : runs) {
    const std::string& id = run.meta.info->id;
    auto entry = expectations.find(id);
    if (entry == expectations.end()) {
      if (blocks_conformance(run)) {
        problem("unexpected " + std::string(conformance::outcome_name(run.outcome)) + ": " + id);
      }
      continue;
    }
    run.expected = entry->second;
    Outcome expected = entry->second.outcome;
    if (run.outcome == expected) continue;
    if (run.outcome == Outcome::pass || run.outcome == Outcome::quality_warning) {
      problem("unexpected pass: " + id + " (expected " + std::string(conformance::outcome_name(expected)) +
              "; delete its expectation)");
    } else {
      problem("outcome differs: " + id + " expected " + std::string(conformance::outcome_name(expected)) +
              ", got " + std::string(conformance::outcome_name(run.outcome)));
    }
  }
  for (const auto& [id, entry] : expectations) {
    if (std::find(kit_case_ids.begin(), kit_case_ids.end(), id) == kit_case_ids.end()) {
      problem("stale expectation: the kit has no case " + id);
    }
  }
  return gate;
}

}  // namespace loopcert
