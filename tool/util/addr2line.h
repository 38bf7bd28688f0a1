// Source lines of code addresses, by addr2line (binutils, or LLVM's): the crash frames of an
// isolated run (tool/process/symbolize.h) and the accesses of a schedule (tool/sched).
//
// Thread safety: runs a child process per call; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bp {

enum class SourcePath { kFull, kFileName };

// "function (file:line)" for each offset into the ELF file `module` (offsets from where it is
// loaded, as in /proc/PID/maps), with the file as addr2line names it or only its last component;
// "" for an offset neither the function nor the line of which is known, and for every offset when
// no addr2line is installed or `module` cannot be read.
std::vector<std::string> SymbolizeOffsets(const std::string& module,
                                          const std::vector<uint64_t>& offsets, SourcePath path);

}  // namespace bp
