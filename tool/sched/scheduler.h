// The deterministic scheduler: runs N workers on N OS threads of their own, exactly one at a time,
// and decides at every scheduling point which one runs next.
//
// Scheduling points are the calls that a plugin compiled with -fsanitize=thread makes into the
// __tsan_* hooks (tool/sched/runtime/tsan_hooks.cc: atomics always, plain loads and stores with
// --points all) and the blocking calls interposed from the executable (runtime/interpose.cc:
// mutexes, condition variables, semaphores, sleeps, futex). Each point is a decision:
//   - recording (PCT, Burckhardt et al., ASPLOS 2010): random distinct priorities, depth-1 points
//     at which the running thread drops below every other; the highest-priority enabled thread
//     runs. A thread that keeps observing the same values (a spin loop) or yields drops to the
//     bottom too, so a spin loop cannot livelock the scheduler.
//   - replaying: a recorded switch trace, keyed by (thread, that thread's own point count), so an
//     edited workload (shrinking) still follows the trace where it can.
// Every switch (from, its point count, to) is appended to the trace, whichever mode decided it.
//
// Hand-off: each worker sleeps on a futex word of its own; the running thread sets the next one's
// word and wakes it, then sleeps on its own. About 2 futex calls per switch, none per point that
// does not switch.
//
// A finding (a detector of the harness, a deadlock, the step limit, a call that blocks outside
// the model) ends the schedule: the finding is recorded, the controller is woken, and the workers
// stay parked forever. The process is expected to exit soon after (a campaign runs in a child).
//
// Thread safety: one Scheduler runs at a time per process (Current()); its state is touched only
// by the one running worker, or by the controller while no worker runs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bp::sched {

// What happened at a logged step (the ring that `replay` prints).
enum class EventKind : uint8_t {
  kRead,
  kWrite,
  kAtomicLoad,
  kAtomicStore,
  kAtomicRmw,
  kCas,
  kFence,
  kLock,     // a modelled blocking call (mutex, rwlock, sem, cond, once, futex)
  kUnlock,   // a modelled release (unlock, post, signal, wake)
  kYield,    // sched_yield, a sleep
  kBlocked,  // the thread could not proceed and waits
  kGet,      // the harness calls get (addr = size)
  kGot,      // get returned (addr = data)
  kPut,      // the harness calls put (addr = data)
  kFinish,   // the worker's ops are done
};
const char* EventName(EventKind kind);

struct Event {
  uint64_t step;
  uint64_t addr;
  uint64_t pc;  // the instrumented instruction's return address, 0 for harness events
  uint32_t thread;
  EventKind kind;
  uint8_t size;
  const char* what;  // the interposed function's name, or nullptr
};

struct Switch {
  uint32_t from;        // the thread that was running
  uint32_t from_point;  // its own count of points at the decision
  uint32_t to;
  bool preempt;  // `from` could have continued
};

// Where a schedule's record goes: the caller's memory (shared with a parent process when the
// schedule runs in a child, so that a crash still leaves the trace and the last steps behind).
struct Record {
  static constexpr size_t kMaxTrace = 1 << 20;  // = the default max_steps: never full
  static constexpr size_t kRing = 256;
  // Where the schedule is: set by its runner (harness.h), read by a parent that kills a child
  // which stopped making progress.
  enum Phase : uint32_t { kSetup, kRun, kAfter };
  volatile uint32_t phase = kSetup;
  volatile uint64_t schedules = 0;  // begun in this process
  uint64_t steps = 0;
  uint32_t trace_len = 0;
  uint32_t preemptions = 0;
  Switch trace[kMaxTrace];
  uint64_t ring_pos = 0;  // events written so far; the ring holds the last kRing
  Event ring[kRing];
};

struct Finding {
  std::string kind;  // double_handout, corruption, short_capacity, deadlock, hang, step_limit, ...
  std::string message;
  uint64_t step = 0;
  int thread = -1;
};

