#include "tool/run/signals.h"

#include <cstdlib>

namespace bp {

AltSignalStack::AltSignalStack() {
  stack_t current{};
  if (sigaltstack(nullptr, &current) != 0 || (current.ss_flags & SS_DISABLE) == 0) return;
  void* mem = std::malloc(kSize);
  if (mem == nullptr) return;
  stack_t ours{};
  ours.ss_sp = mem;
  ours.ss_size = kSize;
  if (sigaltstack(&ours, nullptr) != 0) {
    std::free(mem);
    return;
  }
  stack_ = mem;
}

AltSignalStack::~AltSignalStack() {
  if (stack_ == nullptr) return;
  stack_t off{};
  off.ss_flags = SS_DISABLE;
  // Only when the stack is not in use (a handler running on it cannot be here) and still ours.
  stack_t current{};
  if (sigaltstack(nullptr, &current) == 0 && current.ss_sp == stack_) sigaltstack(&off, nullptr);
  std::free(stack_);
}

bool IsDefaultDisposition(int sig) {
  struct sigaction current {};
  return sigaction(sig, nullptr, &current) == 0 && (current.sa_flags & SA_SIGINFO) == 0 &&
         current.sa_handler == SIG_DFL;
}

bool HandlerIs(int sig, const void* handler) {
  struct sigaction current {};
  if (sigaction(sig, nullptr, &current) != 0) return false;
  const void* installed = (current.sa_flags & SA_SIGINFO) != 0
                              ? reinterpret_cast<const void*>(current.sa_sigaction)
                              : reinterpret_cast<const void*>(current.sa_handler);
  return installed == handler;
}

namespace {

bool Install(int sig, struct sigaction& sa, const void* handler, int flags) {
  if (HandlerIs(sig, handler)) return true;
  if (!IsDefaultDisposition(sig)) return false;
  sa.sa_flags |= flags | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, nullptr) == 0;
}

}  // namespace

bool InstallIfUnowned(int sig, void (*handler)(int), int flags) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  return Install(sig, sa, reinterpret_cast<const void*>(handler), flags & ~SA_SIGINFO);
}

bool InstallIfUnowned(int sig, void (*handler)(int, siginfo_t*, void*), int flags) {
  struct sigaction sa {};
  sa.sa_sigaction = handler;
  return Install(sig, sa, reinterpret_cast<const void*>(handler), flags | SA_SIGINFO);
}

int FindUnownedRealtimeSignal(const void* handler) {
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) {
    if (HandlerIs(sig, handler) || IsDefaultDisposition(sig)) return sig;
  }
  return 0;
}

}  // namespace bp
