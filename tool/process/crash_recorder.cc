#include "tool/process/crash_recorder.h"

#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "build_info.h"
#include "tool/process/child.h"
#include "tool/process/stream.h"
#include "tool/run/crash_counters.h"
#include "tool/run/signals.h"

namespace bp::internal {
namespace {

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
    const ssize_t w = write(ChildChannelFd(), p, left);
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
  } else if (ChildChannelUsable()) {
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

}  // namespace

// Before any plugin is loaded (see the header).
void InstallCrashReporter() {
  if (build::kSanitizers[0] != '\0') return;
  void* warm[2];
  (void)backtrace(warm, 2);
  for (const int sig : kCrashSignals) InstallIfUnowned(sig, OnCrash, 0);
}

}  // namespace bp::internal
