// `loopcert run`: select cases, run them in processes, judge, report.
#pragma once

#include <string>
#include <vector>

#include "command/options.hpp"
#include "pep3156/adapter.hpp"
#include "registry/host.hpp"
#include "running/process_pool.hpp"
#include "running/results.hpp"

namespace loopcert {

/// The cases the filters select, in ID order. Throws UsageError for an
/// unknown tier or if nothing matches.
std::vector<CaseMeta> select_cases(const Options& options, const Registry& registry);

/// Turns what a case process left behind into the case's outcome.
void judge(CaseRun& run, const ChildOutcome& child, double timeout_seconds);

/// `child_command`: how to start one case process (the pool appends
/// --run-one and --result-fd; the results come on its stdout with
/// --runner). `host`: what the host where the cases run offers. Returns
/// the exit status.
int run_kit(const Options& options, const pep3156::Adapter& adapter, const std::string& library,
            std::vector<std::string> child_command, const HostProperties& host);

}  // namespace loopcert
