// A crash record's addresses as frames people read: "module+0xOFFSET[ symbol (file:line)]", from
// the raw return addresses the child's handler sent (crash_recorder.h) and the /proc/self/maps it
// sent after them; symbols from addr2line (binutils' or LLVM's) where one is installed.
//
// Cost: one addr2line process per module on the stack, in the parent, once per crashed run.
//
// Thread safety: none needed (no shared state); popen() is called.
#pragma once

#include <string>
#include <vector>

#include "tool/process/stream.h"

namespace bp::internal {

// The crashing thread's frames. The frames of the handler itself are dropped: the stack starts at
// the faulting instruction when it is among them.
std::vector<std::string> ResolveFrames(const CrashRecord& c, const std::string& maps);

}  // namespace bp::internal
