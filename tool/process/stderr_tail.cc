#include "tool/process/stderr_tail.h"

#include <unistd.h>

#include <string_view>

#include "tool/process/child.h"

namespace bp {
namespace {

constexpr const char* kSanitizerMarkers[] = {
    "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",     "WARNING: ThreadSanitizer",
    "ERROR: ThreadSanitizer",  "runtime error:",           "ERROR: UndefinedBehaviorSanitizer",
    "ERROR: MemorySanitizer",  "WARNING: MemorySanitizer",
};
// Go's race detector (a plugin built with `go build -race`) opens each report with this line.
bool IsGoRaceReport(std::string_view line) { return line == "WARNING: DATA RACE"; }
// A line longer than this is kept cut (a pool printing binary garbage must not fill memory).
constexpr size_t kMaxLine = 1000;

}  // namespace

void StderrTail::Feed(const char* p, size_t n) {
  WriteAll(STDERR_FILENO, std::string_view(p, n));
  for (size_t i = 0; i < n; ++i) {
    if (p[i] == '\n') {
      EndLine();
    } else if (p[i] == '\r') {
      partial_.clear();  // a progress line overwriting itself: only its last state counts
    } else if (partial_.size() < kMaxLine) {
      partial_ += p[i];
    }
  }
}

void StderrTail::Finish() {
  if (!partial_.empty()) EndLine();
}

std::string StderrTail::PanicText() const {
  std::string out;
  for (size_t i = 0; i < panic_.size() && i < kPanicShownLines; ++i) out += panic_[i] + "\n";
  if (panic_.size() > kPanicShownLines) out += "...\n";
  return out;
}

std::vector<std::string> StderrTail::PanicFrames() const {
  std::vector<std::string> frames;
  bool in_trace = false;
  for (size_t i = 0; i < panic_.size(); ++i) {
    const std::string& line = panic_[i];
    if (!in_trace) {
      in_trace = line.rfind("goroutine ", 0) == 0;
      continue;
    }
    if (line.empty()) break;
    if (line[0] == '\t') continue;
    std::string frame = line;
    if (i + 1 < panic_.size() && !panic_[i + 1].empty() && panic_[i + 1][0] == '\t') {
      std::string where = panic_[i + 1].substr(1);
      where = where.substr(0, where.find(" +0x"));
      frame += " (" + where + ")";
    }
    frames.push_back(std::move(frame));
  }
  return frames;
}

// The first lines of the first Go race report (the two accesses and their first frames), when
// they are no longer in the tail: all its reports open with the same line, and the last one's
// end (where its goroutines were created) says the least.
std::string StderrTail::Text() const {
  std::string out;
  if (!race_head_.empty() && lines_after_race_ >= lines_.size()) {
    for (const std::string& line : race_head_) out += line + "\n";
    out += "...\n";
  }
  bool marker_kept = marker_line_.empty() || !out.empty();
  for (const std::string& line : lines_) marker_kept |= line == marker_line_;
  if (!marker_kept) out = marker_line_ + "\n...\n";
  for (const std::string& line : lines_) out += line + "\n";
  return out;
}

void StderrTail::EndLine() {
  // A Go panic names "runtime error:" too: the lines of a panic are not a sanitizer's report.
  if (panic_.empty() &&
      (partial_.rfind("panic: ", 0) == 0 || partial_.rfind("fatal error: ", 0) == 0)) {
    panic_.push_back(partial_);
  } else if (!panic_.empty() && panic_.size() < kPanicKeptLines) {
    panic_.push_back(partial_);
  } else if (marker_line_.empty()) {
    if (IsGoRaceReport(partial_)) marker_line_ = partial_;
    for (const char* marker : kSanitizerMarkers) {
      if (partial_.find(marker) != std::string::npos) {
        marker_line_ = partial_;
        break;
      }
    }
  }
  if (IsGoRaceReport(marker_line_)) {
    if (!race_head_.empty()) ++lines_after_race_;
    if (race_head_.size() < kRaceHeadLines) race_head_.push_back(partial_);
  }
  lines_.push_back(std::move(partial_));
  partial_.clear();
  if (lines_.size() > kStderrTailLines) lines_.pop_front();
}

}  // namespace bp
