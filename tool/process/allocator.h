// General-purpose allocators for `bpstress run --allocator`: which ones bpstress knows, where their
// shared libraries are, and which one this process is running on.
//
// A pool is measured against the allocator it would replace. `--allocator glibc,jemalloc` runs
// every selected pool once per allocator, on the same workload and seed; a run under an allocator
// other than the one this process started with happens in a re-executed copy of bpstress with the
// allocator's library in LD_PRELOAD (tool/process/isolate.h, RunExec). The child confirms the
// preload took effect (the library is mapped: /proc/self/maps) before it runs anything.
//
// Known names: glibc (the C library's malloc: no preload), jemalloc (libjemalloc2), tcmalloc
// (libtcmalloc-minimal4), mimalloc (libmimalloc2.0); `all` is every known one whose library is
// installed. NAME=PATH names any other malloc replacement by its shared library.
//
// Thread safety: plain functions; call from the controlling thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bp {

struct AllocatorChoice {
  std::string name;  // as shown in the table and the report
  std::string path;  // the library to preload; empty for glibc
};

struct AllocatorError {
  std::string message;  // one line, without the "bpstress: --allocator" prefix
  int exit_code;        // kExitUsage (unknown name, bad list) or kExitBadInput (not installed)
};

// Parses "glibc,jemalloc", "all" or "mine=/opt/lib/libmine.so": known names are looked up in the
// library directories, paths must name a readable file. Duplicates are an error.
// On error returns false and sets *error.
bool ParseAllocators(const std::string& list, std::vector<AllocatorChoice>* out,
                     AllocatorError* error);

// The installed library of a known allocator ("" for glibc); nullopt when it is not installed or
// the name is unknown.
std::optional<std::string> FindAllocatorLibrary(const std::string& name);

// The Debian package that provides a known allocator ("" for glibc or an unknown name).
const char* AllocatorPackage(const std::string& name);

// The allocator this process runs on: the known allocator whose library is mapped, else "glibc"
// ("asan" or "tsan" in sanitizer builds, whose runtime replaces malloc).
std::string ActiveAllocator();

// True when the library at `path` is mapped into this process (compared by device and inode).
bool LibraryIsMapped(const std::string& path);

}  // namespace bp
