// Reading stress reports: the library under `verify`, `compare` and `report --html`.
//
// Reading: ParseReport accepts any bytes and either yields a JSON object whose "schema" is
// kReportSchema or one line saying why not (with the byte offset of a JSON syntax error). Input
// nested deeper than kMaxReportDepth is refused by a linear pre-scan before the parser runs, so
// hostile input cannot exhaust the stack in nlohmann's recursive copy and compare. Nothing here
// throws: every nlohmann exception is caught at this boundary, and the field accessors check types
// before they read (nlohmann's get<> would throw type_error).
//
//
// Thread safety: the functions are pure apart from reading files and printing to stdout/stderr.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "tool/report/findings.h"

namespace bp {

// Deeper than any report (which nests 5 levels); shallow enough for recursive code.
inline constexpr int kMaxReportDepth = 256;

// Parses `text` as a report. On failure returns false and sets *error to one line ("not valid
// JSON at byte 17: ...", "nested deeper than 256 levels", "not a bpstress report: ...").
bool ParseReport(std::string_view text, nlohmann::json* out, std::string* error);
// Reads and parses the file at `path`; unreadable files fail like invalid ones.
bool LoadReport(const std::string& path, nlohmann::json* out, std::string* error);

// Never-throwing field access: nullptr/nullopt when `obj` is not an object, the key is missing or
// the value has another type. UintField accepts integers >= 0; NumberField any finite number.
const nlohmann::json* Field(const nlohmann::json& obj, std::string_view key);
std::optional<uint64_t> UintField(const nlohmann::json& obj, std::string_view key);
std::optional<double> NumberField(const nlohmann::json& obj, std::string_view key);
std::optional<std::string> StringField(const nlohmann::json& obj, std::string_view key);
std::optional<bool> BoolField(const nlohmann::json& obj, std::string_view key);

// How tables name a pool of `report`: its "pool", or "pool@allocator" when the report ran several
// allocators (config.allocators), so that the same pool under two allocators stays apart.
std::string PoolName(const nlohmann::json& report, const nlohmann::json& pool);

// Reads the fields of one report object while checking the schema: each accessor records one
// check in *findings — present (when `required`) and of the right type (integers >= 0, numbers
// finite and >= 0) — and returns the value, or nullopt/nullptr when it is missing or mistyped.
// `label` starts every message ("pool 'sized'"); `prefix` names nested objects ("latency_ns.").
class FieldReader {
 public:
  FieldReader(const nlohmann::json& obj, std::string label, bool required, Findings* findings,
              std::string prefix = "");

  std::optional<uint64_t> Uint(const char* key);
  std::optional<double> Number(const char* key);
  std::optional<std::string> String(const char* key);
  std::optional<bool> Bool(const char* key);
  const nlohmann::json* Object(const char* key);
  const nlohmann::json* Array(const char* key);

  // Records one check under this object's label.
  void Check(bool ok, const std::string& what) { f_->Check(ok, label_ + ": " + what); }
  const std::string& label() const { return label_; }

 private:
  enum class Type { kUint, kNumber, kString, kBool, kObject, kArray };
  const nlohmann::json* Get(const char* key, Type type);

  const nlohmann::json& obj_;
  std::string label_;
  std::string prefix_;
  bool required_;
  Findings* f_;
};

// Untrusted text for a terminal: bytes outside printable ASCII (and '\') as \xNN, cut after
// max_bytes.
std::string Printable(std::string_view text, size_t max_bytes = 200);
// A pool's name for messages: "pool 'sized'" (Printable).
std::string PoolLabel(const nlohmann::json& pool);

}  // namespace bp
