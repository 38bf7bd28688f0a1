// Preemption injection (--preempt RATE): worker threads are interrupted with a signal whose
// handler suspends the interrupted thread for a few microseconds, so a thread stops at an
// arbitrary instruction, inside a pool's Get or Put too.
//
// Only a thread that is running can be stopped at an arbitrary instruction; a signal sent to a
// thread waiting for a CPU is handled where the scheduler already stopped it. So each worker gets
// a perf task-clock event of its own (perf_event_open, user space only, allowed at the default
// perf_event_paranoid of 2) that signals it every `period` of its own CPU time, where period =
// min(threads, cpus) / RATE: the whole rate lands on running threads. Where perf events are not
// available (paranoid 3, seccomp), a timer thread signals random registered workers instead
// (pthread_kill), of which only those on a CPU at that moment stop at a random instruction. Races
// whose window is a few instructions wide (an ABA between a load and a CAS) need exactly that to
// show on a machine that otherwise preempts threads only at the end of their time slice.
//
// The handler is async-signal-safe: it saves errno, draws the pause from a per-thread xorshift,
// and yields the CPU (sched_yield) until the pause is over (clock_gettime), so that other threads
// run while this one is stopped. It allocates nothing and takes no lock. The signal is a real-time
// one that no handler owns when the run starts (tool/run/signals.h): the first of SIGRTMIN ..
// SIGRTMAX whose disposition is the default (or already this handler), installed with SA_RESTART
// and SA_ONSTACK and never removed, so a signal still queued after the run finds it. Not SIGURG:
// that is the Go runtime's own preemption signal, and a plugin's runtime must keep its handler.
//
// Workers register themselves (from their own thread) before their loop and unregister before
// they exit; the timer thread signals only registered threads, under a mutex the worker also
// takes to unregister, so it never signals a thread that has gone.
//
// Under ThreadSanitizer a signal is not handled where it arrives: the runtime defers it to the
// thread's next intercepted call (a libc function, a mutex), so the pause lands there and not
// between two plain instructions of the pool.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bp {

class Preempter {
 public:
  // Longest pause the handler takes, in microseconds (each pause is uniform in [1, this]).
  static constexpr unsigned kMaxPauseUs = 5;

  // Starts the timer thread: `rate` interruptions per second over all registered workers.
  Preempter(double rate, uint64_t seed, unsigned slots);
  ~Preempter();  // Stop()
  Preempter(const Preempter&) = delete;
  Preempter& operator=(const Preempter&) = delete;

  // From the worker thread itself.
  void Register(unsigned slot);
  void Unregister(unsigned slot);
  // Ends the timer thread (idempotent). Signals already sent may still be handled afterwards.
  void Stop();
  // Interruptions handled so far by threads of this process since this object was made.
  uint64_t Delivered() const;
  // The signal this preempter sends; 0 when every real-time signal had a handler of someone
  // else's at construction (it then sends nothing, and says so once on stderr).
  int signal() const { return signal_; }

  // Whether a preempter made now would find a signal; when not, *error says so in one line (the
  // command line checks this before a run: exit 2).
  static bool SignalAvailable(std::string* error);

 private:
  void TimerMain();

  const double rate_;
  const int signal_;
  uint64_t rng_;
  const uint64_t delivered_base_;
  std::mutex mu_;  // guards threads_, live_ and stop_
  std::condition_variable cv_;
  std::vector<pthread_t> threads_;
  std::vector<bool> live_;
  std::vector<int> fds_;  // per-thread CPU-time events (per_thread_ mode)
  bool per_thread_ = false;
  uint64_t period_ns_ = 0;
  unsigned live_count_ = 0;
  bool stop_ = false;
  sigset_t saved_mask_;
  std::thread timer_;
};

}  // namespace bp
