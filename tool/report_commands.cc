#include "tool/report_commands.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "tool/cli.h"
#include "tool/compare.h"
#include "tool/html_report.h"
#include "tool/report.h"
#include "tool/units.h"
#include "tool/verify.h"

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
  f_->Pass();
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

namespace {

struct CommandArgs {
  std::string report;
  std::string min_ops, max_p99, max_waste, min_hit_rate, max_rss, baseline, max_regression;
  std::vector<std::string> pools;
  std::vector<std::string> compare;
  std::string html;
};

int UsageError(const char* command, const std::string& what) {
  std::fprintf(stderr, "bpstress %s: %s\n", command, what.c_str());
  return kExitUsage;
}

int BadInput(const char* command, const std::string& path, const std::string& what) {
  std::fprintf(stderr, "bpstress %s: %s: %s\n", command, Printable(path).c_str(), what.c_str());
  return kExitBadInput;
}

// Parses the threshold options; returns an error line for the first bad one.
std::optional<std::string> ParseThresholds(const CommandArgs& a, Thresholds* t) {
  auto bad = [](const char* option, const std::string& value, const char* want) {
    return std::string(option) + ": '" + Printable(value, 40) + "' is not " + want;
  };
  if (!a.min_ops.empty() && !(t->min_ops_per_sec = ParseRate(a.min_ops))) {
    return bad("--min-ops-per-sec", a.min_ops, "a rate (250000, 250K, 1.5M)");
  }
  if (!a.max_p99.empty() && !(t->max_p99_ns = ParseLatencyBound(a.max_p99))) {
    return bad("--max-p99", a.max_p99, "a duration (10us, 2ms) or a number of ns");
  }
  t->max_waste = a.max_waste.empty() ? std::nullopt : ParseRatio(a.max_waste);
  if (!a.max_waste.empty() && !(t->max_waste && *t->max_waste <= 1)) {
    return bad("--max-waste", a.max_waste, "a ratio in 0..1 (0.25 or 25%)");
  }
  t->min_hit_rate = a.min_hit_rate.empty() ? std::nullopt : ParseRatio(a.min_hit_rate);
  if (!a.min_hit_rate.empty() && !(t->min_hit_rate && *t->min_hit_rate <= 1)) {
    return bad("--min-hit-rate", a.min_hit_rate, "a ratio in 0..1 (0.9 or 90%)");
  }
  if (!a.max_rss.empty() && !(t->max_rss_bytes = ParseSize(a.max_rss))) {
    return bad("--max-rss", a.max_rss, "a size (512M, 2G)");
  }
  t->pools = a.pools;
  return std::nullopt;
}

int Verify(const CommandArgs& a) {
  Thresholds thresholds;
  if (auto error = ParseThresholds(a, &thresholds)) return UsageError("verify", *error);
  double max_regression = 0.1;
  if (!a.max_regression.empty()) {
    if (a.baseline.empty()) return UsageError("verify", "--max-regression needs --baseline");
    const auto r = ParseRatio(a.max_regression);
    // "10" could mean 10% or 1000%: make the user say which.
    if (!r || (*r > 1 && a.max_regression.back() != '%')) {
      return UsageError("verify", "--max-regression: '" + Printable(a.max_regression, 40) +
                                      "' is not a ratio (10% or 0.1)");
    }
    max_regression = *r;
  }
  nlohmann::json report, baseline;
  std::string error;
  if (!LoadReport(a.report, &report, &error)) return BadInput("verify", a.report, error);
  if (!a.baseline.empty() && !LoadReport(a.baseline, &baseline, &error)) {
    return BadInput("verify", a.baseline, "baseline: " + error);
  }
  Findings findings;
  VerifyReport(report, &findings);
  CheckThresholds(report, thresholds, &findings);
  if (!a.baseline.empty()) CheckBaseline(report, baseline, max_regression, a.pools, &findings);
  for (const std::string& line : findings.lines) std::printf("%s\n", line.c_str());
  std::printf("%s\n", SummaryLine(a.report, findings).c_str());
  return findings.failed == 0 ? kExitOk : kExitCheckFailed;
}

int Compare(const CommandArgs& a) {
  std::vector<NamedReport> reports;
  for (const std::string& path : a.compare) {
    NamedReport r{path, {}};
    std::string error;
    if (!LoadReport(path, &r.json, &error)) return BadInput("compare", path, error);
    reports.push_back(std::move(r));
  }
  std::fputs(CompareTable(reports).c_str(), stdout);
  return kExitOk;
}

int Html(const CommandArgs& a) {
  nlohmann::json report;
  std::string error;
  if (!LoadReport(a.report, &report, &error)) return BadInput("report", a.report, error);
  if (!WriteFileAtomic(a.html, RenderHtmlReport(report, a.report), &error)) {
    return UsageError("report", "--html: " + error);
  }
  std::printf("report: %s\n", Printable(a.html).c_str());
  return kExitOk;
}

// Every exception stops at this boundary as one line and exit 3 (allocation failure on a huge
// report is the only one expected).
int Guarded(const char* command, int (*run)(const CommandArgs&), const CommandArgs& a) {
  try {
    const int code = run(a);
    std::fflush(stdout);
    return code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bpstress %s: cannot process the input: %s\n", command, e.what());
  } catch (...) {
    std::fprintf(stderr, "bpstress %s: cannot process the input\n", command);
  }
  return kExitBadInput;
}

}  // namespace

std::function<std::optional<int>()> AddReportCommands(CLI::App& app) {
  auto a = std::make_shared<CommandArgs>();
  CLI::App* verify = app.add_subcommand(
      "verify", "check a report: schema, accounting identities, verdicts, thresholds, baseline");
  verify->add_option("report", a->report, "report JSON file")->required();
  verify->add_option("--min-ops-per-sec", a->min_ops, "fail a pool below this rate (250K, 1.5M)");
  verify->add_option("--max-p99", a->max_p99, "fail a pool whose p99 exceeds TIME (10us, or ns)");
  verify->add_option("--max-waste", a->max_waste, "fail a pool wasting more than R (0..1 or %)");
  verify->add_option("--min-hit-rate", a->min_hit_rate, "fail a pool with a lower hit rate");
  verify->add_option("--max-rss", a->max_rss, "fail a pool whose peak RSS exceeds SIZE");
  verify->add_option("--pool", a->pools, "apply the bounds to this pool only; repeatable");
  verify->add_option("--baseline", a->baseline, "compare ops/s and p99 with this older report");
  verify->add_option("--max-regression", a->max_regression,
                     "largest allowed ops/s drop or p99 rise against --baseline (default 10%)");
  CLI::App* compare = app.add_subcommand("compare", "side-by-side table of the pools of reports");
  compare->add_option("reports", a->compare, "report JSON files; ratios are to the first")
      ->required();
  CLI::App* report =
      app.add_subcommand("report", "render a report as one self-contained HTML file");
  report->add_option("report", a->report, "report JSON file")->required();
  report->add_option("--html", a->html, "output HTML file (written atomically)")->required();
  return [a, verify, compare, report]() -> std::optional<int> {
    if (verify->parsed()) return Guarded("verify", Verify, *a);
    if (compare->parsed()) return Guarded("compare", Compare, *a);
    if (report->parsed()) return Guarded("report", Html, *a);
    return std::nullopt;
  };
}

}  // namespace bp
