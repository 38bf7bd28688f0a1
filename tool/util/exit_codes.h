// The documented exit codes of every bpstress command. Every layer returns these, so they live at
// the bottom: a module that only needs an exit code includes this, not the command line.
#pragma once

namespace bp {

inline constexpr int kExitOk = 0;             // ran, and every check passed
inline constexpr int kExitCheckFailed = 1;    // a detector fired, a check or gate failed, a crash
inline constexpr int kExitUsage = 2;          // bad command line
inline constexpr int kExitBadInput = 3;       // unreadable or invalid input file, plugin, allocator
inline constexpr int kExitLimit = 4;          // --max-rss reached, or a pool hung past its deadline
inline constexpr int kExitWriteFailed = 5;    // an output (report, HTML, stdout) was not written
inline constexpr int kExitInterrupted = 130;  // SIGINT/SIGTERM: the report is still written

// kExitWriteFailed takes precedence over the codes of a command that ran (0, 1, 4, 130): what it
// found did not all reach the user (a full disk, /dev/full).

}  // namespace bp
