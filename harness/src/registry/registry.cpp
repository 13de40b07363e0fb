#include "registry/registry.hpp"

#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "json_integer.hpp"
#include "registry/clauses_json.hpp"

namespace loopcert {

namespace {
constexpr std::array<std::pair<Tier, std::string_view>, 9> kTiers{{
    {Tier::required, "required"},
    {Tier::required_except_embedded, "required-except-embedded"},
    {Tier::optional_io, "optional-io"},
    {Tier::optional_pipes, "optional-pipes"},
    {Tier::optional_signals, "optional-signals"},
    {Tier::optional_all, "optional-all"},
    {Tier::policy, "policy"},
    {Tier::library, "library"},
    {Tier::extra, "extra"},
}};

Level parse_level(const std::string& name, const std::string& id) {
  if (name == "MUST") return Level::must;
  if (name == "SHOULD") return Level::should;
  if (name == "MAY") return Level::may;
  throw std::runtime_error("clause " + id + ": unknown level '" + name + "'");
}

Clause parse_clause(const nlohmann::json& j) {
  Clause c;
  c.id = j.at("id").get<std::string>();
  c.area = j.value("area", "");
  c.section = j.value("section", "");
  c.line = json_integer_or(j, "line", 0);
  c.level = parse_level(j.at("level").get<std::string>(), c.id);
  c.qualifiers = j.value("qualifiers", std::vector<std::string>{});
  auto tier = parse_tier(j.at("tier").get<std::string>());
  if (!tier) throw std::runtime_error("clause " + c.id + ": unknown tier '" + j.at("tier").dump() + "'");
  c.tier = *tier;
  c.statement = j.value("statement", "");
  return c;
}
}  // namespace

std::string_view level_name(Level level) noexcept {
  switch (level) {
    case Level::must:
      return "MUST";
    case Level::should:
      return "SHOULD";
    case Level::may:
      return "MAY";
  }
  return "?";
}

std::string_view tier_name(Tier tier) noexcept {
  for (const auto& [value, name] : kTiers) {
    if (value == tier) return name;
  }
  return "?";
}

std::optional<Tier> parse_tier(std::string_view name) noexcept {
  for (const auto& [value, known] : kTiers) {
    if (known == name) return value;
  }
  return std::nullopt;
}

std::optional<pep3156::Category> tier_category(Tier tier) noexcept {
  switch (tier) {
    case Tier::optional_io:
      return pep3156::Category::io_callbacks;
    case Tier::optional_pipes:
      return pep3156::Category::pipes_subprocesses;
    case Tier::optional_signals:
      return pep3156::Category::signals;
    default:
      return std::nullopt;
  }
}

bool loop_testable(Tier tier) noexcept { return tier != Tier::extra; }

bool Clause::has_qualifier(std::string_view q) const {
  for (const auto& mine : qualifiers) {
    if (mine == q) return true;
  }
  return false;
}

Registry Registry::parse(std::string_view json) {
  nlohmann::json doc = nlohmann::json::parse(json);
  Registry r;
  r.version_ = json_integer_or(doc, "version", 0);
  r.source_ = doc.value("source", "");
  for (const auto& j : doc.at("clauses")) {
    Clause c = parse_clause(j);
    if (r.index_.count(c.id) > 0)
      throw std::runtime_error("clause " + c.id + " appears twice in the registry");
    r.index_.emplace(c.id, r.clauses_.size());
    r.clauses_.push_back(std::move(c));
  }
  for (const auto& j : doc.value("untestable", nlohmann::json::array())) {
    r.untestable_[j.at("id").get<std::string>()] = true;
  }
  for (const auto& j : doc.value("draft_only", nlohmann::json::array())) {
    r.draft_only_[j.at("id").get<std::string>()] = true;
  }
  return r;
}

const Registry& Registry::embedded() {
  static const Registry registry = parse(embedded_clauses_json());
  return registry;
}

const Clause* Registry::find(std::string_view id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &clauses_[it->second];
}

}  // namespace loopcert
