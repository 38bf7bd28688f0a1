#include "tool/util/text_format.h"

#include <gtest/gtest.h>

namespace bp {
namespace {

TEST(TextFormat, HumanRateUnits) {
  EXPECT_EQ(HumanRate(950), "950");
  EXPECT_EQ(HumanRate(1500), "1.5K");
  EXPECT_EQ(HumanRate(1.25e6), "1.25M");
  EXPECT_EQ(HumanRate(2e9), "2.00G");
}

TEST(TextFormat, HumanNanosUnits) {
  EXPECT_EQ(HumanNanos(623), "623ns");
  EXPECT_EQ(HumanNanos(1500), "1.5us");
  EXPECT_EQ(HumanNanos(2e6), "2.0ms");
  EXPECT_EQ(HumanNanos(1.25e9), "1.25s");
}

TEST(TextFormat, HumanPercent) {
  EXPECT_EQ(HumanPercent(0.25), "25.0%");
  EXPECT_EQ(HumanPercent(1), "100.0%");
}

// The run table's spellings agree with the report tools' below 1e9 and have no larger unit.
TEST(TextFormat, RunSpellingsStopAtMegaAndMillis) {
  EXPECT_EQ(RunRate(950), "950");
  EXPECT_EQ(RunRate(178300), "178.3K");
  EXPECT_EQ(RunRate(2e9), "2000.00M");
  EXPECT_EQ(RunNanos(20), "20ns");
  EXPECT_EQ(RunNanos(5900), "5.9us");
  EXPECT_EQ(RunNanos(1500000000), "1500.0ms");
  for (double v : {0.0, 999.0, 1000.0, 123456.0, 999999.0, 1e6, 7.5e8}) {
    EXPECT_EQ(RunRate(v), HumanRate(v)) << v;
    EXPECT_EQ(RunNanos(static_cast<uint64_t>(v)), HumanNanos(v)) << v;
  }
}

TEST(TextFormat, Bytes) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(uint64_t{7} << 20), "7.0 MiB");
  EXPECT_EQ(FormatBytes(uint64_t{3} << 30), "3.0 GiB");
  EXPECT_EQ(FormatBytes(uint64_t{5} << 40), "5.0 TiB");
}

TEST(TextFormat, ColumnsCountCharactersNotBytes) {
  EXPECT_EQ(TextColumns("abc"), 3u);
  EXPECT_EQ(TextColumns("1.2K ± 3"), 8u);
}

TEST(TextFormat, TableAlignsNamesLeftNumbersRightAndTrimsLines) {
  TextTable table({true, false, true});
  table.AddRow({"pool", "ops/s", "verdict"});
  table.AddRow({"sized", "1.2K ± 30", "pass"});
  table.AddRow({"x", "5", ""});
  EXPECT_EQ(table.Render(),
            "pool       ops/s  verdict\n"
            "sized  1.2K ± 30  pass\n"
            "x              5\n");
}

}  // namespace
}  // namespace bp
