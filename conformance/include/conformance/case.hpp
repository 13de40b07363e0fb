// A conformance case: a stable ID, the clauses it checks, and a body.
//
//   LOOPCERT_CASE("callbacks.call_soon.fifo_order", clauses("LOOP-CALLSOON-FIFO")) {
//     auto loop = ctx.new_loop();
//     ...
//   }
//
// The ID is dotted and lower-case; its first segment is the case's suite
// ("callbacks"). It never changes once published: reports and expectation
// files refer to it. The clause IDs are the registry's (spec/clauses.json),
// as test262 cites its spec anchors: the case's level (MUST/SHOULD/MAY), its
// tier and the optional categories it needs all follow from them, so a case
// never restates them. The body receives the Context as `ctx`.
//
// Modifiers chain after clauses(...):
//   .needs(Category::ipv6)            a capability beyond what the tiers imply
//   .only_without(Category::signals)  runs only when the loop does NOT declare
//                                     the category (the NotImplementedError cases)
//   .tolerance()                      the case names only MAY clauses and asserts
//                                     that every allowed behaviour is accepted
//   .extension("D-ERR-6")             the case asserts a reading that goes beyond
//                                     the PEP's text (the decision says which):
//                                     advisory, reported as an extension
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "pep3156/capabilities.hpp"

namespace conformance {

class Context;
using CaseBody = void (*)(Context& ctx);

/// What a case declares: built by clauses(...) and its modifiers.
class CaseSpec {
 public:
  explicit CaseSpec(std::initializer_list<std::string_view> clause_ids) : clauses_(clause_ids) {}

  CaseSpec needs(pep3156::Category category) const {
    CaseSpec copy = *this;
    copy.needs_ = copy.needs_ | category;
    return copy;
  }
  CaseSpec only_without(pep3156::Category category) const {
    CaseSpec copy = *this;
    copy.only_without_ = copy.only_without_ | category;
    return copy;
  }
  CaseSpec tolerance() const {
    CaseSpec copy = *this;
    copy.tolerance_ = true;
    return copy;
  }
  CaseSpec extension(std::string_view decision) const {
    CaseSpec copy = *this;
    copy.extension_ = decision;
    return copy;
  }

  const std::vector<std::string_view>& clauses() const noexcept { return clauses_; }
  pep3156::Category needed() const noexcept { return needs_; }
  pep3156::Category only_without() const noexcept { return only_without_; }
  bool is_tolerance() const noexcept { return tolerance_; }
  /// The decision (spec/decisions.md) whose reading beyond the PEP's text
  /// the case asserts; empty for a case that asserts only the PEP's text.
  std::string_view extension() const noexcept { return extension_; }

 private:
  std::vector<std::string_view> clauses_;
  pep3156::Category needs_{};
  pep3156::Category only_without_{};
  bool tolerance_ = false;
  std::string_view extension_;
};

/// The clause IDs a case checks (at least one).
template <class... Ids>
CaseSpec clauses(Ids... ids) {
  return CaseSpec{std::string_view(ids)...};
}

struct CaseInfo {
  std::string id;
  CaseSpec spec;
  CaseBody body;
  const char* file;
  int line;

  /// The first segment of the ID: the report's "suite".
  std::string_view suite() const noexcept { return std::string_view(id).substr(0, id.find('.')); }
};

/// Every case linked into this program, in registration order (duplicates
/// included: the lint reports them).
const std::vector<CaseInfo>& registered_cases();

/// The case with this ID, or null.
const CaseInfo* find_case(std::string_view id);

/// Adds a case to registered_cases(); what LOOPCERT_CASE expands to.
struct CaseRegistrar {
  CaseRegistrar(const char* id, CaseSpec spec, CaseBody body, const char* file, int line);
};

}  // namespace conformance

#define LOOPCERT_CAT_(a, b) a##b
#define LOOPCERT_CAT(a, b) LOOPCERT_CAT_(a, b)
// `spec` is evaluated where clauses() needs no qualification.
#define LOOPCERT_CASE_(name, id, spec)                                      \
  static void name(::conformance::Context& ctx);                            \
  static const ::conformance::CaseRegistrar LOOPCERT_CAT(name, _registrar){ \
      id,                                                                   \
      [] {                                                                  \
        using ::conformance::clauses;                                       \
        return ::conformance::CaseSpec(spec);                               \
      }(),                                                                  \
      &name, __FILE__, __LINE__};                                           \
  static void name([[maybe_unused]] ::conformance::Context& ctx)

/// Defines and registers a case; the braces that follow are its body.
#define LOOPCERT_CASE(id, spec) LOOPCERT_CASE_(LOOPCERT_CAT(loopcert_case_, __COUNTER__), id, spec)
