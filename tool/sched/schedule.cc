#include "tool/sched/schedule.h"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tool/sched/rng.h"

namespace bp::sched {

size_t Workload::OpCount() const {
  size_t n = 0;
  for (const auto& t : ops) n += t.size();
  return n;
}

Workload DrawWorkload(uint64_t seed, int threads, uint32_t ops_per_thread) {
  static constexpr uint32_t kSizes[] = {16, 64, 200, 1024, 4096};
  SplitMix rng(seed);
  Workload w;
  // Most races need two threads; more threads cost steps that dilute the change points.
  w.threads =
      rng.Below(4) == 0 ? static_cast<int>(rng.Between(2, 8)) : static_cast<int>(rng.Between(2, 3));
  if (threads > 0) w.threads = threads;
  uint32_t sizes[2];
  const size_t nsizes = rng.Between(1, 2);
  for (size_t i = 0; i < nsizes; ++i) sizes[i] = kSizes[rng.Below(std::size(kSizes))];
  w.prefill = static_cast<uint32_t>(rng.Below(5));
  w.prefill_size = sizes[0];
  w.ops.resize(w.threads);
  for (auto& ops : w.ops) {
    const uint64_t drawn = rng.Between(2, 8);
    const uint64_t count = ops_per_thread > 0 ? ops_per_thread : drawn;
    const uint64_t max_hold = rng.Between(1, 3);
    uint32_t held = 0;
    for (uint64_t j = 0; j < count; ++j) {
      if (held == 0 || (held < max_hold && rng.Below(2) == 0)) {
        ops.push_back({true, sizes[rng.Below(nsizes)]});
        ++held;
      } else {
        // The oldest or the newest: FIFO and LIFO reuse reach different pool states.
        ops.push_back({false, rng.Below(2) == 0 ? 0 : held - 1});
        --held;
      }
    }
    while (held > 0) {
      ops.push_back({false, 0});
      --held;
    }
  }
  return w;
}

std::vector<Switch> TraceOf(const Record& record) {
  return std::vector<Switch>(record.trace, record.trace + record.trace_len);
}

uint32_t PreemptionsOf(const std::vector<Switch>& trace) {
  uint32_t n = 0;
  for (const Switch& s : trace) n += s.preempt ? 1 : 0;
  return n;
}

std::string ToJson(const ScheduleFile& f) {
  // Compact text: one string per thread ("g64 g64 p0") and one for the trace ("-@0>1 1@7>0!").
  nlohmann::json ops = nlohmann::json::array();
  for (const auto& thread : f.workload.ops) {
    std::string text;
    for (const Op& op : thread) {
      if (!text.empty()) text += ' ';
      text += op.get ? 'g' : 'p';
      text += std::to_string(op.value);
    }
    ops.push_back(text);
  }
  std::string trace;
  for (const Switch& s : f.trace) {
    if (!trace.empty()) trace += ' ';
    trace += s.from == UINT32_MAX ? std::string("-") : std::to_string(s.from);
    trace += '@';
    trace += std::to_string(s.from_point);
    trace += '>';
    trace += std::to_string(s.to);
    if (s.preempt) trace += '!';
  }
  const nlohmann::json j = {{"version", 1},
                            {"plugin", f.plugin},
                            {"options", f.options},
                            {"seed", f.seed},
                            {"depth", f.depth},
                            {"points", f.all_points ? "all" : "atomics"},
                            {"expected_steps", f.expected_steps},
                            {"threads", f.workload.threads},
                            {"prefill", f.workload.prefill},
                            {"prefill_size", f.workload.prefill_size},
                            {"ops", ops},
                            {"trace", trace},
                            {"finding",
                             {{"kind", f.finding.kind},
                              {"message", f.finding.message},
                              {"step", f.finding.step},
                              {"thread", f.finding.thread}}},
                            {"steps", f.steps},
                            {"preemptions", f.preemptions}};
  return j.dump(1) + "\n";
}

bool FromJson(const std::string& text, ScheduleFile* f, std::string* error) {
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (j.at("version").get<int>() != 1) {
      *error = "schedule file version " + j.at("version").dump() + " (this bpstress reads 1)";
      return false;
    }
    f->plugin = j.at("plugin").get<std::string>();
    f->options = j.value("options", "");
    f->seed = j.value("seed", uint64_t{0});
    f->depth = j.value("depth", 3);
    f->all_points = j.value("points", "atomics") == "all";
    f->expected_steps = j.value("expected_steps", uint64_t{0});
    f->workload.threads = j.at("threads").get<int>();
    f->workload.prefill = j.value("prefill", 0u);
    f->workload.prefill_size = j.value("prefill_size", 64u);
    if (f->workload.threads < 1 || f->workload.threads > 64) {
      *error = "threads must be in 1..64";
      return false;
    }
    f->workload.ops.clear();
    for (const auto& thread : j.at("ops")) {
      std::vector<Op> list;
      std::istringstream words(thread.get<std::string>());
      std::string w;
      while (words >> w) {
        char* end = nullptr;
        const unsigned long v = w.size() > 1 ? std::strtoul(w.c_str() + 1, &end, 10) : 0;
        if (w.size() < 2 || (w[0] != 'g' && w[0] != 'p') || *end != '\0' || v > (1ul << 30)) {
          *error = "op '" + w + "' is not gSIZE or pINDEX";
          return false;
        }
        list.push_back({w[0] == 'g', static_cast<uint32_t>(v)});
      }
      f->workload.ops.push_back(std::move(list));
    }
    if (static_cast<int>(f->workload.ops.size()) != f->workload.threads) {
      *error = "ops has " + std::to_string(f->workload.ops.size()) + " lists for " +
               std::to_string(f->workload.threads) + " threads";
      return false;
    }
    f->trace.clear();
    std::istringstream switches(j.at("trace").get<std::string>());
    std::string w;
    while (switches >> w) {
      unsigned long from = UINT32_MAX, point = 0, to = 0;
      char bang = 0;
      const bool initial = w[0] == '-';
      const int n = initial ? std::sscanf(w.c_str(), "-@%lu>%lu%c", &point, &to, &bang) + 1
                            : std::sscanf(w.c_str(), "%lu@%lu>%lu%c", &from, &point, &to, &bang);
      if (n < 3 || to >= static_cast<unsigned long>(f->workload.threads) ||
          (!initial && from >= static_cast<unsigned long>(f->workload.threads)) ||
          (n == 4 && bang != '!')) {
        *error = "switch '" + w + "' is not FROM@POINT>TO[!] with threads in range";
        return false;
      }
      f->trace.push_back({static_cast<uint32_t>(from), static_cast<uint32_t>(point),
                          static_cast<uint32_t>(to), n == 4});
    }
    if (j.contains("finding")) {
      const auto& fd = j.at("finding");
      f->finding.kind = fd.value("kind", "");
      f->finding.message = fd.value("message", "");
      f->finding.step = fd.value("step", uint64_t{0});
      f->finding.thread = fd.value("thread", -1);
    }
    f->steps = j.value("steps", uint64_t{0});
    f->preemptions = j.value("preemptions", 0u);
    return true;
  } catch (const std::exception& e) {
    *error = std::string("not a schedule file: ") + e.what();
    return false;
  }
}

}  // namespace bp::sched
