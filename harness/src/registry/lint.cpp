#include "registry/lint.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <stdexcept>

namespace loopcert {

namespace {
/// Clause ID -> the cases naming it, in case-ID order.
std::map<std::string, std::vector<std::string>> cases_by_clause(
    const std::vector<conformance::CaseInfo>& cases) {
  std::map<std::string, std::vector<std::string>> by_clause;
  std::vector<const conformance::CaseInfo*> sorted;
  for (const auto& info : cases) sorted.push_back(&info);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (const auto* info : sorted) {
    for (std::string_view id : info->spec.clauses()) by_clause[std::string(id)].push_back(info->id);
  }
  return by_clause;
}

bool needs_a_case(const Clause& clause) {
  return clause.level == Level::must && loop_testable(clause.tier) && !clause.has_qualifier("caller");
}

std::string where(const conformance::CaseInfo& info) {
  return std::string(info.file) + ":" + std::to_string(info.line) + ": case " + info.id;
}

void lint_one(const conformance::CaseInfo& info, const Registry& registry,
              std::vector<std::string>& problems) {
  static const std::regex kCaseId("^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+$");
  if (!std::regex_match(info.id, kCaseId)) {
    problems.push_back(where(info) + ": the ID must be dotted lower-case (suite.subject.behaviour)");
  }
  if (info.spec.clauses().empty()) problems.push_back(where(info) + ": names no clause");
  bool any_may = false;
  bool only_may = true;
  for (std::string_view id : info.spec.clauses()) {
    std::string name(id);
    if (registry.is_untestable(id)) {
      problems.push_back(where(info) + ": " + name + " is normative but not testable; no case may assert it");
      continue;
    }
    if (registry.is_draft_only(id)) {
      problems.push_back(where(info) + ": " + name + " is in the seed draft only; no case may assert it");
      continue;
    }
    const Clause* clause = registry.find(id);
    if (clause == nullptr) {
      problems.push_back(where(info) + ": unknown clause " + name);
      continue;
    }
    if (!loop_testable(clause->tier)) {
      problems.push_back(where(info) + ": " + name + " is outside loop conformance (tier extra)");
    }
    any_may |= clause->level == Level::may;
    only_may &= clause->level == Level::may;
  }
  if (only_may && !info.spec.clauses().empty() && !info.spec.is_tolerance()) {
    problems.push_back(
        where(info) +
        ": names only MAY clauses; mark it .tolerance() and assert that every allowed behaviour "
        "is accepted");
  }
  if (info.spec.is_tolerance() && !any_may) {
    problems.push_back(where(info) + ": is marked .tolerance() but names no MAY clause");
  }
  static const std::regex decision_id("D-[A-Z]+-[0-9]+");
  std::string extension(info.spec.extension());
  if (!extension.empty() && !std::regex_match(extension, decision_id)) {
    problems.push_back(where(info) + ": .extension(\"" + extension +
                       "\") names no decision; give the ID of the spec/decisions.md entry (D-AREA-N)");
  }
}
}  // namespace

std::set<std::string> load_clause_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::set<std::string> ids;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    ids.insert(line.substr(first, line.find_last_not_of(" \t\r") - first + 1));
  }
  return ids;
}

std::vector<std::string> uncovered_must_clauses(const std::vector<conformance::CaseInfo>& cases,
                                                const Registry& registry) {
  auto covered = cases_by_clause(cases);
  std::vector<std::string> uncovered;
  for (const Clause& clause : registry.clauses()) {
    if (needs_a_case(clause) && covered.count(clause.id) == 0) uncovered.push_back(clause.id);
  }
  return uncovered;
}

std::vector<std::string> lint_cases(const std::vector<conformance::CaseInfo>& cases, const Registry& registry,
                                    const std::optional<std::set<std::string>>& allow_uncovered) {
  std::vector<std::string> problems;
  std::map<std::string, const conformance::CaseInfo*> seen;
  for (const auto& info : cases) {
    auto [first, inserted] = seen.emplace(info.id, &info);
    if (!inserted)
      problems.push_back(where(info) + ": duplicate case ID (also at " + where(*first->second) + ")");
    lint_one(info, registry, problems);
  }
  auto uncovered = uncovered_must_clauses(cases, registry);
  std::set<std::string> allowed = allow_uncovered.value_or(std::set<std::string>{});
  for (const auto& id : uncovered) {
    if (allowed.count(id) == 0) problems.push_back("MUST clause " + id + " has no case");
  }
  auto covered = cases_by_clause(cases);
  for (const auto& id : allowed) {
    const Clause* clause = registry.find(id);
    if (clause == nullptr || !needs_a_case(*clause)) {
      problems.push_back("allow-uncovered list: " + id +
                         " is not a MUST clause the kit must cover; delete it");
    } else if (covered.count(id) > 0) {
      std::string by;
      for (const auto& c : covered[id]) by += (by.empty() ? "" : ", ") + c;
      problems.push_back("allow-uncovered list: " + id + " is covered now (by " + by + "); delete it");
    }
  }
  return problems;
}

