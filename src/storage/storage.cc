// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What every storage gets unless it does better: a trial decided ahead of the lock, created
// through create_decided_trial, and no held trials.
#include "winnow/storage.h"

namespace winnow {

Storage::AheadOutcome Storage::create_trial_ahead(int64_t study_id, int64_t since_version,
                                                  std::string_view owner, int64_t budget_limit,
                                                  const TrialDraft& draft,
                                                  std::optional<int64_t> expected_number) {
  AheadOutcome outcome;
  // What the last call of `decide` did: a retried transaction calls it again, or (a waiting
  // trial enqueued in between) claims instead of calling it.
  std::optional<int64_t> accepted, refused;
  bool offered = false;  // whether a call returned the draft
  std::optional<int64_t> since;
  if (since_version >= 0) since = since_version;
  std::optional<FrozenTrial> trial = create_decided_trial(
      study_id, since, owner, budget_limit,
      [&](int64_t number, std::vector<FrozenTrial> changed) -> std::optional<TrialDraft> {
        outcome.changed = std::move(changed);
        accepted.reset();
        refused.reset();
        // A call after one that took the draft is a retried transaction, whose first attempt
        // may have committed the draft's trial before its answer was lost, and that trial may
        // since have been taken from the caller (a lease check while it reconnected): with no
        // expected number to tell, the draft is not offered twice, and the caller decides
        // anew. (With one, a committed first attempt took that number.)
        if ((expected_number && number != *expected_number) || (offered && !expected_number)) {
          refused = number;
          return std::nullopt;
        }
        offered = true;
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

Storage::AheadOutcome Storage::create_trials_ahead(int64_t study_id, std::string_view owner,
                                                   int64_t budget_limit,
                                                   const std::vector<TrialDraft>& drafts,
                                                   std::optional<int64_t> expected_number) {
  if (drafts.empty()) throw Error("create_trials_ahead needs at least one draft");
  return create_trial_ahead(study_id, /*since_version=*/-1, owner, budget_limit, drafts.front(),
                            expected_number);
}

std::optional<int64_t> Storage::start_held_trial(int64_t, std::string_view) {
  return std::nullopt;
}

int Storage::release_held_trials(int64_t, const std::vector<int64_t>&, std::string_view) {
  return 0;
}

}  // namespace winnow
