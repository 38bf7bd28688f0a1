// The report fixture of the report readers' tests (verify, compare, html): a report of real runs,
// made in this process by the stress runner and read back as `bpstress verify` reads a file.
//
// Each pool runs 2 threads x 2000 ops of random65k with seed 42, which takes milliseconds. Tests
// that need another shape edit the Report before the runs (hold, notes) or the JSON after.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "tool/report/findings.h"
#include "tool/report/report.h"
#include "tool/report/report_reader.h"
#include "tool/run/run_spec.h"

namespace bp::testing {

// The report of real runs of `pools` (pool specs), rendered and parsed back. `edit` changes the
// Report before the pools run (its options are the runs' options). A spec that does not parse
// fails the calling test and yields null.
inline nlohmann::json RealReport(const std::vector<std::string>& pools,
                                 const std::function<void(Report&)>& edit = {}) {
  Report report;
  report.started_at = "2026-01-01T00:00:00Z";
  report.dist = "random65k";
  report.options.threads = 2;
  report.options.ops_per_thread = 2000;
  report.options.seed = 42;
  if (edit) edit(report);
  const Distribution dist = std::get<Distribution>(Distribution::Parse(report.dist));
  for (const std::string& name : pools) {
    std::string error;
    const auto spec = ParsePoolSpec(name, &error);
    EXPECT_TRUE(spec) << error;
    if (!spec) return {};
    report.pool_specs.push_back(spec->Canonical());
    report.pools.push_back(RunSpec(*spec, dist, report.options));
  }
  report.exit_code = 0;
  for (const PoolRun& p : report.pools) report.exit_code |= PoolPassed(p) ? 0 : 1;
  nlohmann::json j;
  std::string error;
  EXPECT_TRUE(ParseReport(RenderReport(report), &j, &error)) << error;
  return j;
}

// The findings' lines, one line each, to print beside a failed expectation.
inline std::string Lines(const Findings& f) {
  std::string out;
  for (const std::string& line : f.lines) out += line + "\n";
  return out;
}

}  // namespace bp::testing
