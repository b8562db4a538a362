// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "storage/storage_checks.h"

#include <nlohmann/json.hpp>
#include <string>

#include "winnow/error.h"

namespace winnow::storage_checks {

void check_study_name(std::string_view name) {
  if (name.empty()) throw Error("study name is empty. Violated constraint: non-empty");
}

void check_new_study(const StudyRecord& study) {
  check_study_name(study.name);
  if (study.directions.empty()) {
    throw Error("study '" + study.name + "' has no direction. Violated constraint: at least one");
  }
  if (!study.objective_names.empty() && study.objective_names.size() != study.directions.size()) {
    throw Error("study '" + study.name + "' has " + std::to_string(study.directions.size()) +
                " direction(s) but " + std::to_string(study.objective_names.size()) +
                " objective name(s). Violated constraint: no names or one per direction");
  }
}

void check_initial_state(TrialState state) {
  if (state != TrialState::kWaiting && state != TrialState::kRunning) {
    throw Error("a new trial must be waiting or running, not " + std::string(to_string(state)));
  }
}

void check_outcome(const TrialOutcome& outcome, size_t objectives, int64_t trial_id,
                   int64_t number) {
  std::string which = "trial " + std::to_string(number) + " (id " + std::to_string(trial_id) + ")";
  if (!is_finished(outcome.state)) {
    throw Error("cannot finish " + which + " as " + std::string(to_string(outcome.state)) +
                ": the outcome must be complete, pruned or failed");
  }
  bool needs_values = outcome.state == TrialState::kComplete;
  if ((needs_values || !outcome.values.empty()) && outcome.values.size() != objectives) {
    throw Error("cannot finish " + which + " as " + std::string(to_string(outcome.state)) +
                " with " + std::to_string(outcome.values.size()) + " value(s): the study has " +
                std::to_string(objectives) + " objective(s)");
  }
}

void check_user_attr(std::string_view key, std::string_view json_value) {
  if (key.empty()) throw Error("user attribute key is empty. Violated constraint: non-empty");
  if (!nlohmann::json::accept(json_value)) {
    throw Error("user attribute '" + std::string(key) +
                "' is not valid JSON: " + std::string(json_value.substr(0, 200)));
  }
}

void throw_unknown_study(int64_t study_id, std::string_view url) {
  throw Error("no study with id " + std::to_string(study_id) + " in " + std::string(url));
}

void throw_unknown_trial(int64_t trial_id, std::string_view url) {
  throw Error("no trial with id " + std::to_string(trial_id) + " in " + std::string(url));
}

void throw_wrong_state(std::string_view action, int64_t trial_id, int64_t number,
                       TrialState state) {
  std::string message = "cannot " + std::string(action) + " trial " + std::to_string(number) +
                        " (id " + std::to_string(trial_id) + "): it is " +
                        std::string(to_string(state));
  if (is_finished(state)) message += ", and a finished trial never changes";
  throw Error(message);
}

void throw_duplicate_study(std::string_view name, std::string_view url) {
  throw Error("a study named '" + std::string(name) + "' already exists in " + std::string(url));
}

namespace {

void check_still_held(std::string_view owner, int64_t started_ms, int64_t trial_id,
                      int64_t number, TrialState state, bool interrupted,
                      std::string_view current_owner, int64_t current_start_ms,
                      std::string_view dropped) {
  if (owner.empty()) return;
  // Another owner, or another start: requeued and claimed again (by another process, or by
  // this one), running still or finished since.
  bool lost = state == TrialState::kWaiting || current_owner != owner ||
              (started_ms != 0 && current_start_ms != started_ms) ||
              (state == TrialState::kFailed && interrupted);
  if (!lost) return;
  std::string now = current_owner != owner && !current_owner.empty()
                        ? "was run again by " + std::string(current_owner) + " (now " +
                              std::string(to_string(state)) + ")"
                        : "is " + std::string(to_string(state));
  throw TrialTakenError("trial " + std::to_string(number) + " (id " + std::to_string(trial_id) +
                        ") is no longer this process's: its lease expired and it " + now +
                        "; " + std::string(dropped));
}

}  // namespace

void check_finish_owner(const TrialOutcome& outcome, int64_t trial_id, int64_t number,
                        TrialState state, bool interrupted, std::string_view current_owner,
                        int64_t current_start_ms) {
  check_still_held(outcome.owner, outcome.started_ms, trial_id, number, state, interrupted,
                   current_owner, current_start_ms, "this result is dropped");
}

bool finish_already_recorded(const TrialOutcome& outcome, TrialState state, bool interrupted,
                             std::string_view current_owner, int64_t current_start_ms) {
  const bool interrupts = outcome.state == TrialState::kFailed && outcome.interrupted;
  // An outcome without an owner is recognised only on a trial without one: on a trial that a
  // worker holds, the finish found may be that worker's, and taking it for this one would
  // drop this outcome's values without a word (the caller gets an error instead).
  return state == outcome.state && current_owner == outcome.owner && interrupted == interrupts &&
         (outcome.started_ms == 0 || current_start_ms == outcome.started_ms);
}

void check_holder(const TrialHolder& holder, int64_t trial_id, int64_t number, TrialState state,
                  bool interrupted, std::string_view current_owner, int64_t current_start_ms) {
  check_still_held(holder.owner, holder.started_ms, trial_id, number, state, interrupted,
                   current_owner, current_start_ms, "this write is dropped");
}

}  // namespace winnow::storage_checks
