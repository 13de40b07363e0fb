// What a loop declares about itself, statically, so the conformance kit
// knows which clauses apply before it calls anything (clauses-summary U12).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pep3156 {

/// The PEP's optional categories, and the environment-dependent features
/// the kit must know about. A bit set.
enum class Category : std::uint32_t {
  io_callbacks = 1u << 0,        // add_reader/remove_reader/add_writer/remove_writer (O-IO)
  pipes_subprocesses = 1u << 1,  // connect_*_pipe, subprocess_* (O-PIPE)
  signals = 1u << 2,             // add_signal_handler/remove_signal_handler (O-SIG)
  unix_sockets = 1u << 3,        // UNIX-domain create_unix_connection/_server (extension)
  ipv6 = 1u << 4,                // the host has IPv6 loopback: probed by loopcert, never declared
};

constexpr Category operator|(Category a, Category b) noexcept {
  return static_cast<Category>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
constexpr bool has(Category set, Category one) noexcept {
  return (static_cast<std::uint32_t>(set) & static_cast<std::uint32_t>(one)) != 0;
}

/// Names used on loopcert's command line and in reports.
std::string_view category_name(Category one) noexcept;

struct Capabilities {
  /// The optional categories the loop implements; the others raise
  /// NotImplementedError (PEP 3156, "Event Loop Methods Overview").
  Category categories{};
  /// An embedded loop (PEP 3156, "Embedded Event Loops"): run_forever,
  /// run_until_complete, stop and close may be unimplemented, and
  /// is_running() may always be true. Makes the verdict "partially
  /// conforming" at best.
  bool embedded = false;
  /// The granularity of time() and of timer deadlines, in seconds: the only
  /// tolerance the kit grants a timer that fires before its deadline
  /// (decision D-CB-2).
  double clock_resolution = 1e-9;
};

}  // namespace pep3156