namespace {
/// What a character of a C++ source is part of: code, a comment, or a
/// string or character literal. Braces and parentheses count only in code.
enum class Span : char { code, comment, literal };

bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

/// A ' inside a number is a digit separator (1'000), not a character literal.
bool is_digit_separator(std::string_view text, std::size_t quote) {
  std::size_t start = quote;
  while (start > 0 && (is_identifier_char(text[start - 1]) || text[start - 1] == '\'')) --start;
  return start < quote && std::isdigit(static_cast<unsigned char>(text[start])) != 0;
}

/// The end (one past the closing quote) of the literal opening at `open`.
std::size_t end_of_literal(std::string_view text, std::size_t open) {
  char quote = text[open];
  if (quote == '"' && open > 0 && text[open - 1] == 'R') {  // R"delim( ... )delim"
    std::size_t paren = text.find('(', open);
    if (paren == std::string_view::npos) return text.size();
    std::string closing = ")" + std::string(text.substr(open + 1, paren - open - 1)) + "\"";
    std::size_t end = text.find(closing, paren);
    return end == std::string_view::npos ? text.size() : end + closing.size();
  }
  for (std::size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      return i + 1;
    }
  }
  return text.size();
}

std::vector<Span> classify(std::string_view text) {
  std::vector<Span> spans(text.size(), Span::code);
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = i + 1;
    Span span = Span::code;
    if (text.substr(i, 2) == "//") {
      end = std::min(text.find('\n', i), text.size());
      span = Span::comment;
    } else if (text.substr(i, 2) == "/*") {
      std::size_t close = text.find("*/", i + 2);
      end = close == std::string_view::npos ? text.size() : close + 2;
      span = Span::comment;
    } else if (text[i] == '"' || (text[i] == '\'' && !is_digit_separator(text, i))) {
      end = end_of_literal(text, i);
      span = Span::literal;
    }
    std::fill(spans.begin() + i, spans.begin() + end, span);
    i = end;
  }
  return spans;
}

/// The position one past the bracket (in code) that closes the one at `open`,
/// or npos when the text ends first.
std::size_t past_matching(std::string_view text, const std::vector<Span>& spans, std::size_t open) {
  char opening = text[open];
  char closing = opening == '(' ? ')' : '}';
  int depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    if (spans[i] != Span::code) continue;
    if (text[i] == opening) ++depth;
    if (text[i] == closing && --depth == 0) return i + 1;
  }
  return std::string_view::npos;
}

/// The next character in code that is not white space, from `from`.
std::size_t next_code(std::string_view text, const std::vector<Span>& spans, std::size_t from) {
  while (from < text.size() &&
         (spans[from] == Span::comment || std::isspace(static_cast<unsigned char>(text[from])) != 0))
    ++from;
  return from;
}

/// The body with its comments dropped and each run of white space in code
/// made one space: two bodies that differ only in layout or comments are
/// the same test.
std::string normalised(std::string_view text, const std::vector<Span>& spans, std::size_t begin,
                       std::size_t end) {
  std::string out;
  bool pending_space = false;
  for (std::size_t i = begin; i < end; ++i) {
    bool blank = spans[i] == Span::comment ||
                 (spans[i] == Span::code && std::isspace(static_cast<unsigned char>(text[i])) != 0);
    if (blank) {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    out += text[i];
  }
  return out;
}
}  // namespace

std::vector<CaseBody> case_bodies(std::string_view source, const std::string& file) {
  static constexpr std::string_view kMacro = "LOOPCERT_CASE";
  std::vector<Span> spans = classify(source);
  std::vector<CaseBody> bodies;
  for (std::size_t at = source.find(kMacro); at != std::string_view::npos; at = source.find(kMacro, at + 1)) {
    std::size_t after = at + kMacro.size();
    bool is_a_use = spans[at] == Span::code && (at == 0 || !is_identifier_char(source[at - 1])) &&
                    after < source.size() && !is_identifier_char(source[after]);
    std::size_t line_start = source.rfind('\n', at) + 1;  // npos + 1 == 0
    if (!is_a_use || source.substr(line_start, at - line_start).find("#define") != std::string_view::npos)
      continue;
    std::string where =
        file + ":" + std::to_string(1 + std::count(source.begin(), source.begin() + at, '\n'));
    std::size_t open_paren = next_code(source, spans, after);
    std::size_t past_arguments = std::string_view::npos;
    if (open_paren < source.size() && source[open_paren] == '(') {
      past_arguments = past_matching(source, spans, open_paren);
    }
    std::size_t id_quote = source.find('"', open_paren);
    std::size_t open_brace = next_code(source, spans, past_arguments);
    if (open_brace >= source.size() || source[open_brace] != '{' || id_quote >= past_arguments) {
      throw std::runtime_error(where + ": expected LOOPCERT_CASE(\"id\", spec) { body }");
    }
    std::size_t past_body = past_matching(source, spans, open_brace);
    if (past_body == std::string_view::npos)
      throw std::runtime_error(where + ": the case's body never closes");
    std::string id(source.substr(id_quote + 1, end_of_literal(source, id_quote) - id_quote - 2));
    bodies.push_back({id, where, normalised(source, spans, open_brace, past_body)});
    at = past_body - 1;
  }
  return bodies;
}

