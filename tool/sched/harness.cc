#include "tool/sched/harness.h"

#include <signal.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <unordered_map>
#include <vector>

namespace bp::sched {
namespace {

struct Held {
  bp_buffer buf;
  uint32_t size;
  uint8_t pattern;
};

struct Owner {
  int thread;
  uint64_t step;
};

std::string Hex(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

// The first byte of a held buffer that is not the holder's pattern, or -1.
long FirstMismatch(const Held& h) {
  for (uint32_t i = 0; i < h.size; ++i) {
    if (h.buf.data[i] != h.pattern) return static_cast<long>(i);
  }
  return -1;
}

class Harness {
 public:
  Harness(const ScheduleRun& run, void* pool)
      : api_(*run.api), pool_(pool), ops_(run.workload->ops), held_(ops_.size()) {}

  // One worker's ops (on a scheduled thread).
  void Body(int t) {
    Scheduler* s = Scheduler::Current();
    std::vector<Held>& mine = held_[t];
    for (size_t j = 0; j < ops_[t].size(); ++j) {
      const Op& op = ops_[t][j];
      if (op.get) {
        s->Log(EventKind::kGet, op.value);
        bp_buffer b{};
        if (api_.get(pool_, op.value, &b) != 0) continue;  // refused: counted by run, not here
        s->Log(EventKind::kGot, reinterpret_cast<uint64_t>(b.data));
        if (b.data == nullptr || b.cap < op.value) {
          s->Fail({"short_capacity",
                   "get(" + std::to_string(op.value) + ") returned " + Hex(b.data) + " with cap " +
                       std::to_string(b.cap),
                   0, -1});
        }
        const auto it = owners_.find(b.data);
        if (it != owners_.end()) {
          s->Fail({"double_handout",
                   "buffer " + Hex(b.data) + " handed to thread " + std::to_string(t) +
                       " while thread " + std::to_string(it->second.thread) +
                       " holds it (got at step " + std::to_string(it->second.step) + ")",
                   0, -1});
        }
        const uint8_t pattern = static_cast<uint8_t>((t * 37 + j * 11) | 1);
        std::memset(b.data, pattern, op.value);
        owners_[b.data] = {t, s->step()};
        mine.push_back({b, op.value, pattern});
        seen_.insert(b.data);
      } else {
        if (op.value >= mine.size()) continue;  // a shrunk workload may put what it no longer got
        Held h = mine[op.value];
        mine.erase(mine.begin() + op.value);
        const long bad = FirstMismatch(h);
        if (bad >= 0) {
          s->Fail({"corruption",
                   "buffer " + Hex(h.buf.data) + " held by thread " + std::to_string(t) +
                       " changed at byte " + std::to_string(bad) + " before its put",
                   0, -1});
        }
        owners_.erase(h.buf.data);
        s->Log(EventKind::kPut, reinterpret_cast<uint64_t>(h.buf.data));
        api_.put(pool_, &h.buf);
      }
    }
  }

  // After the schedule, on the calling thread: what is still held goes back, then the drain.
  bool PutBackAndDrain(const std::set<uint32_t>& sizes, Finding* finding) {
    for (std::vector<Held>& mine : held_) {
      for (Held& h : mine) api_.put(pool_, &h.buf);
      mine.clear();
    }
    std::vector<bp_buffer> drained;
    std::set<unsigned char*> taken;
    bool clean = true;
    for (const uint32_t size : sizes) {
      // More than the pool can have kept: every buffer it ever handed out, and one.
      for (size_t i = 0; clean && i <= seen_.size(); ++i) {
        bp_buffer b{};
        if (api_.get(pool_, size, &b) != 0) break;
        if (!taken.insert(b.data).second) {
          *finding = {"double_handout",
                      "the drain after the schedule got buffer " + Hex(b.data) +
                          " twice without putting it back: the free list is corrupted",
                      0, -1};
          clean = false;
          break;
        }
        drained.push_back(b);
      }
    }
    if (clean) {
      for (bp_buffer& b : drained) api_.put(pool_, &b);
    }
    return clean;
  }

  void NotePrefill(unsigned char* data) { seen_.insert(data); }

 private:
  const bp_pool_api& api_;
  void* pool_;
  const std::vector<std::vector<Op>>& ops_;
  std::vector<std::vector<Held>> held_;
  std::unordered_map<unsigned char*, Owner> owners_;
  std::set<unsigned char*> seen_;
};

}  // namespace

bool RunOneSchedule(const ScheduleRun& run, Record* record, Finding* finding) {
  const Workload& w = *run.workload;
  record->schedules = record->schedules + 1;
  record->phase = Record::kSetup;
  char err[256] = "";
  void* pool = run.api->create(run.options.c_str(), err, sizeof err);
  if (pool == nullptr) {
    *finding = {"create_failed", std::string("create failed: ") + err, 0, -1};
    return false;
  }
  Harness harness(run, pool);
  std::set<uint32_t> sizes = {w.prefill_size};
  for (const auto& ops : w.ops) {
    for (const Op& op : ops) {
      if (op.get) sizes.insert(op.value);
    }
  }
  std::vector<bp_buffer> prefill(w.prefill);
  uint32_t got = 0;
  for (bp_buffer& b : prefill) {
    if (run.api->get(pool, w.prefill_size, &b) != 0) break;
    harness.NotePrefill(b.data);
    ++got;
  }
  for (uint32_t i = 0; i < got; ++i) run.api->put(pool, &prefill[i]);

  SchedulerConfig config = run.config;
  config.threads = w.threads;
  Scheduler scheduler(config, record);
  record->phase = Record::kRun;
  if (!scheduler.Run([&harness](int t) { harness.Body(t); }, finding)) return false;
  record->phase = Record::kAfter;
  if (!harness.PutBackAndDrain(sizes, finding)) {
    if (config.trap_on_finding) raise(SIGTRAP);  // a debugger stops here, the pool as it is
    return false;
  }
  run.api->destroy(pool);
  return true;
}

}  // namespace bp::sched
