// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Limits on reported numbers, declared by a study ("model_mb <= 50"): each becomes a constraint
// value of every complete trial, feasible when <= 0.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/storage.h"

namespace winnow {

struct MetricLimit {
  std::string name;   // a metric, or an objective's name
  bool at_most = true;  // "<=" (else ">=")
  double bound = 0;
  std::string text;   // as written, for messages
};

// "<name> <= <number>" or "<name> >= <number>" ("<" and ">" read the same). Throws winnow::Error
// saying what is wrong.
MetricLimit parse_metric_limit(std::string_view text);

// Appends one constraint value per limit to a complete outcome: value - bound for "<=", bound -
// value for ">=". Returns why it cannot (a limit names a number the objective did not report).
std::optional<std::string> apply_metric_limits(const std::vector<MetricLimit>& limits,
                                               const std::vector<std::string>& objective_names,
                                               TrialOutcome& outcome);

}  // namespace winnow
