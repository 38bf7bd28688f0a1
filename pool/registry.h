// The pool registry: name -> options table for every built-in pool, and the parser of pool specs
// `NAME[:key=value,...]` (e.g. "sized:min=64,max=65536", "fixed:count=1024,capacity=64K").
//
// The table derives from the one list of built-in pools, pool/pool_list.h: adding a pool is its
// header and one entry there. Deliberately faulty pools have names "faulty:NAME", are selected
// only by name, and are never part of `all`.
//
// Thread safety: the table is immutable; parsing is pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bp {

struct PoolOption {
  const char* key;
  const char* default_value;  // in the option's syntax ("64", "64K")
  const char* help;
};

struct PoolSpec;

// What must catch a faulty pool's planted bug (selftest puts each one on trial).
enum class DetectorKind : uint8_t {
  kNone,              // a correct pool: no findings
  kCheck,             // the runner's check: a violation count in the report, named by `what`
  kThreadSanitizer,   // ThreadSanitizer, in a TSan build
  kAddressSanitizer,  // AddressSanitizer, in an ASan build
  kDeadline,          // the deadline watchdog: outcome "hung"
};
struct Detector {
  DetectorKind kind = DetectorKind::kNone;
  const char* what = "";  // shown by `list` and selftest; for kCheck the violation's report key
};

struct PoolEntry {
  const char* name;
  const char* help;
  bool in_all;           // run by `--pool all` (the default)
  bool faulty;           // a planted bug, for selftest
  const char* detector;  // faulty pools: what must catch the bug (detector_kind's `what`)
  DetectorKind detector_kind;
  bool cross_thread;  // a buffer may be put by another thread than the one that got it
  std::vector<PoolOption> options;
  // Why a parsed spec cannot run (e.g. "min (9) must be <= max (8)"), or nullopt.
  std::optional<std::string> (*validate)(const PoolSpec& spec);
};

// Every built-in pool, in the order `list` shows and `all` runs them.
const std::vector<PoolEntry>& PoolEntries();
const PoolEntry* FindPool(std::string_view name);

struct PoolSpec {
  const PoolEntry* entry = nullptr;
  // Every option of the entry, in table order, defaults filled in; sizes as byte counts.
  std::vector<std::pair<std::string, uint64_t>> values;

  uint64_t Value(std::string_view key) const;
  // "name:key=value,..." with every option, so a report says exactly what ran.
  std::string Canonical() const;
};

// Parses a spec. On error returns nullopt with one line in *error naming the problem, e.g.
// "unknown pool 'foo' (known: sized, fixed, ...)" or "sized: unknown option 'mn' (known: min,
// max)".
std::optional<PoolSpec> ParsePoolSpec(std::string_view text, std::string* error);

}  // namespace bp
