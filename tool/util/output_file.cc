#include "tool/util/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace bp {
namespace {

// How a path is written (see the header).
enum class Target { kStdout, kStderr, kAtomic, kInPlace };

struct Plan {
  Target target = Target::kAtomic;
  std::string path;  // kAtomic: the file to replace (a link's target); kInPlace: the path
  bool exists = false;
  mode_t mode = 0644;  // kAtomic over an existing file: its permissions, kept
};

std::string Quoted(const std::string& path) { return "'" + path + "'"; }

std::string Errno(const std::string& what, const std::string& path, int e) {
  return what + " " + Quoted(path) + ": " + std::strerror(e);
}

bool SameFile(const struct stat& a, int fd) {
  struct stat b;
  return fstat(fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Decides how `path` is written; nullopt with a reason for what must not be written over.
std::optional<Plan> PlanFor(const std::string& path, std::string* error) {
  Plan plan;
  plan.path = path;
  if (path.empty()) {
    *error = "the path is empty";
    return std::nullopt;
  }
  if (path == "-") {
    plan.target = Target::kStdout;
    return plan;
  }
  if (path.back() == '/') {
    *error = Quoted(path) + " is a directory";
    return std::nullopt;
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    const int e = errno;
    struct stat link;
    if (e == ENOENT && lstat(path.c_str(), &link) == 0) {
      *error = Quoted(path) + " is a symbolic link to nothing; not replaced";
      return std::nullopt;
    }
    if (e != ENOENT) {
      *error = Errno("cannot write", path, e);
      return std::nullopt;
    }
    return plan;  // a new file
  }
  plan.exists = true;
  // This process's own stdout or stderr under another name (/dev/stdout, /dev/fd/2): through
  // the stream, so that its offset, O_APPEND and buffered text stay in order.
  if (SameFile(st, STDOUT_FILENO)) {
    plan.target = Target::kStdout;
    return plan;
  }
  if (SameFile(st, STDERR_FILENO)) {
    plan.target = Target::kStderr;
    return plan;
  }
  if (S_ISDIR(st.st_mode)) {
    *error = Quoted(path) + " is a directory";
    return std::nullopt;
  }
  if (S_ISSOCK(st.st_mode)) {
    *error = Quoted(path) + " is a socket; not replaced";
    return std::nullopt;
  }
  if (S_ISBLK(st.st_mode)) {
    *error = Quoted(path) + " is a block device; a report is not written over it";
    return std::nullopt;
  }
  if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
    plan.target = Target::kInPlace;
    return plan;
  }
  if (!S_ISREG(st.st_mode)) {
    *error = Quoted(path) + " is not a regular file; not replaced";
    return std::nullopt;
  }
  plan.mode = st.st_mode & 07777;
  struct stat link;
  if (lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
    // Replace the link's target, not the link.
    char real[PATH_MAX];
    if (realpath(path.c_str(), real) == nullptr) {
      *error = Errno("cannot resolve", path, errno);
      return std::nullopt;
    }
    plan.path = real;
  }
  return plan;
}

// Writes all of `text` to `fd`; errno on failure.
bool WriteAll(int fd, std::string_view text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t k = write(fd, text.data() + done, text.size() - done);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      if (k == 0) errno = EIO;
      return false;
    }
    done += static_cast<size_t>(k);
  }
  return true;
}

bool WriteStream(FILE* stream, const char* name, std::string_view text, std::string* error) {
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), stream) != text.size() || std::fflush(stream) != 0) {
    *error = std::string("cannot write to ") + name + ": " + std::strerror(errno ? errno : EIO);
    clearerr(stream);
    return false;
  }
  return true;
}

bool WriteInPlace(const std::string& path, std::string_view text, std::string* error) {
  const int fd = open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    *error = Errno("cannot open", path, errno);
    return false;
  }
  if (!WriteAll(fd, text)) {
    *error = Errno("cannot write", path, errno);
    close(fd);
    return false;
  }
  if (close(fd) != 0) {
    *error = Errno("cannot write", path, errno);
    return false;
  }
  return true;
}

// The directory of `path` ("." for a bare name), for the fsync that makes a rename durable.
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool WriteAtomic(const Plan& plan, std::string_view text, std::string* error) {
  const std::string& path = plan.path;
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = Errno("cannot write", path, errno);
    return false;
  }
  auto fail = [&](const char* what) {
    *error = Errno(what, path, errno);
    close(fd);
    unlink(tmp.c_str());
    return false;
  };
  if (plan.exists && fchmod(fd, plan.mode) != 0) return fail("cannot keep the permissions of");
  if (!WriteAll(fd, text)) return fail("cannot write");
  if (fsync(fd) != 0) return fail("cannot write");
  if (close(fd) != 0) {
    *error = Errno("cannot write", path, errno);
    unlink(tmp.c_str());
    return false;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = Errno("cannot replace", path, errno);
    unlink(tmp.c_str());
    return false;
  }
  // The rename itself reaches the disk with its directory; a failure here loses nothing written.
  if (const int dir = open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return true;
}

}  // namespace

bool CheckOutputPath(const std::string& path, std::string* error) {
  const std::optional<Plan> plan = PlanFor(path, error);
  if (!plan) return false;
  switch (plan->target) {
    case Target::kStdout:
    case Target::kStderr:
      return true;
    case Target::kInPlace:
      if (access(path.c_str(), W_OK) != 0) {
        *error = Errno("cannot write", path, errno);
        return false;
      }
      return true;
    case Target::kAtomic:
      break;
  }
  // The temporary file of the atomic write must be possible in the file's directory.
  const std::string probe = plan->path + ".probe." + std::to_string(getpid());
  const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = Errno("cannot write", path, errno);
    return false;
  }
  close(fd);
  unlink(probe.c_str());
  return true;
}

bool WriteOutput(const std::string& path, std::string_view text, std::string* error) {
  const std::optional<Plan> plan = PlanFor(path, error);
  if (!plan) return false;
  switch (plan->target) {
    case Target::kStdout:
      return WriteStream(stdout, "stdout", text, error);
    case Target::kStderr:
      return WriteStream(stderr, "stderr", text, error);
    case Target::kInPlace:
      return WriteInPlace(plan->path, text, error);
    case Target::kAtomic:
      return WriteAtomic(*plan, text, error);
  }
  return false;
}

bool FlushStdout(std::string* error) {
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  const int flush_errno = errno;
  const bool failed_before = std::ferror(stdout) != 0;
  if (flushed && !failed_before) {
    // A file system may report a write error only at close (NFS): close a duplicate, which
    // flushes like the last close would and leaves stdout open.
    const int fd = dup(STDOUT_FILENO);
    if (fd < 0 || close(fd) == 0 || errno == EINTR) return true;
    *error = std::string("cannot write to stdout: ") + std::strerror(errno);
    return false;
  }
  *error = "cannot write to stdout: ";
  *error += !flushed && flush_errno != 0 ? std::strerror(flush_errno) : "an earlier write failed";
  clearerr(stdout);  // reported once
  return false;
}

}  // namespace bp
