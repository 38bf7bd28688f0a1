// Text for people: numbers with units (rates, durations, bytes, percentages) and tables aligned
// in columns, as the run table, `bpstress compare`, hunt and the HTML report print them. Parsing
// what users type is base/units.h.
//
// Thread safety: pure functions. Nothing throws but std::bad_alloc.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bp {

// One number through a printf format with one double conversion ("%.1f%%"): 64 bytes at most.
std::string FormatNumber(double v, const char* printf_format);

// Reports and charts (compare, verify, the HTML report): 950, 1.5K, 1.25M, 2.00G.
std::string HumanRate(double per_s);
// Reports and charts: 623ns, 1.5us, 2.0ms, 1.25s.
std::string HumanNanos(double ns);
// 0.25 -> "25.0%".
std::string HumanPercent(double ratio);

// The run table and its progress line. These two print what HumanRate and HumanNanos print
// below 1e9 (1e9 ops/s, 1 s), but have no larger unit: a rate of 2e9 is "2000.00M", a latency of
// 1.5 s "1500.0ms". They are kept apart so that the run table reads as it always has, whereas
// the report tools moved to G and s.
std::string RunRate(double per_s);
std::string RunNanos(uint64_t ns);

// 1536 -> "1.5 KiB" (binary units, B to TiB).
std::string FormatBytes(uint64_t bytes);

// Terminal columns of UTF-8 text ("±" is two bytes, one column).
size_t TextColumns(const std::string& s);

// Rows of cells printed in aligned columns: each column as wide as its widest cell (in terminal
// columns), two spaces between columns, trailing spaces trimmed, one line per row ending in '\n'.
// Cells are right-aligned (numbers) unless their column is in `left_aligned` (names).
class TextTable {
 public:
  explicit TextTable(std::vector<bool> left_aligned) : left_(std::move(left_aligned)) {}
  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  std::string Render() const;

 private:
  std::vector<bool> left_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace bp
