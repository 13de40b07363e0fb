// The PORT argument of the echo examples: digits only, in range. std::stoi
// would take "80x" as 80, throw on "x" (an uncaught exception, so an abort)
// and, cast to 16 bits, turn 70000 into 4464.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

/// `text` as a TCP port from `lowest` (0 for a server: any free port) to
/// 65535, or nothing if it is anything else.
inline std::optional<std::uint16_t> parse_port(std::string_view text, unsigned lowest) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end || value < lowest || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}
