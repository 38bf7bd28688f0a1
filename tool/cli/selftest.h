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

// Returns 0 when every fault is caught and every correct pool is clean, 1 otherwise.
int RunSelftest(const SelftestOptions& options);

}  // namespace bp
