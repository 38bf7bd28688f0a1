// Signal hygiene beside foreign runtimes. A pool may bring a runtime that owns signals of its own
// (Go preempts goroutines with SIGURG and turns a fault in Go code into a panic through its SIGSEGV
// handler, forwarding faults in other code to the handler it found when it started), and that runs
// code on small stacks (a goroutine's). bpstress's handlers keep to these rules:
//   - every handler is installed with SA_ONSTACK, and each worker thread has an alternate signal
//     stack (AltSignalStack) unless it already has one (a thread a runtime made keeps its own);
//   - a handler of bpstress's is installed only where the signal's disposition is the default
//     (InstallIfUnowned): a handler someone else installed is left in place;
//   - signals a runtime may use are not borrowed: preemption takes a real-time signal that nobody
//     handles (FindUnownedRealtimeSignal), never SIGURG;
//   - handlers that a runtime should find and chain to (the crash records of an isolated child) are
//     installed before the plugin is loaded (tool/process/crash_recorder.h, tool/run/plugin_run.h).
//
// Thread safety: AltSignalStack belongs to the thread that made it. The functions read and set the
// process's dispositions (sigaction); call them from one thread at a time.
#pragma once

#include <signal.h>

#include <cstddef>

namespace bp {

// An alternate signal stack for the calling thread while this object lives, when the thread has
// none; otherwise nothing. Cost: one sigaltstack call, and with no stack yet one allocation of
// kSize bytes and a second call.
class AltSignalStack {
 public:
  static constexpr size_t kSize = 64 * 1024;  // above glibc's SIGSTKSZ for any CPU's signal frame
  AltSignalStack();
  ~AltSignalStack();
  AltSignalStack(const AltSignalStack&) = delete;
  AltSignalStack& operator=(const AltSignalStack&) = delete;

 private:
  void* stack_ = nullptr;  // ours, installed; nullptr when the thread had one already
};

// True when `sig` has the default disposition (no handler, not ignored).
bool IsDefaultDisposition(int sig);

// True when `handler` is the handler installed for `sig` (set with or without SA_SIGINFO).
bool HandlerIs(int sig, const void* handler);

// Installs `handler` for `sig` (SA_ONSTACK plus `flags`, nothing blocked while it runs) unless
// another handler owns the signal: returns true when `sig` now runs `handler` (installed now, or
// already), false when a foreign handler or SIG_IGN is in place (left untouched).
bool InstallIfUnowned(int sig, void (*handler)(int), int flags);
bool InstallIfUnowned(int sig, void (*handler)(int, siginfo_t*, void*), int flags);

// The first real-time signal (SIGRTMIN .. SIGRTMAX) that runs `handler` or has the default
// disposition; 0 when each one is handled or ignored by someone else.
int FindUnownedRealtimeSignal(const void* handler);

}  // namespace bp
