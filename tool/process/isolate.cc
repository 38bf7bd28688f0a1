#include "tool/process/isolate.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>
#include <vector>

#include "tool/process/child.h"
#include "tool/process/crash_recorder.h"
#include "tool/process/stream.h"
#include "tool/process/subprocess.h"
#include "tool/process/supervisor.h"
#include "tool/process/wire_codec.h"

namespace bp {
namespace internal {

bool SendFrame(FrameType type, std::string_view payload) {
  const FrameHeader h{kFrameMagic, type, payload.size()};
  std::string bytes(reinterpret_cast<const char*>(&h), sizeof h);
  bytes.append(payload);
  return WriteChildChannel(bytes);
}

}  // namespace internal

namespace {

using internal::FrameHeader;
using internal::InstallCrashReporter;
using internal::kFrameResult;
using internal::kFrameSample;
using internal::kMaxAtomicFrame;
using internal::SendFrame;

[[noreturn]] void ChildMain(int result_fd, int parent_fd, const std::function<PoolRun()>& body) {
  OpenChildChannel(result_fd, getppid(), parent_fd);
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
  CloseChildChannel();
  std::fflush(stdout);
  std::fflush(stderr);
  _exit(sent ? 0 : 71);
}

}  // namespace

PoolRun RunIsolated(const std::string& name, const std::string& spec, const RunOptions& options,
                    const std::function<PoolRun()>& body) {
  return internal::Supervise(name, spec, options, [&](int result_fd, int parent_fd) {
    ChildMain(result_fd, parent_fd, body);
  });
}

PoolRun RunExec(const std::string& name, const std::string& spec, const RunOptions& options,
                const ExecSpec& exec) {
  // Built before fork: the child only calls async-signal-safe functions until exec.
  std::vector<std::string> adds = exec.env;
  adds.push_back(std::string(kResultFdVariable) + "=" + std::to_string(kExecResultFd));
  // "PID:FD" of the parent's read end, filled in the child (digits only: async-signal-safe).
  adds.push_back(std::string(kResultSourceVariable) + "=" + std::string(40, ' '));
  std::vector<std::string> env = MergedEnvironment(adds);
  std::vector<char*> argv, envp;
  std::vector<std::string> args = exec.argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  char* source = envp[envp.size() - 2] + std::strlen(kResultSourceVariable) + 1;
  const pid_t parent = getpid();
  return internal::Supervise(name, spec, options, [&](int result_fd, int parent_fd) {
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
  if (ChildChannelOpen()) return true;
  int parent = 0, parent_fd = -1;
  const char* source = std::getenv(kResultSourceVariable);
  if (source == nullptr || std::sscanf(source, "%d:%d", &parent, &parent_fd) != 2) {
    parent = static_cast<int>(getppid());
    parent_fd = -1;
  }
  unsetenv(kResultSourceVariable);
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  OpenChildChannel(fd, parent, parent_fd);
  InstallCrashReporter();
  return true;
}

void StreamSample(const LiveSample& sample) {
  if (!ChildChannelOpen() || ChildChannelLost()) return;
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
  if (!ChildChannelOpen() && !OpenResultChannel(fd)) return false;
  const bool sent = SendFrame(kFrameResult, internal::EncodePoolRun(run));
  return CloseChildChannel() && sent;
}

}  // namespace bp
