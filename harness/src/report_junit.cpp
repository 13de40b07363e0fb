#include "report_junit.hpp"

#include <cstdio>
#include <map>
#include <sstream>

namespace loopcert {

using conformance::Outcome;

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
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
        // XML 1.0 allows no control characters but tab, newline and return.
        bool control = static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r';
        out += control ? '?' : c;
    }
  }
  return out;
}

namespace {
std::string seconds(std::int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", static_cast<double>(ms) / 1000.0);
  return text;
}

void write_case(std::ostringstream& out, const CaseRun& run) {
  const auto& info = *run.meta.info;
  out << "    <testcase name=\"" << xml_escape(info.id) << "\" classname=\"" << xml_escape(info.suite())
      << "\" time=\"" << seconds(run.duration_ms) << "\" file=\"" << xml_escape(info.file) << "\" line=\""
      << info.line << "\">\n";
  out << "      <properties>\n";
  for (std::string_view clause : info.spec.clauses()) {
    out << "        <property name=\"clause\" value=\"" << xml_escape(clause) << "\"/>\n";
  }
  out << "        <property name=\"level\" value=\"" << level_name(run.meta.level) << "\"/>\n";
  out << "        <property name=\"tier\" value=\"" << tier_name(run.meta.tier) << "\"/>\n";
  out << "        <property name=\"outcome\" value=\"" << conformance::outcome_name(run.outcome) << "\"/>\n";
  out << "      </properties>\n";
  std::string type(conformance::outcome_name(run.outcome));
  if (run.meta.advisory) type += " (advisory)";
  std::string details;
  for (const auto& f : run.failures) details += f + "\n";
  switch (run.outcome) {
    case Outcome::fail:
      out << "      <failure type=\"" << xml_escape(type) << "\" message=\"" << xml_escape(run.message)
          << "\">" << xml_escape(details) << "</failure>\n";
      break;
    case Outcome::timeout:
    case Outcome::crash:
    case Outcome::unresolved:
      out << "      <error type=\"" << xml_escape(type) << "\" message=\"" << xml_escape(run.message) << "\">"
          << xml_escape(details) << "</error>\n";
      break;
    case Outcome::unsupported:
      out << "      <skipped message=\"" << xml_escape(run.message) << "\"/>\n";
      break;
    case Outcome::pass:
    case Outcome::quality_warning:
      break;
  }
  if (!run.output.empty()) out << "      <system-out>" << xml_escape(run.output) << "</system-out>\n";
  out << "    </testcase>\n";
}

struct Counts {
  int tests = 0, failures = 0, errors = 0, skipped = 0;
  std::int64_t ms = 0;
  void add(const CaseRun& run) {
    ++tests;
    ms += run.duration_ms;
    failures += run.outcome == Outcome::fail;
    errors += run.outcome == Outcome::timeout || run.outcome == Outcome::crash ||
              run.outcome == Outcome::unresolved;
    skipped += run.outcome == Outcome::unsupported;
  }
  std::string attributes() const {
    return "tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"" +
           std::to_string(errors) + "\" skipped=\"" + std::to_string(skipped) + "\" time=\"" + seconds(ms) +
           "\"";
  }
};
}  // namespace

std::string junit_report(const RunRecord& record) {
  std::map<std::string, std::vector<const CaseRun*>> suites;
  Counts total;
  for (const CaseRun& run : record.runs) {
    suites[std::string(run.meta.info->suite())].push_back(&run);
    total.add(run);
  }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"loopcert " << xml_escape(record.adapter.name) << "\" " << total.attributes()
      << ">\n";
  for (const auto& [suite, runs] : suites) {
    Counts counts;
    for (const CaseRun* run : runs) counts.add(*run);
    out << "  <testsuite name=\"" << xml_escape(suite) << "\" " << counts.attributes() << ">\n";
    for (const CaseRun* run : runs) write_case(out, *run);
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
  return out.str();
}

}  // namespace loopcert
