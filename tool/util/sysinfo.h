// Readings of the process and the host that the runner and the report need. All are cheap enough
// to call from the controller thread every few milliseconds; none is called from the hot loop.
#pragma once

#include <pthread.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bp {

// Resident set size now, in bytes (/proc/self/statm); 0 when unknown.
uint64_t CurrentRss();
// Peak RSS since the last ResetPeakRss (VmHWM); 0 when unknown.
uint64_t PeakRss();
// Resets the kernel's peak-RSS mark (writes 5 to /proc/self/clear_refs). False when not allowed.
bool ResetPeakRss();
// Bytes the heap allocator has handed out and not yet had back (glibc mallinfo2, or the
// sanitizer allocator's count in sanitizer builds). Used to see what a pool leaves behind.
uint64_t HeapInUse();

// The CPUs this process may run on (sched_getaffinity), ascending; empty when unknown.
std::vector<int> AllowedCpus();
// Restricts thread `thread` to `cpu`; false when the kernel refuses.
bool PinThread(pthread_t thread, int cpu);

struct HostInfo {
  unsigned cpus = 0;
  uint64_t memory_bytes = 0;
  std::string os;  // kernel name and release
};
HostInfo GetHostInfo();

// "2026-11-23T19:20:00Z"
std::string UtcTimestamp();

}  // namespace bp
