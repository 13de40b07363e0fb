// The CTRF JSON report (https://ctrf.io; shape: spec/schema/report.schema.json),
// which CI tools read as it is. loopcert's own findings (verdict, clauses,
// latency) live under results.extra.loopcert; each case's level, tier and
// latency under its test's extra.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "reporting/run_record.hpp"

namespace loopcert {

/// The kit's version, as reports name it.
inline constexpr std::string_view kLoopcertVersion = "0.1.0";

/// CTRF's status for a raw outcome: PASS and QUALITY_WARNING pass; FAIL,
/// TIMEOUT and CRASH fail; UNSUPPORTED is skipped; UNRESOLVED is other.
std::string_view ctrf_status(conformance::Outcome outcome) noexcept;

nlohmann::json ctrf_report(const RunRecord& record);

/// A case's name in the reports: its ID and the loop it ran on, so that the
/// reports of several loops merge without two tests of one name, e.g.
/// "callbacks.call_soon.fifo_order [loopcert_reference_adapter/epoll]" (the
/// adapter library's name without "lib" and ".so", then the loop; the loop
/// alone on the static route). The ID itself is the test's extra.caseId.
std::string test_name(const AdapterInfo& adapter, std::string_view case_id);

/// The case's "trace": every failed check when there were several, then the
/// tail of what the case process printed. Empty if there is neither.
std::string case_trace(const CaseRun& run);

/// "2026-11-22T01:00:00Z".
std::string iso8601_utc(std::int64_t epoch_ms);

/// Writes JSON to `path` as write_report_file() does; throws
/// std::runtime_error.
void write_json_file(const std::string& path, const nlohmann::json& document);

}  // namespace loopcert
