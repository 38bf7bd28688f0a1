#include "tool/util/text_format.h"

#include <algorithm>
#include <cstdio>

namespace bp {

std::string FormatNumber(double v, const char* printf_format) {
  char out[64];
  std::snprintf(out, sizeof out, printf_format, v);
  return out;
}

std::string HumanRate(double per_s) {
  if (per_s >= 1e9) return FormatNumber(per_s / 1e9, "%.2fG");
  return RunRate(per_s);
}

std::string HumanNanos(double ns) {
  if (ns >= 1e9) return FormatNumber(ns / 1e9, "%.2fs");
  if (ns >= 1e6) return FormatNumber(ns / 1e6, "%.1fms");
  if (ns >= 1e3) return FormatNumber(ns / 1e3, "%.1fus");
  return FormatNumber(ns, "%.0fns");
}

std::string HumanPercent(double ratio) { return FormatNumber(100 * ratio, "%.1f%%"); }

std::string RunRate(double per_s) {
  if (per_s >= 1e6) return FormatNumber(per_s / 1e6, "%.2fM");
  if (per_s >= 1e3) return FormatNumber(per_s / 1e3, "%.1fK");
  return FormatNumber(per_s, "%.0f");
}

std::string RunNanos(uint64_t ns) {
  if (ns >= 1000000) return FormatNumber(static_cast<double>(ns) / 1e6, "%.1fms");
  if (ns >= 1000) return FormatNumber(static_cast<double>(ns) / 1e3, "%.1fus");
  return std::to_string(ns) + "ns";
}

std::string FormatBytes(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  if (u == 0) return std::to_string(bytes) + " B";
  return FormatNumber(v, "%.1f") + " " + kUnits[u];
}

size_t TextColumns(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string TextTable::Render() const {
  std::vector<size_t> width;
  for (const auto& row : rows_) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], TextColumns(row[i]));
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - TextColumns(row[i]), ' ');
      const bool left = i < left_.size() && left_[i];
      line += left ? row[i] + pad : pad + row[i];
      if (i + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace bp
