// The bpstress command line: subcommands, options and their checks (CLI11), mapped to the
// documented exit codes: 0 ok, 1 a check failed, 2 usage error, 3 unreadable or invalid input,
// 4 resource limit or deadline, 130 interrupted.
#pragma once

namespace bp {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitBadInput = 3;
inline constexpr int kExitLimit = 4;
inline constexpr int kExitInterrupted = 130;

int Main(int argc, char** argv);

}  // namespace bp
