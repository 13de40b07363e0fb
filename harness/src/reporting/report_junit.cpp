#include "reporting/report_junit.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <vector>

#include "judging/budgets.hpp"
#include "pep3156/adapter.hpp"
#include "reporting/report_ctrf.hpp"

namespace loopcert {

using conformance::Outcome;

namespace {
/// The length of the UTF-8 sequence starting text[at] when it encodes a
/// character XML 1.0 allows (no overlong form, no surrogate, no U+FFFE or
/// U+FFFF, nothing past U+10FFFF); 0 otherwise.
std::size_t xml_char_length(std::string_view text, std::size_t at) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  unsigned char lead = byte(0);
  std::size_t length = lead < 0x80             ? 1
                       : (lead & 0xe0) == 0xc0 ? 2
                       : (lead & 0xf0) == 0xe0 ? 3
                       : (lead & 0xf8) == 0xf0 ? 4
                                               : 0;
  if (length == 0 || at + length > text.size()) return 0;
  std::uint32_t code = length == 1 ? lead : lead & (0x7f >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3f);
  }
  static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  bool allowed = code >= kSmallest[length] && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) &&
                 code != 0xfffe && code != 0xffff &&
                 (code >= 0x20 || code == '\t' || code == '\n' || code == '\r');
  return allowed ? length : 0;
}
}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length = xml_char_length(text, i);
    if (length == 0) {
      // What XML cannot carry: an ASCII control character is dropped; a
      // byte that is not valid UTF-8 (a case may print anything) becomes
      // U+FFFD, as the CTRF report's JSON writer does.
      if (static_cast<unsigned char>(text[i]) >= 0x80) out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    char c = text[i];
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.append(text, i, length);
    }
    i += length;
  }
  return out;
}

namespace {
std::string seconds(std::int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", static_cast<double>(ms) / 1000.0);
  return text;
}

struct Counts {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  std::int64_t ms = 0;
  void add(const CaseRun& run) {
    std::string_view status = ctrf_status(run.outcome);
    ++tests;
    ms += run.duration_ms;
    failures += status == "failed";
    errors += status == "other";
    skipped += status == "skipped";
  }
  std::string attributes() const {
    return "tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"" +
           std::to_string(errors) + "\" skipped=\"" + std::to_string(skipped) + "\" time=\"" + seconds(ms) +
           "\"";
  }
};

void property(std::ostringstream& out, const char* indent, std::string_view name, std::string_view value) {
  out << indent << "<property name=\"" << xml_escape(name) << "\" value=\"" << xml_escape(value) << "\"/>\n";
}

std::string latency_figures(const CaseRun& run) {
  std::string text;
  for (const ProbeResult& p : run.latency) {
    const auto& s = p.stats;
    text += "\n" + s.probe + ": count " + std::to_string(s.count) + ", p50 " + format_ns(s.p50) + ", p90 " +
            format_ns(s.p90) + ", p99 " + format_ns(s.p99) + ", max " + format_ns(s.max);
    for (const auto& [stat, limit] : p.budget) text += ", budget " + stat + " " + format_ns(limit);
  }
  return text;
}

void write_case(std::ostringstream& out, const CaseRun& run, const AdapterInfo& adapter) {
  const auto& info = *run.meta.info;
  out << "    <testcase classname=\"" << xml_escape(info.suite()) << "\" name=\""
      << xml_escape(test_name(adapter, info.id)) << "\" time=\"" << seconds(run.duration_ms) << "\">\n";
  out << "      <properties>\n";
  std::string clauses;
  for (std::string_view clause : info.spec.clauses())
    clauses.append(clauses.empty() ? "" : ",")
        .append(clause);  // not "," + ...: GCC 12's -Wrestrict false positive at -O3
  const char* indent = "        ";
  property(out, indent, "caseId", info.id);
  property(out, indent, "clauses", clauses);
  property(out, indent, "rawStatus", conformance::outcome_name(run.outcome));
  property(out, indent, "level", level_name(run.meta.level));
  property(out, indent, "tier", tier_name(run.meta.tier));
  property(out, indent, "advisory", run.meta.advisory ? "true" : "false");
  if (!run.meta.extension.empty()) property(out, indent, "extension", run.meta.extension);
  if (run.expected) {
    property(out, indent, "expected",
             std::string(conformance::outcome_name(run.expected->outcome)) + ": " + run.expected->reason);
  }
  out << "      </properties>\n";
  std::string type(conformance::outcome_name(run.outcome));
  std::string message = run.message.empty() ? "(no reason given)" : run.message;
  std::string trace = case_trace(run);
  std::string body = xml_escape(trace.empty() ? message : message + "\n" + trace);
  switch (run.outcome) {
    case Outcome::fail:
    case Outcome::timeout:
    case Outcome::crash:
      out << "      <failure type=\"" << type << "\" message=\"" << xml_escape(message) << "\">" << body
          << "</failure>\n";
      break;
    case Outcome::unresolved:
      out << "      <error type=\"" << type << "\" message=\"" << xml_escape(message) << "\">" << body
          << "</error>\n";
      break;
    case Outcome::unsupported:
      out << "      <skipped message=\"" << xml_escape(message) << "\"/>\n";
      break;
    case Outcome::quality_warning:
      out << "      <system-out>" << xml_escape(message + latency_figures(run)) << "</system-out>\n";
      break;
    case Outcome::pass:
      break;
  }
  out << "    </testcase>\n";
}
}  // namespace

std::string junit_report(const RunRecord& record) {
  // Suites in the order each first appears among the cases.
  std::vector<std::pair<std::string, std::vector<const CaseRun*>>> suites;
  Counts total;
  for (const CaseRun& run : record.runs) {
    std::string suite(run.meta.info->suite());
    auto found = std::find_if(suites.begin(), suites.end(), [&](const auto& s) { return s.first == suite; });
    if (found == suites.end()) found = suites.insert(suites.end(), {suite, {}});
    found->second.push_back(&run);
    total.add(run);
  }
  std::string timestamp = iso8601_utc(record.start_ms);
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"loopcert\" " << total.attributes() << " timestamp=\"" << timestamp << "\">\n";
  for (const auto& [suite, runs] : suites) {
    Counts counts;
    for (const CaseRun* run : runs) counts.add(*run);
    out << "  <testsuite name=\"" << xml_escape(suite) << "\" " << counts.attributes() << " timestamp=\""
        << timestamp << "\">\n";
    out << "    <properties>\n";
    property(out, "      ", "loopcert.adapter", record.adapter.name);
    property(out, "      ", "loopcert.contractVersion", std::to_string(pep3156::kAdapterContractVersion));
    property(out, "      ", "loopcert.verdict", verdict_name(record.verdict.kind));
    out << "    </properties>\n";
    for (const CaseRun* run : runs) write_case(out, *run, record.adapter);
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
  return out.str();
}

}  // namespace loopcert
