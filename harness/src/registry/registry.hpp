// The clause registry (spec/clauses.json), as loopcert reads it.
//
// The JSON is embedded into loopcert when it is built (clauses_json.cpp is
// generated from it), so the binary stands alone: a CI job that copies only
// loopcert and an adapter still knows every clause.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pep3156/capabilities.hpp"

namespace loopcert {

enum class Level { must, should, may };
enum class Tier {
  required,
  required_except_embedded,
  optional_io,
  optional_pipes,
  optional_signals,
  optional_all,
  policy,
  library,
  extra,
};

std::string_view level_name(Level level) noexcept;  // "MUST", "SHOULD", "MAY"
std::string_view tier_name(Tier tier) noexcept;     // "required", "optional-io", ...
std::optional<Tier> parse_tier(std::string_view name) noexcept;

/// The optional category a tier needs declared, if any.
std::optional<pep3156::Category> tier_category(Tier tier) noexcept;
/// Tiers whose clauses the kit asserts against a loop (all but `extra`).
bool loop_testable(Tier tier) noexcept;

struct Clause {
  std::string id;
  std::string area;
  std::string section;
  int line = 0;
  Level level = Level::must;
  std::vector<std::string> qualifiers;
  Tier tier = Tier::required;
  std::string statement;

  bool has_qualifier(std::string_view q) const;
};

class Registry {
 public:
  /// Parses the registry's JSON; throws std::runtime_error on a malformed one.
  static Registry parse(std::string_view json);
  /// The registry loopcert was built with.
  static const Registry& embedded();

  const std::vector<Clause>& clauses() const noexcept { return clauses_; }
  const Clause* find(std::string_view id) const;
  /// IDs the PEP makes normative but not black-box testable, and the seed
  /// draft's clauses the final PEP dropped: no case may assert them.
  bool is_untestable(std::string_view id) const { return untestable_.count(std::string(id)) > 0; }
  bool is_draft_only(std::string_view id) const { return draft_only_.count(std::string(id)) > 0; }
  const std::string& source() const noexcept { return source_; }
  int version() const noexcept { return version_; }

 private:
  std::vector<Clause> clauses_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::map<std::string, bool> untestable_;
  std::map<std::string, bool> draft_only_;
  std::string source_;
  int version_ = 0;
};

}  // namespace loopcert
