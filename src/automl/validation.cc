// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "automl/validation.h"

#include <algorithm>
#include <random>

namespace winnow::automl {

ValidationPlan plan_validation(const Target& target, size_t features, uint64_t seed) {
  const size_t n = target.size();
  ValidationPlan plan;
  size_t folds = 5;
  if (n <= 2000) {
    plan.repeats = 3;
  } else if (n <= 5000) {
    plan.repeats = 2;
  }
  if (n > 10000) folds = 3;
  if (n > 100000 || n * std::max<size_t>(features, 1) > 10'000'000) {
    plan.holdout = true;
    plan.repeats = 1;  // wide small data: one holdout, every scored row predicted once
    folds = 5;  // the holdout is one fold of five
  }
  for (size_t repeat = 0; repeat < plan.repeats; ++repeat) {
    // Rows are dealt to folds class by class in a shuffled order, so every fold sees each class
    // in proportion (scikit-learn's StratifiedKFold does the same up to the order of dealing).
    std::mt19937_64 rng((seed ^ 0x5eedf01dULL) + repeat * 0x9e3779b97f4a7c15ULL);
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    if (is_classification(target.task)) {
      std::stable_sort(order.begin(), order.end(),
                       [&](size_t a, size_t b) { return target.labels[a] < target.labels[b]; });
    }
    std::vector<int> fold_of(n);
    for (size_t i = 0; i < n; ++i) fold_of[order[i]] = static_cast<int>(i % folds);
    size_t used = plan.holdout ? 1 : folds;
    size_t first = plan.train.size();
    plan.train.resize(first + used);
    plan.valid.resize(first + used);
    for (size_t row = 0; row < n; ++row) {
      for (size_t f = 0; f < used; ++f) {
        (fold_of[row] == static_cast<int>(f) ? plan.valid[first + f] : plan.train[first + f])
            .push_back(row);
      }
    }
  }
  size_t per_repeat = plan.valid.size() / plan.repeats;
  for (size_t f = 0; f < per_repeat; ++f) {
    plan.scored.insert(plan.scored.end(), plan.valid[f].begin(), plan.valid[f].end());
  }
  std::sort(plan.scored.begin(), plan.scored.end());
  return plan;
}

std::string ValidationPlan::describe() const {
  if (holdout) {
    return "holdout of " + std::to_string(scored.size()) + " rows (20%)";
  }
  std::string text = std::to_string(valid.size() / repeats) + "-fold cross-validation";
  if (repeats > 1) text += ", repeated " + std::to_string(repeats) + " times";
  return text;
}

}  // namespace winnow::automl
