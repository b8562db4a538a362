// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What every storage gets unless it does better: a trial decided ahead of the lock, created
// through create_decided_trial.
#include "winnow/storage.h"

namespace winnow {

Storage::AheadOutcome Storage::create_trial_ahead(int64_t study_id, int64_t since_version,
                                                  std::string_view owner, int64_t budget_limit,
                                                  const TrialDraft& draft,
                                                  std::optional<int64_t> expected_number) {
  AheadOutcome outcome;
  bool decided = false;
  bool overtaken = false;
  std::optional<FrozenTrial> trial = create_decided_trial(
      study_id, since_version, owner, budget_limit,
      [&](int64_t number, std::vector<FrozenTrial> changed) -> std::optional<TrialDraft> {
        decided = true;  // a retried transaction calls again: the last call is the one that counts
        outcome.changed = std::move(changed);
        overtaken = expected_number && number != *expected_number;
        if (overtaken) return std::nullopt;
        return draft;
      });
  if (trial) {
    outcome.status = decided ? AheadStatus::kCreated : AheadStatus::kClaimedWaiting;
    outcome.trial = std::move(trial);
  } else {
    outcome.status = decided && overtaken ? AheadStatus::kOvertaken : AheadStatus::kBudgetSpent;
  }
  return outcome;
}

}  // namespace winnow
