#include "pool/registry.h"

#include "base/units.h"

namespace bp {
namespace {

std::string KnownNames() {
  std::string out;
  for (const PoolEntry& e : PoolEntries()) {
    if (!out.empty()) out += ", ";
    out += e.name;
  }
  return out;
}

}  // namespace

const std::vector<PoolEntry>& PoolEntries() {
  static const std::vector<PoolEntry> entries = {
      {"sized",
       "GWS BufferPool: power-of-two classes [min,max], each a sync pool; larger sizes unpooled",
       true,
       false,
       "",
       {{"min", "64", "smallest class (rounded up to a power of two)"},
        {"max", "64K", "largest pooled class (rounded up to a power of two)"},
        {"retain", "64M", "bytes each class may retain beyond the per-thread caches"}}},
      {"fixed",
       "Viki bytepool: count preallocated fixed-capacity items; a miss makes a transient item",
       true,
       false,
       "",
       {{"count", "1024", "items preallocated (the pool never holds more)"},
        {"capacity", "64K", "capacity of every item; longer writes are truncated"}}},
      {"sync",
       "Go sync.Pool analogue of buffers: per-thread cache, shared list, victim generation",
       true,
       false,
       "",
       {{"retain", "64M", "bytes the shared list and victim may retain"}}},
      {"naive",
       "one sync pool of buffers created with 1 KiB, grown on demand (the simple pool)",
       true,
       false,
       "",
       {}},
      {"malloc",
       "no pooling: a new buffer every get, freed on put (the baseline)",
       true,
       false,
       "",
       {}},
      {"null",
       "the harness floor: a per-thread preallocated buffer, no pooling work",
       false,
       false,
       "",
       {}},
      {"faulty:race",
       "an unsynchronised free list shared by all threads",
       false,
       true,
       "ThreadSanitizer (data race)",
       {}},
      {"faulty:double-handout",
       "now and then hands out a buffer that is still held",
       false,
       true,
       "double_handout",
       {}},
      {"faulty:short-capacity",
       "now and then returns less capacity than asked for",
       false,
       true,
       "short_capacity",
       {}},
      {"faulty:scribble",
       "writes into a buffer after it was put, while the next holder has it",
       false,
       true,
       "corruption",
       {}},
      {"faulty:use-after-put",
       "the pool itself touches a buffer it has freed",
       false,
       true,
       "AddressSanitizer (use after free/poison)",
       {}},
      {"faulty:leak", "never frees the buffers it drops", false, true, "leak", {}},
      {"faulty:stale",
       "does not reset buffers: get can return len != 0",
       false,
       true,
       "not_empty",
       {}},
      {"faulty:aba",
       "a lock-free free list (Treiber stack) with no ABA protection",
       false,
       true,
       "double_handout",
       {}},
      {"faulty:exit-flush",
       "a per-thread cache whose thread-exit flush puts buffers it has freed",
       false,
       true,
       "AddressSanitizer (use after free at thread exit)",
       {}},
      {"faulty:hang", "blocks forever on one get", false, true, "deadline watchdog (hung)", {}},
      {"faulty:round32",
       "the GWS BufferPool with its 32-bit binaryCeil: any n > 2^31 gets 128 bytes",
       false,
       true,
       "short_capacity",
       {}},
  };
  return entries;
}

const PoolEntry* FindPool(std::string_view name) {
  for (const PoolEntry& e : PoolEntries()) {
    if (name == e.name) return &e;
  }
  return nullptr;
}

uint64_t PoolSpec::Value(std::string_view key) const {
  for (const auto& [k, v] : values) {
    if (k == key) return v;
  }
  return 0;
}

std::string PoolSpec::Canonical() const {
  std::string out = entry->name;
  char sep = ':';
  for (const auto& [k, v] : values) {
    out += sep;
    out += k;
    out += '=';
    out += std::to_string(v);
    sep = ',';
  }
  return out;
}

std::optional<PoolSpec> ParsePoolSpec(std::string_view text, std::string* error) {
  // "faulty:NAME" is one name; options follow the next ':'.
  size_t colon = text.find(':');
  if (text.substr(0, colon) == "faulty" && colon != std::string_view::npos) {
    colon = text.find(':', colon + 1);
  }
  const std::string_view name = text.substr(0, colon);
  const PoolEntry* entry = FindPool(name);
  if (entry == nullptr) {
    *error = "unknown pool '" + std::string(name) + "' (known: " + KnownNames() + ")";
    return std::nullopt;
  }
  PoolSpec spec;
  spec.entry = entry;
  for (const PoolOption& o : entry->options) {
    spec.values.emplace_back(o.key, *ParseSize(o.default_value));
  }
  if (colon == std::string_view::npos) return spec;
  std::string_view rest = text.substr(colon + 1);
  if (rest.empty()) {
    *error = std::string(entry->name) + ": empty option list after ':'";
    return std::nullopt;
  }
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (comma != std::string_view::npos && rest.empty()) {
      *error = std::string(entry->name) + ": trailing ','";
      return std::nullopt;
    }
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      *error = std::string(entry->name) + ": option '" + std::string(item) + "' needs key=value";
      return std::nullopt;
    }
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    auto slot = spec.values.begin();
    while (slot != spec.values.end() && slot->first != key) ++slot;
    if (slot == spec.values.end()) {
      std::string known;
      for (const PoolOption& o : entry->options)
        known += (known.empty() ? "" : ", ") + std::string(o.key);
      *error = std::string(entry->name) + ": unknown option '" + std::string(key) +
               "' (known: " + (known.empty() ? std::string("none") : known) + ")";
      return std::nullopt;
    }
    const auto v = ParseSize(value);
    if (!v) {
      *error = std::string(entry->name) + ": " + std::string(key) + "='" + std::string(value) +
               "' is not a number or size (" + kSizeExamples + ")";
      return std::nullopt;
    }
    slot->second = *v;
  }
  return spec;
}

}  // namespace bp
