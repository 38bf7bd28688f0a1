// PoolRun's one field list (PoolRun::Fields): MergeRepeats applies every field's rule, the report
// writes every field, and a pool run several times keeps its hunt record.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/pool_run_sample.h"
#include "tests/support/subprocess.h"
#include "tool/report/report.h"

namespace bp {
namespace {

// Every field of a merge of two repeats follows its rule: First from the first repeat, Worst from
// the worst one, sums and maxima, nothing PerRepeat, and the hunt phases of both.
TEST(MergeRepeats, EveryFieldFollowsItsRule) {
  PoolRun a = testing::FullRun(), b = testing::FullRun();
  a.outcome = Outcome::kOk;
  a.hunt = {.ran = true, .found = false, .seconds = 0.1, .ops = 5, .preemptions = 1};
  b.name = "other";
  b.seconds = 2;
  b.peak_rss_bytes = 1;
  b.outcome = Outcome::kCrashed;
  const PoolRun m = MergeRepeats({a, b});
  EXPECT_EQ(m.name, a.name);
  EXPECT_EQ(m.outcome, Outcome::kCrashed);
  EXPECT_EQ(m.crash_frames, b.crash_frames);
  EXPECT_EQ(m.seconds, a.seconds + b.seconds);
  EXPECT_EQ(m.outstanding, a.outstanding + b.outstanding);
  EXPECT_EQ(m.peak_rss_bytes, a.peak_rss_bytes);
  EXPECT_EQ(m.total.ops, a.total.ops + b.total.ops);
  EXPECT_EQ(m.total.seconds, a.total.seconds + b.total.seconds);
  EXPECT_EQ(m.threads.size(), a.threads.size());
  EXPECT_EQ(m.threads[0].ops, a.threads[0].ops + b.threads[0].ops);
  EXPECT_EQ(m.stats.gets, a.stats.gets + b.stats.gets);
  EXPECT_TRUE(m.timeline.empty());  // each repeat's own, in Report::repeats
  EXPECT_TRUE(m.hunt.ran);
  EXPECT_TRUE(m.hunt.found);
  EXPECT_EQ(m.hunt.ops, a.hunt.ops + b.hunt.ops);
  EXPECT_EQ(m.hunt.preemptions, a.hunt.preemptions + b.hunt.preemptions);
  // One repeat is itself.
  EXPECT_TRUE(MergeRepeats({b}) == b);
}

// Fails on the code before the field list: MergeRepeats never copied `hunt`.
TEST(MergeRepeats, KeepsTheHuntRecord) {
  PoolRun found = testing::SampleRun(), clean = testing::SampleRun();
  found.hunt = {.ran = true,
                .found = true,
                .seconds = 0.2,
                .ops = 7,
                .preemptions = 3,
                .preempt_rate = 20000};
  clean.outcome = Outcome::kOk;
  clean.hunt = {.ran = true, .seconds = 0.2, .ops = 9, .preemptions = 4, .preempt_rate = 20000};
  for (const auto& repeats : {std::vector<PoolRun>{found, clean}, {clean, found}}) {
    const PoolRun m = MergeRepeats(repeats);
    EXPECT_TRUE(m.hunt.ran);
    EXPECT_TRUE(m.hunt.found);
    EXPECT_EQ(m.hunt.ops, 16u);
    EXPECT_EQ(m.hunt.preempt_rate, 20000);
  }
}

// The report writes every field: setting any one field of a blank run to FullRun's value changes
// the JSON. (A crashed outcome, so that the crash record and stderr are written, and a known fault
// address for fault_address.)
TEST(Report, WritesEveryField) {
  Report blank;
  blank.pools.emplace_back();
  blank.pools[0].outcome = Outcome::kCrashed;
  const std::string base = RenderReport(blank);
  ASSERT_FALSE(base.empty());
  const PoolRun full = testing::FullRun();
  PoolRun::Fields([&](const char* name, auto member, auto) {
    Report one = blank;
    one.pools[0].*member = full.*member;
    // The address is shown where there is one.
    if (std::string(name) == "fault_address") one.pools[0].has_fault_address = true;
    // Leak sites are shown with the counted evidence they belong to.
    if (std::string(name) == "leak_sites") one.pools[0].leak_count = full.leak_count;
    EXPECT_TRUE(RenderReport(one) != base) << "the report does not show PoolRun::" << name;
  });
}

// A faulty pool whose hunt phase finds its bug, run twice: the merged report keeps the hunt
// record, the table its hunt line, and verify fails the report. Fails on the code before the
// field list (no "hunt" in the merged pool, no hunt line).
TEST(RepeatCli, KeepsTheHuntFindingAndVerifyFails) {
  const std::string report = testing::TempPath("hunt-repeat.json");
  const testing::ProcessResult run =
      testing::Run(BPSTRESS_EXE, {"run", "--pool", "faulty:short-capacity", "--threads", "4",
                                  "--duration", "300ms", "--seed", "3", "--repeat", "2", "--warmup",
                                  "0ms", "--progress", "never", "--report", report});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.out.find("hunt phase"), std::string::npos) << run.out;
  const nlohmann::json j = nlohmann::json::parse(testing::ReadFile(report));
  const nlohmann::json& pool = j.at("pools").at(0);
  ASSERT_TRUE(pool.contains("hunt")) << pool.dump();
  EXPECT_TRUE(pool.at("hunt").at("found").get<bool>());
  EXPECT_EQ(pool.at("verdict"), "fail");
  const testing::ProcessResult verify = testing::Run(BPSTRESS_EXE, {"verify", report});
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  unlink(report.c_str());
}

}  // namespace
}  // namespace bp
