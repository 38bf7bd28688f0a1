// Output files and stdout (tool/util/output_file.h): a regular file is replaced whole, a device or
// FIFO is written in place and stays what it was, a directory or socket is refused, and a write
// that fails (ENOSPC on a full device) is exit 5 with one line, never a claimed success.
//
// Devices are private nodes made with mknod in a temporary directory (the same major/minor as
// /dev/null and /dev/full), so that a regression replaces a node of the test, never the system's.
#include "tool/util/output_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/cli.h"
#include "tests/support/subprocess.h"
#include "tool/util/exit_codes.h"

namespace bp {
namespace {

using bp::testing::Bpstress;
using bp::testing::Lines;

namespace fs = std::filesystem;
using bp::testing::ProcessResult;
using bp::testing::ReadFile;
using nlohmann::json;

// A fresh directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string templ = bp::testing::TempPath("out-XXXXXX");
    path_ = mkdtemp(templ.data()) != nullptr ? templ : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  bool ok() const { return !path_.empty(); }

 private:
  std::string path_;
};

mode_t TypeOf(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 ? (st.st_mode & S_IFMT) : 0;
}

// A character device node at `path` (1,3 is /dev/null, 1,7 is /dev/full); "" when it cannot be
// made or opened here, with the reason in *why.
bool MakeDevice(const std::string& path, unsigned minor, std::string* why) {
  if (geteuid() != 0) {
    *why = "making a device node (mknod) needs root";
    return false;
  }
  if (mknod(path.c_str(), S_IFCHR | 0666, makedev(1, minor)) != 0) {
    *why = std::string("mknod: ") + std::strerror(errno);
    return false;
  }
  const int fd = open(path.c_str(), O_WRONLY);  // a nodev mount refuses it here
  if (fd < 0) {
    *why = std::string("the node cannot be opened here: ") + std::strerror(errno);
    return false;
  }
  close(fd);
  return true;
}

// A listening-free Unix socket bound at `path`; its descriptor.
int MakeSocket(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  return fd;
}

// A short clean run of one pool.
std::vector<std::string> MallocRunArgs(const std::string& report) {
  return {"--pool", "malloc", "--threads",  "1",     "--ops",    "300",
          "--seed", "3",      "--progress", "never", "--report", report};
}

TEST(OutputFile, RegularFileIsReplacedWholeAndKeepsItsMode) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir / "r.json";
  std::string error;
  ASSERT_TRUE(WriteOutput(path, "a much longer first text\n", &error)) << error;
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  ASSERT_TRUE(WriteOutput(path, "short\n", &error)) << error;
  EXPECT_EQ(ReadFile(path), "short\n");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / ""), fs::directory_iterator()), 1)
      << "no temporary file is left behind";
}

TEST(OutputFile, LinkToAFileKeepsTheLink) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string target = dir / "target.json", link = dir / "link.json";
  std::string error;
  ASSERT_TRUE(WriteOutput(target, "old\n", &error)) << error;
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  ASSERT_TRUE(CheckOutputPath(link, &error)) << error;
  ASSERT_TRUE(WriteOutput(link, "new\n", &error)) << error;
  EXPECT_EQ(TypeOf(link), static_cast<mode_t>(S_IFLNK));
  EXPECT_EQ(ReadFile(target), "new\n");
}

TEST(OutputFile, DirectorySocketAndDanglingLinkAreRefused) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string sock = dir / "sock", dangling = dir / "dangling";
  const int fd = MakeSocket(sock);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  ASSERT_EQ(symlink((dir / "nothing").c_str(), dangling.c_str()), 0);
  for (const auto& [path, word] :
       std::vector<std::pair<std::string, std::string>>{{dir / "", "directory"},
                                                        {dir / ".", "directory"},
                                                        {sock, "socket"},
                                                        {dangling, "link"}}) {
    std::string error;
    EXPECT_FALSE(CheckOutputPath(path, &error)) << path;
    EXPECT_NE(error.find(word), std::string::npos) << error;
    error.clear();
    EXPECT_FALSE(WriteOutput(path, "x\n", &error)) << path;
    EXPECT_NE(error.find(word), std::string::npos) << error;
  }
  EXPECT_EQ(TypeOf(sock), static_cast<mode_t>(S_IFSOCK));
  EXPECT_EQ(TypeOf(dangling), static_cast<mode_t>(S_IFLNK));
  close(fd);
}

TEST(OutputFile, DevicesAreWrittenInPlace) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string null = dir / "null", full = dir / "full";
  std::string why;
  if (!MakeDevice(null, 3, &why) || !MakeDevice(full, 7, &why)) GTEST_SKIP() << why;
  std::string error;
  EXPECT_TRUE(CheckOutputPath(null, &error)) << error;
  EXPECT_TRUE(WriteOutput(null, "{}\n", &error)) << error;
  EXPECT_TRUE(CheckOutputPath(full, &error)) << error;
  EXPECT_FALSE(WriteOutput(full, "{}\n", &error));
  EXPECT_NE(error.find(std::strerror(ENOSPC)), std::string::npos) << error;
  EXPECT_EQ(TypeOf(null), static_cast<mode_t>(S_IFCHR));
  EXPECT_EQ(TypeOf(full), static_cast<mode_t>(S_IFCHR));
}

// Defect: as root, --report /dev/null replaced the device with a regular file.
TEST(OutputFileCli, RunReportIntoANullDeviceKeepsTheDevice) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string null = dir / "null";
  std::string why;
  if (!MakeDevice(null, 3, &why)) GTEST_SKIP() << why;
  const ProcessResult r = Bpstress(MallocRunArgs(null));
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(TypeOf(null), static_cast<mode_t>(S_IFCHR));
  EXPECT_NE(r.out.find("report: " + null), std::string::npos) << r.out;
}

