// Everything a case file needs: the case macro, the Context, the checks,
// the fixtures, and the contract it is written against (spec/ only).
#pragma once

#include "conformance/case.hpp"
#include "conformance/check.hpp"
#include "conformance/context.hpp"
#include "conformance/fixtures.hpp"
#include "conformance/helpers.hpp"
#include "pep3156/pep3156.hpp"
