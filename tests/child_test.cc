// The child-process primitive (tool/process/child.h): what a child sends on its result channel
// arrives, even after the child closed every descriptor above 2; its stderr is kept; how it
// ended (exit status, signal, killed past its deadline, a forwarded signal) is told apart.
// Sanitizer builds run these too: descriptors, pipes and signals between processes.
#include "tool/process/child.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>

namespace bp {
namespace {

ChildOptions Collecting(std::string* got) {
  ChildOptions o;
  o.deadline = std::chrono::seconds(60);  // a safety net: no test here waits for it but one
  o.on_result = [got](const char* p, size_t n) { got->append(p, n); };
  return o;
}

TEST(ChildProcess, ResultStderrAndExitStatusArrive) {
  std::string got;
  const ChildEnd end = ForkChild(Collecting(&got), [](int fd, int parent_fd) {
    OpenChildChannel(fd, getppid(), parent_fd);
    WriteChildChannel("answer");
    const char line[] = "a line on stderr\n";
    WriteAll(STDERR_FILENO, line);
    _exit(7);
  });
  ASSERT_EQ(end.error, "");
  EXPECT_EQ(got, "answer");
  EXPECT_TRUE(end.exited());
  EXPECT_EQ(end.exit_code(), 7);
  EXPECT_EQ(end.signal(), 0);
  EXPECT_FALSE(end.killed);
  EXPECT_EQ(end.tail.Text(), "a line on stderr\n");
}

// What a daemon-style pool does in its create: the channel is reopened through this process.
TEST(ChildProcess, ResultSurvivesAChildThatClosesEveryDescriptor) {
  std::string got;
  const ChildEnd end = ForkChild(Collecting(&got), [](int fd, int parent_fd) {
    OpenChildChannel(fd, getppid(), parent_fd);
    WriteChildChannel("before ");
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    const int max = lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > 65536
                        ? 65536
                        : static_cast<int>(lim.rlim_cur);
    for (int d = 3; d < max; ++d) close(d);
    _exit(WriteChildChannel("after") && CloseChildChannel() ? 0 : 1);
  });
  EXPECT_EQ(got, "before after");
  EXPECT_EQ(end.exit_code(), 0);
  EXPECT_NE(end.tail.Text().find("reopened it"), std::string::npos) << end.tail.Text();
}

TEST(ChildProcess, ASignalIsToldFromAnExit) {
  const ChildEnd end = ForkChild(ChildOptions{}, [](int, int) { raise(SIGTERM); });
  EXPECT_FALSE(end.exited());
  EXPECT_EQ(end.exit_code(), -1);
  EXPECT_EQ(end.signal(), SIGTERM);
  EXPECT_FALSE(end.killed);
}

TEST(ChildProcess, AChildPastItsDeadlineIsKilled) {
  ChildOptions o;
  o.deadline = std::chrono::milliseconds(100);
  const ChildEnd end = ForkChild(o, [](int, int) {
    for (;;) pause();
  });
  EXPECT_TRUE(end.killed);
  EXPECT_EQ(end.signal(), SIGKILL);
}

// The interrupt is sent once the child said it is ready (a handshake, not a sleep); the child ends
// by it, inside the grace.
TEST(ChildProcess, TheInterruptReachesTheChild) {
  std::string got;
  ChildOptions o = Collecting(&got);
  o.interrupt = [&got] { return got == "ready" ? SIGUSR1 : 0; };
  o.grace = std::chrono::seconds(60);
  const ChildEnd end = ForkChild(o, [](int fd, int parent_fd) {
    OpenChildChannel(fd, getppid(), parent_fd);
    WriteChildChannel("ready");
    for (;;) pause();
  });
  EXPECT_EQ(end.signal(), SIGUSR1);
  EXPECT_FALSE(end.killed);
}

TEST(ChildProcess, NotAChildOfOursIsNotWaitedFor) {
  const ChildEnd end = WaitForChild(getpid(), ChildOptions{});
  EXPECT_FALSE(end.reaped);
  EXPECT_EQ(end.exit_code(), -1);
}

}  // namespace
}  // namespace bp
