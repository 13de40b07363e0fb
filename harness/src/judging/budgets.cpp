#include "judging/budgets.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "conformance/case.hpp"

namespace loopcert {

namespace {
const std::set<std::string, std::less<>> kStats{"p50", "p90", "p99", "max"};

std::int64_t stat_value(const conformance::LatencyStats& s, std::string_view stat) {
  if (stat == "p50") return s.p50;
  if (stat == "p90") return s.p90;
  if (stat == "p99") return s.p99;
  return s.max;
}

std::int64_t parse_duration_ns(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) {
    ++digits;
  }
  std::string_view number = text.substr(0, digits);
  std::string_view unit = text.substr(digits);
  double scale = unit == "ns" || unit.empty() ? 1
                 : unit == "us"               ? 1e3
                 : unit == "ms"               ? 1e6
                 : unit == "s"                ? 1e9
                                              : 0;
  // The whole number or nothing: "1.2.3" is not 1.2. And no more
  // nanoseconds than an int64 holds (292 years): past that, llround()'s
  // result is unspecified and a huge budget came out negative (found by
  // harness/fuzz, regressions/budgets/).
  double value = 0;
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  constexpr double kMaxNs = 9.2e18;
  if (error != std::errc() || end != number.data() + number.size() || scale == 0 || value * scale > kMaxNs) {
    throw std::invalid_argument("'" + std::string(text) + "' is not a duration (e.g. 850ns, 50us, 2ms, 1s)");
  }
  return static_cast<std::int64_t>(std::llround(value * scale));
}
}  // namespace

void parse_budget(std::string_view text, Budgets& budgets) {
  auto equals = text.find('=');
  auto dot = text.substr(0, equals).rfind('.');
  if (equals == std::string_view::npos || dot == std::string_view::npos) {
    throw std::invalid_argument("budget '" + std::string(text) +
                                "' is not probe.stat=value (e.g. call_soon_dispatch.p99=50us)");
  }
  std::string probe(text.substr(0, dot));
  std::string stat(text.substr(dot + 1, equals - dot - 1));
  if (kStats.count(stat) == 0) {
    throw std::invalid_argument("budget '" + std::string(text) +
                                "': the statistic must be p50, p90, p99 or max");
  }
  budgets[probe][stat] = parse_duration_ns(text.substr(equals + 1));
}

void load_budget_file(const std::string& path, Budgets& budgets) {
  // A directory opens as a stream that reads nothing: no budget, no error.
  if (std::filesystem::is_directory(path))
    throw std::runtime_error("the budget file " + path + " is a directory");
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the budget file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  parse_budget_lines(text.str(), path, budgets);
}

void parse_budget_lines(std::string_view text, const std::string& origin, Budgets& budgets) {
  std::istringstream in{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = line.substr(0, line.find('#'));
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    auto last = line.find_last_not_of(" \t\r");
    try {
      parse_budget(std::string_view(line).substr(first, last - first + 1), budgets);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(origin + ":" + std::to_string(number) + ": " + e.what());
    }
  }
}

void check_budget_probes(const Budgets& budgets) {
  constexpr std::string_view kPrefix = "latency.";
  std::set<std::string, std::less<>> probes;
  for (const auto& info : conformance::registered_cases()) {
    if (info.id.rfind(kPrefix, 0) == 0) probes.insert(info.id.substr(kPrefix.size()));
  }
  for (const auto& [probe, stats] : budgets) {
    if (probes.count(probe) > 0) continue;
    std::string known;
    for (const auto& p : probes) known += (known.empty() ? "" : ", ") + p;
    throw std::invalid_argument("a budget names the probe '" + probe +
                                "', which the kit does not measure; its probes are: " + known);
  }
}

std::string format_ns(std::int64_t ns) {
  char text[32];
  double v = static_cast<double>(ns);
  if (std::abs(v) < 1e3) {
    std::snprintf(text, sizeof text, "%lldns", static_cast<long long>(ns));
  } else if (std::abs(v) < 1e6) {
    std::snprintf(text, sizeof text, "%.3gus", v / 1e3);
  } else if (std::abs(v) < 1e9) {
    std::snprintf(text, sizeof text, "%.3gms", v / 1e6);
  } else {
    std::snprintf(text, sizeof text, "%.3gs", v / 1e9);
  }
  return text;
}

std::vector<std::string> apply_budgets(const Budgets& budgets, std::vector<CaseRun>& runs) {
  std::set<std::string> used;
  for (CaseRun& run : runs) {
    std::string over;
    for (ProbeResult& probe : run.latency) {
      auto budget = budgets.find(probe.stats.probe);
      if (budget == budgets.end()) continue;
      used.insert(budget->first);
      probe.budget = budget->second;
      for (const auto& [stat, limit] : budget->second) {
        std::int64_t value = stat_value(probe.stats, stat);
        if (value <= limit) continue;
        probe.over_budget = true;
        if (!over.empty()) over += "; ";
        over += probe.stats.probe + " " + stat + " = " + format_ns(value) + ", over its budget of " +
                format_ns(limit);
      }
    }
    if (!over.empty() && run.outcome == conformance::Outcome::pass) {
      run.outcome = conformance::Outcome::quality_warning;
      run.message = over;
    }
  }
  std::vector<std::string> unused;
  for (const auto& [probe, stats] : budgets) {
    if (used.count(probe) == 0) unused.push_back(probe);
  }
  return unused;
}

}  // namespace loopcert
