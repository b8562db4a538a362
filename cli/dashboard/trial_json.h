// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Trials and studies as the dashboard's JSON API gives them (docs/dashboard.md).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dashboard/study_cache.h"
#include "winnow/trial.h"

namespace winnow::dashboard {

// A parameter value as JSON (number, string or bool).
nlohmann::json value_json(const ParamValue& value);

// A finite number, or null: JSON has no NaN or infinity.
nlohmann::json number_json(double value);

// A complete trial's values (non-finite ones null); null for any other trial.
nlohmann::json values_json(const FrozenTrial& trial);

// A user attribute holding a JSON number; nullopt when absent or not a number.
std::optional<double> attr_number(const FrozenTrial& trial, std::string_view key);

// A user attribute as parsed JSON, as text when it does not parse, null when absent.
nlohmann::json attr_or_null(const FrozenTrial& trial, std::string_view key);

// A trial as one row of the trials table: number, state, values, params, times, budget.
nlohmann::json row_json(const FrozenTrial& trial);

// Index of the best complete feasible trial of a single-objective study.
std::optional<size_t> best_trial(const StudySnapshot& snapshot);

// A study as the studies list shows it: counts by state, the best trial, activity.
nlohmann::json summary_json(const StudySnapshot& snapshot);

}  // namespace winnow::dashboard
