// The private binary form in which an isolated or re-executed child sends its results to the
// parent (the payloads of stream.h's frames): a PoolRun, and a LiveSample while it runs.
//
// Private to one binary: parent and child are the same program image, so trivially copyable
// records (ThreadResult with its histogram and violation examples) are sent as their bytes. A
// PoolRun is its fields in PoolRun::Fields order, strings and vectors as a count and their
// elements, framed by a magic number, the ThreadResult record size, a checksum and a trailer.
// Cost: about 32 KiB per thread (the latency histogram), sent once at the end of the run.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "tool/run/runner.h"

namespace bp::internal {

// Decode returns false unless `bytes` is one complete, intact encoding (exposed for tests).
std::string EncodePoolRun(const PoolRun& run);
bool DecodePoolRun(std::string_view bytes, PoolRun* run);
std::string EncodeSample(const LiveSample& sample);
bool DecodeSample(std::string_view bytes, LiveSample* sample);

}  // namespace bp::internal
