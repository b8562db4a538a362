// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// One trial in full, for `winnow show --trial N`: state, values, parameters, metrics,
// constraints, intermediate values, attributes and the failure reason with its log tail.
#include <map>
#include <sstream>

#include "winnow/analysis.h"

#include "common/strings.h"
#include "winnow/study.h"

namespace winnow {

std::string studies_report(Storage& storage) {
  std::vector<std::vector<std::string>> rows;
  std::vector<StudyRecord> studies = storage.list_studies();
  for (const StudyRecord& study : studies) {
    std::vector<FrozenTrial> trials = storage.trials(study.id);
    std::map<TrialState, int> counts;
    for (const FrozenTrial& t : trials) counts[t.state]++;
    std::vector<std::string> directions;
    for (Direction d : study.directions) directions.emplace_back(to_string(d));
    std::string best;
    if (study.directions.size() == 1) {
      int index = best_trial_index(trials, study.directions.front());
      if (index >= 0) {
        best = format_short(trials[index].values.front()) + " (#" +
               std::to_string(trials[index].number) + ")";
      }
    } else {
      best = std::to_string(pareto_front_trials(trials, study.directions).size()) + " on the front";
    }
    rows.push_back({study.name, join(directions, ","), std::to_string(trials.size()),
                    std::to_string(counts[TrialState::kComplete]),
                    std::to_string(counts[TrialState::kPruned]),
                    std::to_string(counts[TrialState::kFailed]),
                    std::to_string(counts[TrialState::kRunning]),
                    std::to_string(counts[TrialState::kWaiting]), best, study.sampler});
  }
  std::string text = storage.url() + ": " + std::to_string(studies.size()) +
                     (studies.size() == 1 ? " study\n" : " studies\n");
  if (!rows.empty()) {
    text += format_table({"study", "directions", "trials", "complete", "pruned", "failed",
                          "running", "waiting", "best", "sampler"},
                         rows);
  }
  return text;
}

std::string trial_report(const StudyRecord& study, const FrozenTrial& trial) {
  std::ostringstream out;
  out << "Trial " << trial.number << " of study '" << study.name << "': "
      << to_string(trial.state);
  if (trial.interrupted) out << " (interrupted; not counted)";
  out << "\n";
  if (!trial.values.empty()) {
    out << "Values:";
    for (size_t i = 0; i < trial.values.size(); ++i) {
      std::string label = i < study.objective_names.size() ? study.objective_names[i]
                          : trial.values.size() == 1         ? "value"
                                                             : "values[" + std::to_string(i) + "]";
      out << (i == 0 ? " " : ", ") << label << " " << format_short(trial.values[i]);
    }
    out << (trial.feasible() ? "" : " (infeasible)") << "\n";
  }
  if (trial.start_time_ms != 0) {
    out << "Duration: " << format_short(trial.duration_seconds()) << " s"
        << (trial.owner.empty() ? "" : ", run by " + trial.owner) << "\n";
  }
  if (trial.retry_of) out << "Retries trial " << *trial.retry_of << "\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, value] : trial.config) rows.push_back({name, to_string(value)});
  out << "\n" << format_table({"parameter", "value"}, rows);
  if (!trial.metrics.empty()) {
    rows.clear();
    for (const auto& [name, value] : trial.metrics) rows.push_back({name, format_short(value)});
    out << "\n" << format_table({"metric", "value"}, rows);
  }
  if (!trial.constraints.empty()) {
    rows.clear();
    for (size_t i = 0; i < trial.constraints.size(); ++i) {
      rows.push_back({std::to_string(i), format_short(trial.constraints[i]),
                      trial.constraints[i] <= 0 ? "held" : "violated"});
    }
    out << "\n" << format_table({"constraint", "value", ""}, rows);
  }
  if (!trial.intermediate.empty()) {
    rows.clear();
    for (const auto& [step, value] : trial.intermediate) {
      rows.push_back({std::to_string(step), format_short(value)});
    }
    out << "\n" << format_table({"step", "intermediate value"}, rows);
  }
  if (!trial.user_attrs.empty()) {
    rows.clear();
    for (const auto& [key, value] : trial.user_attrs) rows.push_back({key, value});
    out << "\n" << format_table({"attribute", "value (JSON)"}, rows);
  }
  if (!trial.failure_reason.empty()) out << "\nFailure: " << trial.failure_reason << "\n";
  return out.str();
}

}  // namespace winnow
