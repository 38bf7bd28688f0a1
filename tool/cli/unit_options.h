// CLI11 validators for the quantities of base/units.h, so that every command takes a size, a
// rate, a share or a duration the same way and words a bad one alike ("--cross-thread: '1.5' is
// not a share in 0..1, e.g. 0.25 or 25%").
//
// The transforms (RateTransform, FractionTransform) rewrite the text into a plain number before
// CLI11 converts it, so that an option bound to a double accepts "20k" or "25%". They have no
// description of their own: name the option's type (`->type_name("RATE")`) for --help.
#pragma once

#include <CLI/CLI.hpp>

namespace bp {

// Checks that the text is a size (ParseSize) no larger than `max`.
CLI::Validator SizeValidator(uint64_t max = UINT64_MAX);
// Checks that the text is a duration (ParseDuration).
CLI::Validator DurationValidator();
// A rate (ParseRate) no larger than `max`, rewritten as a plain number.
CLI::Validator RateTransform(double max);
// A share in 0..1 (ParseFraction), rewritten as a plain number.
CLI::Validator FractionTransform();

}  // namespace bp
