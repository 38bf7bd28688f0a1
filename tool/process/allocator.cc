#include "tool/process/allocator.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string_view>

#include "build_info.h"
#include "tool/util/exit_codes.h"

namespace bp {
namespace {

struct KnownAllocator {
  const char* name;
  const char* package;
  // Library file names in order of preference; a mapped file whose name starts with `prefix`
  // identifies the allocator in a running process.
  std::vector<const char*> files;
  const char* prefix;
};

const std::vector<KnownAllocator>& Known() {
  static const std::vector<KnownAllocator> known = {
      {"glibc", "", {}, nullptr},
      {"jemalloc", "libjemalloc2", {"libjemalloc.so.2"}, "libjemalloc.so"},
      {"tcmalloc",
       "libtcmalloc-minimal4",
       {"libtcmalloc_minimal.so.4", "libtcmalloc.so.4"},
       "libtcmalloc"},
      {"mimalloc", "libmimalloc2.0", {"libmimalloc.so.2", "libmimalloc.so.2.0"}, "libmimalloc.so"},
  };
  return known;
}

const KnownAllocator* FindKnown(std::string_view name) {
  for (const KnownAllocator& k : Known()) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

// Path names of the files mapped into this process.
std::vector<std::string> MappedFiles() {
  std::vector<std::string> files;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    if (std::find(files.begin(), files.end(), path) == files.end()) files.push_back(path);
  }
  return files;
}

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Where shared libraries live: the C library's own directory first (the multiarch directory on
// Debian), then the usual places.
std::vector<std::string> LibraryDirs() {
  std::vector<std::string> dirs;
  for (const std::string& f : MappedFiles()) {
    if (BaseName(f).rfind("libc.so", 0) == 0) dirs.push_back(f.substr(0, f.rfind('/')));
  }
  for (const char* d : {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
                        "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"}) {
    dirs.emplace_back(d);
  }
  return dirs;
}

bool Readable(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), R_OK) == 0;
}

}  // namespace

std::optional<std::string> FindAllocatorLibrary(const std::string& name) {
  const KnownAllocator* k = FindKnown(name);
  if (k == nullptr) return std::nullopt;
  if (k->files.empty()) return std::string();
  for (const std::string& dir : LibraryDirs()) {
    for (const char* file : k->files) {
      const std::string path = dir + "/" + file;
      if (Readable(path)) return path;
    }
  }
  return std::nullopt;
}

const char* AllocatorPackage(const std::string& name) {
  const KnownAllocator* k = FindKnown(name);
  return k == nullptr ? "" : k->package;
}

bool ParseAllocators(const std::string& list, std::vector<AllocatorChoice>* out,
                     AllocatorError* error) {
  std::vector<AllocatorChoice> choices;
  auto add = [&](AllocatorChoice c) {
    if (std::any_of(choices.begin(), choices.end(),
                    [&](const AllocatorChoice& o) { return o.name == c.name; })) {
      *error = {"'" + c.name + "' is listed twice", kExitUsage};
      return false;
    }
    choices.push_back(std::move(c));
    return true;
  };
  std::stringstream in(list);
  std::string item;
  bool any = false;
  while (std::getline(in, item, ',')) {
    any = true;
    if (item == "all") {
      for (const KnownAllocator& k : Known()) {
        if (auto path = FindAllocatorLibrary(k.name); path && !add({k.name, *path})) return false;
      }
      continue;
    }
    if (const size_t eq = item.find('='); eq != std::string::npos) {
      AllocatorChoice c{item.substr(0, eq), item.substr(eq + 1)};
      if (c.name.empty() || c.path.empty()) {
        *error = {"'" + item + "': expected NAME=PATH", kExitUsage};
        return false;
      }
      if (FindKnown(c.name) != nullptr) {
        *error = {"'" + c.name + "' is a known allocator; name your library differently",
                  kExitUsage};
        return false;
      }
      if (!Readable(c.path)) {
        *error = {"'" + c.path + "' is not a readable file", kExitBadInput};
        return false;
      }
      if (!add(std::move(c))) return false;
      continue;
    }
    if (FindKnown(item) == nullptr) {
      *error = {"unknown allocator '" + item +
                    "' (known: glibc, jemalloc, tcmalloc, mimalloc, all, or NAME=PATH)",
                kExitUsage};
      return false;
    }
    auto path = FindAllocatorLibrary(item);
    if (!path) {
      *error = {item + " is not installed (Debian package " + AllocatorPackage(item) + ")",
                kExitBadInput};
      return false;
    }
    if (!add({item, *path})) return false;
  }
  if (!any || choices.empty()) {
    *error = {"no allocator selected", kExitUsage};
    return false;
  }
  *out = std::move(choices);
  return true;
}

std::string ActiveAllocator() {
  if (build::kAddressSanitizer) return "asan";
  if (build::kThreadSanitizer) return "tsan";
  const std::vector<std::string> files = MappedFiles();
  for (const KnownAllocator& k : Known()) {
    if (k.prefix == nullptr) continue;
    for (const std::string& f : files) {
      if (BaseName(f).rfind(k.prefix, 0) == 0) return k.name;
    }
  }
  return "glibc";
}

bool LibraryIsMapped(const std::string& path) {
  struct stat want;
  if (stat(path.c_str(), &want) != 0) return false;
  for (const std::string& f : MappedFiles()) {
    struct stat st;
    if (stat(f.c_str(), &st) == 0 && st.st_dev == want.st_dev && st.st_ino == want.st_ino) {
      return true;
    }
  }
  return false;
}

}  // namespace bp
