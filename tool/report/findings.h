// Findings: what a run of checks found (verify, the baseline gate, contract checks), as FAIL and
// note lines in order with pass/fail counts for the summary line.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace bp {

// What a check run found: FAIL and note lines in order, and the counts for the summary line.
struct Findings {
  std::vector<std::string> lines;  // "FAIL ..." or "note: ..."
  size_t passed = 0;
  size_t failed = 0;
  // Every check in order, what it checked (the failure message when it failed) and whether it
  // passed: the test cases of `verify --format junit`.
  struct Result {
    std::string what;
    bool ok;
  };
  std::vector<Result> checks;

  void Pass(std::string what = "check") {
    ++passed;
    checks.push_back({std::move(what), true});
  }
  void Fail(std::string what) {
    ++failed;
    checks.push_back({what, false});
    lines.push_back("FAIL " + std::move(what));
  }
  void Note(std::string what) { lines.push_back("note: " + std::move(what)); }
  // Records one check: passes when `ok`, else fails with `what`.
  void Check(bool ok, const std::string& what) { ok ? Pass(what) : Fail(what); }
};

}  // namespace bp
