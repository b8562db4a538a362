// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What every storage gets unless it does better: a trial decided ahead of the lock, created
// through create_decided_trial.
#include "winnow/storage.h"

#include "storage/storage_checks.h"

namespace winnow {

Storage::AheadOutcome Storage::create_trial_ahead(int64_t study_id, int64_t since_version,
                                                  std::string_view owner, int64_t budget_limit,
                                                  const TrialDraft& draft,
                                                  std::optional<int64_t> expected_number) {
  AheadOutcome outcome;
  // What the last call of `decide` did: a retried transaction calls it again, or (a waiting
  // trial enqueued in between) claims instead of calling it.
  std::optional<int64_t> accepted, refused;
  std::optional<FrozenTrial> trial = create_decided_trial(
      study_id, since_version, owner, budget_limit,
      [&](int64_t number, std::vector<FrozenTrial> changed) -> std::optional<TrialDraft> {
        outcome.changed = std::move(changed);
        accepted.reset();
        refused.reset();
        if (expected_number && number != *expected_number) {
          refused = number;
          return std::nullopt;
        }
        accepted = number;
        return draft;
      });
  if (trial) {
    const bool mine = accepted && trial->number == *accepted;
    outcome.status = mine ? AheadStatus::kCreated : AheadStatus::kClaimedWaiting;
    if (!mine) outcome.changed.clear();
    outcome.trial = std::move(trial);
  } else {
    outcome.status = refused ? AheadStatus::kOvertaken : AheadStatus::kBudgetSpent;
  }
  return outcome;
}

Storage::AheadOutcome Storage::create_trial_from_drafts(int64_t study_id, std::string_view owner,
                                                        int64_t budget_limit,
                                                        int64_t first_number,
                                                        const std::vector<TrialDraft>& drafts) {
  // Every draft's attributes, as PostgreSQL checks them: whether a bad one is refused must not
  // depend on the number the trial gets.
  for (const TrialDraft& draft : drafts) {
    for (const auto& [key, value] : draft.user_attrs) storage_checks::check_user_attr(key, value);
  }
  AheadOutcome outcome;
  std::optional<int64_t> accepted, refused;  // as in create_trial_ahead
  std::optional<FrozenTrial> trial = create_decided_trial(
      study_id, std::nullopt, owner, budget_limit,
      [&](int64_t number, std::vector<FrozenTrial>) -> std::optional<TrialDraft> {
        accepted.reset();
        refused.reset();
        const int64_t slot = number - first_number;
        if (slot < 0 || slot >= static_cast<int64_t>(drafts.size())) {
          refused = number;
          return std::nullopt;
        }
        accepted = number;
        return drafts[static_cast<size_t>(slot)];
      });
  if (trial) {
    const bool mine = accepted && trial->number == *accepted;
    outcome.status = mine ? AheadStatus::kCreated : AheadStatus::kClaimedWaiting;
    outcome.trial = std::move(trial);
  } else if (refused) {
    outcome.status = AheadStatus::kOvertaken;
    outcome.next_number = *refused;
  }
  return outcome;
}

}  // namespace winnow
