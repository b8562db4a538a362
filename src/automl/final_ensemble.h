// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The last step of a fit: the kept trials become the model file's members, each member's
// inference cost is measured, the front of ensembles is built, and one of them is chosen: plain
// greedy selection's (which measured times do not change) when it answers within
// FitOptions::infer_limit_seconds (or there is none), else the most accurate that does.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "automl/front.h"
#include "automl/trial_store.h"

namespace winnow::automl {

struct FinalEnsembleOptions {
  int rounds = 25;
  std::string front_method = "greedy";
  double infer_limit_seconds = 0;  // 0 = plain greedy selection's ensemble, however slow
  int infer_batch = 1;
  uint64_t seed = 0;
  // The fit's end: measurements shrink, and the front stops growing, one second before it.
  std::optional<std::chrono::steady_clock::time_point> end;
  std::function<void(const std::string&)> log;
};

// `model` must have its schema, task, metric and classes. `candidates` are best first; the best
// stays a member even when no ensemble uses it (for `predict --best-single`).
void build_final_ensemble(Predictor::Impl& model, const std::vector<const StoredTrial*>& candidates,
                          const Table& features, const Target& scored_target,
                          const FinalEnsembleOptions& options);

// Measures the members again after their fold models were replaced (a refit), and the front's
// costs with them.
void remeasure_members(Predictor::Impl& model, const Table& features,
                       const std::vector<size_t>& changed, uint64_t seed);

}  // namespace winnow::automl
