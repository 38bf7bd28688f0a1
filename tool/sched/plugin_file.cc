#include "tool/sched/plugin_file.h"

#include <elf.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "tool/util/shell.h"

namespace bp::sched {

std::vector<std::string> Symbolize(const std::string& module, uint64_t base,
                                   const std::vector<uint64_t>& pcs) {
  std::vector<std::string> out(pcs.size());
  std::string tool;
  for (const char* candidate : {"/usr/bin/addr2line", "/usr/bin/llvm-addr2line-14"}) {
    if (access(candidate, X_OK) == 0) {
      tool = candidate;
      break;
    }
  }
  if (tool.empty() || pcs.empty() || base == 0 || access(module.c_str(), R_OK) != 0) return out;
  std::string cmd = tool + " -C -f -e " + ShellQuote(module);
  for (const uint64_t pc : pcs) {
    char hex[32];
    // A return address: the access is the call just before it.
    std::snprintf(hex, sizeof hex, " 0x%llx",
                  static_cast<unsigned long long>(pc > base ? pc - base - 1 : 0));
    cmd += hex;
  }
  cmd += " 2>/dev/null";
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  char fn[1024], loc[1024];
  for (size_t i = 0; i < pcs.size(); ++i) {
    if (std::fgets(fn, sizeof fn, f) == nullptr || std::fgets(loc, sizeof loc, f) == nullptr) break;
    std::string a = fn, b = loc;
    while (!a.empty() && (a.back() == '\n' || a.back() == '\r')) a.pop_back();
    while (!b.empty() && (b.back() == '\n' || b.back() == '\r')) b.pop_back();
    if (const size_t slash = b.rfind('/'); slash != std::string::npos) b = b.substr(slash + 1);
    if (a != "??") out[i] = a;
    if (b.find("??") != 0 && !b.empty()) {
      if (!out[i].empty()) out[i] += ' ';
      out[i] += '(';
      out[i] += b;
      out[i] += ')';
    }
  }
  pclose(f);
  return out;
}

bool IsInstrumented(const std::string& path, std::string* reason) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    *reason = "cannot read " + path;
    return false;
  }
  if (bytes.size() < sizeof(Elf64_Ehdr) || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0 ||
      bytes[EI_CLASS] != ELFCLASS64) {
    *reason = path + " is not a 64-bit ELF shared object";
    return false;
  }
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  auto section = [&](size_t i, Elf64_Shdr* sh) {
    const uint64_t at = eh.e_shoff + i * eh.e_shentsize;
    if (at + sizeof *sh > bytes.size()) return false;
    std::memcpy(sh, bytes.data() + at, sizeof *sh);
    return true;
  };
  for (size_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr dynsym, strtab;
    if (!section(i, &dynsym) || dynsym.sh_type != SHT_DYNSYM) continue;
    if (!section(dynsym.sh_link, &strtab) || strtab.sh_offset + strtab.sh_size > bytes.size() ||
        dynsym.sh_offset + dynsym.sh_size > bytes.size()) {
      break;
    }
    for (uint64_t at = dynsym.sh_offset;
         at + sizeof(Elf64_Sym) <= dynsym.sh_offset + dynsym.sh_size; at += sizeof(Elf64_Sym)) {
      Elf64_Sym sym;
      std::memcpy(&sym, bytes.data() + at, sizeof sym);
      if (sym.st_shndx != SHN_UNDEF || sym.st_name >= strtab.sh_size) continue;
      const char* name = bytes.data() + strtab.sh_offset + sym.st_name;
      const size_t room = strtab.sh_size - sym.st_name;
      const std::string n(name, strnlen(name, room));
      if (n == "__tsan_func_entry" || n.rfind("__tsan_atomic", 0) == 0 ||
          n.rfind("__tsan_read", 0) == 0) {
        return true;
      }
    }
  }
  *reason = path + " was not compiled with -fsanitize=thread (it calls no __tsan_ hook)";
  return false;
}

}  // namespace bp::sched
