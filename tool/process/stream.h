// The stream from an isolated (or re-executed) child to its parent, private to isolation: the
// frames on the result pipe of tool/process/child.h. Sent by the child (isolate.cc: samples and
// the result; crash_recorder.cc: the crash record and /proc/self/maps), read by the parent
// (supervisor.cc).
//
// A frame is a 16-byte header (kFrameMagic, type, payload length) and the payload. Samples, the
// crash record and the /proc/self/maps chunks each fit in PIPE_BUF and are written with one
// write(2), so frames written by two threads (a worker crashing while the controller sends a
// sample) never interleave. The result frame comes last, from the controller.
#pragma once

#include <limits.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tool/run/crash_counters.h"

namespace bp::internal {

constexpr uint32_t kFrameMagic = 0x31465042;  // "BPF1"
enum FrameType : uint32_t { kFrameSample = 1, kFrameResult = 2, kFrameCrash = 3, kFrameMaps = 4 };
struct FrameHeader {
  uint32_t magic;
  uint32_t type;
  uint64_t length;
};
constexpr size_t kMaxAtomicFrame = PIPE_BUF;

constexpr int kMaxCrashFrames = 48;
struct CrashRecord {
  int32_t signal;
  int32_t code;
  uint64_t address;
  uint64_t pc;
  uint32_t has_address;
  uint32_t frames;
  uint64_t frame[kMaxCrashFrames];
  // What the workers last published (crash_counters.h), newer than the last sample sent.
  uint32_t has_counters;
  uint32_t pad;
  uint64_t counters[kCrashCounterFields];
};
static_assert(sizeof(FrameHeader) + sizeof(CrashRecord) <= kMaxAtomicFrame);

// One frame on the child's channel (child.h); `payload` up to kMaxAtomicFrame - 16 bytes goes out
// in one write(2). False when the channel is unusable or the write failed.
bool SendFrame(FrameType type, std::string_view payload);

}  // namespace bp::internal
