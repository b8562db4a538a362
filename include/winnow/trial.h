// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The trial record. A FrozenTrial is a value: a snapshot of what the storage holds. Once a trial
// is finished (complete, pruned, failed) its record never changes again.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/attributes.h"
#include "winnow/space.h"

namespace winnow {

enum class TrialState {
  kWaiting,   // enqueued by the user, not yet started
  kRunning,
  kComplete,
  kPruned,
  kFailed,
};
std::string_view to_string(TrialState state);  // "waiting", "running", ...
std::optional<TrialState> trial_state_from_string(std::string_view text);
inline bool is_finished(TrialState s) {
  return s == TrialState::kComplete || s == TrialState::kPruned || s == TrialState::kFailed;
}

enum class Direction { kMinimize, kMaximize };
std::string_view to_string(Direction direction);
std::optional<Direction> direction_from_string(std::string_view text);

struct FrozenTrial {
  int64_t id = -1;      // storage-wide identifier
  int64_t number = -1;  // 0, 1, 2 ... within its study, atomic across processes
  TrialState state = TrialState::kRunning;
  Config config;
  std::vector<double> values;                // one per objective, once complete
  std::map<int64_t, double> intermediate;    // step -> reported value
  std::map<std::string, double> metrics;     // extra numbers the objective reported
  // Constraint values of a finished trial: feasible when every one is <= 0. Those the objective
  // returned come first, then one per limit of StudyOptions::constraints. Empty: unconstrained.
  std::vector<double> constraints;
  std::map<std::string, std::string> user_attrs;  // key -> JSON text
  int64_t start_time_ms = 0;                 // Unix epoch milliseconds; 0 = not started
  int64_t end_time_ms = 0;                   // 0 = not finished
  std::string failure_reason;                // empty unless failed
  // Failed because Winnow itself stopped (Ctrl-C, killed process), not because of the objective.
  // Such trials do not count towards a study's trial budget.
  bool interrupted = false;
  std::optional<int64_t> retry_of;           // number of the attempt this trial retries
  std::string owner;                         // "host:pid:start" of the process running it
  int64_t version = 0;  // storage change counter of the last change; 0: not yet stamped

  double duration_seconds() const;
  // True when every constraint value is <= 0 (also when there are none).
  bool feasible() const;
  // Sum of the positive constraint values: 0 when feasible.
  double constraint_violation() const;
};

}  // namespace winnow
