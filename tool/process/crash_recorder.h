// The isolated child's crash record: a signal handler that sends the crashing thread's raw stack,
// the counters the workers last published (tool/run/crash_counters.h) and /proc/self/maps to the
// parent as frames (stream.h), then lets the signal's default action end the process. The parent
// turns the record into frames with symbols (symbolize.h).
//
// Installed in the child before any plugin is loaded, with SA_ONSTACK, and never over a handler
// someone else installed (tool/run/signals.h): a runtime that starts with the library (Go) finds
// these handlers, keeps them and forwards to them the faults that are not its own. Sanitizer
// builds keep their runtime's own handlers (their reports say more).
//
// Thread safety: install once, from the child's controlling thread, after OpenChildChannel; the
// handler itself is async-signal-safe and allocates nothing.
#pragma once

namespace bp::internal {

void InstallCrashReporter();

}  // namespace bp::internal
