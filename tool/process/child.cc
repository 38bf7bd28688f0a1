#include "tool/process/child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tool/run/runner.h"

namespace bp {
namespace {

using Clock = std::chrono::steady_clock;

// --- The child's end of the result pipe ----------------------------------------------------
//
// Everything used from a crash handler is async-signal-safe (fstat, open, fcntl, write).
struct Channel {
  int fd = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  char reopen_path[64] = {};
  std::atomic<bool> lost{false};
  std::atomic<bool> noted{false};
};
Channel g_channel;

void Say(const char* text) {
  const ssize_t r = write(STDERR_FILENO, text, std::strlen(text));
  (void)r;
}

int MoveHigh(int fd) {
  rlimit lim{};
  int floor = 1000;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
      lim.rlim_cur <= static_cast<rlim_t>(floor) + 16) {
    floor = lim.rlim_cur > 32 ? static_cast<int>(lim.rlim_cur) - 16 : 3;
  }
  const int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
  if (high < 0) return fd;
  close(fd);
  return high;
}

bool SamePipe(int fd) {
  struct stat st {};
  return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == g_channel.dev && st.st_ino == g_channel.ino;
}

// --- The parent's side ---------------------------------------------------------------------

extern "C" void RecordStopSignal(int sig) { PendingSignal().store(sig); }

// SIGINT/SIGTERM with the default disposition would kill this process and lose the child's
// result; for the duration of the call they are recorded instead. Handlers the caller installed,
// and ignored signals, are left as they are.
class SignalGuard {
 public:
  explicit SignalGuard(bool active) {
    for (size_t i = 0; i < 2 && active; ++i) {
      struct sigaction current {};
      sigaction(kSignals[i], nullptr, &current);
      if ((current.sa_flags & SA_SIGINFO) == 0 && current.sa_handler == SIG_DFL) {
        struct sigaction record {};
        record.sa_handler = RecordStopSignal;
        record.sa_flags = SA_ONSTACK;
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

// The pipes of child `pid` as it runs, until it exits or is killed: at the deadline (the
// watchdog), or a grace after a signal forwarded to it. A pipe of -1 is not there.
void Supervise(pid_t pid, int result_fd, int err_fd, const ChildOptions& options, ChildEnd* out) {
  const auto ignore = [](const char*, size_t) {};
  const auto to_result = [&](const char* p, size_t n) {
    (options.on_result ? options.on_result : ignore)(p, n);
  };
  const auto to_tail = [&](const char* p, size_t n) { out->tail.Feed(p, n); };
  bool result_open = result_fd >= 0, err_open = err_fd >= 0;
  if (result_open) fcntl(result_fd, F_SETFL, O_NONBLOCK);
  if (err_open) fcntl(err_fd, F_SETFL, O_NONBLOCK);
  bool exited = false, forwarded = false;
  const bool watchdog = options.deadline.count() != 0;
  const bool graced = options.grace.count() != 0;
  Clock::time_point kill_at = Clock::now() + options.deadline;
  for (;;) {
    if (result_open) result_open = DrainFd(result_fd, to_result);
    if (err_open) err_open = DrainFd(err_fd, to_tail);
    if (exited) break;  // everything the child wrote before it exited has been read
    const pid_t r = waitpid(pid, &out->status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) {  // ended, or not ours to wait for
      out->reaped = r == pid;
      exited = true;
      continue;  // one more drain
    }
    const Clock::time_point now = Clock::now();
    if (const int sig = options.interrupt ? options.interrupt() : 0; sig != 0 && !forwarded) {
      // A signal to this process alone (not the group) must reach the child too. A child that
      // does not stop on it is given the grace period, not the whole deadline.
      kill(pid, sig);
      forwarded = true;
      if (graced) kill_at = watchdog ? std::min(kill_at, now + options.grace) : now + options.grace;
    }
    if ((watchdog || (forwarded && graced)) && now >= kill_at) {
      kill(pid, SIGKILL);
      while (waitpid(pid, &out->status, 0) < 0 && errno == EINTR) {
      }
      out->killed = exited = true;
      continue;
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (result_open) fds[n++] = {result_fd, POLLIN, 0};
    if (err_open) fds[n++] = {err_fd, POLLIN, 0};
    // Wakes at least every 20 ms to notice the child's exit (its pipes may be held open by
    // processes it started), signals and the watchdog; without pipes, every 5 ms.
    poll(fds, n, n != 0 ? 20 : 5);
  }
  out->tail.Finish();
}

}  // namespace

bool ChildEnd::exited() const { return reaped && !killed && WIFEXITED(status); }
int ChildEnd::exit_code() const { return exited() ? WEXITSTATUS(status) : -1; }
int ChildEnd::signal() const { return reaped && WIFSIGNALED(status) ? WTERMSIG(status) : 0; }

ChildEnd ForkChild(const ChildOptions& options,
                   const std::function<void(int result_fd, int parent_fd)>& child) {
  ChildEnd end;
  int result_pipe[2], err_pipe[2];
  if (pipe2(result_pipe, O_CLOEXEC) != 0) {
    end.error = std::string("pipe: ") + std::strerror(errno);
    return end;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    end.error = std::string("pipe: ") + std::strerror(errno);
    close(result_pipe[0]);
    close(result_pipe[1]);
    return end;
  }
  SignalGuard guard(options.record_stop_signals);  // before fork: the child inherits it
  std::fflush(nullptr);  // what stdio holds would otherwise be written twice
  const pid_t pid = fork();
  if (pid == 0) {
    // The read end stays open (close-on-exec) until the child runs: its number is how a child
    // whose pool closed the result pipe reopens it through /proc/PARENT/fd.
    close(err_pipe[0]);
    dup2(err_pipe[1], STDERR_FILENO);
    close(err_pipe[1]);
    child(result_pipe[1], result_pipe[0]);
    _exit(70);
  }
  // The parent keeps a write end of the result pipe until the child has exited: should the pool
  // close the child's end, the pipe does not read as ended, and the child can reopen it.
  close(err_pipe[1]);
  if (pid < 0) {
    end.error = std::string("fork: ") + std::strerror(errno);
    close(result_pipe[1]);
    close(result_pipe[0]);
    close(err_pipe[0]);
    return end;
  }
  Supervise(pid, result_pipe[0], err_pipe[0], options, &end);
  close(result_pipe[0]);
  close(result_pipe[1]);
  close(err_pipe[0]);
  return end;
}

ChildEnd WaitForChild(pid_t pid, const ChildOptions& options) {
  ChildEnd end;
  Supervise(pid, -1, -1, options, &end);
  return end;
}

// --- The child's side ----------------------------------------------------------------------

void OpenChildChannel(int fd, pid_t parent, int parent_fd) {
  g_channel.fd = MoveHigh(fd);
  struct stat st {};
  if (fstat(g_channel.fd, &st) == 0) {
    g_channel.dev = st.st_dev;
    g_channel.ino = st.st_ino;
  }
  std::snprintf(g_channel.reopen_path, sizeof g_channel.reopen_path, "/proc/%d/fd/%d",
                static_cast<int>(parent), parent_fd);
}

bool ChildChannelUsable() {
  if (g_channel.lost.load(std::memory_order_relaxed)) return false;
  if (SamePipe(g_channel.fd)) return true;
  const int fd = open(g_channel.reopen_path, O_WRONLY | O_CLOEXEC);
  if (fd >= 0 && SamePipe(fd)) {
    const int high = fcntl(fd, F_DUPFD_CLOEXEC, g_channel.fd > fd ? g_channel.fd : fd);
    if (high >= 0) {
      close(fd);
      g_channel.fd = high;
    } else {
      g_channel.fd = fd;
    }
    if (!g_channel.noted.exchange(true)) {
      Say("bpstress: the pool closed bpstress's result pipe; reopened it\n");
    }
    return true;
  }
  if (fd >= 0) close(fd);
  g_channel.lost.store(true);
  Say("bpstress: the pool closed bpstress's result pipe and it could not be reopened: what "
      "follows is lost\n");
  return false;
}

bool ChildChannelOpen() { return g_channel.fd >= 0; }
bool ChildChannelLost() { return g_channel.lost.load(std::memory_order_relaxed); }
int ChildChannelFd() { return g_channel.fd; }

bool WriteChildChannel(std::string_view bytes) {
  if (!ChildChannelUsable()) return false;
  return WriteAll(g_channel.fd, bytes);
}

bool CloseChildChannel() { return close(g_channel.fd) == 0; }

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

}  // namespace bp
