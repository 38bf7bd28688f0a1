// The one shape of a bpstress subcommand: an Add…Command(CLI::App& app) declares the subcommand
// and its options on `app` (in the order --help lists them), keeps what the options are bound to
// alive in the function it returns, and returns both. Dispatch (cli.cc) parses the command line
// and calls the `run` of the subcommand that was selected.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace bp {

struct Subcommand {
  CLI::App* app;
  std::function<int()> run;  // after a successful parse: runs the command, returns its exit code
};

}  // namespace bp
