// The pool registry: name -> options table for every built-in pool, and the parser of pool specs
// `NAME[:key=value,...]` (e.g. "sized:min=64,max=65536", "fixed:count=1024,capacity=64K").
//
// Adding a pool is one file and one row in registry.cc (and one case in WithPoolType,
// tool/run/pool_types.h, which turns a spec into a pool of its static type). Deliberately faulty
// pools have names "faulty:NAME", are selected only by name, and are never part of `all`.
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

struct PoolEntry {
  const char* name;
  const char* help;
  bool in_all;           // run by `--pool all` (the default)
  bool faulty;           // a planted bug, for selftest
  const char* detector;  // faulty pools: what must catch the bug
  std::vector<PoolOption> options;
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
