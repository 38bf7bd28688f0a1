#include "tool/process/symbolize.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "tool/util/addr2line.h"

namespace bp::internal {
namespace {

struct Region {
  uint64_t start, end, offset;
  std::string path;
};

std::vector<Region> ParseMaps(const std::string& maps) {
  std::vector<Region> out;
  size_t at = 0;
  while (at < maps.size()) {
    size_t end = maps.find('\n', at);
    if (end == std::string::npos) end = maps.size();
    const std::string line = maps.substr(at, end - at);
    at = end + 1;
    unsigned long long lo = 0, hi = 0, off = 0;
    char perms[8] = {};
    int path_at = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %*s %*s %n", &lo, &hi, perms, &off,
                    &path_at) < 4 ||
        path_at <= 0 || static_cast<size_t>(path_at) >= line.size() || line[path_at] != '/') {
      continue;
    }
    out.push_back(
        {.start = lo, .end = hi, .offset = off, .path = line.substr(static_cast<size_t>(path_at))});
  }
  return out;
}

}  // namespace

// The crashing thread's frames as "module+0xOFFSET[ symbol (file:line)]", from the handler's
// raw addresses and the maps it sent. The frames of the handler itself are dropped: the stack
// starts at the faulting instruction when it is among them.
std::vector<std::string> ResolveFrames(const CrashRecord& c, const std::string& maps) {
  const uint32_t n = std::min<uint32_t>(c.frames, kMaxCrashFrames);
  uint32_t first = 0;
  bool pc_found = false;
  for (uint32_t i = 0; i < n; ++i) {
    if (c.pc != 0 && c.frame[i] == c.pc) {
      first = i;
      pc_found = true;
      break;
    }
  }
  // Addresses to look up: return addresses point after the call, so the call itself (minus 1),
  // but not for the faulting pc. A handler reached through a runtime that forwarded the signal
  // (Go's sigfwd) cannot unwind past the runtime's frames: the faulting pc then comes first.
  std::vector<uint64_t> addrs;
  if (c.pc != 0 && !pc_found) addrs.push_back(c.pc);
  for (uint32_t i = first; i < n; ++i) {
    addrs.push_back(c.frame[i] - (pc_found && i == first ? 0 : 1));
  }
  const std::vector<Region> regions = ParseMaps(maps);
  struct Where {
    const Region* region;
    uint64_t offset;
  };
  std::vector<Where> where;
  std::map<std::string, std::vector<size_t>> by_module;
  for (const uint64_t a : addrs) {
    const Region* hit = nullptr;
    for (const Region& r : regions) {
      if (a >= r.start && a < r.end) {
        hit = &r;
        break;
      }
    }
    where.push_back({hit, hit != nullptr ? a - hit->start + hit->offset : a});
    if (hit != nullptr) by_module[hit->path].push_back(where.size() - 1);
  }
  std::vector<std::string> symbols(where.size());
  for (const auto& [module, indices] : by_module) {
    std::vector<uint64_t> offs;
    for (const size_t i : indices) offs.push_back(where[i].offset);
    const std::vector<std::string> names = SymbolizeOffsets(module, offs, SourcePath::kFull);
    for (size_t k = 0; k < indices.size(); ++k) symbols[indices[k]] = names[k];
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < where.size(); ++i) {
    char text[64];
    std::string module = "?";
    if (where[i].region != nullptr) {
      const std::string& path = where[i].region->path;
      module = path.substr(path.rfind('/') + 1);
    }
    std::snprintf(text, sizeof text, "+0x%llx", static_cast<unsigned long long>(where[i].offset));
    std::string frame = module + text;
    if (!symbols[i].empty()) frame += " " + symbols[i];
    out.push_back(std::move(frame));
  }
  return out;
}

}  // namespace bp::internal
