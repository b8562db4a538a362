// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "winnow/trial.h"

#include <cmath>
#include <limits>

namespace winnow {

std::string_view to_string(TrialState state) {
  switch (state) {
    case TrialState::kWaiting: return "waiting";
    case TrialState::kRunning: return "running";
    case TrialState::kComplete: return "complete";
    case TrialState::kPruned: return "pruned";
    case TrialState::kFailed: return "failed";
  }
  return "unknown";
}

std::optional<TrialState> trial_state_from_string(std::string_view text) {
  for (TrialState s : {TrialState::kWaiting, TrialState::kRunning, TrialState::kComplete,
                       TrialState::kPruned, TrialState::kFailed}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

std::string_view to_string(Direction direction) {
  return direction == Direction::kMinimize ? "minimize" : "maximize";
}

std::optional<Direction> direction_from_string(std::string_view text) {
  if (text == "minimize" || text == "min") return Direction::kMinimize;
  if (text == "maximize" || text == "max") return Direction::kMaximize;
  return std::nullopt;
}

bool FrozenTrial::feasible() const {
  for (double c : constraints) {
    if (!(c <= 0)) return false;  // NaN counts as infeasible
  }
  return true;
}

double FrozenTrial::constraint_violation() const {
  double total = 0;
  for (double c : constraints) {
    if (std::isnan(c)) return std::numeric_limits<double>::infinity();
    if (c > 0) total += c;
  }
  return total;
}

double FrozenTrial::duration_seconds() const {
  if (start_time_ms == 0 || end_time_ms == 0) return 0.0;
  return static_cast<double>(end_time_ms - start_time_ms) / 1000.0;
}

}  // namespace winnow
