// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Schedulers decide how much budget each configuration gets and whether a running trial goes on.
// Two kinds exist:
//   - pruners (median, percentile) let every trial run at the full budget and stop the ones whose
//     intermediate reports fall behind (Trial::should_prune);
//   - budget schedulers (sh, hyperband, asha, bohb) give new configurations a small budget and
//     continue the best ones at larger budgets. Each evaluation at one budget is its own trial;
//     a continuation is a new trial with the same configuration that names the trial it
//     continues, so the objective can resume from that trial's checkpoint.
// Like samplers, a scheduler keeps no state of its own: it reads its brackets and rungs back from
// the trials' system attributes (kBudgetAttr, kRungAttr ... in winnow/attributes.h),
// so a killed study resumes with every rung intact.
//
// Adding a scheduler: one file in src/schedulers/ implementing this interface and one line in
// src/schedulers/registry.cc. It is then selectable as `scheduler = "name:key=value"`.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/attributes.h"
#include "winnow/sampler.h"
#include "winnow/space.h"
#include "winnow/trial.h"

namespace winnow {

// The budget resource of a study: epochs, boosting rounds, a data fraction, seconds ...
struct BudgetSpec {
  // What one unit of budget is, for messages and reports. Default: "budget".
  std::string name = "budget";
  // The smallest budget a trial gets. Must be > 0. Default: 1.
  double min = 1;
  // The largest budget, the one results are finally judged at. Must be >= min. Default: 1.
  double max = 1;
  // Reduction factor: each rung keeps the best 1/eta and gives them eta times the budget.
  // Must be >= 2. Default: 3.
  double eta = 3;
  // Budgets are whole numbers (rounded up). Default: true; a study file sets it false when min
  // or max is written with a decimal point.
  bool integer = true;

  // Throws winnow::Error naming the field that breaks a rule.
  void validate() const;
  // The budget of rung `rung` (0 = the smallest) on the ladder that ends at max:
  // max * eta^-(n_rungs() - 1 - rung), rounded up when integer, so the top rung is exactly max
  // and rung 0 is the smallest budget >= min (as in Hyperband's geometric grid).
  double rung_budget(int rung) const;
  // Rungs from min to max: floor(log_eta(max / min)) + 1.
  int n_rungs() const;
  // The budget as text for a command line: "27", "0.5".
  std::string format(double budget) const;
};

// What the next trial is.
struct TrialAssignment {
  // The trial whose configuration (and checkpoint) this one continues at a larger budget;
  // nullopt for a new configuration, which the sampler proposes.
  std::optional<int64_t> continues;
  double budget = 0;
  int64_t bracket = 0;  // bracket (Hyperband, BOHB) or round (SH) the trial belongs to
  int rung = 0;         // 0 for a new configuration
  // BOHB's random fraction: draw the new configuration from the prior, not the model.
  bool random_config = false;
};

struct SchedulerContext {
  const SearchSpace& space;
  // Every trial of the study (all states, number order), including running ones.
  std::span<const FrozenTrial> history;
  std::span<const Direction> directions;
  // The study's budget; for pruners without a [budget], min = max = 1.
  const BudgetSpec& budget;
  // When set, the numbers of the trials that changed (or appeared) since the previous context
  // the study gave this scheduler, so a scheduler that keeps an index of the history can update
  // just those; nullptr when anything may have changed.
  const std::vector<int64_t>* changed = nullptr;
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  virtual std::string_view name() const = 0;
  // True for schedulers that give trials budgets (sh, hyperband, asha, bohb); they need a
  // [budget]. Pruners return false: their trials run at the maximum budget.
  virtual bool assigns_budgets() const = 0;
  // What sampler "auto" means under this scheduler: the one its paper uses (random for SH,
  // Hyperband and ASHA, TPE for BOHB). Budget schedulers only.
  virtual std::string_view default_sampler() const { return "random"; }
  // Throws winnow::Error when the scheduler's options cannot work on the study's budget ladder
  // (the study checks this once, before the first trial). Budget schedulers only.
  virtual void check_budget(const BudgetSpec& budget) const {}
  // The next trial: a continuation of a promising one, or a new configuration. Called from one
  // thread at a time, with the history current. Budget schedulers only.
  virtual TrialAssignment next(const SchedulerContext& context) { return {}; }
  // The trials the sampler should learn from when it proposes a configuration for `assignment`.
  // Budget schedulers give the trials at one budget (values at different budgets are not
  // comparable); nullopt means the whole history.
  virtual std::optional<std::vector<FrozenTrial>> sampler_history(
      const SchedulerContext& context, const TrialAssignment& assignment) {
    return std::nullopt;
  }
  // Whether should_prune() can ever say true. When false (no scheduler, budget schedulers), a
  // report costs no read of the study's trials.
  virtual bool prunes() const { return false; }
  // Whether `trial`, which just reported an intermediate value, should stop now. Called from any
  // worker thread, one at a time.
  virtual bool should_prune(const FrozenTrial& trial, const SchedulerContext& context) {
    return false;
  }

 protected:
  Scheduler() = default;
};

// Creates a registered scheduler ("none", "median", "percentile", "sh", "hyperband", "asha",
// "bohb"). Throws winnow::Error for an unknown name (with a did-you-mean) or option.
std::unique_ptr<Scheduler> create_scheduler(const SamplerSpec& spec, uint64_t seed);
std::vector<std::string> scheduler_names();

// Reads a numeric attribute of a trial; nullopt when absent or not a number.
std::optional<double> numeric_attr(const FrozenTrial& trial, std::string_view key);

}  // namespace winnow
