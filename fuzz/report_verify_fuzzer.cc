// Property: whatever bytes `bpstress verify` is given as a report, reading and checking them
// returns normally — no crash, no uncaught exception, no unbounded recursion — with a coherent
// result: either a one-line refusal, or findings whose FAIL lines match the failure count and
// carry no control bytes; a report held against itself as baseline never regresses; and the
// HTML page and comparison table of an accepted report carry no raw markup or terminal control
// bytes from the input. Any violation aborts.
//
// Input: the report text itself (JSON, or anything else).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "tool/report/compare.h"
#include "tool/report/html_report.h"
#include "tool/report/report_reader.h"
#include "tool/report/verify.h"

namespace {

bool HasControlBytes(std::string_view text, bool allow_newline) {
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && !(allow_newline && c == '\n')) || u == 0x7f) return true;
  }
  return false;
}

void CheckFindings(const bp::Findings& f) {
  size_t fails = 0;
  for (const std::string& line : f.lines) {
    const bool fail = line.rfind("FAIL ", 0) == 0;
    FUZZ_CHECK(fail || line.rfind("note: ", 0) == 0);
    FUZZ_CHECK(!HasControlBytes(line, false));
    fails += fail;
  }
  FUZZ_CHECK(fails == f.failed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json report;
  std::string error;
  if (!bp::ParseReport(text, &report, &error)) {
    FUZZ_CHECK(!error.empty());
    FUZZ_CHECK(!HasControlBytes(error, false));
    return 0;
  }
  FUZZ_CHECK(report.is_object());

  bp::Findings findings;
  bp::VerifyReport(report, &findings);
  CheckFindings(findings);

  bp::Thresholds thresholds;
  thresholds.min_ops_per_sec = 1;
  thresholds.max_p99_ns = 1000;
  thresholds.max_waste = 0.5;
  thresholds.min_hit_rate = 0.5;
  thresholds.max_rss_bytes = 1 << 20;
  bp::Findings bounds;
  bp::CheckThresholds(report, thresholds, &bounds);
  CheckFindings(bounds);

  bp::Findings self;
  bp::CheckBaseline(report, report, 0.0, {}, &self);
  CheckFindings(self);
  FUZZ_CHECK(self.failed == 0);

  const std::string html = bp::RenderHtmlReport(report, "fuzz.json");
  FUZZ_CHECK(html.find("<script") == std::string::npos);
  FUZZ_CHECK(html.find("<SCRIPT") == std::string::npos);
  FUZZ_CHECK(html.find("http:") == std::string::npos || text.find("http:") != std::string::npos);

  const std::string table = bp::CompareTable({{"a", report}, {"b", report}});
  FUZZ_CHECK(!HasControlBytes(table, true));
  return 0;
}
