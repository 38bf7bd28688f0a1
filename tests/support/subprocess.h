// Runs the built bpstress binary from tests: argv in, exit code and captured output out.
// Exit code: the process's exit status, or 128 + signal number when it was killed.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tool/process/subprocess.h"

namespace bp::testing {

using bp::ChildSpec;
using bp::SpawnChild;
using bp::WaitChild;

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/bpstress-test-" + std::to_string(getpid()) + "-" +
         name;
}

// Starts `exe args...` with stdout and stderr sent to files; returns the pid.
inline pid_t Spawn(const std::string& exe, const std::vector<std::string>& args,
                   const std::string& out_path, const std::string& err_path,
                   const std::vector<std::string>& env = {}) {
  ChildSpec spec;
  spec.path = exe;
  spec.argv = {exe};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = env;
  spec.stdout_path = out_path;
  spec.stderr_path = err_path;
  return SpawnChild(spec, nullptr);
}

// Waits up to `timeout` for pid; kills it (SIGKILL) if it is still running then.
inline int Wait(pid_t pid, std::chrono::seconds timeout = std::chrono::seconds(120)) {
  return WaitChild(pid, timeout).exit_code;
}

inline ProcessResult Run(const std::string& exe, const std::vector<std::string>& args,
                         const std::vector<std::string>& env = {}) {
  static int counter = 0;
  const std::string base = TempPath("run" + std::to_string(counter++));
  ProcessResult r;
  r.exit_code = Wait(Spawn(exe, args, base + ".out", base + ".err", env));
  r.out = ReadFile(base + ".out");
  r.err = ReadFile(base + ".err");
  unlink((base + ".out").c_str());
  unlink((base + ".err").c_str());
  return r;
}

}  // namespace bp::testing
