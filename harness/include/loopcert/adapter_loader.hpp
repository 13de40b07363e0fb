// Finding the loop under test: in a shared library named with --adapter
// (dlopen + the pep3156_adapters() entry point), or in the AdapterList a
// project passes to loopcert::run(), and one of its loops by --loop NAME.
// Public, because the benchmarks (bench/loopbench) find their loop the same
// way. Errors are loopcert's UsageError, a std::runtime_error.
#pragma once

#include <string>

#include "pep3156/adapter.hpp"

namespace loopcert {

/// The coarsest clock_resolution an adapter may declare (decision D-CB-2):
/// a system timer tick (Windows' 15.6 ms) fits, while the kit's 100 ms
/// timers still show a loop early by more than a fifth of their delay.
inline constexpr double kMaxClockResolution = 0.02;

/// Loads LIB.so (a name without a slash: from the current directory when
/// it is there, else from the dynamic linker's search path) and returns its
/// list, checked against this kit's contract version. The library stays loaded for the life of the process.
/// Throws UsageError with a message that says what to do.
const pep3156::AdapterList& load_adapter_library(const std::string& path);

/// Checks the list's and each adapter's contract version, name, make_loop
/// and declared clock resolution (at most kMaxClockResolution); throws
/// UsageError.
void check_contract(const pep3156::AdapterList& list, const std::string& where);

/// The adapter named `name`, or the only one if `name` is empty; throws
/// UsageError listing the names otherwise.
const pep3156::Adapter& select_adapter(const pep3156::AdapterList& list, const std::string& name,
                                       const std::string& where);

}  // namespace loopcert
