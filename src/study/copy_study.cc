// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// copy_study(): a study and its trials into another storage (or under another name), through
// the Storage interface only, so any two backends can exchange studies.
#include "winnow/study.h"

namespace winnow {

int64_t copy_study(Storage& source, const StudyRecord& from, Storage& destination,
                   const StudyRecord& copy) {
  StudyRecord record = copy;
  record.id = -1;
  const int64_t study_id = destination.create_study(record);
  int64_t copied = 0;
  for (const FrozenTrial& trial : source.trials(from.id)) {
    const bool waiting = trial.state == TrialState::kWaiting;
    std::optional<FrozenTrial> created = destination.create_trial(
        study_id, trial.config, waiting ? TrialState::kWaiting : TrialState::kRunning, "", 0,
        trial.retry_of, trial.user_attrs);
    ++copied;
    if (waiting) continue;
    for (const auto& [step, value] : trial.intermediate) destination.report(created->id, step, value);
    TrialOutcome outcome;
    if (trial.state == TrialState::kRunning) {
      outcome.state = TrialState::kFailed;
      outcome.interrupted = true;
      outcome.failure_reason = "interrupted: copied while it was running";
    } else {
      outcome.state = trial.state;
      outcome.values = trial.values;
      outcome.metrics = trial.metrics;
      outcome.constraints = trial.constraints;
      outcome.failure_reason = trial.failure_reason;
      outcome.interrupted = trial.interrupted;
    }
    destination.finish_trial(created->id, outcome);
  }
  return copied;
}

}  // namespace winnow
