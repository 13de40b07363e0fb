// Integers in the JSON loopcert is given (reports for compare, the wire from
// a case process, the clause registry). nlohmann's get<int>() turns a
// number such as 1e300 into an integer with a static_cast, which is
// undefined behaviour out of range (found by harness/fuzz): a field that
// must be an integer is one that fits, or the input is refused.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace loopcert {

/// `value` as an Int; std::runtime_error naming `what` if it is not an
/// integer or does not fit.
template <class Int>
Int json_integer(const nlohmann::json& value, const std::string& what) {
  bool fits = value.is_number_unsigned()  ? std::in_range<Int>(value.get<std::uint64_t>())
              : value.is_number_integer() ? std::in_range<Int>(value.get<std::int64_t>())
                                          : false;
  if (!fits) throw std::runtime_error(what + " is not an integer in range: " + value.dump());
  return value.is_number_unsigned() ? static_cast<Int>(value.get<std::uint64_t>())
                                    : static_cast<Int>(value.get<std::int64_t>());
}

/// object.value(key, fallback) for an integer field.
template <class Int>
Int json_integer_or(const nlohmann::json& object, const std::string& key, Int fallback) {
  if (!object.is_object())
    throw std::runtime_error("'" + key + "' asked of a JSON value that is not an object");
  auto field = object.find(key);
  return field == object.end() ? fallback : json_integer<Int>(*field, key);
}

}  // namespace loopcert
