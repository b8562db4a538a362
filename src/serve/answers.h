// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The JSON bodies the service answers with: predictions (written by hand: they are the hot
// path and a JSON tree per request would cost more than a small model's prediction), errors
// and the description of the model served.
#pragma once
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/predictor_impl.h"
#include "serve/allocation.h"

namespace winnow::serving {

// Regression: {"predictions": [v, ...]}. Classification: {"predictions": [label, ...],
// "probabilities": [[p, ...], ...], "classes": [...]}; the label is the first most probable
// class, as `winnow automl predict` picks it. Numbers have nine significant digits, enough
// for a float to read back unchanged.
std::string predictions_json(const automl::Predictor::Impl& model, std::span<const float> output,
                             size_t rows);

std::string error_json(const std::string& message);

// What GET /model answers. `active[i]` is the member index (into model.members) of the i-th
// member served, `allocation` their workers.
nlohmann::json model_json(const automl::Predictor::Impl& model, const std::vector<size_t>& active,
                          const Allocation& allocation, const std::vector<MemberCost>& costs);

}  // namespace winnow::serving
