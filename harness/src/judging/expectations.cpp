#include "judging/expectations.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "judging/verdict.hpp"

namespace loopcert {

using conformance::Outcome;

Expectations load_expectations(const std::string& path, const std::string& adapter) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the expectations file " + path);
  Expectations expectations;
  try {
    nlohmann::json doc = nlohmann::json::parse(in);
    // Another adapter's deviations would turn this one's gate green.
    std::string for_adapter = doc.at("adapter").get<std::string>();
    if (for_adapter != adapter) {
      throw std::runtime_error("the file is for the adapter '" + for_adapter + "', not for '" + adapter +
                               "'");
    }
    for (const auto& [id, entry] : doc.at("expectations").items()) {
      std::string name = entry.at("outcome").get<std::string>();
      auto outcome = conformance::parse_outcome(name);
      if (!outcome || *outcome == Outcome::pass || *outcome == Outcome::quality_warning ||
          *outcome == Outcome::unsupported) {
        throw std::runtime_error("case " + id +
                                 ": expected outcome must be FAIL, TIMEOUT, CRASH or UNRESOLVED, not '" +
                                 name + "'");
      }
      std::string reason = entry.value("reason", "");
      if (reason.empty()) throw std::runtime_error("case " + id + ": every expectation needs a reason");
      expectations[id] = Expectation{*outcome, reason};
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
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
