// One child process: the primitive under crash isolation (isolate.h), the re-executed child,
// each check of `bpstress contract`, the plugin probe (plugin_probe.h) and the plain
// spawn-and-wait (subprocess.h). It is fork, a result pipe that a pool cannot cut, the child's
// stderr through a second pipe, a deadline past which the child is killed, and how it ended.
//
// ForkChild(options, child) makes both pipes, forks and calls child(result_fd, parent_fd) in the
// child, with its stderr already on the stderr pipe. `child` does not return: it _exit()s or
// execs (should it return, the child exits 70). This process reads both pipes until the child
// has exited: the result pipe's bytes go to options.on_result as they arrive, the stderr bytes to
// ChildEnd::tail, which forwards them to this process's stderr and keeps the last lines. The end
// is the child's exit, not the pipes' end: descendants of the child may hold them open.
//
// The result pipe survives a pool that closes descriptors it does not own (daemon-style "close
// everything above 2"). The child takes it with OpenChildChannel, which moves it to a high
// descriptor; before each write (WriteChildChannel) the descriptor is checked to still be the pipe
// (same device and inode), and when it is not, the pipe is reopened through this process's read
// end (/proc/PARENT/fd/N, opened for writing: parent_fd is its number, left open, close-on-exec,
// in the child for that). When that fails too the child says so on stderr, which the parent
// keeps. This process holds a write end itself until the child exits, so a closed child end never
// reads as the end of the stream.
//
// Deadline: options.deadline after the fork (zero: none) the child gets SIGKILL
// (ChildEnd::killed). options.interrupt, polled while the child runs, names a signal to send it
// once; from then on it has options.grace (zero: the rest of its deadline) before SIGKILL. With
// options.record_stop_signals, SIGINT and SIGTERM whose disposition is the default are recorded in
// PendingSignal() (tool/run/runner.h) for the duration of the call instead of ending this process
// (the child inherits that until it execs or installs its own), so that a Ctrl-C stops the run,
// not the parent: forward them with interrupt = PendingSignal.
//
// Cost: a wake-up every 20 ms while the child runs (5 ms in WaitForChild without pipes) to notice
// its exit, the interrupt and the deadline; nothing else between the pipes' bytes.
//
// Thread safety: call from the controlling thread while no other thread of this process runs pool
// work (fork copies only the calling thread; the child must not need the others). The child-side
// functions are for the forked child, once per process; WriteChildChannel's checks (fstat, open,
// fcntl, write) are async-signal-safe, so a crash handler may use ChildChannelUsable.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "tool/process/stderr_tail.h"

namespace bp {

struct ChildOptions {
  std::chrono::nanoseconds deadline{0};  // from the fork; past it SIGKILL. Zero: none
  std::function<int()> interrupt;        // a signal to forward once; 0: none (yet)
  std::chrono::nanoseconds grace{0};     // after the forwarded signal; zero: the deadline's
  bool record_stop_signals = false;      // SIGINT/SIGTERM into PendingSignal() meanwhile
  std::function<void(const char*, size_t)> on_result;  // the result pipe's bytes as they come
};

// How the child ended.
struct ChildEnd {
  std::string error;    // why no child ran ("pipe: ...", "fork: ..."); then nothing else is set
  int status = 0;       // as waitpid(2) gave it
  bool killed = false;  // SIGKILLed past the deadline or the grace
  bool reaped = true;   // false: waitpid failed (SIGCHLD ignored?): status is unknown
  StderrTail tail;      // what the child wrote on stderr (already forwarded)

  bool exited() const;    // by exit, status in exit_code()
  int exit_code() const;  // the exit status; -1 when it did not exit
  int signal() const;     // the signal that ended it, or 0
};

ChildEnd ForkChild(const ChildOptions& options,
                   const std::function<void(int result_fd, int parent_fd)>& child);

// Waits for the child `pid` (one this process started without pipes) as ForkChild does: deadline
// from the call, interrupt and grace as above; ChildEnd::tail stays empty.
ChildEnd WaitForChild(pid_t pid, const ChildOptions& options);

// In the child, first thing: takes `fd` as this process's result channel, moved to a high
// descriptor, to be reopened through /proc/`parent`/fd/`parent_fd` should a pool close it.
void OpenChildChannel(int fd, pid_t parent, int parent_fd);
// True when the channel's descriptor is the pipe (reopened if a pool closed it); false once it
// could not be reopened (said on stderr). Async-signal-safe.
bool ChildChannelUsable();
bool ChildChannelOpen();  // OpenChildChannel was called
bool ChildChannelLost();  // a reopen failed: nothing more goes out
int ChildChannelFd();
// `bytes` on the channel: one write(2) for up to PIPE_BUF bytes, so two threads' writes of that
// size never interleave. False when the channel is unusable or a write failed.
bool WriteChildChannel(std::string_view bytes);
// Closes the channel's descriptor: the result is complete. False when close(2) fails.
bool CloseChildChannel();

// Writes all of `bytes` to `fd`, retrying after EINTR; false on an error.
bool WriteAll(int fd, std::string_view bytes);

}  // namespace bp
