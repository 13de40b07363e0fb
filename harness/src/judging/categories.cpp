#include "judging/categories.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <map>

#include "judging/verdict.hpp"

namespace loopcert {

using conformance::Outcome;

namespace {
struct Rule {
  std::string_view category;
  std::initializer_list<const char*> case_globs;
};

// The first row whose glob matches a case's ID gives its category; "core"
// takes every case no row names. The rows follow the PEP's categories
// ("Event Loop Methods Overview"): TLS comes before networking, whose
// suites hold its cases too, and the tier cases that
// check a category's methods exist go with that category.
constexpr std::array<Rule, 9> kRules{{
    {"threads", {"threads.*", "latency.threadsafe_wakeup"}},
    {"futures", {"futures.*", "tasks.*", "coroutines.*", "loop_tasks.*", "tier.public_api.*"}},
    {"policy", {"policy.*"}},
    {"names", {"names.*", "tier.required.name_lookups"}},
    {"tls", {"*.ssl*", "*.server_hostname.*", "*tls*"}},
    {"networking",
     {"connections.*", "servers.*", "datagrams.*", "sockets.*", "transports.*", "protocols.*",
      "tier.required.socket_methods", "tier.required.connection_methods"}},
    {"io", {"io.*", "latency.io_readiness"}},
    {"pipes", {"pipes.*", "subprocesses.*"}},
    {"signals", {"signals.*"}},
}};
constexpr std::string_view kCore = "core";

bool passed(Outcome outcome) { return outcome == Outcome::pass || outcome == Outcome::quality_warning; }
}  // namespace

const std::vector<std::string_view>& pep_category_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> all{kCore};
    for (const Rule& rule : kRules) all.push_back(rule.category);
    return all;
  }();
  return names;
}

std::string_view pep_category_of(std::string_view case_id) {
  std::string id(case_id);
  for (const Rule& rule : kRules) {
    for (const char* glob : rule.case_globs) {
      if (::fnmatch(glob, id.c_str(), 0) == 0) return rule.category;
    }
  }
  return kCore;
}

std::string_view standing_name(Standing standing) noexcept {
  switch (standing) {
    case Standing::conforming:
      return "conforming";
    case Standing::not_implemented:
      return "not-implemented";
    case Standing::failing:
      return "failing";
    case Standing::unsupported:
      return "unsupported";
  }
  return "?";
}

std::string describe(const CategoryResult& result) {
  switch (result.standing) {
    case Standing::failing:
      return "failing (" + std::to_string(result.failing) + " of " + std::to_string(result.applicable) + ")";
    case Standing::not_implemented:
      return "not implemented";
    default:
      return std::string(standing_name(result.standing));
  }
}

std::vector<CategoryResult> category_results(const std::vector<CaseRun>& runs) {
  struct Tally {
    CategoryResult result;
    int decisive = 0;         // applicable and not advisory: what the verdict counts
    int not_implemented = 0;  // of those, failed first with NotImplementedError
  };
  std::map<std::string_view, Tally> tallies;
  for (const CaseRun& run : runs) {
    Tally& tally = tallies[pep_category_of(run.meta.info->id)];
    CategoryResult& result = tally.result;
    ++result.cases;
    if (run.outcome == Outcome::unsupported) {
      if (result.reason.empty()) result.reason = run.message;
      continue;
    }
    ++result.applicable;
    const bool decisive = !run.meta.advisory && loop_testable(run.meta.tier);
    tally.decisive += decisive ? 1 : 0;
    tally.not_implemented += decisive && run.not_implemented ? 1 : 0;
    if (passed(run.outcome)) {
      ++result.passed;
    } else if (blocks_conformance(run)) {
      ++result.failing;
    } else {
      ++result.advisory;
    }
  }
  std::vector<CategoryResult> results;
  for (std::string_view name : pep_category_names()) {
    auto found = tallies.find(name);
    if (found == tallies.end()) continue;
    CategoryResult result = found->second.result;
    result.name = name;
    if (result.applicable == 0) {
      result.standing = Standing::unsupported;
    } else if (found->second.decisive > 0 && found->second.not_implemented == found->second.decisive) {
      result.standing = Standing::not_implemented;
    } else if (result.failing > 0) {
      result.standing = Standing::failing;
    } else {
      result.standing = Standing::conforming;
    }
    if (result.standing != Standing::unsupported) result.reason.clear();
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace loopcert
