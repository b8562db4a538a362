// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "dashboard/trial_json.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "winnow/attributes.h"

namespace winnow::dashboard {

using nlohmann::json;

json value_json(const ParamValue& value) {
  return std::visit([](const auto& v) { return json(v); }, value);
}

// A finite number, or null: JSON has no NaN or infinity.
json number_json(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

json values_json(const FrozenTrial& trial) {
  if (trial.state != TrialState::kComplete) return nullptr;
  json values = json::array();
  for (double v : trial.values) values.push_back(number_json(v));
  return values;
}

std::optional<double> attr_number(const FrozenTrial& trial, std::string_view key) {
  auto found = trial.user_attrs.find(std::string(key));
  if (found == trial.user_attrs.end()) return std::nullopt;
  json parsed = json::parse(found->second, nullptr, false);
  if (parsed.is_number()) return parsed.get<double>();
  return std::nullopt;
}

json attr_or_null(const FrozenTrial& trial, std::string_view key) {
  auto found = trial.user_attrs.find(std::string(key));
  if (found == trial.user_attrs.end()) return nullptr;
  json parsed = json::parse(found->second, nullptr, false);
  return parsed.is_discarded() ? json(found->second) : parsed;
}

json row_json(const FrozenTrial& trial) {
  json params = json::object();
  for (const auto& [name, value] : trial.config) params[name] = value_json(value);
  std::optional<double> budget = attr_number(trial, kBudgetAttr);
  return {{"number", trial.number},
          {"state", std::string(to_string(trial.state))},
          {"values", values_json(trial)},
          {"params", std::move(params)},
          {"start_ms", trial.start_time_ms},
          {"end_ms", trial.end_time_ms},
          {"duration_s", trial.end_time_ms > 0 ? json(trial.duration_seconds()) : json(nullptr)},
          {"feasible", trial.state == TrialState::kComplete ? json(trial.feasible())
                                                            : json(nullptr)},
          {"budget", budget ? json(*budget) : json(nullptr)}};
}

// Index of the best complete feasible trial of a single-objective study.
std::optional<size_t> best_trial(const StudySnapshot& snapshot) {
  if (snapshot.study.directions.size() != 1) return std::nullopt;
  const bool minimize = snapshot.study.directions[0] == Direction::kMinimize;
  std::optional<size_t> best;
  for (size_t i = 0; i < snapshot.trials.size(); ++i) {
    const FrozenTrial& t = snapshot.trials[i];
    if (t.state != TrialState::kComplete || t.values.empty() || !std::isfinite(t.values[0]) ||
        !t.feasible()) {
      continue;
    }
    if (!best) {
      best = i;
      continue;
    }
    double incumbent = snapshot.trials[*best].values[0];
    if (minimize ? t.values[0] < incumbent : t.values[0] > incumbent) best = i;
  }
  return best;
}

json summary_json(const StudySnapshot& snapshot) {
  std::map<std::string, int64_t> counts = {
      {"waiting", 0}, {"running", 0}, {"complete", 0}, {"pruned", 0}, {"failed", 0}};
  int64_t last_activity = 0;
  for (const FrozenTrial& t : snapshot.trials) {
    ++counts[std::string(to_string(t.state))];
    last_activity = std::max({last_activity, t.start_time_ms, t.end_time_ms});
  }
  json directions = json::array();
  for (Direction d : snapshot.study.directions) directions.push_back(std::string(to_string(d)));
  std::optional<size_t> best = best_trial(snapshot);
  return {{"name", snapshot.study.name},
          {"directions", std::move(directions)},
          {"objective_names", snapshot.study.objective_names},
          {"sampler", snapshot.study.sampler},
          {"counts", counts},
          {"n_trials", snapshot.trials.size()},
          {"best_values", best ? values_json(snapshot.trials[*best]) : json(nullptr)},
          {"best_number", best ? json(snapshot.trials[*best].number) : json(nullptr)},
          {"last_activity_ms", last_activity},
          {"version", snapshot.version},
          {"pending", std::to_string(snapshot.pending)}};
}

}  // namespace winnow::dashboard
