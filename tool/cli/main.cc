// bpstress: stress and fuzz testing for byte-buffer pools. Everything is in tool/cli/cli.cc.
#include "tool/cli/cli.h"

int main(int argc, char** argv) { return bp::Main(argc, argv); }