std::vector<CaseBody> case_bodies_in(const std::string& directory) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().extension() == ".cpp") files.push_back(entry.path());
  }
  if (files.empty()) throw std::runtime_error(directory + ": no case sources (*.cpp) here");
  std::sort(files.begin(), files.end());
  std::vector<CaseBody> bodies;
  for (const auto& path : files) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (auto& body : case_bodies(text, path.string())) bodies.push_back(std::move(body));
  }
  return bodies;
}

std::vector<std::string> lint_case_bodies(const std::vector<conformance::CaseInfo>& cases,
                                          const std::vector<CaseBody>& bodies) {
  std::vector<std::string> problems;
  std::map<std::string, const CaseBody*> first_with_body;
  std::set<std::string> found;
  for (const auto& body : bodies) {
    found.insert(body.id);
    auto [first, inserted] = first_with_body.emplace(body.text, &body);
    if (!inserted) {
      problems.push_back(body.where + ": case " + body.id + " has the same body as case " +
                         first->second->id + " (" + first->second->where +
                         "); one of them checks nothing new: remove it, or make it check what its ID says");
    }
  }
  for (const auto& info : cases) {
    if (found.count(info.id) == 0) {
      problems.push_back(where(info) + ": its body is not in the sources given to --sources");
    }
  }
  return problems;
}

std::string uncovered_list_text(const std::vector<std::string>& uncovered) {
  std::string text =
      "# MUST clauses of loop-testable tiers that no case checks yet.\n"
      "# Generated by `loopcert uncovered`; the lint (`loopcert lint --allow-uncovered\n"
      "# this-file`) fails on any uncovered clause missing here and on any entry that\n"
      "# is covered now: this list may only shrink.\n";
  for (const auto& id : uncovered) text += id + "\n";
  return text;
}

std::string coverage_markdown(const std::vector<conformance::CaseInfo>& cases, const Registry& registry) {
  auto covered = cases_by_clause(cases);
  std::map<std::string, std::pair<int, int>> by_tier;  // tier -> (MUST covered, MUST total)
  std::string rows;
  for (const Clause& clause : registry.clauses()) {
    if (!loop_testable(clause.tier)) continue;
    auto found = covered.find(clause.id);
    std::string list;
    if (found != covered.end()) {
      for (const auto& c : found->second) list += (list.empty() ? "" : "<br>") + ("`" + c + "`");
    } else {
      list = needs_a_case(clause) ? "**none**" : "none";
    }
    std::string level(level_name(clause.level));
    for (const auto& q : clause.qualifiers) level += " (" + q + ")";
    rows += "| " + clause.area + " | `" + clause.id + "` | " + level + " | " +
            std::string(tier_name(clause.tier)) + " | " + list + " |\n";
    if (needs_a_case(clause)) {
      auto& [done, total] = by_tier[std::string(tier_name(clause.tier))];
      ++total;
      done += found != covered.end() ? 1 : 0;
    }
  }
  std::string text =
      "# Conformance coverage\n\n"
      "Generated by `loopcert coverage > conformance/COVERAGE.md` from the clause registry\n"
      "(`spec/clauses.json`) and the kit's cases; never edit it by hand (a test checks it is\n"
      "up to date).\n\n"
      "Registry: " +
      registry.source() + ". Cases: " + std::to_string(cases.size()) + ".\n\n";
  text += "| Tier | MUST clauses with a case |\n|---|---|\n";
  for (const auto& [tier, counts] : by_tier) {
    text +=
        "| " + tier + " | " + std::to_string(counts.first) + " of " + std::to_string(counts.second) + " |\n";
  }
  text += "\n| Area | Clause | Level | Tier | Cases |\n|---|---|---|---|---|\n" + rows;
  return text;
}

}  // namespace loopcert
