// The commands that read stress reports — `bpstress verify`, `compare` and `report --html`;
// the reading itself is tool/report/report_reader.h.
//
// Exit codes (tool/util/exit_codes.h): 0 ok, 1 a check failed, 2 bad options, 3 unreadable or
// invalid input.
#pragma once

#include <functional>
#include <optional>

namespace CLI {
class App;
}

namespace bp {

// Adds the `verify`, `compare` and `report` subcommands to app (CLI11 2.1). Returns a function to
// call after app.parse(): it runs whichever of them was selected and returns its exit code, or
// std::nullopt when none of them was selected.
std::function<std::optional<int>()> AddReportCommands(CLI::App& app);

}  // namespace bp
