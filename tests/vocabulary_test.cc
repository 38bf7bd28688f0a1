// The vocabulary tables of tool/run/vocabulary.h: one row per enumerator, names unique, and the
// outcome classification that the runner, the report writer, verify, compare and hunt share.
#include "tool/run/vocabulary.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace bp {
namespace {

template <class Row, size_t N>
std::vector<std::string> Names(const Row (&rows)[N]) {
  std::vector<std::string> out;
  for (const Row& r : rows) out.push_back(r.name);
  return out;
}

// Rows in enumerator order, one per enumerator, each name once: NameIn never answers "?".
template <class Row, size_t N>
void ExpectOneRowPerValue(const Row (&rows)[N]) {
  std::set<std::string> seen;
  for (size_t i = 0; i < N; ++i) {
    EXPECT_EQ(static_cast<size_t>(rows[i].value), i) << rows[i].name;
    EXPECT_TRUE(seen.insert(rows[i].name).second) << rows[i].name;
    EXPECT_EQ(RowNamed(rows, rows[i].name), &rows[i]);
  }
}

TEST(VocabularyTest, EveryEnumeratorHasOneRow) {
  ExpectOneRowPerValue(kOutcomeRows);
  ExpectOneRowPerValue(kPhaseRows);
  ExpectOneRowPerValue(kTouchRows);
  ExpectOneRowPerValue(kCheckLevelRows);
  ExpectOneRowPerValue(kWorkloadRows);
  EXPECT_EQ(std::size(kOutcomeRows), static_cast<size_t>(Outcome::kSanitizer) + 1);
  EXPECT_EQ(std::size(kPhaseRows), static_cast<size_t>(Phase::kDone) + 1);
  EXPECT_EQ(std::size(kTouchRows), static_cast<size_t>(Touch::kEnds) + 1);
  EXPECT_EQ(std::size(kCheckLevelRows), static_cast<size_t>(CheckLevel::kFull) + 1);
  EXPECT_EQ(std::size(kWorkloadRows), static_cast<size_t>(Workload::kJson) + 1);
}

// The names are the report's and the command line's: changing one breaks old reports.
TEST(VocabularyTest, NamesAreTheDocumentedOnes) {
  EXPECT_EQ(Names(kOutcomeRows),
            (std::vector<std::string>{"ok", "violations", "hung", "interrupted", "limit", "crashed",
                                      "sanitizer"}));
  EXPECT_EQ(Names(kPhaseRows),
            (std::vector<std::string>{"create", "run", "drain", "destroy", "done"}));
  EXPECT_EQ(Names(kTouchRows), (std::vector<std::string>{"none", "head", "full", "ends"}));
  EXPECT_EQ(Names(kCheckLevelRows), (std::vector<std::string>{"none", "basic", "full"}));
  EXPECT_EQ(Names(kWorkloadRows), (std::vector<std::string>{"bytes", "json"}));
  EXPECT_STREQ(OutcomeName(Outcome::kHung), "hung");
  EXPECT_STREQ(PhaseName(Phase::kDrain), "drain");
  EXPECT_STREQ(TouchName(Touch::kEnds), "ends");
  EXPECT_STREQ(CheckLevelName(CheckLevel::kBasic), "basic");
  EXPECT_STREQ(WorkloadName(Workload::kJson), "json");
}

// Partial: the run did not finish (hung, crashed, sanitizer). Finding: a bug of the pool
// (violations and the partial ones). Limit: `run` exits 4 (hung, limit).
TEST(VocabularyTest, OutcomeClassification) {
  std::vector<std::string> partial, finding, limit;
  for (const OutcomeRow& r : kOutcomeRows) {
    if (r.partial) partial.push_back(r.name);
    if (r.finding) finding.push_back(r.name);
    if (r.limit) limit.push_back(r.name);
    EXPECT_EQ(IsPartial(r.value), r.partial);
    EXPECT_EQ(IsPartialOutcome(r.name), r.partial);
    EXPECT_EQ(IsFindingOutcome(r.name), r.finding);
    EXPECT_EQ(IsLimitOutcome(r.name), r.limit);
  }
  EXPECT_EQ(partial, (std::vector<std::string>{"hung", "crashed", "sanitizer"}));
  EXPECT_EQ(finding, (std::vector<std::string>{"violations", "hung", "crashed", "sanitizer"}));
  EXPECT_EQ(limit, (std::vector<std::string>{"hung", "limit"}));
  // A hunt trial's own words are no outcome of a pool.
  for (const char* word : {"clean", "error", "misuse_fault", ""}) {
    EXPECT_FALSE(IsPartialOutcome(word) || IsFindingOutcome(word) || IsLimitOutcome(word)) << word;
  }
}

}  // namespace
}  // namespace bp
