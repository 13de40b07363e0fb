// The case process: `loopcert --run-one CASE --result-fd N ...` runs one
// case against one adapter and reports over fd N (see wire.hpp).
#pragma once

#include <string_view>

#include "pep3156/adapter.hpp"

namespace loopcert {

/// Runs the case; returns the process's exit status (0 once a result was
/// reported, 2 if there is no such case).
int run_one_case(std::string_view case_id, const pep3156::Adapter& adapter, double watchdog_seconds,
                 int result_fd);

}  // namespace loopcert
