#include "pool/registry.h"

#include "base/units.h"
#include "pool/pool_list.h"

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
  static const std::vector<PoolEntry> entries = [] {
    std::vector<PoolEntry> out;
    ForEachPoolEntry(BuiltinPools{}, [&]<class E>() {
      const PoolAbout& a = E::kAbout;
      const bool faulty = a.detector.kind != DetectorKind::kNone;
      out.push_back({E::Pool::kName, a.help, a.in_all, faulty, a.detector.what, a.detector.kind,
                     a.cross_thread, E::Options(), &E::Validate});
    });
    return out;
  }();
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
