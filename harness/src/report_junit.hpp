// JUnit XML from the same results as the CTRF report, for CI systems that
// read only JUnit: one <testsuite> per case suite, one <testcase> per case.
// FAIL is a <failure>; TIMEOUT, CRASH and UNRESOLVED are <error>s (the
// case could not complete); UNSUPPORTED is <skipped>.
#pragma once

#include <string>

#include "run_record.hpp"

namespace loopcert {

std::string junit_report(const RunRecord& record);

/// Escapes text for XML, replacing characters XML 1.0 cannot carry.
std::string xml_escape(std::string_view text);

}  // namespace loopcert