// Defect: a report that hit ENOSPC said `report: PATH` first and exited 2 (a usage error). Now:
// the table is on stdout, the report line says it was not written, one line on stderr, exit 5.
TEST(OutputFileCli, RunReportIntoAFullDeviceIsExitFiveAndKeepsTheTable) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string full = dir / "full";
  std::string why;
  if (!MakeDevice(full, 7, &why)) GTEST_SKIP() << why;
  const ProcessResult r = Bpstress(MallocRunArgs(full));
  EXPECT_EQ(r.exit_code, kExitWriteFailed) << r.err;
  EXPECT_EQ(TypeOf(full), static_cast<mode_t>(S_IFCHR));
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("--report"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(std::strerror(ENOSPC)), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("malloc"), std::string::npos) << "the table survives: " << r.out;
  EXPECT_NE(r.out.find("report: not written"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("report: " + full), std::string::npos) << r.out;
}

TEST(OutputFileCli, HtmlAndHuntReportsIntoDevices) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string null = dir / "null", full = dir / "full", report = dir / "r.json";
  std::string why;
  if (!MakeDevice(null, 3, &why) || !MakeDevice(full, 7, &why)) GTEST_SKIP() << why;
  ASSERT_EQ(Bpstress(MallocRunArgs(report)).exit_code, kExitOk);
  ProcessResult r = Bpstress({"report", report, "--html", null});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  r = Bpstress({"report", report, "--html", full});
  EXPECT_EQ(r.exit_code, kExitWriteFailed) << r.err;
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  EXPECT_EQ(r.out.find("report: "), std::string::npos) << "no success claimed: " << r.out;
  r = Bpstress({"hunt", "--pool", "malloc", "--budget", "1s", "--seed", "1", "--report", null});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(TypeOf(null), static_cast<mode_t>(S_IFCHR));
  EXPECT_EQ(TypeOf(full), static_cast<mode_t>(S_IFCHR));
}

// A FIFO's reader gets the report; the FIFO stays a FIFO.
TEST(OutputFileCli, RunReportIntoAFifoReachesItsReader) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string fifo = dir / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  // Open for reading without waiting for a writer; poll waits for data or the writer's close.
  const int fd = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::atomic<bool> finished{false};
  std::string got;
  std::thread reader([&] {
    char buf[65536];
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      poll(&p, 1, 100);
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) {
        got.append(buf, static_cast<size_t>(n));
      } else if (finished.load()) {
        break;  // bpstress has exited and the pipe is empty
      }
    }
  });
  const ProcessResult r = Bpstress(MallocRunArgs(fifo));
  finished.store(true);
  reader.join();
  close(fd);
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(TypeOf(fifo), static_cast<mode_t>(S_IFIFO));
  ASSERT_TRUE(json::accept(got)) << got.substr(0, 200);
  EXPECT_EQ(json::parse(got)["schema"], "bpstress-report/1");
}

TEST(OutputFileCli, RunReportOntoASocketIsRefusedBeforeTheRun) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string sock = dir / "sock";
  const int fd = MakeSocket(sock);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  const ProcessResult r = Bpstress(MallocRunArgs(sock));
  close(fd);
  EXPECT_EQ(r.exit_code, kExitUsage) << r.err;
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("socket"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "") << "nothing ran";
  EXPECT_EQ(TypeOf(sock), static_cast<mode_t>(S_IFSOCK));
}

// Defect: output into a full device exited 0. Every command's stdout is checked: exit 5 and one
// line naming stdout.
class StdoutIntoFullDevice : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(StdoutIntoFullDevice, IsExitFive) {
  struct stat st;
  if (stat("/dev/full", &st) != 0 || !S_ISCHR(st.st_mode)) GTEST_SKIP() << "no /dev/full here";
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string report = dir / "r.json";
  ASSERT_EQ(Bpstress(MallocRunArgs(report)).exit_code, kExitOk);
  std::vector<std::string> args = GetParam();
  for (std::string& a : args) {
    if (a == "REPORT") a = report;
  }
  const std::string err = dir / "err";
  const int code = bp::testing::Wait(bp::testing::Spawn(BPSTRESS_EXE, args, "/dev/full", err));
  const std::string text = ReadFile(err);
  EXPECT_EQ(code, kExitWriteFailed) << text;
  // One line says so (with `--report -` the table goes to stderr too).
  const std::string line = "cannot write to stdout";
  const size_t said = text.find(line);
  ASSERT_NE(said, std::string::npos) << text;
  EXPECT_EQ(text.find("cannot write", said + line.size()), std::string::npos) << text;
}

INSTANTIATE_TEST_SUITE_P(
    Commands, StdoutIntoFullDevice,
    ::testing::Values(std::vector<std::string>{"list"},
                      std::vector<std::string>{"list", "--format", "json"},
                      std::vector<std::string>{"--pool", "malloc", "--ops", "300", "--threads", "1",
                                               "--report", "-"},
                      std::vector<std::string>{"--pool", "malloc", "--ops", "300", "--threads", "1",
                                               "--format", "json", "--report", "REPORT"},
                      std::vector<std::string>{"--pool", "malloc", "--ops", "300", "--threads", "1",
                                               "--report", "REPORT"},
                      std::vector<std::string>{"verify", "REPORT"},
                      std::vector<std::string>{"verify", "REPORT", "--format", "json"},
                      std::vector<std::string>{"verify", "REPORT", "--format", "junit"},
                      std::vector<std::string>{"compare", "REPORT"},
                      std::vector<std::string>{"compare", "REPORT", "--format", "csv"},
                      std::vector<std::string>{"report", "REPORT", "--html", "-"}));

}  // namespace
}  // namespace bp
