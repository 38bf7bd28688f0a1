// Property: Distribution::Parse never crashes on any spec, and a spec it accepts is consistent:
// min_size() <= mean() <= max_size() within [1, 1T] ([0, 1T] for edges, the one distribution that
// draws 0), the canonical spec() parses again to the same
// canonical spec, Describe() is one line, and 100 samples from two threads all lie within
// [min_size(), max_size()]. Errors must be one line with exit code 2. `trace:` specs are skipped so
// the fuzzer never opens files (tests/dist_test.cc covers traces).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "tool/run/dist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view spec(reinterpret_cast<const char*>(data), size);
  if (spec.substr(0, 5) == "trace") return 0;
  auto parsed = bp::Distribution::Parse(spec);
  if (const auto* e = std::get_if<bp::DistError>(&parsed)) {
    FUZZ_CHECK(e->exit_code == 2 && !e->message.empty() &&
               e->message.find('\n') == std::string::npos);
    return 0;
  }
  const bp::Distribution& d = std::get<bp::Distribution>(parsed);
  FUZZ_CHECK(d.min_size() >= (d.edges() ? 0u : 1u) && d.min_size() <= d.max_size());
  FUZZ_CHECK(d.max_size() <= bp::Distribution::kMaxSize);
  FUZZ_CHECK(d.mean() >= static_cast<double>(d.min_size()) &&
             d.mean() <= static_cast<double>(d.max_size()));
  FUZZ_CHECK(d.Describe().find('\n') == std::string::npos);
  auto again = bp::Distribution::Parse(d.spec());
  const auto* reparsed = std::get_if<bp::Distribution>(&again);
  FUZZ_CHECK(reparsed != nullptr && reparsed->spec() == d.spec());
  for (unsigned thread = 0; thread < 2; ++thread) {
    auto sampler = d.MakeSampler(size, thread, 2);
    for (int i = 0; i < 50; ++i) {
      const uint64_t v = sampler.Next();
      FUZZ_CHECK(v >= d.min_size() && v <= d.max_size());
    }
  }
  return 0;
}
