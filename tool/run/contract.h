// The pool contract as deterministic checks, for `bpstress contract`: what a pool must do before
// stressing it is worth anything. Each check makes its own pool(s), runs a fixed sequence of gets
// and puts (single-threaded; or several threads for a set time under preemption), and says pass,
// fail (with what it saw) or skip (with why). Seconds in total; memory a few MiB.
//
// The checks see a pool through ContractPool, a type-erased get/put: built-in pools through their
// static type (WithPoolType), plugins through their C table. A failing check usually stops at the
// first bad buffer, so a check may leave buffers held; its pool is then leaked, not destroyed
// (destroy requires every buffer back). `bpstress contract` runs each check in a child process,
// so a check that crashes or hangs costs only that check.
//
// Thread safety: a ContractSubject is used by one check at a time; a check may call its pool
// from two threads (the pool's own contract allows that).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pool/registry.h"

namespace bp {

struct ContractBuffer {
  uint8_t* data = nullptr;
  size_t cap = 0;
  void* handle = nullptr;  // the pool's own (a plugin's handle, a built-in pool's item)
  // What identifies the buffer among those held: a plugin's data pointer (the ABI says so, and
  // requires it non-NULL even for size 0), a built-in pool's item (whose data may be NULL while
  // its capacity is 0).
  const void* id = nullptr;
};

class ContractPool {
 public:
  virtual ~ContractPool() = default;
  // false = refused (allowed by the contract: counted, not a failure by itself).
  virtual bool Get(size_t n, ContractBuffer* out) = 0;
  virtual void Put(const ContractBuffer& buf) = 0;
  // What the pool says it retains; nullopt when it says nothing (a plugin without the function).
  virtual std::optional<uint64_t> RetainedBytes() const = 0;
};

struct ContractSubject {
  std::string name;  // for output: "sized:min=64,...", "plugin mutex (./libmutex_pool.so)"
  // false for pools whose documented capacity is fixed (writes are truncated): cap >= n skipped.
  bool promises_capacity = true;
  // Set when the pool takes puts only from the thread that got the buffer: why.
  std::optional<std::string> no_cross_thread;
  // Makes a fresh pool, or nullptr with a one-line reason.
  std::function<std::unique_ptr<ContractPool>(std::string* error)> create;
};

// A built-in pool from a validated spec, or a plugin from its name (as a probe found it), path and
// options. A plugin subject loads the library in the process that creates a pool
// (PluginLibrary::Shared): each check's child loads it for itself.
ContractSubject BuiltinSubject(const PoolSpec& spec);
ContractSubject PluginSubject(const std::string& plugin_name, const std::string& path,
                              const std::string& options);

struct ContractOptions {
  size_t max_size = size_t{1} << 20;  // get-sizes: powers of two (and +-1) up to this
  size_t held = 1024;                 // many-held: buffers held at once
  uint64_t cycles = 20000;            // put-get-cycles: cycles
  double race_seconds = 0.5;          // concurrent: how long the threads get and put at once
  unsigned race_threads = 4;          // concurrent: how many threads (at least two)
  // concurrent: interruptions per second over all its threads (see preempt.h), so that a race
  // window of a few instructions is hit on a machine with as many cores as threads; 0 = none.
  double preempt_rate = 20000;
};

enum class CheckStatus { kPass, kFail, kSkip };
const char* CheckStatusName(CheckStatus s);

struct CheckResult {
  CheckStatus status = CheckStatus::kPass;
  std::string detail;  // one line: what was checked, what went wrong, or why skipped
};

struct ContractCheck {
  const char* name;
  const char* help;
  CheckResult (*run)(const ContractSubject& subject, const ContractOptions& options);
};

// In the order they run: the cheapest and most basic first.
const std::vector<ContractCheck>& ContractChecks();

}  // namespace bp
