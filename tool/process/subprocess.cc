#include "tool/process/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tool/process/child.h"

extern char** environ;

namespace bp {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// In the child: opens `path` (or /dev/null) onto `fd`; async-signal-safe.
void Redirect(const char* path, int fd, int flags) {
  const int f = open(path[0] != '\0' ? path : "/dev/null", flags, 0644);
  if (f >= 0 && f != fd) {
    dup2(f, fd);
    close(f);
  }
}

}  // namespace

std::vector<std::string> MergedEnvironment(const std::vector<std::string>& extra) {
  auto key_of = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string kv = *e;
    bool replaced = false;
    for (const std::string& x : extra) replaced |= key_of(x) == key_of(kv);
    if (!replaced) env.push_back(kv);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

pid_t SpawnChild(const ChildSpec& spec, std::string* error) {
  std::vector<std::string> args = spec.argv;
  if (args.empty()) args.push_back(spec.path);
  std::vector<std::string> env = MergedEnvironment(spec.env);
  std::vector<char*> argv = Pointers(args);
  std::vector<char*> envp = Pointers(env);
  const pid_t pid = fork();
  if (pid == 0) {
    Redirect("", STDIN_FILENO, O_RDONLY);
    Redirect(spec.stdout_path.c_str(), STDOUT_FILENO, O_WRONLY | O_CREAT | O_TRUNC);
    Redirect(spec.stderr_path.c_str(), STDERR_FILENO, O_WRONLY | O_CREAT | O_TRUNC);
    execve(spec.path.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  if (pid < 0 && error != nullptr) *error = std::string("fork: ") + std::strerror(errno);
  return pid;
}

ChildExit WaitChild(pid_t pid, std::chrono::nanoseconds timeout,
                    const std::function<bool()>& interrupted) {
  const Clock::time_point start = Clock::now();
  ChildOptions options;
  options.deadline = timeout;
  if (interrupted) options.interrupt = [&] { return interrupted() ? SIGTERM : 0; };
  const ChildEnd end = WaitForChild(pid, options);
  ChildExit out;
  if (end.reaped) {  // else not our child, or already reaped: exit_code stays -1
    out.timed_out = end.killed;
    if (WIFEXITED(end.status)) {
      out.exit_code = WEXITSTATUS(end.status);
    } else if (WIFSIGNALED(end.status)) {
      out.signal = WTERMSIG(end.status);
      out.exit_code = 128 + out.signal;
    }
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

ChildExit RunChild(const ChildSpec& spec, std::chrono::nanoseconds timeout, std::string* error) {
  const pid_t pid = SpawnChild(spec, error);
  if (pid < 0) {
    ChildExit failed;
    failed.exit_code = 127;
    return failed;
  }
  return WaitChild(pid, timeout);
}

}  // namespace bp
