// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// How trials are scored: stratified k-fold cross-validation (shuffled k-fold for regression),
// or a stratified holdout when the data is large enough that k fits would waste the time limit.
// Small data is cross-validated several times over different shuffles (AutoGluon's repeated
// bagging): a score from a few hundred rows varies so much with the split that a search would
// otherwise chase the split's noise. Every row of `scored` has one out-of-fold prediction per
// repetition; a trial's is their mean.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "automl/task.h"

namespace winnow::automl {

struct ValidationPlan {
  std::vector<std::vector<size_t>> train;  // per fold (all repetitions): training rows
  std::vector<std::vector<size_t>> valid;  // per fold (all repetitions): validation rows
  std::vector<size_t> scored;              // every validation row, ascending
  bool holdout = false;
  size_t repeats = 1;                      // repetitions of the k folds
  std::string describe() const;            // "5-fold cross-validation", "holdout of 20% ..."
};

// Up to 10,000 rows: 5 folds (repeated 3 times up to 2,000 rows, twice up to 5,000); up to
// 100,000 rows and 10 million cells: 3 folds; beyond, a 20% holdout.
ValidationPlan plan_validation(const Target& target, size_t features, uint64_t seed);

}  // namespace winnow::automl
