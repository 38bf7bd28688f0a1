#include "tool/sched/plugin_file.h"

#include <elf.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "tool/util/addr2line.h"

namespace bp::sched {

std::vector<std::string> Symbolize(const std::string& module, uint64_t base,
                                   const std::vector<uint64_t>& pcs) {
  if (base == 0) return std::vector<std::string>(pcs.size());
  std::vector<uint64_t> offsets;
  offsets.reserve(pcs.size());
  // A return address: the access is the call just before it.
  for (const uint64_t pc : pcs) offsets.push_back(pc > base ? pc - base - 1 : 0);
  return SymbolizeOffsets(module, offsets, SourcePath::kFileName);
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
