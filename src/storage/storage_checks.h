// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Rules every Storage implementation enforces the same way, so that the contract suite sees the
// same behaviour (and the same messages) from each backend.
#pragma once

#include <cstdint>
#include <string_view>

#include "winnow/storage.h"

namespace winnow::storage_checks {

// The trial budget counts running, complete, pruned, and failed trials that were not
// interrupted (an interrupted trial says nothing about the objective, so it costs nothing).
inline bool is_counted(TrialState state, bool interrupted) {
  return state == TrialState::kRunning || state == TrialState::kComplete ||
         state == TrialState::kPruned || (state == TrialState::kFailed && !interrupted);
}

// Throws winnow::Error for an empty name, no direction, or objective names that do not match
// the directions one to one.
void check_new_study(const StudyRecord& study);
// A study name must not be empty.
void check_study_name(std::string_view name);
// create_trial's `state` must be kWaiting or kRunning.
void check_initial_state(TrialState state);
// The outcome's state must be finished; values are empty or one per objective, and a complete
// trial must have one per objective.
void check_outcome(const TrialOutcome& outcome, size_t objectives, int64_t trial_id,
                   int64_t number);
// User attributes hold JSON text; the key must not be empty.
void check_user_attr(std::string_view key, std::string_view json_value);

// When outcome.owner is set, throws TrialTakenError when the trial was lost by that owner: its
// lease expired and it was failed as interrupted, put back in the queue, or run again by
// another owner (running still, or finished since). (Finishing a trial that ended otherwise is the caller's mistake, for
// throw_wrong_state.)
void check_finish_owner(const TrialOutcome& outcome, int64_t trial_id, int64_t number,
                        TrialState state, bool interrupted, std::string_view current_owner,
                        int64_t current_start_ms);
// Whether a trial, as read after a finish whose COMMIT may have landed before the connection
// broke, shows that finish: its state, owner, start and interrupted flag are the outcome's.
// A lease check that failed the attempt as interrupted meanwhile, or a later attempt of the
// same owner, is not this finish.
bool finish_already_recorded(const TrialOutcome& outcome, TrialState state, bool interrupted,
                             std::string_view current_owner, int64_t current_start_ms);
// The same for a report or a user attribute written by `holder` (TrialHolder).
void check_holder(const TrialHolder& holder, int64_t trial_id, int64_t number, TrialState state,
                  bool interrupted, std::string_view current_owner, int64_t current_start_ms);

[[noreturn]] void throw_unknown_study(int64_t study_id, std::string_view url);
[[noreturn]] void throw_unknown_trial(int64_t trial_id, std::string_view url);
// `action` completes "cannot <action> trial N": "finish", "report to", "set a user attr of".
[[noreturn]] void throw_wrong_state(std::string_view action, int64_t trial_id, int64_t number,
                                    TrialState state);
[[noreturn]] void throw_duplicate_study(std::string_view name, std::string_view url);

}  // namespace winnow::storage_checks
