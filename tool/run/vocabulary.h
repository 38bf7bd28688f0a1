// The words of the run vocabulary, one table per enum: the name each value has on the command
// line, in reports and in `verify`, and for outcomes how they classify. Everything that turns a
// value into text or text into a value goes through these tables: the CLI's option binding
// (tool/cli/cli.cc), the report writer and reader, verify, compare, hunt and selftest.
//
// Adding a value: the enumerator and its row; the compiler does not check that a row exists, the
// unit test vocabulary_test does.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bp {

// What a run ended as (a pool's "outcome" in the report). kCrashed (a signal) and kSanitizer (a
// sanitizer report) come from isolated child processes.
enum class Outcome : uint8_t {
  kOk,
  kViolations,
  kHung,
  kInterrupted,
  kLimit,
  kCrashed,
  kSanitizer
};

struct OutcomeRow {
  Outcome value;
  const char* name;
  // The run did not finish: its numbers are what was left (verify type-checks them only, compare
  // does not compare them, the JSON carries no rates).
  bool partial;
  // A finding about the pool: hunt stops on it and verify_hunt counts it.
  bool finding;
  // `bpstress run` exits kExitLimit (4) when a pool ends so.
  bool limit;
};

inline constexpr OutcomeRow kOutcomeRows[] = {
    {Outcome::kOk, "ok", false, false, false},
    {Outcome::kViolations, "violations", false, true, false},
    {Outcome::kHung, "hung", true, true, true},
    {Outcome::kInterrupted, "interrupted", false, false, false},
    {Outcome::kLimit, "limit", false, false, true},
    {Outcome::kCrashed, "crashed", true, true, false},
    {Outcome::kSanitizer, "sanitizer", true, true, false},
};

// Where a pool is in its life: create (the factory runs), run (the workers' loops), drain (the
// loops have stopped; held and handed-off buffers go back, the pool's counters are read), destroy
// (the pool object is deleted), done (after destroy).
enum class Phase : uint8_t { kCreate, kRun, kDrain, kDestroy, kDone };

// --touch: the bytes written into each buffer.
enum class Touch : uint8_t { kNone, kHead, kFull, kEnds };
// --checks: the detectors on.
enum class CheckLevel : uint8_t { kNone, kBasic, kFull };
// --workload. bytes: a pattern of n bytes; json: a JSON array of integers of about n bytes
// (bp::JsonWriter).
enum class Workload : uint8_t { kBytes, kJson };

template <class E>
struct NameRow {
  E value;
  const char* name;
};

inline constexpr NameRow<Phase> kPhaseRows[] = {{Phase::kCreate, "create"},
                                                {Phase::kRun, "run"},
                                                {Phase::kDrain, "drain"},
                                                {Phase::kDestroy, "destroy"},
                                                {Phase::kDone, "done"}};
inline constexpr NameRow<Touch> kTouchRows[] = {
    {Touch::kNone, "none"}, {Touch::kHead, "head"}, {Touch::kFull, "full"}, {Touch::kEnds, "ends"}};
inline constexpr NameRow<CheckLevel> kCheckLevelRows[] = {
    {CheckLevel::kNone, "none"}, {CheckLevel::kBasic, "basic"}, {CheckLevel::kFull, "full"}};
inline constexpr NameRow<Workload> kWorkloadRows[] = {{Workload::kBytes, "bytes"},
                                                      {Workload::kJson, "json"}};

// The name of a value ("?" for a value without a row), and the value of a name.
template <class Row, size_t N, class E>
constexpr const char* NameIn(const Row (&rows)[N], E value) {
  for (const Row& r : rows) {
    if (r.value == value) return r.name;
  }
  return "?";
}
template <class Row, size_t N>
constexpr const Row* RowNamed(const Row (&rows)[N], std::string_view name) {
  for (const Row& r : rows) {
    if (name == r.name) return &r;
  }
  return nullptr;
}

inline const char* OutcomeName(Outcome o) { return NameIn(kOutcomeRows, o); }
inline const char* PhaseName(Phase p) { return NameIn(kPhaseRows, p); }
inline const char* TouchName(Touch t) { return NameIn(kTouchRows, t); }
inline const char* CheckLevelName(CheckLevel c) { return NameIn(kCheckLevelRows, c); }
inline const char* WorkloadName(Workload w) { return NameIn(kWorkloadRows, w); }

inline const OutcomeRow& OutcomeOf(Outcome o) {
  for (const OutcomeRow& r : kOutcomeRows) {
    if (r.value == o) return r;
  }
  return kOutcomeRows[0];  // unreachable: every enumerator has a row (vocabulary_test)
}
inline bool IsPartial(Outcome o) { return OutcomeOf(o).partial; }
inline bool IsFinding(Outcome o) { return OutcomeOf(o).finding; }
inline bool IsLimit(Outcome o) { return OutcomeOf(o).limit; }

// The same for an outcome read from a report; false for a name that is no outcome (a hunt
// trial's "clean", "error", "misuse_fault").
inline bool IsPartialOutcome(std::string_view name) {
  const OutcomeRow* r = RowNamed(kOutcomeRows, name);
  return r != nullptr && r->partial;
}
inline bool IsFindingOutcome(std::string_view name) {
  const OutcomeRow* r = RowNamed(kOutcomeRows, name);
  return r != nullptr && r->finding;
}
inline bool IsLimitOutcome(std::string_view name) {
  const OutcomeRow* r = RowNamed(kOutcomeRows, name);
  return r != nullptr && r->limit;
}

}  // namespace bp
