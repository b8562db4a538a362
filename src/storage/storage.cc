// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What every storage gets unless it does better: trials decided ahead of the lock, created
// through create_decided_trial.
#include "winnow/storage.h"

#include "storage/storage_checks.h"

namespace winnow {
namespace {

// Through create_decided_trial: `drafts[i]` for the number `first_number + i`, or `drafts[0]`
// for any number when `first_number` is nullopt.
Storage::AheadOutcome create_through_decision(Storage& storage, int64_t study_id,
                                              std::optional<int64_t> since_version,
                                              std::string_view owner, int64_t budget_limit,
                                              const std::vector<Storage::TrialDraft>& drafts,
                                              std::optional<int64_t> first_number) {
  using Status = Storage::AheadStatus;
  Storage::AheadOutcome outcome;
  // What the last call of `decide` did: a retried transaction calls it again, or (a waiting
  // trial enqueued in between) claims instead of calling it.
  std::optional<int64_t> accepted, refused;
  std::optional<FrozenTrial> trial = storage.create_decided_trial(
      study_id, since_version, owner, budget_limit,
      [&](int64_t number, std::vector<FrozenTrial> changed) -> std::optional<Storage::TrialDraft> {
        outcome.changed = std::move(changed);
        accepted.reset();
        refused.reset();
        size_t index = 0;
        if (first_number) {
          const int64_t offset = number - *first_number;
          if (offset < 0 || offset >= static_cast<int64_t>(drafts.size())) {
            refused = number;
            return std::nullopt;
          }
          index = static_cast<size_t>(offset);
        }
        accepted = number;
        return drafts[index];
      });
  if (trial) {
    const bool mine = accepted && trial->number == *accepted;
    outcome.status = mine ? Status::kCreated : Status::kClaimedWaiting;
    if (!mine) outcome.changed.clear();
    outcome.trial = std::move(trial);
  } else if (refused) {
    outcome.status = Status::kOvertaken;
    outcome.next_number = *refused;
  } else {
    outcome.status = Status::kBudgetSpent;
  }
  return outcome;
}

}  // namespace

Storage::AheadOutcome Storage::create_trial_ahead(int64_t study_id, int64_t since_version,
                                                  std::string_view owner, int64_t budget_limit,
                                                  const TrialDraft& draft,
                                                  std::optional<int64_t> expected_number) {
  return create_through_decision(*this, study_id, since_version, owner, budget_limit, {draft},
                                 expected_number);
}

Storage::AheadOutcome Storage::create_numbered_trial(int64_t study_id, std::string_view owner,
                                                     int64_t budget_limit, int64_t first_number,
                                                     const std::vector<TrialDraft>& drafts) {
  if (drafts.empty()) throw Error("create_numbered_trial needs at least one draft");
  // Every draft is checked, whichever number the trial gets, as one insert of them all would.
  for (const TrialDraft& draft : drafts) {
    for (const auto& [key, value] : draft.user_attrs) storage_checks::check_user_attr(key, value);
  }
  AheadOutcome outcome = create_through_decision(*this, study_id, std::nullopt, owner,
                                                 budget_limit, drafts, first_number);
  outcome.changed.clear();
  return outcome;
}

}  // namespace winnow
