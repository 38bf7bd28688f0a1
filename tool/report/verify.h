// `bpstress verify`: what a stress report ("bpstress-report/1", tool/report/report.cc) must
// satisfy.
//
// VerifyReport checks, and records one finding per check:
//   schema     every required field present with its type; numbers finite and non-negative;
//              unknown fields allowed; outcomes and verdicts from their closed sets.
//   identities per pool: gets == hits + misses, pool_gets == gets, pool_puts == puts (when the
//              pool keeps counters); gets == puts + outstanding; outstanding == 0 unless the run
//              was interrupted; ops == gets + refused; the threads sum to the pool totals (the
//              pool's leak count may exceed the threads' sum: leaks are found after join);
//              latency percentiles monotone; capacity histogram sums to gets over strictly
//              increasing powers of two; bytes_capacity >= bytes_requested when capacity is
//              promised; hit_rate, waste_ratio and ops_per_s agree with their operands.
//   verdicts   a pool passes iff its outcome is "ok" and no failure detector fired; the report
//              passes iff exit_code is 0 and every pool passed; exit_code is 130 iff interrupted.
//              A report whose verdict is "fail" fails verification: CI gates on this.
// Pools with a partial outcome ("hung", "crashed", "sanitizer") are only type-checked, and their
// verdict must be "fail". Thresholds and the baseline gate (tool/report/compare.h) add findings to
// the same Findings.
//
// Thread safety: pure functions over a JSON value the caller owns.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tool/report/findings.h"
#include "tool/run/vocabulary.h"  // IsPartialOutcome: pools that carry partial data

namespace bp {

// Adds the schema, identity and verdict findings of `report` (parsed by ParseReport, so a JSON
// object with the right schema; anything else is reported, never thrown) to *findings.
void VerifyReport(const nlohmann::json& report, Findings* findings);

// The summary line: "verify: NAME: 12 checks passed, 1 failed".
std::string SummaryLine(std::string_view name, const Findings& findings);

}  // namespace bp
