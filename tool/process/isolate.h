// Crash isolation: one pool run in a forked child process, so that a pool that crashes, hangs or
// trips a sanitizer costs its own result and nothing else.
//
// RunIsolated(name, spec, options, body) forks; the child runs body() (which starts and joins its
// own threads), sends the PoolRun back through a pipe in a private binary form (below), and
// _exit()s (no atexit handlers or static destructors of the parent run twice). The child's stderr
// goes through a second pipe: the parent forwards it to its own stderr as it arrives and keeps the
// last kStderrTailLines lines (stderr_tail.h). The outcome:
//   complete result, exit 0, no sanitizer report  -> the child's PoolRun as it was sent (its
//     stderr_tail, when empty, becomes the child's stderr tail)
//   a sanitizer report on stderr ("ERROR: AddressSanitizer", "WARNING: ThreadSanitizer",
//     "runtime error:", "ERROR: LeakSanitizer", ...)  -> kSanitizer; the child's counters are kept
//     when its result arrived complete (ThreadSanitizer reports races and carries on), else zero
//   a line "panic: ..." or "fatal error: ..." on stderr, then exit status 2 or a signal (a Go
//     runtime's end: a Go program exits 2, a Go c-shared library raises SIGABRT)
//                                                  -> kCrashed, signal as it ended (0 for exit 2),
//     stderr_tail the panic's first lines, crash_frames the panicking goroutine's frames
//   killed by a signal                             -> kCrashed, run.signal set
//   exited without a complete result               -> kCrashed, signal 0
//   still running at options.deadline + kGrace     -> SIGKILL, kHung
// In every case but the first, name and spec come from the arguments and stderr_tail is set (the
// line that named the sanitizer is kept even when more lines followed it).
//
// Signals: while the child runs, SIGINT and SIGTERM are recorded in PendingSignal() — by the
// caller's handler (InstallSignalHandlers) or, when their disposition is the default, by one
// installed for the duration of the call — and forwarded to the child once, so a Ctrl-C (which
// reaches the whole process group) or a kill of this process only stops the run: the child winds
// down, reports stop_reason kSignal, and its result is kept. The caller checks PendingSignal().
// With options.deadline 0 there is no watchdog.
//
// Streaming: the result pipe carries frames (stream.h). A child whose options' on_sample is
// StreamSample sends a live sample at each phase change and every sample_interval; its signal
// handler (InstallCrashReporter, crash_recorder.h, in ChildMain and OpenResultChannel, before any
// plugin is loaded, with SA_ONSTACK, and never over a handler someone else installed:
// tool/run/signals.h) sends the crashing thread's raw stack and /proc/self/maps. The parent
// (supervisor.h) keeps the last state: when no complete result comes, the run is reported with the
// last sample's counters and every example streamed, its phase, seconds until the crash, and the
// crash's address and frames (module+offset, symbolised with addr2line where installed:
// symbolize.h). The child, the pipes, the deadline and the defence against a pool that closes the
// result pipe are the child-process primitive's (child.h, ForkChild).
//
// The result format (wire_codec.h) is private to one binary: parent and child are the same
// program image, so trivially copyable records are sent as their bytes.
//
// Files: isolate.cc (the child's body, RunIsolated, RunExec, the child-side calls below),
// supervisor.cc (the parent's side: the stream heard, the outcome), wire_codec.cc,
// crash_recorder.cc, symbolize.cc, stderr_tail.cc (the child's stderr), child.cc (the primitive).
//
// Thread safety: call from the controlling thread while no other thread of this process runs pool
// work (fork copies only the calling thread; the child must not need the others).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "tool/process/stderr_tail.h"
#include "tool/run/runner.h"

namespace bp {

// Time the child has after options.deadline to send its result before it is killed: the runner in
// the child stops at the deadline itself and only needs to serialise and write.
inline constexpr std::chrono::seconds kIsolateGrace{3};

PoolRun RunIsolated(const std::string& name, const std::string& spec, const RunOptions& options,
                    const std::function<PoolRun()>& body);

// The same, but the child execs a program (bpstress itself, with an allocator in LD_PRELOAD) that
// runs the pool and sends its result with SendResult on the descriptor named by the environment
// variable kResultFdVariable. `env` entries ("KEY=VALUE") are added to, or replace, this
// process's environment. A child that cannot exec exits 127: kCrashed, its reason on stderr.
struct ExecSpec {
  std::string path;  // e.g. "/proc/self/exe"
  std::vector<std::string> argv;
  std::vector<std::string> env;
};
inline constexpr const char kResultFdVariable[] = "BPSTRESS_RESULT_FD";
inline constexpr int kExecResultFd = 3;
PoolRun RunExec(const std::string& name, const std::string& spec, const RunOptions& options,
                const ExecSpec& exec);

inline constexpr const char kResultSourceVariable[] = "BPSTRESS_RESULT_SOURCE";

// In an exec'd child, first thing: takes `fd` (from kResultFdVariable) as the result channel —
// moved to a high descriptor, reopened through the parent should the pool close it — and
// installs the crash reporter (signal handlers that send the crashing thread's stack).
bool OpenResultChannel(int fd);
// In an isolated or exec'd child: sends a live sample to the parent (the options' on_sample of a
// child run); does nothing in a process that is not one. Frames of one write(2) each.
void StreamSample(const LiveSample& sample);
// In an exec'd child: sends `run` on the result channel (opening it on `fd` if
// OpenResultChannel was not called) and closes it. False if it could not be sent whole.
bool SendResult(int fd, const PoolRun& run);

}  // namespace bp
