#include "tool/cli/reproduce.h"

#include <charconv>

namespace bp {

std::string DurationArg(std::chrono::nanoseconds d) {
  const long long ns = d.count();
  static constexpr std::pair<long long, const char*> kUnits[] = {
      {1000000000LL, "s"}, {1000000LL, "ms"}, {1000LL, "us"}};
  for (const auto& [per, unit] : kUnits) {
    if (ns % per == 0) return std::to_string(ns / per) + unit;
  }
  return std::to_string(ns) + "ns";
}

std::string DoubleArg(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

std::vector<std::string> ReproduceArgs(const ReproducePool& pool, const std::string& dist_spec,
                                       const RunOptions& o) {
  std::vector<std::string> a = {"run",
                                pool.plugin ? "--plugin" : "--pool",
                                pool.value,
                                "--dist",
                                dist_spec,
                                "--threads",
                                std::to_string(o.threads)};
  if (o.ops_per_thread != 0) {
    a.insert(a.end(), {"--ops", std::to_string(o.ops_per_thread)});
  } else {
    a.insert(a.end(), {"--duration", DurationArg(o.duration)});
  }
  a.insert(a.end(), {"--seed", std::to_string(o.seed), "--hold", std::to_string(o.hold),
                     "--cross-thread", DoubleArg(o.cross_thread), "--touch", TouchName(o.touch),
                     "--checks", CheckLevelName(o.checks), "--workload", WorkloadName(o.workload)});
  if (o.deadline.count() != 0) a.insert(a.end(), {"--deadline", DurationArg(o.deadline)});
  // The injection knobs, explicit whatever the profile's defaults are.
  // With --profile hunt, --preempt is the hunt phase's rate; with bench, the whole run's.
  const double rate = pool.profile == "hunt" ? o.hunt_rate : o.preempt_rate;
  const bool whole = rate == static_cast<double>(static_cast<uint64_t>(rate));
  a.insert(a.end(), {"--profile", pool.profile, "--preempt",
                     whole ? std::to_string(static_cast<uint64_t>(rate)) : DoubleArg(rate),
                     "--churn", std::to_string(o.churn)});
  if (o.double_put_rate > 0) {
    a.insert(a.end(), {"--misuse", "double-put:" + DoubleArg(o.double_put_rate)});
  }
  if (pool.misuse_fails) a.push_back("--misuse-fails");
  if (o.stop_on_violation) a.push_back("--stop-on-violation");
  if (o.max_rss_bytes != 0) a.insert(a.end(), {"--max-rss", std::to_string(o.max_rss_bytes)});
  if (!pool.allocator.empty()) a.insert(a.end(), {"--allocator", pool.allocator});
  if (pool.isolate) a.push_back("--isolate");
  return a;
}

}  // namespace bp
