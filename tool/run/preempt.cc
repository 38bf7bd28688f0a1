#include "tool/run/preempt.h"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "tool/run/signals.h"

namespace bp {
namespace {

std::atomic<uint64_t> g_delivered{0};
// The handler's random state: seeded by Register, any non-zero value works.
constinit thread_local uint64_t tls_pause_rng = 0x9E3779B97F4A7C15ull;

uint64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

extern "C" void OnPreempt(int) {
  const int saved_errno = errno;
  uint64_t s = tls_pause_rng;
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  tls_pause_rng = s;
  // Give the CPU away (other threads run while this one stands still), then spin what is left
  // of a random pause of up to kMaxPauseUs.
  const uint64_t pause_ns = (1 + (s * 0x2545F4914F6CDD1Dull >> 32) % Preempter::kMaxPauseUs) * 1000;
  const uint64_t until = NowNs() + pause_ns;
  sched_yield();
  while (NowNs() < until) {
  }
  g_delivered.fetch_add(1, std::memory_order_relaxed);
  errno = saved_errno;
}

// The signal for a preempter made now, its handler installed: the first real-time signal that
// runs OnPreempt already or that nobody handles (signals.h). 0 when there is none.
int AcquireSignal() {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  const int sig = FindUnownedRealtimeSignal(reinterpret_cast<const void*>(OnPreempt));
  return sig != 0 && InstallIfUnowned(sig, OnPreempt, SA_RESTART) ? sig : 0;
}

// A task-clock event of the calling thread that overflows every `period_ns` of its CPU time and
// then signals this thread: the kernel's own hrtimer stops it wherever it is, while it runs.
// -1 when perf events are unavailable (perf_event_paranoid, seccomp, no kernel support).
int OpenCpuTimer(uint64_t period_ns, int sig) {
  perf_event_attr a;
  std::memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = PERF_TYPE_SOFTWARE;
  a.config = PERF_COUNT_SW_TASK_CLOCK;
  a.sample_period = period_ns;
  a.exclude_kernel = 1;
  a.exclude_hv = 1;
  a.disabled = 1;
  const int fd = static_cast<int>(syscall(SYS_perf_event_open, &a, 0, -1, -1,
                                          static_cast<unsigned long>(PERF_FLAG_FD_CLOEXEC)));
  if (fd < 0) return -1;
  f_owner_ex owner{F_OWNER_TID, static_cast<pid_t>(syscall(SYS_gettid))};
  if (fcntl(fd, F_SETFL, O_ASYNC) != 0 || fcntl(fd, F_SETSIG, sig) != 0 ||
      fcntl(fd, F_SETOWN_EX, &owner) != 0 || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

Preempter::Preempter(double rate, uint64_t seed, unsigned slots)
    : rate_(rate),
      signal_(AcquireSignal()),
      rng_(Mix(seed ^ 0x50EE3A7ull) | 1),
      delivered_base_(g_delivered.load()),
      threads_(slots),
      live_(slots, false),
      fds_(slots, -1) {
  sigemptyset(&saved_mask_);
  if (signal_ == 0) {
    static std::once_flag said;
    std::call_once(said, [] {
      std::fprintf(stderr,
                   "bpstress: --preempt: every real-time signal has a handler of someone else's: "
                   "this run is not preempted\n");
    });
    stop_ = true;
    return;
  }
  // Per-thread CPU-time events when the kernel allows them: the whole rate lands on running
  // threads. RATE is over all workers, which share min(threads, cpus) CPUs.
  const unsigned cpus = std::max(1u, std::min(slots, std::thread::hardware_concurrency()));
  period_ns_ = std::max<uint64_t>(10000, static_cast<uint64_t>(1e9 * cpus / std::max(rate, 1e-3)));
  if (const int probe = OpenCpuTimer(period_ns_, signal_); probe >= 0) {
    close(probe);
    per_thread_ = true;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal_);
  pthread_sigmask(SIG_BLOCK, &set, &saved_mask_);
  if (!per_thread_) timer_ = std::thread([this] { TimerMain(); });
}

Preempter::~Preempter() { Stop(); }

void Preempter::Register(unsigned slot) {
  if (signal_ == 0) return;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal_);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  tls_pause_rng = Mix(rng_ ^ slot ^ reinterpret_cast<uintptr_t>(&slot)) | 1;
  std::lock_guard<std::mutex> lock(mu_);
  if (slot >= threads_.size() || live_[slot]) return;
  threads_[slot] = pthread_self();
  live_[slot] = true;
  ++live_count_;
  if (per_thread_) fds_[slot] = OpenCpuTimer(period_ns_, signal_);
}

void Preempter::Unregister(unsigned slot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (slot >= threads_.size() || !live_[slot]) return;
  live_[slot] = false;
  --live_count_;
  if (fds_[slot] >= 0) {
    close(fds_[slot]);
    fds_[slot] = -1;
  }
}

void Preempter::Stop() {
  if (signal_ == 0) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
    // A thread that never unregistered (a hung one) stops being interrupted.
    for (int& fd : fds_) {
      if (fd >= 0) ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
    }
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr);
}

bool Preempter::SignalAvailable(std::string* error) {
  if (FindUnownedRealtimeSignal(reinterpret_cast<const void*>(OnPreempt)) != 0) return true;
  *error = "every real-time signal (SIGRTMIN..SIGRTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN) +
           ") has a handler or is ignored: none is free for preemption (--profile bench runs "
           "without it)";
  return false;
}

uint64_t Preempter::Delivered() const { return g_delivered.load() - delivered_base_; }

void Preempter::TimerMain() {
  using Clock = std::chrono::steady_clock;
  // A tick of 1 ms sends what is due since the start: the rate holds on average even when a
  // tick comes late, and a short run still gets its share.
  const Clock::time_point start = Clock::now();
  uint64_t sent = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(1));
    if (stop_) break;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const double due_total = rate_ * elapsed;
    uint64_t due =
        due_total > static_cast<double>(sent) ? static_cast<uint64_t>(due_total) - sent : 0;
    // A stalled timer does not make up more than 100 ms of signals at once.
    const uint64_t cap = static_cast<uint64_t>(rate_ / 10) + 1;
    if (due > cap) {
      sent += due - cap;
      due = cap;
    }
    for (uint64_t i = 0; i < due; ++i) {
      ++sent;
      if (live_count_ == 0) continue;
      rng_ ^= rng_ >> 12;
      rng_ ^= rng_ << 25;
      rng_ ^= rng_ >> 27;
      size_t slot = (rng_ * 0x2545F4914F6CDD1Dull >> 32) % threads_.size();
      while (!live_[slot]) slot = slot + 1 == threads_.size() ? 0 : slot + 1;
      pthread_kill(threads_[slot], signal_);
    }
  }
}

}  // namespace bp
