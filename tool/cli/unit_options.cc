#include "tool/cli/unit_options.h"

#include <string>

#include "base/units.h"
#include "tool/util/text_format.h"

namespace bp {
namespace {

// A double as text that reads back as the same double.
std::string Exact(double v) { return FormatNumber(v, "%.17g"); }

}  // namespace

CLI::Validator SizeValidator(uint64_t max) {
  return CLI::Validator(
      [max](std::string& s) -> std::string {
        const auto v = ParseSize(s);
        if (v && *v <= max) return "";
        if (v) return "'" + s + "' is above the limit of " + FormatBytes(max);
        return "'" + s + "' is not a size (" + kSizeExamples + ")";
      },
      "SIZE");
}

CLI::Validator DurationValidator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        return ParseDuration(s) ? "" : "'" + s + "' is not a duration (" + kDurationExamples + ")";
      },
      "TIME");
}

CLI::Validator RateTransform(double max) {
  return CLI::Validator(
      [max](std::string& s) -> std::string {
        const auto v = ParseRate(s);
        if (!v) return "'" + s + "' is not a rate (" + kRateExamples + ")";
        if (*v > max) return "'" + s + "' is above the limit of " + HumanRate(max) + " per second";
        s = Exact(*v);
        return "";
      },
      "");
}

CLI::Validator FractionTransform() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const auto v = ParseFraction(s);
        if (!v) return "'" + s + "' is not " + kFractionExamples;
        s = Exact(*v);
        return "";
      },
      "");
}

}  // namespace bp
