#include "tool/process/plugin_probe.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>

#include "pool/plugin.h"
#include "tool/process/child.h"
#include "tool/util/exit_codes.h"

namespace bp {

namespace {

// What the probe child says, as records of [type, 4-byte length, bytes]: kName (4 bytes of ABI
// version, then the name) once the library passed its checks, kLoadError or kCreateError with the
// reason. A reason or name longer than this is cut (a broken library could flood the pipe).
constexpr size_t kMaxRecordBytes = 4096;
enum ProbeRecord : char { kName = 'N', kLoadError = 'L', kCreateError = 'C' };
// Loading and one create/destroy take milliseconds (a Go runtime starting included): a probe still
// running after this is hung.
constexpr auto kProbeTimeout = std::chrono::seconds(10);

void SendRecord(ProbeRecord type, std::string_view bytes) {
  bytes = bytes.substr(0, kMaxRecordBytes);
  const auto n = static_cast<uint32_t>(bytes.size());
  std::string out(1, type);
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(bytes);
  WriteChildChannel(out);
}

// In the child: the result channel first (a library's constructor or the pool's create may close
// descriptors it does not own), then the load and the records.
[[noreturn]] void ProbeChild(int fd, int parent_fd, const std::string& path,
                             const std::string& options, bool create) {
  OpenChildChannel(fd, getppid(), parent_fd);
  std::string error;
  std::shared_ptr<PluginLibrary> lib = PluginLibrary::Shared(path, &error);
  if (lib == nullptr) {
    SendRecord(kLoadError, error);
    _exit(kExitBadInput);
  }
  const uint32_t abi = lib->api().abi_version;
  std::string named(reinterpret_cast<const char*>(&abi), sizeof abi);
  named += lib->name();
  SendRecord(kName, named);
  if (create) {
    std::unique_ptr<PluginPool> pool = PluginPool::Create(lib, options, &error);
    if (pool == nullptr) {
      SendRecord(kCreateError, error);
      _exit(kExitBadInput);
    }
  }
  _exit(kExitOk);
}

// Parses the child's records into *probe.
void ReadRecords(std::string_view bytes, PluginProbe* probe) {
  while (bytes.size() >= 1 + sizeof(uint32_t)) {
    const char type = bytes[0];
    uint32_t n = 0;
    std::memcpy(&n, bytes.data() + 1, sizeof n);
    bytes.remove_prefix(1 + sizeof n);
    if (n > bytes.size()) return;
    const std::string_view body = bytes.substr(0, n);
    bytes.remove_prefix(n);
    if (type == kName && body.size() >= sizeof(uint32_t)) {
      std::memcpy(&probe->abi_version, body.data(), sizeof(uint32_t));
      probe->name = std::string(body.substr(sizeof(uint32_t)));
      probe->loaded = true;
    } else if (type == kLoadError) {
      probe->error = std::string(body);
    } else if (type == kCreateError) {
      probe->refused = true;
      probe->error = std::string(body);
    }
  }
}

// How a probe child ended that sent no verdict: "crashed with signal 11 (Segmentation fault)".
std::string EndOf(int status, bool hung) {
  if (hung) {
    return "still running after " + std::to_string(kProbeTimeout.count()) + "s (killed)";
  }
  if (WIFSIGNALED(status)) {
    return "crashed with signal " + std::to_string(WTERMSIG(status)) + " (" +
           sigdescr_np(WTERMSIG(status)) + ")";
  }
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

PluginProbe ProbePlugin(const std::string& path, const std::string& options, bool create) {
  PluginProbe probe;
  std::string got;
  ChildOptions child;
  child.deadline = kProbeTimeout;
  child.on_result = [&](const char* p, size_t n) {
    if (got.size() < 4 * kMaxRecordBytes) got.append(p, n);
  };
  const ChildEnd end = ForkChild(
      child, [&](int fd, int parent_fd) { ProbeChild(fd, parent_fd, path, options, create); });
  if (!end.error.empty()) {
    probe.error = "cannot probe the plugin: " + end.error;
    return probe;
  }
  const int status = end.status;
  const bool hung = end.killed;
  ReadRecords(got, &probe);
  const bool clean = !hung && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!probe.loaded) {
    if (probe.error.empty()) {
      probe.error = "cannot load plugin: " + path + ": " + EndOf(status, hung) + " while loading";
    }
  } else if (create && !probe.refused) {
    probe.created = clean;
    if (!clean) probe.error = "create or destroy " + EndOf(status, hung);
  }
  return probe;
}

std::optional<PluginSpec> LoadPluginSpec(std::string_view arg, std::string* error, bool isolated) {
  const size_t slash = arg.rfind('/');
  const size_t colon = arg.find(':', slash == std::string_view::npos ? 0 : slash + 1);
  PluginSpec spec;
  spec.path = std::string(arg.substr(0, colon));
  if (colon != std::string_view::npos) spec.options = std::string(arg.substr(colon + 1));
  if (spec.path.empty()) {
    *error = "--plugin " + std::string(arg) + ": no path before ':'";
    return std::nullopt;
  }
  const PluginProbe probe = ProbePlugin(spec.path, spec.options, /*create=*/true);
  if (!probe.loaded) {
    *error = probe.error;
    return std::nullopt;
  }
  // A create that crashed or hung in the probe: an isolated run reports it (phase create).
  if (probe.refused || (!probe.created && !isolated)) {
    *error = spec.path + ": " + probe.error;
    return std::nullopt;
  }
  spec.name = probe.name;
  spec.abi_version = probe.abi_version;
  return spec;
}

}  // namespace bp
