#include "tool/util/addr2line.h"

#include <unistd.h>

#include <cstdio>

#include "tool/util/shell.h"

namespace bp {

std::vector<std::string> SymbolizeOffsets(const std::string& module,
                                          const std::vector<uint64_t>& offsets, SourcePath path) {
  std::vector<std::string> out(offsets.size());
  std::string tool;
  for (const char* candidate : {"/usr/bin/addr2line", "/usr/bin/llvm-addr2line-14"}) {
    if (access(candidate, X_OK) == 0) {
      tool = candidate;
      break;
    }
  }
  if (tool.empty() || offsets.empty() || access(module.c_str(), R_OK) != 0) return out;
  std::string cmd = tool + " -C -f -e " + ShellQuote(module);
  for (const uint64_t o : offsets) {
    char hex[32];
    std::snprintf(hex, sizeof hex, " 0x%llx", static_cast<unsigned long long>(o));
    cmd += hex;
  }
  cmd += " 2>/dev/null";
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  char fn[1024], loc[1024];
  for (size_t i = 0; i < offsets.size(); ++i) {
    if (std::fgets(fn, sizeof fn, f) == nullptr || std::fgets(loc, sizeof loc, f) == nullptr) break;
    std::string a = fn, b = loc;
    while (!a.empty() && (a.back() == '\n' || a.back() == '\r')) a.pop_back();
    while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
    if (path == SourcePath::kFileName) {
      if (const size_t slash = b.rfind('/'); slash != std::string::npos) b = b.substr(slash + 1);
    }
    if (a != "??") out[i] = a;
    if (b.find("??") != 0 && !b.empty()) {
      // Appended piecewise: g++ 12 takes the one-expression form for an overlapping memcpy.
      if (!out[i].empty()) out[i] += ' ';
      out[i] += '(';
      out[i] += b;
      out[i] += ')';
    }
  }
  pclose(f);
  return out;
}

}  // namespace bp
