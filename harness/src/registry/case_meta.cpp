#include "registry/case_meta.hpp"

namespace loopcert {

namespace {
/// How strongly a tier constrains where a case runs; the case shows the
/// strongest of its clauses' tiers.
int tier_rank(Tier tier) {
  switch (tier) {
    case Tier::optional_io:
    case Tier::optional_pipes:
    case Tier::optional_signals:
      return 7;
    case Tier::required_except_embedded:
      return 6;
    case Tier::required:
      return 5;
    case Tier::optional_all:
      return 4;
    case Tier::policy:
      return 3;
    case Tier::library:
      return 2;
    case Tier::extra:
      return 1;
  }
  return 0;
}

/// MUST is the strongest level.
int level_rank(Level level) { return level == Level::must ? 3 : level == Level::should ? 2 : 1; }
}  // namespace

const std::vector<pep3156::Category>& all_categories() {
  using pep3156::Category;
  static const std::vector<Category> all{Category::io_callbacks, Category::pipes_subprocesses,
                                         Category::signals, Category::unix_sockets, Category::ipv6};
  return all;
}

std::string category_list(pep3156::Category set) {
  std::string list;
  for (pep3156::Category c : all_categories()) {
    if (!pep3156::has(set, c)) continue;
    if (!list.empty()) list += ",";
    list += pep3156::category_name(c);
  }
  return list;
}

CaseMeta describe_case(const conformance::CaseInfo& info, const Registry& registry) {
  CaseMeta meta;
  meta.info = &info;
  meta.needs = info.spec.needed();
  bool any_known = false;
  for (std::string_view id : info.spec.clauses()) {
    const Clause* clause = registry.find(id);
    if (clause == nullptr) {
      meta.unknown_clauses.emplace_back(id);
      continue;
    }
    if (!any_known || level_rank(clause->level) > level_rank(meta.level)) meta.level = clause->level;
    if (!any_known || tier_rank(clause->tier) > tier_rank(meta.tier)) meta.tier = clause->tier;
    any_known = true;
    if (clause->level == Level::must) meta.advisory = false;
    if (clause->tier == Tier::required_except_embedded) meta.exempt_if_embedded = true;
    if (auto category = tier_category(clause->tier)) meta.needs = meta.needs | *category;
  }
  // An extension asserts more than the PEP's text: never decisive.
  meta.extension = info.spec.extension();
  if (!meta.extension.empty()) meta.advisory = true;
  return meta;
}

std::optional<std::string> inapplicable_reason(const CaseMeta& meta,
                                               const pep3156::Capabilities& capabilities) {
  using pep3156::Category;
  const auto missing = static_cast<Category>(static_cast<std::uint32_t>(meta.needs) &
                                             ~static_cast<std::uint32_t>(capabilities.categories));
  const auto undeclared = static_cast<Category>(static_cast<std::uint32_t>(missing) &
                                                ~static_cast<std::uint32_t>(Category::ipv6));
  if (undeclared != Category{}) return "the loop does not declare " + category_list(undeclared);
  if (has(missing, Category::ipv6)) return "host: no IPv6 loopback";
  const auto present = static_cast<Category>(static_cast<std::uint32_t>(meta.info->spec.only_without()) &
                                             static_cast<std::uint32_t>(capabilities.categories));
  if (present != Category{}) {
    return "the loop declares " + category_list(present) + ", so the " + category_list(present) +
           " cases check those methods instead";
  }
  if (capabilities.embedded && meta.exempt_if_embedded) {
    return "embedded loops may leave starting, stopping and closing unimplemented (PEP 3156, "
           "\"Embedded Event Loops\")";
  }
  return std::nullopt;
}

}  // namespace loopcert
