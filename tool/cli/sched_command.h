// `bpstress sched`, `bpstress replay` and `bpstress shrink`: deterministic scheduling of a plugin
// compiled with -fsanitize=thread (tool/sched/).
//   sched --plugin PATH[:OPTIONS]   campaigns of short PCT schedules until the first finding or
//                                   the budget; a finding's schedule is written to a file
//   replay FILE                     that exact interleaving again, the steps before the violation
//   shrink FILE                     fewer threads, ops and preemptions while it still fails
// Exit codes: 0 no finding (replay: did not fail), 1 a finding (replay: reproduced), 2 a bad
// command line or a build without the scheduling runtime, 3 an unusable plugin or file.
#pragma once

#include <vector>

#include "tool/cli/subcommand.h"

namespace bp {

// Adds the three subcommands (sched, replay, shrink), each with the function that runs it.
std::vector<Subcommand> AddSchedCommands(CLI::App& app);

}  // namespace bp
