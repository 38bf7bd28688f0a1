#include "tool/run/plugin_run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <utility>

#include "tool/run/runner_impl.h"
#include "tool/util/exit_codes.h"

namespace bp {

namespace {

// The child's reason goes on one line of the error message; a plugin that writes more (a flood
// from a broken library) is cut here rather than held in memory.
constexpr size_t kMaxReasonBytes = 4096;

// Creates and destroys one pool in a forked child. Returns false with the plugin's reason when
// create refused; true otherwise — also when the child crashed or hung, which the run itself then
// reports (outcome crashed or hung, phase create) instead of taking this process down now.
bool ProbeCreate(const PluginSpec& spec, std::string* why) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return true;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string reason;
    const bool ok = PluginPool::Create(spec.lib, spec.options, &reason) != nullptr;
    if (!ok) {
      const ssize_t w = write(fds[1], reason.data(), reason.size());
      (void)w;
    }
    _exit(ok ? kExitOk : kExitBadInput);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return true;
  }
  std::string reason;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (std::chrono::steady_clock::now() < give_up) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 50) == 0) continue;
    char buf[512];
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0) {
      if (reason.size() < kMaxReasonBytes) reason.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  // The pipe is closed: the child has exited (or closed it, or hangs with it closed).
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= give_up) {
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    poll(nullptr, 0, 10);
  }
  close(fds[0]);
  if (WIFEXITED(status) && WEXITSTATUS(status) == kExitBadInput) {
    *why = reason;
    return false;
  }
  return true;
}

}  // namespace

std::optional<PluginSpec> LoadPluginSpec(std::string_view arg, std::string* error,
                                         bool isolate_create) {
  const size_t slash = arg.rfind('/');
  const size_t colon = arg.find(':', slash == std::string_view::npos ? 0 : slash + 1);
  PluginSpec spec;
  spec.path = std::string(arg.substr(0, colon));
  if (colon != std::string_view::npos) spec.options = std::string(arg.substr(colon + 1));
  if (spec.path.empty()) {
    *error = "--plugin " + std::string(arg) + ": no path before ':'";
    return std::nullopt;
  }
  spec.lib = PluginLibrary::Load(spec.path, error);
  if (spec.lib == nullptr) return std::nullopt;
  spec.name = spec.lib->name();
  std::string why;
  if (isolate_create) {
    if (!ProbeCreate(spec, &why)) {
      *error = spec.path + ": " + why;
      return std::nullopt;
    }
  } else if (PluginPool::Create(spec.lib, spec.options, &why) == nullptr) {
    *error = spec.path + ": " + why;
    return std::nullopt;
  }
  return spec;
}

std::string PluginSpecText(const PluginSpec& spec) {
  std::string text = "plugin:" + spec.path;
  if (!spec.options.empty()) text += ":" + spec.options;
  return text;
}

PoolRun RunPlugin(const PluginSpec& spec, const Distribution& dist, const RunOptions& options) {
  std::string create_error;
  PoolRun run = RunPool<PluginPool>(
      [&] {
        std::unique_ptr<PluginPool> pool =
            PluginPool::Create(spec.lib, spec.options, &create_error);
        return pool != nullptr ? std::move(pool) : PluginPool::Refusing(spec.lib);
      },
      dist, options);
  run.name = spec.name;
  run.spec = PluginSpecText(spec);
  run.pool_counters = false;
  if (!create_error.empty()) run.stderr_tail = spec.path + ": " + create_error;
  return run;
}

}  // namespace bp
