// The bpstress command line: subcommands, options and their checks (CLI11), mapped to the
// documented exit codes of tool/util/exit_codes.h.
#pragma once

#include "tool/util/exit_codes.h"

namespace bp {

int Main(int argc, char** argv);

}  // namespace bp
