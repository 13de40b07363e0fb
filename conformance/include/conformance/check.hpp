// The checks a case writes. Each records the file and line of the check,
// the expression, and a message that says what the PEP expects:
//
//   CHECK_THAT(order == expected, "call_soon callbacks run in registration order");
//   REQUIRE_THAT(handle, "call_soon returns a Handle");   // ends the case on failure
//   CHECK_EQUAL(calls, 1, "call_later runs its callback exactly once");
//
// They work anywhere in the case process: in the body, in helpers, in loop
// callbacks, and on other threads. A failed REQUIRE_* inside a loop callback
// ends the case too: it throws a type no loop catches as an ordinary
// callback error, and the failure is recorded before it is thrown.
#pragma once

#include <ostream>
#include <source_location>
#include <string>
#include <string_view>

#include "conformance/context.hpp"

namespace conformance::detail {

template <class T>
concept Streamable = requires(std::ostream& out, const T& value) {
  out << value;
};

/// Checks actual == expected; the message gains "(expected X, got Y)" when
/// both sides print.
template <class A, class E>
bool check_equal(const A& actual, const E& expected, std::string_view expression, std::string_view message,
                 bool required, std::source_location where) {
  bool equal = actual == expected;
  std::string full(message);
  if constexpr (Streamable<A> && Streamable<E>) {
    if (!equal) full += str(" (expected ", expected, ", got ", actual, ")");
  }
  Context& ctx = Context::current();
  if (required) {
    ctx.require(equal, expression, full, where);
    return true;
  }
  return ctx.check(equal, expression, full, where);
}

}  // namespace conformance::detail

#define CHECK_THAT(condition, message) \
  ::conformance::Context::current().check(static_cast<bool>(condition), #condition, (message))

#define REQUIRE_THAT(condition, message) \
  ::conformance::Context::current().require(static_cast<bool>(condition), #condition, (message))

#define CHECK_EQUAL(actual, expected, message)                                                         \
  ::conformance::detail::check_equal((actual), (expected), #actual " == " #expected, (message), false, \
                                     std::source_location::current())

#define REQUIRE_EQUAL(actual, expected, message)                                                      \
  ::conformance::detail::check_equal((actual), (expected), #actual " == " #expected, (message), true, \
                                     std::source_location::current())
