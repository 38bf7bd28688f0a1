#include "tool/process/isolate.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <string_view>
#include <type_traits>
#include <vector>

namespace bp {
namespace internal {
namespace {

// Records are sent as their bytes; this holds for ThreadResult as long as it stays an aggregate
// of plain counters, a Histogram and Violations. A member that owns memory (a std::string, a
// vector) breaks it, and then this assert says so instead of the child sending pointers.
static_assert(std::is_trivially_copyable_v<ThreadResult>,
              "ThreadResult is sent as bytes between processes: keep it trivially copyable");
static_assert(std::is_trivially_copyable_v<PoolStats>);

constexpr char kMagic[8] = {'B', 'P', 'R', 'U', 'N', '\x01', '\0', '\0'};
constexpr char kTrailer[8] = {'B', 'P', 'E', 'N', 'D', '\0', '\0', '\0'};

// FNV-1a: catches a truncated or interleaved stream, which is all a pipe between two processes
// of one program can do wrong.
uint64_t Checksum(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

class Writer {
 public:
  void Raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  template <class T>
  void Pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    Raw(&v, sizeof v);
  }
  void Str(const std::string& s) {
    Pod(uint64_t{s.size()});
    Raw(s.data(), s.size());
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Raw(void* p, size_t n) {
    if (in_.size() < n) return false;
    std::memcpy(p, in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  template <class T>
  bool Pod(T* v) {
    static_assert(std::is_trivially_copyable_v<T>);
    return Raw(v, sizeof *v);
  }
  bool Str(std::string* s) {
    uint64_t n = 0;
    if (!Pod(&n) || n > in_.size()) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  size_t left() const { return in_.size(); }

 private:
  std::string_view in_;
};

}  // namespace

std::string EncodePoolRun(const PoolRun& run) {
  Writer w;
  w.Raw(kMagic, sizeof kMagic);
  w.Pod(uint64_t{sizeof(ThreadResult)});
  w.Str(run.name);
  w.Str(run.spec);
  w.Str(run.allocator);
  w.Pod(run.traits);
  w.Pod(run.pool_counters);
  w.Pod(run.outcome);
  w.Pod(run.stop_reason);
  w.Pod(run.seconds);
  w.Pod(run.stats);
  w.Pod(run.total);
  w.Pod(uint64_t{run.threads.size()});
  for (const ThreadResult& t : run.threads) w.Pod(t);
  w.Pod(run.outstanding);
  w.Pod(run.peak_rss_bytes);
  w.Pod(run.heap_leaked_bytes);
  w.Pod(run.signal);
  w.Str(run.stderr_tail);
  w.Pod(uint64_t{run.timeline.size()});
  for (const TimelineSample& t : run.timeline) w.Pod(t);
  w.Pod(Checksum(w.out()));
  w.Raw(kTrailer, sizeof kTrailer);
  return std::move(w.out());
}

bool DecodePoolRun(std::string_view bytes, PoolRun* out) {
  constexpr size_t kFrame = sizeof kMagic + sizeof(uint64_t) + sizeof kTrailer;
  if (bytes.size() < kFrame || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0 ||
      std::memcmp(bytes.data() + bytes.size() - sizeof kTrailer, kTrailer, sizeof kTrailer) != 0) {
    return false;
  }
  const std::string_view body = bytes.substr(0, bytes.size() - sizeof kTrailer - sizeof(uint64_t));
  uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + body.size(), sizeof sum);
  if (sum != Checksum(body)) return false;

  Reader r(body.substr(sizeof kMagic));
  PoolRun run;
  uint64_t record_size = 0, threads = 0;
  if (!r.Pod(&record_size) || record_size != sizeof(ThreadResult)) return false;
  if (!r.Str(&run.name) || !r.Str(&run.spec) || !r.Str(&run.allocator) || !r.Pod(&run.traits) ||
      !r.Pod(&run.pool_counters) || !r.Pod(&run.outcome) || !r.Pod(&run.stop_reason) ||
      !r.Pod(&run.seconds) || !r.Pod(&run.stats) || !r.Pod(&run.total) || !r.Pod(&threads) ||
      threads > r.left() / sizeof(ThreadResult)) {
    return false;
  }
  run.threads.resize(threads);
  for (ThreadResult& t : run.threads) {
    if (!r.Pod(&t)) return false;
  }
  uint64_t points = 0;
  if (!r.Pod(&run.outstanding) || !r.Pod(&run.peak_rss_bytes) || !r.Pod(&run.heap_leaked_bytes) ||
      !r.Pod(&run.signal) || !r.Str(&run.stderr_tail) || !r.Pod(&points) ||
      points > r.left() / sizeof(TimelineSample)) {
    return false;
  }
  run.timeline.resize(points);
  for (TimelineSample& t : run.timeline) {
    if (!r.Pod(&t)) return false;
  }
  if (r.left() != 0) return false;
  *out = std::move(run);
  return true;
}

}  // namespace internal

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kSanitizerMarkers[] = {
    "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",     "WARNING: ThreadSanitizer",
    "ERROR: ThreadSanitizer",  "runtime error:",           "ERROR: UndefinedBehaviorSanitizer",
    "ERROR: MemorySanitizer",  "WARNING: MemorySanitizer",
};
// A line longer than this is kept cut (a pool printing binary garbage must not fill memory).
constexpr size_t kMaxLine = 1000;

extern "C" void RecordStopSignal(int sig) { PendingSignal().store(sig); }

// SIGINT/SIGTERM with the default disposition would kill this process and lose the child's
// result; for the duration of the call they are recorded instead. Handlers the caller installed,
// and ignored signals, are left as they are.
class SignalGuard {
 public:
  SignalGuard() {
    for (size_t i = 0; i < 2; ++i) {
      struct sigaction current {};
      sigaction(kSignals[i], nullptr, &current);
      if ((current.sa_flags & SA_SIGINFO) == 0 && current.sa_handler == SIG_DFL) {
        struct sigaction record {};
        record.sa_handler = RecordStopSignal;
        sigemptyset(&record.sa_mask);
        sigaction(kSignals[i], &record, &old_[i]);
        replaced_[i] = true;
      }
    }
  }
  ~SignalGuard() {
    for (size_t i = 0; i < 2; ++i) {
      if (replaced_[i]) sigaction(kSignals[i], &old_[i], nullptr);
    }
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

 private:
  static constexpr int kSignals[2] = {SIGINT, SIGTERM};
  struct sigaction old_[2]{};
  bool replaced_[2] = {false, false};
};

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

[[noreturn]] void ChildMain(int result_fd, const std::function<PoolRun()>& body) {
  PoolRun run;
  try {
    run = body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bpstress: isolated run failed: %s\n", e.what());
    _exit(70);
  } catch (...) {
    std::fprintf(stderr, "bpstress: isolated run failed: unknown exception\n");
    _exit(70);
  }
  const bool sent = WriteAll(result_fd, internal::EncodePoolRun(run));
  close(result_fd);
  std::fflush(stdout);
  std::fflush(stderr);
  _exit(sent ? 0 : 71);
}

// The child's stderr: forwarded as it comes, last lines kept, sanitizer reports noticed.
class StderrTail {
 public:
  void Feed(const char* p, size_t n) {
    WriteAll(STDERR_FILENO, std::string_view(p, n));
    for (size_t i = 0; i < n; ++i) {
      if (p[i] == '\n') {
        EndLine();
      } else if (p[i] == '\r') {
        partial_.clear();  // a progress line overwriting itself: only its last state counts
      } else if (partial_.size() < kMaxLine) {
        partial_ += p[i];
      }
    }
  }
  void Finish() {
    if (!partial_.empty()) EndLine();
  }
  bool sanitizer() const { return !marker_line_.empty(); }
  std::string Text() const {
    std::string out;
    bool marker_kept = marker_line_.empty();
    for (const std::string& line : lines_) marker_kept |= line == marker_line_;
    if (!marker_kept) out = marker_line_ + "\n...\n";
    for (const std::string& line : lines_) out += line + "\n";
    return out;
  }

 private:
  void EndLine() {
    if (marker_line_.empty()) {
      for (const char* marker : kSanitizerMarkers) {
        if (partial_.find(marker) != std::string::npos) {
          marker_line_ = partial_;
          break;
        }
      }
    }
    lines_.push_back(std::move(partial_));
    partial_.clear();
    if (lines_.size() > kStderrTailLines) lines_.pop_front();
  }

  std::string partial_;
  std::deque<std::string> lines_;
  std::string marker_line_;
};

// Reads what is available without blocking; false once the pipe is closed (or broken).
bool DrainFd(int fd, const std::function<void(const char*, size_t)>& sink) {
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      sink(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

PoolRun Failed(const std::string& name, const std::string& spec, Outcome outcome, int signal,
               std::string tail) {
  PoolRun run;
  run.name = name;
  run.spec = spec;
  run.outcome = outcome;
  run.signal = signal;
  run.stderr_tail = std::move(tail);
  return run;
}

}  // namespace

namespace {

// Runs `start_child` in a forked child with its stderr on a pipe, then supervises it (below).
// `start_child(result_fd)` never returns: it sends the result on result_fd and _exit()s, or execs.
PoolRun Spawn(const std::string& name, const std::string& spec, const RunOptions& options,
              const std::function<void(int)>& start_child) {
  int result_pipe[2], err_pipe[2];
  if (pipe2(result_pipe, O_CLOEXEC) != 0) {
    return Failed(name, spec, Outcome::kCrashed, 0,
                  std::string("cannot isolate the run: pipe: ") + std::strerror(errno) + "\n");
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    close(result_pipe[0]);
    close(result_pipe[1]);
    return Failed(name, spec, Outcome::kCrashed, 0,
                  std::string("cannot isolate the run: pipe: ") + std::strerror(err) + "\n");
  }
  SignalGuard guard;     // before fork: the child inherits the recording handlers
  std::fflush(nullptr);  // what stdio holds would otherwise be written twice
  const pid_t pid = fork();
  if (pid == 0) {
    close(result_pipe[0]);
    close(err_pipe[0]);
    dup2(err_pipe[1], STDERR_FILENO);
    close(err_pipe[1]);
    start_child(result_pipe[1]);
    _exit(70);
  }
  close(result_pipe[1]);
  close(err_pipe[1]);
  if (pid < 0) {
    const int err = errno;
    close(result_pipe[0]);
    close(err_pipe[0]);
    return Failed(name, spec, Outcome::kCrashed, 0,
                  std::string("cannot isolate the run: fork: ") + std::strerror(err) + "\n");
  }
  fcntl(result_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);

  std::string result;
  StderrTail tail;
  const auto to_result = [&](const char* p, size_t n) { result.append(p, n); };
  const auto to_tail = [&](const char* p, size_t n) { tail.Feed(p, n); };
  bool result_open = true, err_open = true;
  bool exited = false, killed = false, forwarded = false;
  int status = 0;
  const bool watchdog = options.deadline.count() != 0;
  Clock::time_point kill_at = Clock::now() + options.deadline + kIsolateGrace;
  for (;;) {
    if (result_open) result_open = DrainFd(result_pipe[0], to_result);
    if (err_open) err_open = DrainFd(err_pipe[0], to_tail);
    if (exited) break;  // everything the child wrote before it exited has been read
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      exited = true;
      continue;  // one more drain
    }
    const Clock::time_point now = Clock::now();
    if (const int sig = PendingSignal().load(); sig != 0 && !forwarded) {
      // A signal to this process alone (not the group) must reach the run too. A child that
      // does not stop on it is given the grace period, not the whole deadline.
      kill(pid, sig);
      forwarded = true;
      kill_at = watchdog ? std::min(kill_at, now + 2 * kIsolateGrace) : now + 2 * kIsolateGrace;
    }
    if ((watchdog || forwarded) && now >= kill_at) {
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      killed = exited = true;
      continue;
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (result_open) fds[n++] = {result_pipe[0], POLLIN, 0};
    if (err_open) fds[n++] = {err_pipe[0], POLLIN, 0};
    // Wakes at least every 20 ms to notice the child's exit (its pipes may be held open by
    // processes it started), signals and the watchdog.
    poll(fds, n, 20);
  }
  close(result_pipe[0]);
  close(err_pipe[0]);
  tail.Finish();

  PoolRun decoded;
  const bool complete = internal::DecodePoolRun(result, &decoded);
  if (killed) return Failed(name, spec, Outcome::kHung, 0, tail.Text());
  if (tail.sanitizer()) {
    if (!complete) return Failed(name, spec, Outcome::kSanitizer, 0, tail.Text());
    decoded.outcome = Outcome::kSanitizer;
    decoded.stderr_tail = tail.Text();
    return decoded;
  }
  if (WIFSIGNALED(status)) {
    return Failed(name, spec, Outcome::kCrashed, WTERMSIG(status), tail.Text());
  }
  if (!complete || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string text = tail.Text();
    if (WIFEXITED(status)) {
      text += "(child exited with status " + std::to_string(WEXITSTATUS(status)) +
              (complete ? ")\n" : " without a complete result)\n");
    }
    return Failed(name, spec, Outcome::kCrashed, 0, std::move(text));
  }
  if (decoded.stderr_tail.empty()) decoded.stderr_tail = tail.Text();
  return decoded;
}

}  // namespace

PoolRun RunIsolated(const std::string& name, const std::string& spec, const RunOptions& options,
                    const std::function<PoolRun()>& body) {
  return Spawn(name, spec, options, [&](int result_fd) { ChildMain(result_fd, body); });
}

PoolRun RunExec(const std::string& name, const std::string& spec, const RunOptions& options,
                const ExecSpec& exec) {
  // Built before fork: the child only calls async-signal-safe functions until exec.
  std::vector<std::string> adds = exec.env;
  adds.push_back(std::string(kResultFdVariable) + "=" + std::to_string(kExecResultFd));
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry = *e;
    const std::string_view key = entry.substr(0, entry.find('='));
    const bool replaced = std::any_of(adds.begin(), adds.end(), [&](const std::string& s) {
      return std::string_view(s).substr(0, s.find('=')) == key;
    });
    if (!replaced) env.emplace_back(entry);
  }
  env.insert(env.end(), adds.begin(), adds.end());
  std::vector<char*> argv, envp;
  std::vector<std::string> args = exec.argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  return Spawn(name, spec, options, [&](int result_fd) {
    // The result descriptor survives exec (dup2 clears close-on-exec on the copy).
    if (result_fd == kExecResultFd) {
      fcntl(result_fd, F_SETFD, 0);
    } else {
      dup2(result_fd, kExecResultFd);
      close(result_fd);
    }
    execve(exec.path.c_str(), argv.data(), envp.data());
    const char* why = std::strerror(errno);
    for (const char* part : {"bpstress: cannot run ", exec.path.c_str(), ": ", why, "\n"}) {
      WriteAll(STDERR_FILENO, part);
    }
    _exit(127);
  });
}

bool SendResult(int fd, const PoolRun& run) {
  const bool sent = WriteAll(fd, internal::EncodePoolRun(run));
  return close(fd) == 0 && sent;
}

}  // namespace bp
