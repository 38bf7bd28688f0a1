#include "tool/sched/scheduler.h"

#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>

#include "tool/sched/rng.h"

namespace bp::sched {

thread_local Worker* tls_worker = nullptr;

namespace {

std::atomic<bool> g_runtime_linked{false};
Scheduler* g_current = nullptr;
constexpr uint32_t kNoThread = UINT32_MAX;

// Raw futex calls, by the syscall instruction itself: the bpstress executable interposes
// syscall() (runtime/interpose.cc), and the scheduler's own hand-offs must not be modelled.
long RawFutex(std::atomic<uint32_t>* word, int op, uint32_t val, const timespec* timeout) {
#if defined(__x86_64__)
  long ret;
  register long r10 asm("r10") = reinterpret_cast<long>(timeout);
  register long r8 asm("r8") = 0;
  register long r9 asm("r9") = 0;
  asm volatile("syscall"
               : "=a"(ret)
               : "0"(long{SYS_futex}), "D"(word), "S"(long{op}), "d"(long{val}), "r"(r10), "r"(r8),
                 "r"(r9)
               : "rcx", "r11", "memory");
  return ret;
#else
  return ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, val, timeout, nullptr, 0);
#endif
}
long FutexWait(std::atomic<uint32_t>* word, uint32_t expected, const timespec* timeout) {
  return RawFutex(word, FUTEX_WAIT_PRIVATE, expected, timeout);
}
void FutexWake(std::atomic<uint32_t>* word) { RawFutex(word, FUTEX_WAKE_PRIVATE, 1, nullptr); }

double MonotonicSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The name of the system call a thread sleeps in, read from /proc (how a hang names the
// unmodelled call: the scheduler never saw it).
std::string SyscallOf(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  std::string first;
  if (!(in >> first)) return "an unknown call";
  if (first == "running") return "code that never reaches a scheduling point (running)";
  static const std::pair<int, const char*> kNames[] = {
      {0, "read"},         {1, "write"},
      {7, "poll"},         {23, "select"},
      {35, "nanosleep"},   {43, "accept"},
      {45, "recvfrom"},    {61, "wait4"},
      {202, "futex"},      {230, "clock_nanosleep"},
      {232, "epoll_wait"}, {270, "pselect6"},
      {271, "ppoll"},      {281, "epoll_pwait"}};
  const int nr = std::atoi(first.c_str());
  for (const auto& [n, name] : kNames) {
    if (n == nr) return std::string("the system call ") + name + " (" + first + ")";
  }
  return "the system call number " + first;
}

}  // namespace

struct Worker {
  enum class State { kRunnable, kBlocked, kDone };
  uint32_t id = 0;
  pthread_t thread{};
  std::atomic<pid_t> tid{0};
  std::atomic<uint32_t> go{0};       // futex: 1 = this worker's turn
  std::atomic<uint32_t> release{0};  // futex: 1 = the schedule is over, the thread may exit
  int64_t priority = 0;
  State state = State::kRunnable;
  const void* blocked_on = nullptr;
  const char* blocked_in = nullptr;  // the call it waits in
  bool timed = false;
  bool timed_out = false;
  uint32_t points = 0;
  uint64_t pc = 0;  // where it last passed a scheduling point (on_switch)
  // The last values seen by loads and failed CASes, for spin detection.
  uint64_t seen_addr[4] = {};
  uint64_t seen_value[4] = {};
  unsigned seen_pos = 0;
  unsigned repeats = 0;
  Scheduler* scheduler = nullptr;
};

const char* EventName(EventKind kind) {
  switch (kind) {
    case EventKind::kRead:
      return "read";
    case EventKind::kWrite:
      return "write";
    case EventKind::kAtomicLoad:
      return "atomic load";
    case EventKind::kAtomicStore:
      return "atomic store";
    case EventKind::kAtomicRmw:
      return "atomic rmw";
    case EventKind::kCas:
      return "compare-exchange";
    case EventKind::kFence:
      return "fence";
    case EventKind::kLock:
      return "wait";
    case EventKind::kUnlock:
      return "release";
    case EventKind::kYield:
      return "yield";
    case EventKind::kBlocked:
      return "blocked";
    case EventKind::kGet:
      return "get";
    case EventKind::kGot:
      return "got";
    case EventKind::kPut:
      return "put";
    case EventKind::kFinish:
      return "finish";
  }
  return "?";
}

bool RuntimeLinked() { return g_runtime_linked.load(std::memory_order_relaxed); }
void SetRuntimeLinked() { g_runtime_linked.store(true, std::memory_order_relaxed); }

Scheduler* Scheduler::Current() { return g_current; }

Scheduler::Scheduler(const SchedulerConfig& config, Record* record)
    : config_(config), record_(record) {}

Scheduler::~Scheduler() {
  if (g_current == this) g_current = nullptr;
  if (!failed_) {
    for (Worker* w : workers_) delete w;
  }  // else the parked threads still use theirs: left for the exiting process
}

bool Scheduler::Run(const std::function<void(int)>& body, Finding* finding) {
  record_->steps = 0;
  record_->trace_len = 0;
  record_->preemptions = 0;
  record_->ring_pos = 0;
  body_ = &body;
  g_current = this;
  SplitMix rng(config_.seed);
  const int n = config_.threads;
  std::vector<int64_t> priorities(n);
  std::iota(priorities.begin(), priorities.end(), int64_t{config_.depth});
  for (int i = n - 1; i > 0; --i) std::swap(priorities[i], priorities[rng.Below(i + 1)]);
  const uint64_t k = std::max<uint64_t>(config_.expected_steps, 1);
  for (int i = 1; i < config_.depth; ++i) change_points_.push_back(1 + rng.Below(k));
  std::sort(change_points_.begin(), change_points_.end());
  for (int i = 0; i < n; ++i) {
    Worker* w = new Worker;
    w->id = static_cast<uint32_t>(i);
    w->priority = priorities[i];
    w->scheduler = this;
    workers_.push_back(w);
  }
  for (Worker* w : workers_) {
    const int err = pthread_create(
        &w->thread, nullptr,
        [](void* arg) -> void* {
          Worker* self = static_cast<Worker*>(arg);
          self->scheduler->ThreadMain(self);
          return nullptr;
        },
        w);
    if (err != 0) {  // in a campaign's child: reported as its crash, with this line on stderr
      std::fprintf(stderr, "bpstress: cannot start a scheduled thread: %s\n", std::strerror(err));
      std::abort();
    }
  }
  // The first decision: who starts.
  current_ = nullptr;
  Worker* first = Choose(nullptr);
  Switch& s = record_->trace[record_->trace_len++];
  s = {kNoThread, 0, first->id, false};
  __atomic_store_n(&current_, first, __ATOMIC_RELEASE);
  first->go.store(1, std::memory_order_release);
  FutexWake(&first->go);

  const std::string hang = Watch();
  if (!hang.empty()) {
    failed_ = true;
    finding_.kind = "hang";
    finding_.message = hang;
    finding_.step = __atomic_load_n(&record_->steps, __ATOMIC_RELAXED);
    Worker* cur = __atomic_load_n(&current_, __ATOMIC_ACQUIRE);
    finding_.thread = cur != nullptr ? static_cast<int>(cur->id) : -1;
  }
  if (failed_) {
    *finding = finding_;
    return false;
  }
  // Threads exit one at a time, in order: thread-local destructors of the plugin run alone.
  for (Worker* w : workers_) {
    w->release.store(1, std::memory_order_release);
    FutexWake(&w->release);
    pthread_join(w->thread, nullptr);
  }
  return true;
}

// The controller's wait: until done_, or until no point was passed for hang_seconds.
std::string Scheduler::Watch() {
  uint64_t last_step = UINT64_MAX;
  double last_progress = MonotonicSeconds();
  const timespec tick = {0, 100 * 1000 * 1000};
  while (done_.load(std::memory_order_acquire) == 0) {
    FutexWait(&done_, 0, &tick);
    const uint64_t step = __atomic_load_n(&record_->steps, __ATOMIC_RELAXED);
    const double now = MonotonicSeconds();
    if (step != last_step) {
      last_step = step;
      last_progress = now;
    } else if (now - last_progress > config_.hang_seconds &&
               done_.load(std::memory_order_acquire) == 0) {
      Worker* cur = __atomic_load_n(&current_, __ATOMIC_ACQUIRE);
      if (cur == nullptr) return "no worker runs and none finished";
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.0f", config_.hang_seconds);
      return "thread " + std::to_string(cur->id) + " blocked for " + buf + " s in " +
             SyscallOf(cur->tid.load()) + ", which the scheduler does not model";
    }
  }
  return "";
}

void Scheduler::ThreadMain(Worker* w) {
  w->tid.store(static_cast<pid_t>(::syscall(SYS_gettid)));
  tls_worker = w;
  WaitTurn(w);
  (*body_)(static_cast<int>(w->id));
  Log(EventKind::kFinish, 0);
  w->state = Worker::State::kDone;
  Decide(w);
  tls_worker = nullptr;
  while (w->release.load(std::memory_order_acquire) == 0) FutexWait(&w->release, 0, nullptr);
}

void Scheduler::WaitTurn(Worker* w) {
  while (w->go.load(std::memory_order_acquire) == 0) FutexWait(&w->go, 0, nullptr);
}

Worker* Scheduler::Choose(Worker* cur) {
  auto runnable = [this](uint32_t id) {
    return id < workers_.size() && workers_[id]->state == Worker::State::kRunnable;
  };
  const bool yielding = yielding_;  // this decision's only: the thread switched to did not yield
  yielding_ = false;
  if (config_.replay != nullptr) {
    const std::vector<Switch>& tr = *config_.replay;
    const uint32_t cur_id = cur != nullptr ? cur->id : kNoThread;
    // Entries this run has passed (an edited workload) or can no longer reach are skipped.
    while (replay_pos_ < tr.size()) {
      const Switch& s = tr[replay_pos_];
      const bool stale = s.from == cur_id && cur != nullptr && s.from_point < cur->points;
      const bool gone = s.from != kNoThread && s.from < workers_.size() &&
                        workers_[s.from]->state == Worker::State::kDone && s.from != cur_id;
      if (!stale && !gone) break;
      ++replay_pos_;
    }
    if (replay_pos_ < tr.size()) {
      const Switch& s = tr[replay_pos_];
      if (s.from == cur_id && (cur == nullptr || s.from_point == cur->points)) {
        ++replay_pos_;
        if (runnable(s.to)) return workers_[s.to];
      }
    }
    // A yielding thread (a spin) hands over to the next runnable one: a trace that does not
    // say where to go (an edited one, a fuzzer's) cannot livelock on a spin.
    if (cur != nullptr && cur->state == Worker::State::kRunnable && yielding) {
      for (size_t i = 1; i < workers_.size(); ++i) {
        Worker* w = workers_[(cur->id + i) % workers_.size()];
        if (w->state == Worker::State::kRunnable) return w;
      }
    }
    if (cur != nullptr && cur->state == Worker::State::kRunnable) return cur;
    if (replay_pos_ < tr.size() && runnable(tr[replay_pos_].from)) {
      return workers_[tr[replay_pos_].from];
    }
    for (Worker* w : workers_) {
      if (w->state == Worker::State::kRunnable) return w;
    }
    return nullptr;
  }
  Worker* best = nullptr;
  for (Worker* w : workers_) {
    if (w->state == Worker::State::kRunnable && (best == nullptr || w->priority > best->priority)) {
      best = w;
    }
  }
  return best;
}

void Scheduler::Decide(Worker* cur) {
  const uint64_t step = ++record_->steps;
  ++cur->points;
  if (step > config_.max_steps) {
    Fail({"step_limit",
          "no schedule end after " + std::to_string(config_.max_steps) +
              " steps: a livelock, or a spin the scheduler does not recognise",
          0, -1});
  }
  while (next_change_ < change_points_.size() && change_points_[next_change_] <= step) {
    cur->priority = config_.depth - 1 - static_cast<int64_t>(next_change_);
    ++next_change_;
  }
  Worker* next = Choose(cur);
  if (next == nullptr) {
    for (Worker* w : workers_) {
      if (w->state == Worker::State::kBlocked && w->timed) {
        w->state = Worker::State::kRunnable;
        w->timed_out = true;
        next = w;
        break;
      }
    }
  }
  if (next == nullptr) {
    bool all_done = true;
    std::string blocked;
    for (Worker* w : workers_) {
      if (w->state == Worker::State::kDone) continue;
      all_done = false;
      char buf[128];
      std::snprintf(buf, sizeof buf, "%sthread %u waits in %s(%p)", blocked.empty() ? "" : ", ",
                    w->id, w->blocked_in != nullptr ? w->blocked_in : "?", w->blocked_on);
      blocked += buf;
    }
    if (all_done) {
      done_.store(1, std::memory_order_release);
      FutexWake(&done_);
      return;
    }
    Fail({"deadlock", "every thread is blocked: " + blocked, 0, -1});
  }
  if (next != cur) {
    const bool preempt = cur->state == Worker::State::kRunnable;
    if (record_->trace_len < Record::kMaxTrace) {
      record_->trace[record_->trace_len++] = {cur->id, cur->points, next->id, preempt};
    }
    record_->preemptions += preempt ? 1 : 0;
    if (config_.on_switch != nullptr) config_.on_switch(cur->pc, next->pc);
    Transfer(cur, next);
  }
}

void Scheduler::Transfer(Worker* cur, Worker* next) {
  const bool cur_continues = cur->state != Worker::State::kDone;
  if (cur_continues) cur->go.store(0, std::memory_order_relaxed);
  __atomic_store_n(&current_, next, __ATOMIC_RELEASE);
  next->go.store(1, std::memory_order_release);
  FutexWake(&next->go);
  if (cur_continues) WaitTurn(cur);
}

void Scheduler::LogEvent(Worker* w, EventKind kind, uint64_t addr, unsigned size, const void* pc,
                         const char* what) {
  Event& e = record_->ring[record_->ring_pos % Record::kRing];
  e.step = record_->steps;
  e.addr = addr;
  e.pc = reinterpret_cast<uint64_t>(pc);
  e.thread = w->id;
  e.kind = kind;
  e.size = static_cast<uint8_t>(size);
  e.what = what;
  ++record_->ring_pos;
}

void Scheduler::Point(EventKind kind, const volatile void* addr, unsigned size, const void* pc,
                      const char* what) {
  Worker* w = tls_worker;
  w->pc = reinterpret_cast<uint64_t>(pc);
  Decide(w);
  LogEvent(w, kind, reinterpret_cast<uint64_t>(addr), size, pc, what);
}

void Scheduler::Observe(const volatile void* addr, uint64_t value) {
  Worker* w = tls_worker;
  const uint64_t a = reinterpret_cast<uint64_t>(addr);
  for (unsigned i = 0; i < 4; ++i) {
    if (w->seen_addr[i] == a && w->seen_value[i] == value) {
      // Three repeats without a write in between: the thread waits for another one.
      if (++w->repeats >= 3) Yield(nullptr, "spin");
      return;
    }
  }
  w->seen_addr[w->seen_pos % 4] = a;
  w->seen_value[w->seen_pos % 4] = value;
  ++w->seen_pos;
}

void Scheduler::Wrote() {
  Worker* w = tls_worker;
  w->repeats = 0;
  std::fill(std::begin(w->seen_addr), std::end(w->seen_addr), 0);
}

void Scheduler::Yield(const void* pc, const char* what) {
  Worker* w = tls_worker;
  w->repeats = 0;
  std::fill(std::begin(w->seen_addr), std::end(w->seen_addr), 0);
  w->priority = lowest_--;
  if (pc != nullptr) w->pc = reinterpret_cast<uint64_t>(pc);
  yielding_ = true;
  Decide(w);
  LogEvent(w, EventKind::kYield, 0, 0, pc, what);
}

bool Scheduler::Block(const void* obj, bool timed, const void* pc, const char* what) {
  Worker* w = tls_worker;
  w->state = Worker::State::kBlocked;
  w->blocked_on = obj;
  w->blocked_in = what;
  w->timed = timed;
  w->timed_out = false;
  w->pc = reinterpret_cast<uint64_t>(pc);
  LogEvent(w, EventKind::kBlocked, reinterpret_cast<uint64_t>(obj), 0, pc, what);
  Decide(w);
  w->blocked_on = nullptr;
  return !w->timed_out;
}

int Scheduler::Wake(const void* obj, int count) {
  int woken = 0;
  for (Worker* w : workers_) {
    if (woken == count) break;
    if (w->state == Worker::State::kBlocked && w->blocked_on == obj) {
      w->state = Worker::State::kRunnable;
      ++woken;
    }
  }
  return woken;
}

void Scheduler::Log(EventKind kind, uint64_t addr) {
  Worker* w = tls_worker;
  if (kind == EventKind::kGet || kind == EventKind::kPut) Wrote();  // a new op: no spin yet
  LogEvent(w, kind, addr, 0, nullptr, nullptr);
}

void Scheduler::Fail(Finding finding) {
  Worker* w = tls_worker;
  finding.step = record_->steps;
  finding.thread = w != nullptr ? static_cast<int>(w->id) : -1;
  if (config_.trap_on_finding) raise(SIGTRAP);  // a debugger stops here, the pool as it is
  Finish(std::move(finding));
  ParkForever();
}

void Scheduler::Finish(Finding finding) {
  finding_ = std::move(finding);
  failed_ = true;
  done_.store(1, std::memory_order_release);
  FutexWake(&done_);
}

void Scheduler::ParkForever() {
  tls_worker = nullptr;
  std::atomic<uint32_t> never{0};
  for (;;) FutexWait(&never, 0, nullptr);
}

}  // namespace bp::sched
