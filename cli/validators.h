// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Checks of command-line values whose messages read like the study file's: "--trials: must be at
// least 0, got -3" rather than CLI11's "Value -3 not in range [0 - 1.79769e+308]".
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

namespace winnow::cli {

inline CLI::Validator at_least(long long minimum) {
  return CLI::Validator(
      [minimum](std::string& text) -> std::string {
        char* end = nullptr;
        double value = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size()) {
          return "expected a number, got '" + text + "'";
        }
        if (value < static_cast<double>(minimum)) {
          return "must be at least " + std::to_string(minimum) + ", got " + text;
        }
        return "";
      },
      ">= " + std::to_string(minimum));
}

// A seed: decimal digits only, 0 to 2^63 - 1 as in a study file; apply it with ->transform().
// CLI11 alone would take "-1" as 2^64 - 1, "0x10" as 16 and "010" as 8.
inline CLI::Validator seed_value() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        uint64_t value = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (!digits || error != std::errc() || end != text.data() + text.size() ||
            value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return "expected a whole number from 0 to 9223372036854775807, got '" + text + "'";
        }
        text = std::to_string(value);  // "010" is ten, not CLI11's octal eight
        return "";
      },
      "SEED");
}

}  // namespace winnow::cli
