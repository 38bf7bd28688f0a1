// `bpstress verify` of a hunt report ("bpstress-hunt/1", tool/cli/hunt.cc; fields in the README).
//
// Checks, one finding each: every required field with its type; outcomes and `stopped` from
// their closed sets; trials_run == the number of trials, indexes 0, 1, ...; every trial's
// reproduce line is `bpstress` and its args, shell-quoted; findings == the number of trials whose
// outcome is a finding (violations, crashed, sanitizer, hung), at most one and only in the last
// trial; stopped, exit_code and reproduce agree with it (finding: exit 1 and the last trial's
// line; budget: exit 0 and null; interrupted: 130). A hunt that found something fails
// verification, as a failed run's report does.
//
// Thread safety: pure function over a JSON value the caller owns.
#pragma once

#include <nlohmann/json.hpp>

#include "tool/report/findings.h"

namespace bp {

inline constexpr const char kHuntReportSchema[] = "bpstress-hunt/1";

void VerifyHuntReport(const nlohmann::json& report, Findings* findings);

}  // namespace bp
