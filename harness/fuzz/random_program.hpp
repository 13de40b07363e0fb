// A stateful random-operation test of an event loop: a byte string read as
// a program of loop operations (call_soon, call_later, call_at, cancel,
// call_soon_threadsafe from a second thread, stop, run_forever, add_reader
// and remove_reader on a pipe, and waits), run on the loop through the
// contract alone and judged by LoopModel (loop_model.hpp). The same program
// comes from a seed in loop_model_test and from libFuzzer's bytes in
// fuzz_loop_model.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pep3156/event_loop.hpp"

namespace loopcert::fuzz {

struct ProgramLimits {
  /// The loop's declared Capabilities::clock_resolution.
  double clock_resolution = 1e-9;
  /// The loop declares Category::io_callbacks: the program uses add_reader().
  bool io_callbacks = true;
  /// Safety net: how long (wall clock) the loop gets, once the program is
  /// over, to run what is still due; a lost callback makes it run out.
  double drain_seconds = 5.0;
};

/// Runs `program` on `loop` (fresh, not running; left unclosed) and returns
/// the violations of the model, each naming its clause.
std::vector<std::string> run_random_program(pep3156::AbstractEventLoop& loop,
                                            std::span<const std::uint8_t> program,
                                            const ProgramLimits& limits);

/// `operations` pseudo-random program bytes from `seed` (std::mt19937).
std::vector<std::uint8_t> program_from_seed(std::uint32_t seed, std::size_t operations);

}  // namespace loopcert::fuzz
