// The commands that read stress reports — `bpstress verify`, `compare` and `report --html`;
// the reading itself is tool/report/report_reader.h.
//
// Exit codes (tool/util/exit_codes.h): 0 ok, 1 a check failed, 2 bad options, 3 unreadable or
// invalid input.
#pragma once

#include <vector>

#include "tool/cli/subcommand.h"

namespace bp {

// Adds the `verify`, `compare` and `report` subcommands to app (CLI11 2.1), in that order.
std::vector<Subcommand> AddReportCommands(CLI::App& app);

}  // namespace bp
