// What bpstress reads from a plugin file for `sched`: whether it was compiled for the scheduler,
// and the source lines of the instructions a replay prints. Thread safety: none needed (pure
// functions of the file, plus a child process for addr2line).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bp::sched {

// "name (file:line)" for addresses inside the plugin (return addresses, `base` its load address),
// by addr2line where installed; "" where unknown.
std::vector<std::string> Symbolize(const std::string& module, uint64_t base,
                                   const std::vector<uint64_t>& pcs);

// Whether the shared object was compiled with -fsanitize=thread (it calls the __tsan_ hooks: it
// has undefined __tsan_func_entry or __tsan_atomic*/__tsan_read* symbols). False with a reason
// when it is not, or is not a readable 64-bit ELF file.
bool IsInstrumented(const std::string& path, std::string* reason);

}  // namespace bp::sched
