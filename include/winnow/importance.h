// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Which parameters matter: the share of an objective's variation that each parameter explains,
// from the trials a study has run.
//
//   fANOVA (Hutter, Hoos and Leyton-Brown 2014, "An Efficient Approach for Assessing
//   Hyperparameter Importance"): a random forest of regression trees fitted to the trials, and
//   the functional ANOVA decomposition of each tree over the search space (uniform on the unit
//   cube of winnow/space.h's encoding, so a log-scaled parameter is uniform in its logarithm and
//   every choice of a categorical weighs the same). A parameter's importance is the variance of
//   the tree's marginal over that parameter as a fraction of the tree's total variance, averaged
//   over the trees; the spread over the trees is reported beside it.
//
//   PED-ANOVA (Watanabe, Bansal and Hutter 2023, "PED-ANOVA: Efficiently Quantifying
//   Hyperparameter Importance in Arbitrary Subspaces"): the Pearson divergence between the
//   density of a parameter's values among the best trials (the top `target_quantile`) and among
//   all of them, both one-dimensional Parzen estimators on a grid. No model is fitted, so it
//   takes milliseconds on any number of trials.
//
// Conditional parameters: a parameter's importance is measured over the trials where it is
// active (with the parameters active on all of those trials as the other inputs) and weighted by
// the share of trials where it is active, so a parameter that rarely applies cannot outrank one
// that always does merely because its few trials vary a lot.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/space.h"
#include "winnow/storage.h"
#include "winnow/trial.h"

namespace winnow {

enum class ImportanceMethod { kFanova, kPedAnova };
std::string_view to_string(ImportanceMethod method);  // "fanova", "ped-anova"
std::optional<ImportanceMethod> importance_method_from_string(std::string_view text);

struct ImportanceOptions {
  // Default: fANOVA.
  ImportanceMethod method = ImportanceMethod::kFanova;
  // Which objective of a multi-objective study. Default: 0, the first.
  int objective = 0;
  // The parameters to rate. Default: empty, every parameter of the space.
  std::vector<std::string> params;
  // Importances sum to 1 (when any is positive). Default: true. Otherwise fANOVA's are the raw
  // variance fractions (which sum to less than 1 when parameters interact) and PED-ANOVA's the
  // raw divergences.
  bool normalize = true;

  // fANOVA's forest. Defaults: 64 trees of depth at most 64, split down to single trials, each
  // tree on a bootstrap sample, as Optuna's evaluator does.
  int n_trees = 64;
  int max_depth = 64;
  int min_samples_split = 2;
  int min_samples_leaf = 1;
  // Seeds the bootstrap samples and the order features are tried in. Default: 0.
  uint64_t seed = 0;
  // fANOVA fits its forest on at most this many trials, drawn at random (seeded) when the study
  // has more: the variance shares settle long before 100,000 trials, the time does not.
  // Default: 0, every trial.
  int64_t max_trials = 0;
  // Threads fitting trees. Default: 0, one per core.
  int threads = 0;

  // PED-ANOVA: the best trials are this quantile of the values. Default: 0.1.
  double target_quantile = 0.1;
  // Grid cells a numeric parameter's range is cut into. Default: 50.
  int grid_steps = 50;
};

struct ParamImportance {
  std::string param;
  double importance = 0;  // see ImportanceOptions::normalize
  double std = 0;         // fANOVA: standard deviation over the trees, on the same scale
  int64_t n_trials = 0;   // complete trials where the parameter is active
};

struct ImportanceReport {
  ImportanceMethod method = ImportanceMethod::kFanova;
  int objective = 0;
  int64_t n_trials = 0;                     // complete trials with a finite value used
  std::vector<ParamImportance> importances;  // most important first
};

// Rates the parameters of `space` from the complete trials among `trials` (others are skipped).
// Throws winnow::Error naming the problem when the objective index is out of range, a requested
// parameter is not in the space, the options are invalid, or fewer than 2 complete trials have
// a finite value. Deterministic for a given seed, whatever the number of threads.
ImportanceReport parameter_importance(const SearchSpace& space,
                                      std::span<const FrozenTrial> trials,
                                      std::span<const Direction> directions,
                                      const ImportanceOptions& options = {});

// The same for a study as stored: its space is read from `study.space_json`.
ImportanceReport parameter_importance(const StudyRecord& study,
                                      std::span<const FrozenTrial> trials,
                                      const ImportanceOptions& options = {});

// A table of the report for a terminal (parameter, importance, bar, spread, trials).
std::string importance_table(const ImportanceReport& report);
// The report as JSON: {"method", "objective", "n_trials", "importances": [{"param",
// "importance", "std", "n_trials"}]}, most important first.
std::string importance_json(const ImportanceReport& report);

}  // namespace winnow
