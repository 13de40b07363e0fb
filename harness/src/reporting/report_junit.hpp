// JUnit XML from the same results as the CTRF report, for CI systems that
// read only JUnit. The mapping is spec/schema/junit.md: one <testsuite> per
// case suite (in the order of the report), one <testcase> per case; FAIL,
// TIMEOUT and CRASH are <failure>s, UNRESOLVED an <error>, UNSUPPORTED
// <skipped>; a QUALITY_WARNING's message and figures go to <system-out>.
#pragma once

#include <string>
#include <string_view>

#include "reporting/run_record.hpp"

namespace loopcert {

std::string junit_report(const RunRecord& record);

/// Escapes text for XML 1.0: control characters it cannot carry are
/// dropped, bytes that are not valid UTF-8 become U+FFFD.
std::string xml_escape(std::string_view text);

}  // namespace loopcert
