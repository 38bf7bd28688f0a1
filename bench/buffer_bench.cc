// bp::Buffer against std::string: the cost of an append on the inline fast path (16-byte and
// 4 KiB pieces into a reused buffer, 64 KiB per iteration), and of growing from empty to 1 MiB,
// where Go's 2*cap + n rule and std::string's doubling make different numbers of allocations.
#include <benchmark/benchmark.h>

#include <string>

#include "pool/buffer.h"

namespace {

constexpr size_t kBatch = 64 * 1024;  // bytes appended per iteration in the append benchmarks
constexpr size_t kGrowTarget = 1 << 20;

std::string Piece(size_t n) { return std::string(n, 'x'); }

// glibc serves blocks above its mmap threshold (128 KiB at start) with fresh pages from mmap, so
// a growth benchmark would mostly count page faults, and whichever benchmark ran first would
// decide the result, because freeing such a block raises the threshold. Freeing one 4 MiB block
// first puts every growth benchmark in the same steady state: blocks come from the heap.
void WarmAllocator() {
  static const bool warmed = [] {
    auto* block = new uint8_t[4u << 20];
    benchmark::DoNotOptimize(block);
    delete[] block;
    return true;
  }();
  benchmark::DoNotOptimize(warmed);
}

void BM_BufferAppend(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const std::string piece = Piece(n);
  bp::Buffer b;
  b.Grow(kBatch);
  for (auto _ : state) {
    b.Reset();
    for (size_t done = 0; done < kBatch; done += n) b.Write(piece.data(), n);
    benchmark::DoNotOptimize(b.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}

void BM_StringAppend(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const std::string piece = Piece(n);
  std::string s;
  s.reserve(kBatch);
  for (auto _ : state) {
    s.clear();
    for (size_t done = 0; done < kBatch; done += n) s.append(piece.data(), n);
    benchmark::DoNotOptimize(s.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}

void BM_BufferGrowTo1MiB(benchmark::State& state) {
  WarmAllocator();
  const size_t n = static_cast<size_t>(state.range(0));
  const std::string piece = Piece(n);
  uint32_t allocations = 0;
  uint64_t copied = 0;
  for (auto _ : state) {
    bp::Buffer b;
    while (b.Len() < kGrowTarget) b.Write(piece.data(), n);
    benchmark::DoNotOptimize(b.data());
    allocations = b.allocations();
    copied = b.bytes_copied();
  }
  state.counters["allocations"] = allocations;
  state.counters["bytes_copied"] = static_cast<double>(copied);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kGrowTarget));
}

void BM_StringGrowTo1MiB(benchmark::State& state) {
  WarmAllocator();
  const size_t n = static_cast<size_t>(state.range(0));
  const std::string piece = Piece(n);
  for (auto _ : state) {
    std::string s;
    while (s.size() < kGrowTarget) s.append(piece.data(), n);
    benchmark::DoNotOptimize(s.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kGrowTarget));
}

BENCHMARK(BM_BufferAppend)->Arg(16)->Arg(4096);
BENCHMARK(BM_StringAppend)->Arg(16)->Arg(4096);
BENCHMARK(BM_BufferGrowTo1MiB)->Arg(16)->Arg(4096);
BENCHMARK(BM_StringGrowTo1MiB)->Arg(16)->Arg(4096);

}  // namespace
