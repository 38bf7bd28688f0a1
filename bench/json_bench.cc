// The Viki bytepool benchmark in C++: the JSON array of the 20,000 integers 0..19999
// ("[0,1,...,19999]", 108,891 bytes) built six ways —
//   (a) StringConcat  repeated std::string concatenation, s += to_string(i) + ","
//   (b) VectorJoin    a vector<string> of the numbers joined with commas
//   (c) FixedBuffer   bp::JsonWriter into one FixedBuffer reused across iterations (the pooled
//   item) (d) Buffer        bp::JsonWriter into one bp::Buffer reused across iterations (e)
//   Nlohmann      nlohmann::json array built, then dump() (f) ToCharsFloor  a bare std::to_chars
//   loop into a char array: the floor
// Each benchmark checks the document's size once before timing, and measures the floor (f) in its
// own setup so that the counter ratio_to_floor (its time per document / the floor's) compares
// numbers taken in the same process moments apart.
#include <benchmark/benchmark.h>

#include <charconv>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pool/buffer.h"
#include "pool/fixed_buffer.h"
#include "pool/json_writer.h"

namespace {

constexpr int kCount = 20000;
constexpr size_t kDocumentSize = 108891;  // 2 brackets + 19,999 commas + 88,890 digits
constexpr size_t kStorage = 128 * 1024;

size_t FloorBuild(char* out, size_t cap) {
  char* p = out;
  char* const end = out + cap - 1;  // a comma always fits after the last number
  *p++ = '[';
  for (int i = 0; i < kCount; ++i) {
    p = std::to_chars(p, end, i).ptr;
    *p++ = ',';
  }
  p[-1] = ']';
  return static_cast<size_t>(p - out);
}

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);  // the clock Google Benchmark's rates use
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU seconds per document of the floor, averaged over enough runs (~50 ms) to be stable.
double MeasureFloor() {
  static char out[kStorage];
  for (int i = 0; i < 50; ++i) benchmark::DoNotOptimize(FloorBuild(out, sizeof out));
  int runs = 0;
  const double start = CpuSeconds();
  double now = start;
  while (now - start < 0.05) {
    for (int i = 0; i < 50; ++i, ++runs) {
      benchmark::DoNotOptimize(FloorBuild(out, sizeof out));
      benchmark::ClobberMemory();
    }
    now = CpuSeconds();
  }
  return (now - start) / runs;
}

// Checks the size of one document, measures the floor; false (benchmark skipped) on a wrong size.
bool Setup(benchmark::State& state, size_t size, double* floor_seconds) {
  if (size != kDocumentSize) {
    state.SkipWithError("the document does not have the expected 108,891 bytes");
    return false;
  }
  *floor_seconds = MeasureFloor();
  return true;
}

// ratio_to_floor = (CPU seconds per document in the timed loop) / (the floor's).
void ReportRatio(benchmark::State& state, double floor_seconds, double loop_seconds) {
  const double per_document = loop_seconds / static_cast<double>(state.iterations());
  state.counters["ratio_to_floor"] = per_document / floor_seconds;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kDocumentSize));
}

std::string StringConcat() {
  std::string s = "[";
  for (int i = 0; i < kCount; ++i) s += std::to_string(i) + ",";
  s.back() = ']';
  return s;
}

std::string VectorJoin() {
  std::vector<std::string> list(kCount);
  for (int i = 0; i < kCount; ++i) list[i] = std::to_string(i);
  size_t total = 2 + list.size() - 1;
  for (const std::string& s : list) total += s.size();
  std::string out;
  out.reserve(total);
  out += '[';
  for (size_t i = 0; i < list.size(); ++i) {
    if (i != 0) out += ',';
    out += list[i];
  }
  out += ']';
  return out;
}

template <class Out>
bool WriteArray(Out& out) {
  out.Reset();
  bp::JsonWriter w(out);
  w.BeginArray();
  for (int i = 0; i < kCount; ++i) w.Int(i);
  w.EndArray();
  return w.Complete();
}

std::string NlohmannDump() {
  nlohmann::json array = nlohmann::json::array();
  for (int i = 0; i < kCount; ++i) array.push_back(i);
  return array.dump();
}

void BM_A_StringConcat(benchmark::State& state) {
  double floor;
  if (!Setup(state, StringConcat().size(), &floor)) return;
  const double start = CpuSeconds();
  for (auto _ : state) benchmark::DoNotOptimize(StringConcat());
  ReportRatio(state, floor, CpuSeconds() - start);
}

void BM_B_VectorJoin(benchmark::State& state) {
  double floor;
  if (!Setup(state, VectorJoin().size(), &floor)) return;
  const double start = CpuSeconds();
  for (auto _ : state) benchmark::DoNotOptimize(VectorJoin());
  ReportRatio(state, floor, CpuSeconds() - start);
}

void BM_C_JsonWriterFixedBuffer(benchmark::State& state) {
  bp::FixedBuffer item(kStorage);
  double floor;
  if (!WriteArray(item)) state.SkipWithError("the writer did not complete the document");
  if (!Setup(state, item.Len(), &floor)) return;
  const double start = CpuSeconds();
  for (auto _ : state) {
    benchmark::DoNotOptimize(WriteArray(item));
    benchmark::DoNotOptimize(item.data());
    benchmark::ClobberMemory();
  }
  ReportRatio(state, floor, CpuSeconds() - start);
}

void BM_D_JsonWriterBuffer(benchmark::State& state) {
  bp::Buffer buffer(kStorage);
  double floor;
  if (!WriteArray(buffer)) state.SkipWithError("the writer did not complete the document");
  if (!Setup(state, buffer.Len(), &floor)) return;
  const double start = CpuSeconds();
  for (auto _ : state) {
    benchmark::DoNotOptimize(WriteArray(buffer));
    benchmark::DoNotOptimize(buffer.data());
    benchmark::ClobberMemory();
  }
  ReportRatio(state, floor, CpuSeconds() - start);
}

void BM_E_NlohmannDump(benchmark::State& state) {
  double floor;
  if (!Setup(state, NlohmannDump().size(), &floor)) return;
  const double start = CpuSeconds();
  for (auto _ : state) benchmark::DoNotOptimize(NlohmannDump());
  ReportRatio(state, floor, CpuSeconds() - start);
}

void BM_F_ToCharsFloor(benchmark::State& state) {
  static char out[kStorage];
  double floor;
  if (!Setup(state, FloorBuild(out, sizeof out), &floor)) return;
  const double start = CpuSeconds();
  for (auto _ : state) {
    benchmark::DoNotOptimize(FloorBuild(out, sizeof out));
    benchmark::ClobberMemory();
  }
  ReportRatio(state, floor, CpuSeconds() - start);
}

BENCHMARK(BM_A_StringConcat);
BENCHMARK(BM_B_VectorJoin);
BENCHMARK(BM_C_JsonWriterFixedBuffer);
BENCHMARK(BM_D_JsonWriterBuffer);
BENCHMARK(BM_E_NlohmannDump);
BENCHMARK(BM_F_ToCharsFloor);

}  // namespace
