// Starting a program as a child process and waiting for it with a time limit: the fork/exec/wait
// of `selftest`, `hunt` and the tests, for children whose output goes to files. The wait is the
// child-process primitive's (child.h, WaitForChild); a child that talks back on pipes is
// ForkChild's.
//
// SpawnChild prepares everything that allocates (argv, the merged environment) before fork, so the
// child only opens its redirections, dup2()s them and execs: nothing between fork and exec that is
// unsafe in a child of a multi-threaded parent. A child that cannot exec exits 127.
//
// Thread safety: call from any thread; each call waits only for its own child.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace bp {

struct ChildSpec {
  std::string path;               // the program, e.g. "/proc/self/exe"
  std::vector<std::string> argv;  // argv[0] first
  std::vector<std::string> env;   // "KEY=VALUE": added to this process's environment, or replacing
  std::string stdout_path;        // empty: /dev/null
  std::string stderr_path;        // empty: /dev/null
};

struct ChildExit {
  int exit_code = -1;      // the exit status, or 128 + the signal that ended it
  int signal = 0;          // the signal that ended it, 0 when it exited
  bool timed_out = false;  // still running at the time limit: killed with SIGKILL
  double seconds = 0;      // from spawn to exit
};

// This process's environment with `extra` added; an extra KEY=VALUE replaces the same KEY, and
// the extras come last, in their order.
std::vector<std::string> MergedEnvironment(const std::vector<std::string>& extra);

// Starts the child; returns its pid, or -1 with *error set (fork failed).
pid_t SpawnChild(const ChildSpec& spec, std::string* error);

// Waits for `pid` until `timeout` (zero: no limit), then kills it with SIGKILL. When `interrupted`
// is given and returns true, the child gets SIGTERM once (it winds down and reports) while the
// wait goes on.
ChildExit WaitChild(pid_t pid, std::chrono::nanoseconds timeout,
                    const std::function<bool()>& interrupted = nullptr);

// SpawnChild then WaitChild. A failed fork comes back as exit_code 127 with the reason in *error.
ChildExit RunChild(const ChildSpec& spec, std::chrono::nanoseconds timeout,
                   std::string* error = nullptr);

}  // namespace bp
