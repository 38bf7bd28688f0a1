// A child's stderr as the parent hears it (tool/process/child.h): forwarded to this process's
// stderr as it comes, its last kStderrTailLines lines kept, and what they say noticed — a
// sanitizer's report, a Go runtime's panic, Go's race detector.
//
// Feed takes bytes as they arrive, split anywhere; Finish ends a last line without a newline. A
// '\r' starts its line again (a progress line overwriting itself: only its last state counts),
// and a line longer than 1000 bytes is kept cut, so a child printing binary garbage cannot fill
// memory: at most kStderrTailLines lines plus the panic's and the race report's first lines.
//
// Thread safety: one StderrTail is fed by one thread.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

namespace bp {

inline constexpr size_t kStderrTailLines = 20;

class StderrTail {
 public:
  void Feed(const char* p, size_t n);
  void Finish();
  // A line named a sanitizer ("ERROR: AddressSanitizer", "WARNING: ThreadSanitizer",
  // "runtime error:", ..., or Go's "WARNING: DATA RACE"), outside a Go panic's lines.
  bool sanitizer() const { return !marker_line_.empty(); }
  // A Go runtime's end: "panic: ..." or "fatal error: ..." at the start of a line.
  bool panicked() const { return !panic_.empty(); }
  // The panic's first lines: its message up to the first empty line, then the first lines of the
  // goroutine trace.
  std::string PanicText() const;
  // The first goroutine's frames, "function (file:line)", from the trace after the message.
  std::vector<std::string> PanicFrames() const;
  // The last lines, one "\n" after each. The line that named a sanitizer is kept even when more
  // lines followed it, and the first lines of the first Go race report when they are no longer
  // in the tail.
  std::string Text() const;

 private:
  void EndLine();

  // Of a panic's report, kept from its first line: enough for the message and the panicking
  // goroutine's frames (two lines each); shown in the result: the first kPanicShownLines.
  static constexpr size_t kPanicKeptLines = 40;
  static constexpr size_t kPanicShownLines = 12;

  static constexpr size_t kRaceHeadLines = 24;

  std::string partial_;
  std::deque<std::string> lines_;
  std::string marker_line_;
  std::vector<std::string> panic_;
  std::vector<std::string> race_head_;
  size_t lines_after_race_ = 0;
};

}  // namespace bp
