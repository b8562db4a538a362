// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Checks of command-line values whose messages read like the study file's: "--trials: must be at
// least 0, got -3" rather than CLI11's "Value -3 not in range [0 - 1.79769e+308]".
#pragma once

#include <CLI/CLI.hpp>
#include <cstdlib>
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

}  // namespace winnow::cli
