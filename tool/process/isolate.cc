#include "tool/process/isolate.h"

#include <execinfo.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <string_view>
#include <type_traits>
#include <vector>

#include "build_info.h"
#include "tool/run/crash_counters.h"
#include "tool/run/signals.h"

namespace bp {
namespace internal {
namespace {

// Records are sent as their bytes; this holds for ThreadResult as long as it stays an aggregate
// of plain counters, a Histogram and Violations. A member that owns memory (a std::string, a
// vector) breaks it, and then this assert says so instead of the child sending pointers.
static_assert(std::is_trivially_copyable_v<ThreadResult>,
              "ThreadResult is sent as bytes between processes: keep it trivially copyable");
static_assert(std::is_trivially_copyable_v<PoolStats>);

constexpr char kMagic[8] = {'B', 'P', 'R', 'U', 'N', '\x03', '\0', '\0'};
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

// A PoolRun field on the wire: strings and vectors as a count and their elements, everything else
// (trivially copyable, asserted) as its bytes.
class Writer {
 public:
  void Raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  template <class T>
  void Pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    Raw(&v, sizeof v);
  }
  void Put(const std::string& s) {
    Pod(uint64_t{s.size()});
    Raw(s.data(), s.size());
  }
  template <class T>
  void Put(const std::vector<T>& v) {
    Pod(uint64_t{v.size()});
    for (const T& e : v) Put(e);
  }
  void Put(const LeakSite& s) {
    Put(s.where);
    Pod(s.bytes);
    Pod(s.blocks);
  }
  template <class T>
  void Put(const T& v) {
    Pod(v);
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
  bool Get(std::string* s) {
    uint64_t n = 0;
    if (!Pod(&n) || n > in_.size()) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  // A count is checked against the bytes left (each element takes at least 8 bytes, or its size)
  // before anything is allocated for it.
  template <class T>
  bool Get(std::vector<T>* v) {
    constexpr size_t kMinBytes = std::is_trivially_copyable_v<T> ? sizeof(T) : sizeof(uint64_t);
    uint64_t n = 0;
    if (!Pod(&n) || n > in_.size() / kMinBytes) return false;
    v->resize(n);
    for (T& e : *v) {
      if (!Get(&e)) return false;
    }
    return true;
  }
  bool Get(LeakSite* s) { return Get(&s->where) && Pod(&s->bytes) && Pod(&s->blocks); }
  template <class T>
  bool Get(T* v) {
    return Pod(v);
  }
  size_t left() const { return in_.size(); }

 private:
  std::string_view in_;
};

}  // namespace

// The fields in PoolRun::Fields order, framed by kMagic, the ThreadResult record size, a checksum
// and kTrailer.
std::string EncodePoolRun(const PoolRun& run) {
  Writer w;
  w.Raw(kMagic, sizeof kMagic);
  w.Pod(uint64_t{sizeof(ThreadResult)});
  PoolRun::Fields([&](const char*, auto member, auto) { w.Put(run.*member); });
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
  uint64_t record_size = 0;
  if (!r.Pod(&record_size) || record_size != sizeof(ThreadResult)) return false;
  bool ok = true;
  PoolRun::Fields([&](const char*, auto member, auto) { ok = ok && r.Get(&(run.*member)); });
  if (!ok || r.left() != 0) return false;
  *out = std::move(run);
  return true;
}

std::string EncodeSample(const LiveSample& s) {
  Writer w;
  w.Pod(s.phase);
  w.Pod(s.t);
  w.Pod(s.exact);
  w.Pod(s.ops);
  w.Pod(s.gets);
  w.Pod(s.puts);
  w.Pod(s.refused);
  w.Pod(s.handoffs);
  w.Pod(s.double_puts);
  w.Pod(s.stats_known);
  w.Pod(s.stats);
  w.Pod(s.violations);
  w.Pod(uint64_t{s.new_examples.size()});
  for (const ViolationExample& e : s.new_examples) w.Pod(e);
  return std::move(w.out());
}

bool DecodeSample(std::string_view bytes, LiveSample* out) {
  Reader r(bytes);
  LiveSample s;
  uint64_t n = 0;
  if (!r.Pod(&s.phase) || !r.Pod(&s.t) || !r.Pod(&s.exact) || !r.Pod(&s.ops) || !r.Pod(&s.gets) ||
      !r.Pod(&s.puts) || !r.Pod(&s.refused) || !r.Pod(&s.handoffs) || !r.Pod(&s.double_puts) ||
      !r.Pod(&s.stats_known) || !r.Pod(&s.stats) || !r.Pod(&s.violations) || !r.Pod(&n) ||
      n != r.left() / sizeof(ViolationExample) || r.left() % sizeof(ViolationExample) != 0 ||
      static_cast<uint8_t>(s.phase) > static_cast<uint8_t>(Phase::kDone)) {
    return false;
  }
  s.new_examples.resize(n);
  for (ViolationExample& e : s.new_examples) {
    if (!r.Pod(&e) || static_cast<size_t>(e.kind) >= kViolationKinds) return false;
  }
  *out = std::move(s);
  return true;
}

}  // namespace internal

namespace {

// --- The stream from child to parent -------------------------------------------------------
//
// The result pipe carries frames: a 16-byte header (kFrameMagic, type, payload length) and the
// payload. Samples, the crash record and the /proc/self/maps chunks each fit in PIPE_BUF and are
// written with one write(2), so frames written by two threads (a worker crashing while the
// controller sends a sample) never interleave. The result frame comes last, from the controller.
constexpr uint32_t kFrameMagic = 0x31465042;  // "BPF1"
enum FrameType : uint32_t { kFrameSample = 1, kFrameResult = 2, kFrameCrash = 3, kFrameMaps = 4 };
struct FrameHeader {
  uint32_t magic;
  uint32_t type;
  uint64_t length;
};
constexpr size_t kMaxAtomicFrame = PIPE_BUF;

constexpr int kMaxCrashFrames = 48;
struct CrashRecord {
  int32_t signal;
  int32_t code;
  uint64_t address;
  uint64_t pc;
  uint32_t has_address;
  uint32_t frames;
  uint64_t frame[kMaxCrashFrames];
  // What the workers last published (crash_counters.h), newer than the last sample sent.
  uint32_t has_counters;
  uint32_t pad;
  uint64_t counters[kCrashCounterFields];
};
static_assert(sizeof(FrameHeader) + sizeof(CrashRecord) <= kMaxAtomicFrame);

// The child's end of the result pipe. A pool may close descriptors it does not own (daemon-style
// "close everything above 2"), so the pipe is moved to a high descriptor, and before each frame
// the descriptor is checked to still be the pipe (same device and inode); when it is not, the
// pipe is reopened through the parent's read end (/proc/PARENT/fd/N, opened for writing), and
// when that fails too the child says so on stderr, which the parent keeps. Everything used from
// the crash handler is async-signal-safe (fstat, open, fcntl, write).
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

// True when g_channel.fd is the pipe (reopened if the pool closed it).
bool ChannelUsable() {
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

bool WriteAll(int fd, std::string_view bytes);

// One frame; `payload` up to kMaxAtomicFrame - 16 bytes goes out in one write(2).
bool SendFrame(FrameType type, std::string_view payload) {
  if (!ChannelUsable()) return false;
  const FrameHeader h{kFrameMagic, type, payload.size()};
  std::string bytes(reinterpret_cast<const char*>(&h), sizeof h);
  bytes.append(payload);
  return WriteAll(g_channel.fd, bytes);
}

void OpenChannel(int fd, pid_t parent, int parent_fd) {
  g_channel.fd = MoveHigh(fd);
  struct stat st {};
  if (fstat(g_channel.fd, &st) == 0) {
    g_channel.dev = st.st_dev;
    g_channel.ino = st.st_ino;
  }
  std::snprintf(g_channel.reopen_path, sizeof g_channel.reopen_path, "/proc/%d/fd/%d",
                static_cast<int>(parent), parent_fd);
}

// The crash handler: the crashing thread's stack (raw return addresses; backtrace() was called
// once at install so that libgcc is loaded and it allocates nothing here), then /proc/self/maps
// read with read(2) in chunks, so the parent can turn addresses into module+offset. Then the
// default action, restored by the handler: a fault re-executes and kills, a raised signal (abort)
// is raised again and delivered when the handler returns. A second thread that crashes meanwhile
// waits until the first one's record is out.
std::atomic<bool> g_crashing{false};
std::atomic<bool> g_crash_sent{false};

// The signal's default action from now on (sigaction is async-signal-safe).
void RestoreDefault(int sig) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
}
alignas(16) char g_crash_buf[kMaxAtomicFrame];

void WriteCrashFrame(uint32_t type, const void* payload, size_t n) {
  FrameHeader h{kFrameMagic, type, n};
  std::memcpy(g_crash_buf, &h, sizeof h);
  std::memcpy(g_crash_buf + sizeof h, payload, n);
  const char* p = g_crash_buf;
  size_t left = sizeof h + n;
  while (left > 0) {
    const ssize_t w = write(g_channel.fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    left -= static_cast<size_t>(w);
  }
}

extern "C" void OnCrash(int sig, siginfo_t* info, void* uctx) {
  const int saved_errno = errno;
  if (g_crashing.exchange(true)) {
    // Another thread crashed first (a corrupted heap often aborts two threads at once) and is
    // sending its record: the default action here would end the process before it is out. Wait
    // for it, bounded, then die as this signal says.
    const timespec ms{0, 1000000};
    for (int i = 0; i < 2000 && !g_crash_sent.load(); ++i) nanosleep(&ms, nullptr);
  } else if (ChannelUsable()) {
    CrashRecord rec{};
    rec.signal = sig;
    rec.code = info != nullptr ? info->si_code : 0;
    if (info != nullptr && (sig == SIGSEGV || sig == SIGBUS) && info->si_code > 0) {
      rec.has_address = 1;
      rec.address = reinterpret_cast<uintptr_t>(info->si_addr);
    }
#if defined(__x86_64__)
    if (uctx != nullptr) {
      rec.pc = static_cast<uint64_t>(static_cast<ucontext_t*>(uctx)->uc_mcontext.gregs[REG_RIP]);
    }
#elif defined(__aarch64__)
    if (uctx != nullptr) rec.pc = static_cast<ucontext_t*>(uctx)->uc_mcontext.pc;
#endif
    void* addrs[kMaxCrashFrames];
    const int n = backtrace(addrs, kMaxCrashFrames);
    rec.frames = n > 0 ? static_cast<uint32_t>(n) : 0;
    for (uint32_t i = 0; i < rec.frames; ++i) rec.frame[i] = reinterpret_cast<uintptr_t>(addrs[i]);
    rec.has_counters = ReadCrashCounters(rec.counters) ? 1 : 0;
    WriteCrashFrame(kFrameCrash, &rec, sizeof rec);
    const int maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (maps >= 0) {
      char chunk[kMaxAtomicFrame - sizeof(FrameHeader)];
      for (int i = 0; i < 4096; ++i) {  // bounded: 16 MiB of maps at most
        const ssize_t r = read(maps, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        WriteCrashFrame(kFrameMaps, chunk, static_cast<size_t>(r));
      }
      close(maps);
    }
  }
  g_crash_sent.store(true);
  RestoreDefault(sig);
  errno = saved_errno;
  if (info == nullptr || info->si_code <= 0) raise(sig);
}

constexpr int kCrashSignals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGTRAP, SIGSYS};

// In the child, before any plugin is loaded: a runtime that starts with the library (Go) finds
// these handlers, keeps them and forwards to them the faults that are not its own. A handler
// someone else installed is left in place (signals.h). Sanitizer builds keep their runtime's own
// handlers (their reports say more).
void InstallCrashReporter() {
  if (build::kSanitizers[0] != '\0') return;
  void* warm[2];
  (void)backtrace(warm, 2);
  for (const int sig : kCrashSignals) InstallIfUnowned(sig, OnCrash, 0);
}

using Clock = std::chrono::steady_clock;

constexpr const char* kSanitizerMarkers[] = {
    "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",     "WARNING: ThreadSanitizer",
    "ERROR: ThreadSanitizer",  "runtime error:",           "ERROR: UndefinedBehaviorSanitizer",
    "ERROR: MemorySanitizer",  "WARNING: MemorySanitizer",
};
// Go's race detector (a plugin built with `go build -race`) opens each report with this line.
bool IsGoRaceReport(std::string_view line) { return line == "WARNING: DATA RACE"; }
// A line longer than this is kept cut (a pool printing binary garbage must not fill memory).
constexpr size_t kMaxLine = 1000;
// The exit status of a Go program that panicked or hit a fatal error (runtime.exit(2)); a Go
// library in a C program (c-shared, c-archive) raises SIGABRT instead.
constexpr int kGoPanicStatus = 2;

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

bool WriteAll(int fd, std::string_view bytes) {  // (declared above)
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

[[noreturn]] void ChildMain(int result_fd, int parent_fd, const std::function<PoolRun()>& body) {
  OpenChannel(result_fd, getppid(), parent_fd);
  InstallCrashReporter();
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
  const bool sent = SendFrame(kFrameResult, internal::EncodePoolRun(run));
  close(g_channel.fd);
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
  // A Go runtime's end: "panic: ..." or "fatal error: ..." at the start of a line.
  bool panicked() const { return !panic_.empty(); }
  // The panic's first lines: its message up to the first empty line, then the first lines of the
  // goroutine trace.
  std::string PanicText() const {
    std::string out;
    for (size_t i = 0; i < panic_.size() && i < kPanicShownLines; ++i) out += panic_[i] + "\n";
    if (panic_.size() > kPanicShownLines) out += "...\n";
    return out;
  }
  // The first goroutine's frames, "function (file:line)", from the trace after the message.
  std::vector<std::string> PanicFrames() const {
    std::vector<std::string> frames;
    bool in_trace = false;
    for (size_t i = 0; i < panic_.size(); ++i) {
      const std::string& line = panic_[i];
      if (!in_trace) {
        in_trace = line.rfind("goroutine ", 0) == 0;
        continue;
      }
      if (line.empty()) break;
      if (line[0] == '\t') continue;
      std::string frame = line;
      if (i + 1 < panic_.size() && !panic_[i + 1].empty() && panic_[i + 1][0] == '\t') {
        std::string where = panic_[i + 1].substr(1);
        where = where.substr(0, where.find(" +0x"));
        frame += " (" + where + ")";
      }
      frames.push_back(std::move(frame));
    }
    return frames;
  }
  // The first lines of the first Go race report (the two accesses and their first frames), when
  // they are no longer in the tail: all its reports open with the same line, and the last one's
  // end (where its goroutines were created) says the least.
  std::string Text() const {
    std::string out;
    if (!race_head_.empty() && lines_after_race_ >= lines_.size()) {
      for (const std::string& line : race_head_) out += line + "\n";
      out += "...\n";
    }
    bool marker_kept = marker_line_.empty() || !out.empty();
    for (const std::string& line : lines_) marker_kept |= line == marker_line_;
    if (!marker_kept) out = marker_line_ + "\n...\n";
    for (const std::string& line : lines_) out += line + "\n";
    return out;
  }

 private:
  void EndLine() {
    // A Go panic names "runtime error:" too: the lines of a panic are not a sanitizer's report.
    if (panic_.empty() &&
        (partial_.rfind("panic: ", 0) == 0 || partial_.rfind("fatal error: ", 0) == 0)) {
      panic_.push_back(partial_);
    } else if (!panic_.empty() && panic_.size() < kPanicKeptLines) {
      panic_.push_back(partial_);
    } else if (marker_line_.empty()) {
      if (IsGoRaceReport(partial_)) marker_line_ = partial_;
      for (const char* marker : kSanitizerMarkers) {
        if (partial_.find(marker) != std::string::npos) {
          marker_line_ = partial_;
          break;
        }
      }
    }
    if (IsGoRaceReport(marker_line_)) {
      if (!race_head_.empty()) ++lines_after_race_;
      if (race_head_.size() < kRaceHeadLines) race_head_.push_back(partial_);
    }
    lines_.push_back(std::move(partial_));
    partial_.clear();
    if (lines_.size() > kStderrTailLines) lines_.pop_front();
  }

  // Of a panic's report, kept from its first line: enough for the message and the panicking
  // goroutine's frames (two lines each); shown in the result: the first kPanicShownLines.
  static constexpr size_t kPanicKeptLines = 40;
  static constexpr size_t kPanicShownLines = 12;

  static constexpr size_t kRaceHeadLines = 24;

  std::string partial_;
  std::deque<std::string> lines_;
  std::string marker_line_;
  std::vector<std::string> panic_;
  std::vector<std::string> race_head_;
  size_t lines_after_race_ = 0;
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

// What the parent has heard from the child: the running state (counters of the last sample, every
// example so far), the complete result when it came, and a crash record.
struct Heard {
  std::string pending;  // bytes of an incomplete frame
  bool broken = false;  // a frame that makes no sense: the rest of the stream is ignored
  bool any_sample = false;
  LiveSample last;
  std::vector<ViolationExample> examples;
  bool run_seen = false;
  Clock::time_point run_at{};
  bool has_result = false;
  PoolRun result;
  bool crashed = false;
  CrashRecord crash{};
  std::string maps;

  void Feed(const char* p, size_t n) {
    if (broken) return;
    pending.append(p, n);
    size_t at = 0;
    while (pending.size() - at >= sizeof(FrameHeader)) {
      FrameHeader h;
      std::memcpy(&h, pending.data() + at, sizeof h);
      if (h.magic != kFrameMagic || h.length > (uint64_t{1} << 32)) {
        broken = true;
        break;
      }
      if (pending.size() - at - sizeof h < h.length) break;
      Take(h.type, std::string_view(pending).substr(at + sizeof h, h.length));
      at += sizeof h + h.length;
    }
    pending.erase(0, at);
  }

  void Take(uint32_t type, std::string_view payload) {
    switch (type) {
      case kFrameSample: {
        LiveSample s;
        if (!internal::DecodeSample(payload, &s)) {
          broken = true;
          return;
        }
        examples.insert(examples.end(), s.new_examples.begin(), s.new_examples.end());
        s.new_examples.clear();
        if (s.phase == Phase::kRun && !run_seen) {
          run_seen = true;
          run_at = Clock::now();
        }
        last = std::move(s);
        any_sample = true;
        return;
      }
      case kFrameResult:
        has_result = internal::DecodePoolRun(payload, &result);
        return;
      case kFrameCrash:
        if (payload.size() == sizeof crash) {
          std::memcpy(&crash, payload.data(), sizeof crash);
          crashed = true;
        }
        return;
      case kFrameMaps:
        if (maps.size() < (16u << 20)) maps.append(payload);
        return;
      default:
        broken = true;
    }
  }
};

PoolRun Failed(const std::string& name, const std::string& spec, Outcome outcome, int signal,
               std::string tail) {
  PoolRun run;
  run.name = name;
  run.spec = spec;
  run.outcome = outcome;
  run.signal = signal;
  run.stderr_tail = std::move(tail);
  run.phase = Phase::kCreate;
  run.pool_counters = false;
  return run;
}

struct Region {
  uint64_t start, end, offset;
  std::string path;
};

std::vector<Region> ParseMaps(const std::string& maps) {
  std::vector<Region> out;
  size_t at = 0;
  while (at < maps.size()) {
    size_t end = maps.find('\n', at);
    if (end == std::string::npos) end = maps.size();
    const std::string line = maps.substr(at, end - at);
    at = end + 1;
    unsigned long long lo = 0, hi = 0, off = 0;
    char perms[8] = {};
    int path_at = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %*s %*s %n", &lo, &hi, perms, &off,
                    &path_at) < 4 ||
        path_at <= 0 || static_cast<size_t>(path_at) >= line.size() || line[path_at] != '/') {
      continue;
    }
    out.push_back(
        {.start = lo, .end = hi, .offset = off, .path = line.substr(static_cast<size_t>(path_at))});
  }
  return out;
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// "function (file:line)" for each offset in `module`, by llvm-symbolizer or addr2line where one
// is installed; empty strings where neither knows.
std::vector<std::string> Symbolize(const std::string& module, const std::vector<uint64_t>& offs) {
  std::vector<std::string> out(offs.size());
  std::string tool;
  for (const char* candidate : {"/usr/bin/addr2line", "/usr/bin/llvm-addr2line-14"}) {
    if (access(candidate, X_OK) == 0) {
      tool = candidate;
      break;
    }
  }
  if (tool.empty() || offs.empty() || access(module.c_str(), R_OK) != 0) return out;
  std::string cmd = tool + " -C -f -e " + ShellQuote(module);
  for (const uint64_t o : offs) {
    char hex[32];
    std::snprintf(hex, sizeof hex, " 0x%llx", static_cast<unsigned long long>(o));
    cmd += hex;
  }
  cmd += " 2>/dev/null";
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  char fn[1024], loc[1024];
  for (size_t i = 0; i < offs.size(); ++i) {
    if (std::fgets(fn, sizeof fn, f) == nullptr || std::fgets(loc, sizeof loc, f) == nullptr) break;
    std::string a = fn, b = loc;
    while (!a.empty() && (a.back() == '\n' || a.back() == '\r')) a.pop_back();
    while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
    if (a != "??") out[i] = a;
    if (b.find("??") != 0 && !b.empty()) out[i] += (out[i].empty() ? "" : " ") + ("(" + b + ")");
  }
  pclose(f);
  return out;
}

// The crashing thread's frames as "module+0xOFFSET[ symbol (file:line)]", from the handler's
// raw addresses and the maps it sent. The frames of the handler itself are dropped: the stack
// starts at the faulting instruction when it is among them.
std::vector<std::string> ResolveFrames(const CrashRecord& c, const std::string& maps) {
  const uint32_t n = std::min<uint32_t>(c.frames, kMaxCrashFrames);
  uint32_t first = 0;
  bool pc_found = false;
  for (uint32_t i = 0; i < n; ++i) {
    if (c.pc != 0 && c.frame[i] == c.pc) {
      first = i;
      pc_found = true;
      break;
    }
  }
  // Addresses to look up: return addresses point after the call, so the call itself (minus 1),
  // but not for the faulting pc. A handler reached through a runtime that forwarded the signal
  // (Go's sigfwd) cannot unwind past the runtime's frames: the faulting pc then comes first.
  std::vector<uint64_t> addrs;
  if (c.pc != 0 && !pc_found) addrs.push_back(c.pc);
  for (uint32_t i = first; i < n; ++i) {
    addrs.push_back(c.frame[i] - (pc_found && i == first ? 0 : 1));
  }
  const std::vector<Region> regions = ParseMaps(maps);
  struct Where {
    const Region* region;
    uint64_t offset;
  };
  std::vector<Where> where;
  std::map<std::string, std::vector<size_t>> by_module;
  for (const uint64_t a : addrs) {
    const Region* hit = nullptr;
    for (const Region& r : regions) {
      if (a >= r.start && a < r.end) {
        hit = &r;
        break;
      }
    }
    where.push_back({hit, hit != nullptr ? a - hit->start + hit->offset : a});
    if (hit != nullptr) by_module[hit->path].push_back(where.size() - 1);
  }
  std::vector<std::string> symbols(where.size());
  for (const auto& [module, indices] : by_module) {
    std::vector<uint64_t> offs;
    for (const size_t i : indices) offs.push_back(where[i].offset);
    const std::vector<std::string> names = Symbolize(module, offs);
    for (size_t k = 0; k < indices.size(); ++k) symbols[indices[k]] = names[k];
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < where.size(); ++i) {
    char text[64];
    std::string module = "?";
    if (where[i].region != nullptr) {
      const std::string& path = where[i].region->path;
      module = path.substr(path.rfind('/') + 1);
    }
    std::snprintf(text, sizeof text, "+0x%llx", static_cast<unsigned long long>(where[i].offset));
    std::string frame = module + text;
    if (!symbols[i].empty()) frame += " " + symbols[i];
    out.push_back(std::move(frame));
  }
  return out;
}

// A run that did not end with a complete result: what the child said before it stopped.
PoolRun FromHeard(const std::string& name, const std::string& spec, const Heard& h, Outcome outcome,
                  int signal, std::string tail) {
  PoolRun run = Failed(name, spec, outcome, signal, std::move(tail));
  if (h.any_sample) {
    const LiveSample& s = h.last;
    run.total.ops = s.ops;
    run.total.gets = s.gets;
    run.total.puts = s.puts;
    run.total.refused = s.refused;
    run.total.handoffs = s.handoffs;
    run.total.double_puts = s.double_puts;
    for (const ViolationExample& e : h.examples) run.total.violations.Add(e);
    for (size_t k = 0; k < kViolationKinds; ++k) {
      const Violation v = static_cast<Violation>(k);
      const uint64_t have = run.total.violations.count(v);
      if (s.violations[k] > have) run.total.violations.AddCount(v, s.violations[k] - have);
    }
    if (s.stats_known) {
      run.stats = s.stats;
      run.pool_counters = true;
    }
    if (s.exact) run.outstanding = s.gets - std::min(s.gets, s.puts);
    run.phase = s.phase;
    run.seconds = s.exact      ? s.t
                  : h.run_seen ? std::chrono::duration<double>(Clock::now() - h.run_at).count()
                               : 0;
  }
  if (h.crashed && h.crash.has_counters != 0) {
    // The crash handler's reading is at least as new as the last sample: counters only grow.
    const uint64_t* c = h.crash.counters;
    run.total.ops = std::max(run.total.ops, c[0]);
    run.total.gets = std::max(run.total.gets, c[1]);
    run.total.puts = std::max(run.total.puts, c[2]);
    run.total.refused = std::max(run.total.refused, c[3]);
    run.total.handoffs = std::max(run.total.handoffs, c[4]);
    run.total.double_puts = std::max(run.total.double_puts, c[5]);
    for (size_t k = 0; k < kViolationKinds; ++k) {
      const Violation v = static_cast<Violation>(k);
      const uint64_t have = run.total.violations.count(v);
      if (c[6 + k] > have) run.total.violations.AddCount(v, c[6 + k] - have);
    }
  }
  if (h.crashed) {
    run.has_fault_address = h.crash.has_address != 0;
    run.fault_address = h.crash.address;
    run.crash_frames = ResolveFrames(h.crash, h.maps);
    if (run.signal == 0) run.signal = h.crash.signal;
  }
  return run;
}

}  // namespace

namespace {

// The result and stderr of child `pid` as it runs, until it exits or is killed: at the
// deadline plus a grace (the watchdog), or a grace after a signal forwarded to it.
struct Supervision {
  Heard heard;
  StderrTail tail;
  int status = 0;
  bool killed = false;
};
void Supervise(pid_t pid, int result_fd, int err_fd, const RunOptions& options, Supervision* out) {
  fcntl(result_fd, F_SETFL, O_NONBLOCK);
  fcntl(err_fd, F_SETFL, O_NONBLOCK);
  const auto to_result = [&](const char* p, size_t n) { out->heard.Feed(p, n); };
  const auto to_tail = [&](const char* p, size_t n) { out->tail.Feed(p, n); };
  bool result_open = true, err_open = true;
  bool exited = false, forwarded = false;
  const bool watchdog = options.deadline.count() != 0;
  Clock::time_point kill_at = Clock::now() + options.deadline + kIsolateGrace;
  for (;;) {
    if (result_open) result_open = DrainFd(result_fd, to_result);
    if (err_open) err_open = DrainFd(err_fd, to_tail);
    if (exited) break;  // everything the child wrote before it exited has been read
    const pid_t r = waitpid(pid, &out->status, WNOHANG);
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
    // processes it started), signals and the watchdog.
    poll(fds, n, 20);
  }
  out->tail.Finish();
}

// What the child's end says: its complete result, or the last stream state with how it ended.
PoolRun Conclude(const std::string& name, const std::string& spec, Supervision& s) {
  Heard& heard = s.heard;
  StderrTail& tail = s.tail;
  const int status = s.status;
  const bool killed = s.killed;

  const bool complete = heard.has_result;
  PoolRun& decoded = heard.result;
  // Without a complete result, the figures are the child's last live sample.
  auto partial = [&](Outcome outcome, int signal, std::string text) {
    if (!complete) return FromHeard(name, spec, heard, outcome, signal, std::move(text));
    PoolRun run = decoded;
    run.outcome = outcome;
    run.signal = signal;
    run.stderr_tail = std::move(text);
    return run;
  };
  if (killed) return partial(Outcome::kHung, 0, tail.Text());
  if (tail.sanitizer()) {
    if (!complete) return partial(Outcome::kSanitizer, 0, tail.Text());
    decoded.outcome = Outcome::kSanitizer;
    decoded.stderr_tail = tail.Text();
    return decoded;
  }
  if (tail.panicked() &&
      ((WIFEXITED(status) && WEXITSTATUS(status) == kGoPanicStatus) || WIFSIGNALED(status))) {
    // A Go panic (or fatal error) is a crash like a signal: its message and the panicking
    // goroutine's frames (more telling than the runtime's own frames that raised the signal), the
    // figures up to it.
    PoolRun run =
        partial(Outcome::kCrashed, WIFSIGNALED(status) ? WTERMSIG(status) : 0, tail.PanicText());
    if (std::vector<std::string> frames = tail.PanicFrames(); !frames.empty()) {
      run.crash_frames = std::move(frames);
    }
    return run;
  }
  if (WIFSIGNALED(status)) return partial(Outcome::kCrashed, WTERMSIG(status), tail.Text());
  if (!complete || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string text = tail.Text();
    if (WIFEXITED(status)) {
      text += "(child exited with status " + std::to_string(WEXITSTATUS(status)) +
              (complete ? ")\n" : " without a complete result)\n");
    }
    return partial(Outcome::kCrashed, 0, std::move(text));
  }
  if (decoded.stderr_tail.empty()) decoded.stderr_tail = tail.Text();
  return decoded;
}

// Runs `start_child` in a forked child with its stderr on a pipe, then supervises it (below).
// `start_child(result_fd)` never returns: it sends the result on result_fd and _exit()s, or execs.
PoolRun Spawn(const std::string& name, const std::string& spec, const RunOptions& options,
              const std::function<void(int, int)>& start_child) {
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
    // The read end stays open (close-on-exec) until the child runs: its number is how a child
    // whose pool closed the result pipe reopens it through /proc/PARENT/fd.
    close(err_pipe[0]);
    dup2(err_pipe[1], STDERR_FILENO);
    close(err_pipe[1]);
    start_child(result_pipe[1], result_pipe[0]);
    _exit(70);
  }
  // The parent keeps a write end of the result pipe until the child has exited: should the pool
  // close the child's end, the pipe does not read as ended, and the child can reopen it.
  close(err_pipe[1]);
  if (pid < 0) {
    const int err = errno;
    close(result_pipe[1]);
    close(result_pipe[0]);
    close(err_pipe[0]);
    return Failed(name, spec, Outcome::kCrashed, 0,
                  std::string("cannot isolate the run: fork: ") + std::strerror(err) + "\n");
  }
  Supervision supervision;
  Supervise(pid, result_pipe[0], err_pipe[0], options, &supervision);
  close(result_pipe[0]);
  close(result_pipe[1]);
  close(err_pipe[0]);
  return Conclude(name, spec, supervision);
}

}  // namespace

PoolRun RunIsolated(const std::string& name, const std::string& spec, const RunOptions& options,
                    const std::function<PoolRun()>& body) {
  return Spawn(name, spec, options,
               [&](int result_fd, int parent_fd) { ChildMain(result_fd, parent_fd, body); });
}

PoolRun RunExec(const std::string& name, const std::string& spec, const RunOptions& options,
                const ExecSpec& exec) {
  // Built before fork: the child only calls async-signal-safe functions until exec.
  std::vector<std::string> adds = exec.env;
  adds.push_back(std::string(kResultFdVariable) + "=" + std::to_string(kExecResultFd));
  // "PID:FD" of the parent's read end, filled in the child (digits only: async-signal-safe).
  adds.push_back(std::string(kResultSourceVariable) + "=" + std::string(40, ' '));
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
  char* source = envp[envp.size() - 2] + std::strlen(kResultSourceVariable) + 1;
  const pid_t parent = getpid();
  return Spawn(name, spec, options, [&](int result_fd, int parent_fd) {
    auto put = [](char* p, unsigned long v) {
      char digits[24];
      int n = 0;
      do {
        digits[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
      } while (v != 0);
      while (n > 0) *p++ = digits[--n];
      return p;
    };
    char* p = put(source, static_cast<unsigned long>(parent));
    *p++ = ':';
    p = put(p, static_cast<unsigned long>(parent_fd));
    *p = '\0';
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

bool OpenResultChannel(int fd) {
  if (g_channel.fd >= 0) return true;
  int parent = 0, parent_fd = -1;
  const char* source = std::getenv(kResultSourceVariable);
  if (source == nullptr || std::sscanf(source, "%d:%d", &parent, &parent_fd) != 2) {
    parent = static_cast<int>(getppid());
    parent_fd = -1;
  }
  unsetenv(kResultSourceVariable);
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  OpenChannel(fd, parent, parent_fd);
  InstallCrashReporter();
  return true;
}

void StreamSample(const LiveSample& sample) {
  if (g_channel.fd < 0 || g_channel.lost.load(std::memory_order_relaxed)) return;
  std::string payload = internal::EncodeSample(sample);
  if (sizeof(FrameHeader) + payload.size() > kMaxAtomicFrame) {
    // Too many new examples for one atomic frame: send them in two samples.
    LiveSample head = sample, tail_part = sample;
    const size_t half = sample.new_examples.size() / 2;
    head.new_examples.resize(half);
    tail_part.new_examples.erase(tail_part.new_examples.begin(),
                                 tail_part.new_examples.begin() + static_cast<long>(half));
    StreamSample(head);
    StreamSample(tail_part);
    return;
  }
  SendFrame(kFrameSample, payload);
}

bool SendResult(int fd, const PoolRun& run) {
  if (g_channel.fd < 0 && !OpenResultChannel(fd)) return false;
  const bool sent = SendFrame(kFrameResult, internal::EncodePoolRun(run));
  return close(g_channel.fd) == 0 && sent;
}

}  // namespace bp
