// `bpstress run`: select pools, run each under the runner, print a table or JSON, write the
// report atomically (also when interrupted), and return the exit code.
#pragma once

#include <string>
#include <vector>

#include "tool/runner.h"

namespace bp {

enum class OutputFormat { kTable, kJson };
enum class ProgressMode { kAuto, kAlways, kNever };

struct RunCommand {
  std::vector<std::string> pools{"all"};
  bool pools_given = false;
  std::vector<std::string> plugins;  // PATH[:OPTIONS]
  // Each pool in its own child process; default: on when more than one pool runs.
  enum class Isolate { kAuto, kOn, kOff } isolate = Isolate::kAuto;
  std::string dist = "random65k";
  RunOptions options;
  bool seed_given = false;
  bool duration_given = false;
  std::string report_path = "bpstress-report.json";
  OutputFormat format = OutputFormat::kTable;
  ProgressMode progress = ProgressMode::kAuto;
};

// Returns the process exit code; one line on stderr for every error.
int ExecuteRun(RunCommand& cmd);

}  // namespace bp
