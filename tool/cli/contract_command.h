// `bpstress contract --plugin PATH[:OPTIONS] | --pool SPEC`: the contract checks of
// tool/run/contract.h, each in its own child process (a crash or a hang fails that check only,
// with the signal or the timeout as its reason), one line per check or one JSON document.
// Exit 0 when no check failed, 1 when one did, 2 on a bad command line.
#pragma once

#include <string>

#include "tool/cli/subcommand.h"
#include "tool/run/contract.h"

namespace bp {

struct ContractCommand {
  std::string plugin;  // PATH[:OPTIONS]
  std::string pool;    // a built-in pool spec
  std::string max_size = "1M";
  std::string timeout = "10s";
  std::string race_time = "500ms";
  std::string format = "table";
  ContractOptions options;
};

// Adds the subcommand and its options to `app`; its run calls ExecuteContract.
Subcommand AddContractCommand(CLI::App& app);
int ExecuteContract(const ContractCommand& cmd);

}  // namespace bp