struct SchedulerConfig {
  int threads = 2;
  int depth = 3;
  uint64_t seed = 1;
  bool all_points = false;      // plain loads and stores are points too
  uint64_t expected_steps = 0;  // PCT's k: the change points fall in 1..k
  uint64_t max_steps = 1 << 20;
  double hang_seconds = 5;  // no point for this long while a worker runs: a hang
  const std::vector<Switch>* replay = nullptr;  // follow this trace instead of PCT
  bool trap_on_finding = false;  // raise SIGTRAP where a finding is made (replay --gdb)
  // Called at every switch with the scheduling point where the running thread stopped and the
  // one where the next thread resumes (return addresses; 0 where a thread has passed none yet):
  // the schedule fuzzer's interleaving coverage. Runs on the scheduled thread; must not block.
  void (*on_switch)(uint64_t from_pc, uint64_t to_pc) = nullptr;
};

struct Worker;

class Scheduler {
 public:
  // `record` must outlive Run; it is reset by Run.
  Scheduler(const SchedulerConfig& config, Record* record);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs body(i) on thread i for every i, one at a time, to the end or to the first finding.
  // Returns false with *finding filled when the schedule ended in a finding (the workers are then
  // parked for good: the caller exits the process soon).
  bool Run(const std::function<void(int)>& body, Finding* finding);

  // The scheduler running now, or nullptr.
  static Scheduler* Current();

  // --- called on a scheduled thread (tls_worker != nullptr) ---
  // A scheduling point before an access or call.
  void Point(EventKind kind, const volatile void* addr, unsigned size, const void* pc,
             const char* what = nullptr);
  // After a load or a failed compare-and-swap: the value seen. Seeing the same few values again
  // and again without writing is a spin: the thread yields.
  void Observe(const volatile void* addr, uint64_t value);
  // After a store or a successful read-modify-write.
  void Wrote();
  // The thread gives up its turn (sched_yield, a sleep, a spin).
  void Yield(const void* pc, const char* what);
  // Waits until Wake(obj) by another thread; false when the wait timed out (only when `timed` and
  // every other thread is blocked too).
  bool Block(const void* obj, bool timed, const void* pc, const char* what);
  // Makes waiters on obj runnable (they run when the policy picks them). Returns how many.
  int Wake(const void* obj, int count);
  // A harness event: logged, not a decision.
  void Log(EventKind kind, uint64_t addr);
  // Ends the schedule with a finding (a detector fired on this thread); does not return.
  [[noreturn]] void Fail(Finding finding);

  bool all_points() const { return config_.all_points; }
  uint64_t step() const { return record_->steps; }

 private:
  void Decide(Worker* cur);
  Worker* Choose(Worker* cur);
  void Transfer(Worker* cur, Worker* next);
  void WaitTurn(Worker* w);
  void ThreadMain(Worker* w);
  void Finish(Finding finding);
  [[noreturn]] void ParkForever();
  void LogEvent(Worker* w, EventKind kind, uint64_t addr, unsigned size, const void* pc,
                const char* what);
  std::string Watch();

  SchedulerConfig config_;
  Record* record_;
  std::vector<Worker*> workers_;
  Worker* current_ = nullptr;
  std::vector<uint64_t> change_points_;  // sorted steps
  size_t next_change_ = 0;
  int64_t lowest_ = 0;  // the next bottom priority given to a yielding thread
  size_t replay_pos_ = 0;
  const std::function<void(int)>* body_ = nullptr;
  std::atomic<uint32_t> done_{0};  // futex: 1 once every worker finished or a finding ended it
  Finding finding_;
  bool failed_ = false;
  bool yielding_ = false;  // the running thread gives up its turn (Yield)
};

// The scheduled worker of this thread, nullptr on every thread that is not under a scheduler:
// the hooks return at once when it is null (one thread-local load).
extern thread_local Worker* tls_worker;

// Set by the hooks' translation unit when it is linked in (the bpstress executable of a build
// without sanitizers): the instrumented plugins' calls reach this scheduler.
bool RuntimeLinked();
void SetRuntimeLinked();

}  // namespace bp::sched
