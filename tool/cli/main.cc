// bpstress: stress and fuzz testing for byte-buffer pools. Main (tool/cli/cli.cc) sets up the
// command line; docs/ARCHITECTURE.md maps the rest.
#include "tool/cli/cli.h"

int main(int argc, char** argv) { return bp::Main(argc, argv); }
