// Bytes: the PEP's `bytes` objects as C++ spans and vectors.
//
// Data handed to a protocol (data_received(), datagram_received(),
// pipe_data_received()) is a BytesView valid only for the duration of the
// call: copy what you keep (decision D-PROTO-4). Data passed to write() and
// sendto() is copied into the transport before the call returns, so the
// caller's buffer may be reused at once.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pep3156 {

using Bytes = std::vector<std::byte>;
using BytesView = std::span<const std::byte>;

inline BytesView as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

inline Bytes to_bytes(std::string_view text) {
  auto view = as_bytes(text);
  return Bytes(view.begin(), view.end());
}

inline std::string_view as_text(BytesView data) noexcept {
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

inline std::string to_string(BytesView data) { return std::string(as_text(data)); }

}  // namespace pep3156
