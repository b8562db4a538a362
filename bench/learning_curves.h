// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Learning-curve tasks for the multi-fidelity benchmark (bench/multifidelity_suite.cc): an
// objective whose cost grows with its budget (epochs, boosting rounds ...), so that budget
// schedulers (Hyperband, ASHA, BOHB) can be compared with full-budget search on the total budget
// they consume.
//
//   - "curves": a synthetic family of learning curves over a small mixed space, with a known
//     optimum at the full budget and no noise, for fast and exact comparisons;
//   - "curves-noisy": the same with deterministic noise (the same config and budget always give
//     the same value, as a re-run with a fixed training seed would);
//   - "xgboost" (when built with libxgboost): gradient-boosted trees on a Friedman #1 regression
//     data set generated here, budget = boosting rounds, value = validation RMSE. A trial that
//     continues an earlier one resumes from its booster and trains only the new rounds.
// multifidelity_suite --self-check checks each task's optimum and checkpoint continuation.
//
// A task is immutable and may be shared between threads; each benchmark run gets its own
// TaskRun, which holds that run's checkpoints and is used from one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/scheduler.h"
#include "winnow/space.h"

namespace winnow_bench {

// What one trial of a learning task did.
struct Evaluation {
  double value = 0;   // the validation loss after `budget` units of training (minimised)
  // Units of budget actually trained by this call: budget - previous_budget when it resumed from
  // a checkpoint, budget when it started from scratch.
  double work = 0;
  bool resumed = false;  // continued from the checkpoint of the trial it continues
};

// One benchmark run's evaluator: owns the checkpoints of that run's trials.
class TaskRun {
 public:
  virtual ~TaskRun() = default;
  TaskRun(const TaskRun&) = delete;
  TaskRun& operator=(const TaskRun&) = delete;

  // Trains `config` to `budget`. `previous_budget` (0 for a new configuration) is what the
  // checkpoint of `lineage` should already hold when the trial continues an earlier one; a task
  // without that checkpoint (or with one of another size) trains from scratch and says so by
  // returning resumed = false and work = budget.
  virtual Evaluation evaluate(const winnow::Config& config, double budget, double previous_budget,
                              int64_t lineage) = 0;
  // Checkpoints currently held (for memory reports).
  virtual size_t checkpoints() const { return 0; }
  virtual size_t checkpoint_bytes() const { return 0; }

 protected:
  TaskRun() = default;
};

class LearningTask {
 public:
  virtual ~LearningTask() = default;
  LearningTask(const LearningTask&) = delete;
  LearningTask& operator=(const LearningTask&) = delete;

  virtual std::string_view name() const = 0;
  virtual std::string description() const = 0;  // one line, for humans
  virtual const winnow::SearchSpace& space() const = 0;  // validated
  virtual const winnow::BudgetSpec& budget() const = 0;
  // The smallest noise-free value at budget().max over the space, when known.
  virtual std::optional<double> optimum() const { return std::nullopt; }
  // A configuration reaching optimum(), when known.
  virtual std::optional<winnow::Config> minimiser() const { return std::nullopt; }
  // The noise-free value of `config` at budget().max, when the task can compute it (synthetic
  // tasks): the regret of an incumbent is true_final(incumbent) - optimum().
  virtual std::optional<double> true_final(const winnow::Config& config) const {
    return std::nullopt;
  }
  virtual std::unique_ptr<TaskRun> start_run() const = 0;
  // Whether resuming from a checkpoint gives exactly what training at once gives. When false,
  // a resumed evaluation is still deterministic (same path, same value) and a valid training of
  // `budget` units, but takes other random draws (see xgboost_task.cc).
  virtual bool resume_is_exact() const { return true; }

 protected:
  LearningTask() = default;
};

// The synthetic family. A configuration has a final loss final(c) in [0.05, 0.95] with its
// minimum 0.05 at one known configuration, a start loss of 1 and a config-dependent speed: the
// loss after b units is
//
//   value(c, b) = final(c) + (1 - final(c)) * g_c(b),
//   g_c(b) = ((1 + b/tau(c))^-alpha(c) - (1 + B/tau(c))^-alpha(c)) / (1 - (1 + B/tau(c))^-alpha(c))
//
// a power law in b (the shape of Domhan et al. 2015's pow3/pow4 families) rescaled so that
// g_c(0) = 1 and g_c(B) = 0 at the maximum budget B: the value at B is exactly final(c), so the
// optimum at B is known. Larger learning rates and less regularisation learn faster (small tau)
// but, past the optimum, plateau higher: low budgets rank configurations well but not perfectly
// (learning_curve_rank_correlations() measures how well).
struct SyntheticCurveOptions {
  // Standard deviation of the deterministic noise added to every value (0 = none). The noise
  // is a function of (config, budget), so re-evaluating gives the same value.
  double noise = 0;
  // The budget ladder. Default: 1 to 81 units, eta 3 (5 rungs).
  winnow::BudgetSpec budget{.name = "epochs", .min = 1, .max = 81, .eta = 3, .integer = true};
};
std::unique_ptr<LearningTask> make_synthetic_curves(std::string name, SyntheticCurveOptions options);

// The XGBoost task; nullptr when the benchmark was built without libxgboost.
struct XgboostTaskOptions {
  int train_rows = 2000;
  int validation_rows = 1000;
  int features = 10;      // 5 informative (Friedman #1), the rest noise
  double label_noise = 1.0;
  uint64_t data_seed = 20261124;
  // Boosting rounds. Default: 1 to 81, eta 3.
  winnow::BudgetSpec budget{.name = "rounds", .min = 1, .max = 81, .eta = 3, .integer = true};
};
std::unique_ptr<LearningTask> make_xgboost_task(std::string name, XgboostTaskOptions options);
bool have_xgboost();

// Every task known by name: "curves", "curves-noisy", and "xgboost" when available.
std::vector<std::string> learning_task_names();
// nullptr for an unknown name. `budget` replaces the task's budget ladder when given (the
// synthetic curves reach their final value at its max).
std::unique_ptr<LearningTask> make_learning_task(std::string_view name,
                                                 const winnow::BudgetSpec* budget = nullptr);

// Spearman rank correlation between the values at each rung budget and at budget().max, over
// `n` configurations drawn by the random sampler with `seed`: one entry per rung (the last is
// 1). Costs n full-budget evaluations.
std::vector<double> learning_curve_rank_correlations(const LearningTask& task, int n,
                                                     uint64_t seed);

}  // namespace winnow_bench
