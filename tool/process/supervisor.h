// The parent's side of an isolated or re-executed run: the child started with ForkChild
// (child.h), its stream heard as it comes (stream.h frames: live samples, the result, a crash
// record), and how it ended turned into a PoolRun — the outcome table of isolate.h.
//
// Thread safety: as ForkChild: from the controlling thread.
#pragma once

#include <functional>
#include <string>

#include "tool/run/runner.h"

namespace bp::internal {

// Runs `start_child(result_fd, parent_fd)` in a forked child (it sends its frames on result_fd
// and _exit()s, or execs) and supervises it until it ends: killed at options.deadline plus
// kIsolateGrace, SIGINT/SIGTERM forwarded once. A child that cannot be started is kCrashed with
// the reason in stderr_tail.
PoolRun Supervise(const std::string& name, const std::string& spec, const RunOptions& options,
                  const std::function<void(int, int)>& start_child);

}  // namespace bp::internal
