#include "tool/report/report_reader.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "base/units.h"
#include "tool/report/report.h"

namespace bp {
namespace {

using nlohmann::json;

// Deepest nesting of arrays and objects outside strings, stopping once past `limit`. Wherever
// the text is still a valid JSON prefix this count is exact, and the parser stops at the first
// byte where it is not, so the parser never nests deeper than this scan saw.
int NestingDepth(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return depth;
}

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string ExceptionText(const char* what) {
  std::string_view text = what;
  if (!text.empty() && text[0] == '[') {
    const size_t end = text.find("] ");
    if (end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return Printable(text, 300);
}

bool CheckSchema(const json& j, std::string* error) {
  if (!j.is_object()) {
    *error =
        std::string("not a bpstress report: the top level is ") + j.type_name() + ", not an object";
    return false;
  }
  const json* schema = Field(j, "schema");
  if (schema == nullptr) {
    *error = "not a bpstress report: no \"schema\" field";
  } else if (!schema->is_string()) {
    *error = std::string("not a bpstress report: \"schema\" is ") + schema->type_name() +
             ", not a string";
  } else if (schema->get_ref<const std::string&>() != kReportSchema) {
    *error = "not a bpstress report: schema is '" +
             Printable(schema->get_ref<const std::string&>()) + "', expected '" + kReportSchema +
             "'";
  } else {
    return true;
  }
  return false;
}

}  // namespace

std::string Printable(std::string_view s, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max_bytes; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (s.size() > max_bytes) out += "...";
  return out;
}

const json* Field(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::optional<uint64_t> UintField(const json& obj, std::string_view key) {
  const json* f = Field(obj, key);
  if (f == nullptr || !f->is_number_integer()) return std::nullopt;
  if (f->is_number_unsigned()) return f->get<uint64_t>();
  const int64_t v = f->get<int64_t>();
  if (v < 0) return std::nullopt;
  return static_cast<uint64_t>(v);
}

std::optional<double> NumberField(const json& obj, std::string_view key) {
  const json* f = Field(obj, key);
  if (f == nullptr || !f->is_number()) return std::nullopt;
  const double v = f->get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<std::string> StringField(const json& obj, std::string_view key) {
  const json* f = Field(obj, key);
  if (f == nullptr || !f->is_string()) return std::nullopt;
  return f->get<std::string>();
}

std::string PoolName(const json& report, const json& pool) {
  std::string name = StringField(pool, "pool").value_or("?");
  const json* config = Field(report, "config");
  const json* allocators = config != nullptr ? Field(*config, "allocators") : nullptr;
  if (allocators != nullptr && allocators->is_array() && allocators->size() > 1) {
    const std::string allocator = StringField(pool, "allocator").value_or("?");
    name.push_back('@');  // append, not operator+: gcc 12 warns falsely (-Wrestrict) on that
    name.append(allocator);
  }
  return name;
}

std::optional<bool> BoolField(const json& obj, std::string_view key) {
  const json* f = Field(obj, key);
  if (f == nullptr || !f->is_boolean()) return std::nullopt;
  return f->get<bool>();
}

std::string PoolLabel(const json& pool) {
  const std::optional<std::string> name = StringField(pool, "pool");
  return "pool '" + (name ? Printable(*name, 80) : std::string("?")) + "'";
}

FieldReader::FieldReader(const json& obj, std::string label, bool required, Findings* findings,
                         std::string prefix)
    : obj_(obj),
      label_(std::move(label)),
      prefix_(std::move(prefix)),
      required_(required),
      f_(findings) {}

std::optional<uint64_t> FieldReader::Uint(const char* key) {
  return Get(key, Type::kUint) ? UintField(obj_, key) : std::nullopt;
}
std::optional<double> FieldReader::Number(const char* key) {
  return Get(key, Type::kNumber) ? NumberField(obj_, key) : std::nullopt;
}
std::optional<std::string> FieldReader::String(const char* key) {
  return Get(key, Type::kString) ? StringField(obj_, key) : std::nullopt;
}
std::optional<bool> FieldReader::Bool(const char* key) {
  return Get(key, Type::kBool) ? BoolField(obj_, key) : std::nullopt;
}
const json* FieldReader::Object(const char* key) { return Get(key, Type::kObject); }
const json* FieldReader::Array(const char* key) { return Get(key, Type::kArray); }

const json* FieldReader::Get(const char* key, Type type) {
  static constexpr const char* kNames[] = {"a non-negative integer",
                                           "a finite non-negative number",
                                           "a string",
                                           "a boolean",
                                           "an object",
                                           "an array"};
  const json* v = Field(obj_, key);
  if (v == nullptr) {
    if (required_) f_->Fail(label_ + ": missing field '" + prefix_ + key + "'");
    return nullptr;
  }
  bool fits = false;
  switch (type) {
    case Type::kUint:
      fits = UintField(obj_, key).has_value();
      break;
    case Type::kNumber:
      fits = NumberField(obj_, key).value_or(-1) >= 0;
      break;
    case Type::kString:
      fits = v->is_string();
      break;
    case Type::kBool:
      fits = v->is_boolean();
      break;
    case Type::kObject:
      fits = v->is_object();
      break;
    case Type::kArray:
      fits = v->is_array();
      break;
  }
  if (!fits) {
    const std::string found = v->is_number() ? Printable(v->dump(), 40) : v->type_name();
    f_->Fail(label_ + ": field '" + prefix_ + key + "' must be " + kNames[static_cast<int>(type)] +
             " (found " + found + ")");
    return nullptr;
  }
  f_->Pass(label_ + ": field '" + prefix_ + key + "'");
  return v;
}

bool ParseReport(std::string_view text, json* out, std::string* error) {
  try {
    if (text.empty()) {
      *error = "not valid JSON: the input is empty";
      return false;
    }
    if (NestingDepth(text, kMaxReportDepth) > kMaxReportDepth) {
      *error = "not a bpstress report: nested deeper than " + std::to_string(kMaxReportDepth) +
               " levels";
      return false;
    }
    json j = json::parse(text.begin(), text.end());
    if (!CheckSchema(j, error)) return false;
    *out = std::move(j);
    return true;
  } catch (const json::parse_error& e) {
    *error = "not valid JSON at byte " + std::to_string(e.byte) + ": " + ExceptionText(e.what());
  } catch (const json::exception& e) {
    *error = "not valid JSON: " + ExceptionText(e.what());
  } catch (const std::exception& e) {
    *error = std::string("cannot parse: ") + ExceptionText(e.what());
  }
  return false;
}

bool LoadReport(const std::string& path, json* out, std::string* error) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    *error = "cannot read '" + Printable(path) + "': " + std::strerror(errno);
    return false;
  }
  std::string text;
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, file)) > 0) text.append(chunk, n);
  const bool failed = std::ferror(file) != 0;
  const int read_errno = errno;
  std::fclose(file);
  if (failed) {
    *error = "cannot read '" + Printable(path) + "': " + std::strerror(read_errno);
    return false;
  }
  return ParseReport(text, out, error);
}

}  // namespace bp
