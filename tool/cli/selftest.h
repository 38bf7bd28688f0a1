// `bpstress selftest`: proves that every detector of this build is live. Each deliberately faulty
// pool runs in a child process of this same binary with a short fixed-seed stress run, and the
// detector expected for its bug must fire: the runner's own detectors (double hand-out, short
// capacity, corruption, stale buffers, leaks), the deadline watchdog (hang), ThreadSanitizer (race,
// TSan builds only) and AddressSanitizer (use after put, ASan builds only). Every correct pool
// must come out with zero findings. A case this build cannot catch is shown as "n/a in this build",
// never as passed.
#pragma once

#include <string>

namespace bp {

struct SelftestOptions {
  std::string work_dir;  // where child reports go (default: a fresh directory under TMPDIR)
  unsigned threads = 8;
  bool verbose = false;  // print each child's command line and stderr tail
};

// Returns 0 when every fault is caught and every correct pool is clean, 1 otherwise. A planted
// race whose catch depends on timing (faulty:aba, faulty:race) runs up to kSelftestRaceTries
// times and its row states the catch rate: see JudgeRace.
int RunSelftest(const SelftestOptions& options);

inline constexpr int kSelftestRaceTries = 3;

// The row of a timing-dependent planted race after `runs` runs, stopping at the first catch
// (`caught`: the last run caught it). "caught" at the first run, "caught (flaky: 1 of N runs)"
// later, "flaky: 0 of N runs" when none did; never a failure: a loaded machine lowers a race's
// catch rate, it does not break the detector.
struct RaceRow {
  std::string result;
  bool failed = false;
};
RaceRow JudgeRace(bool caught, int runs);

}  // namespace bp
