// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Asynchronous Successive Halving (Li et al. 2020, "A System for Massively Parallel
// Hyperparameter Tuning", algorithm 2). Whenever a worker asks, the highest rung holding a
// configuration that is in the top 1/eta of its finished trials and not yet continued gets that
// configuration promoted one rung up; otherwise a new configuration starts on the lowest rung.
// No worker ever waits for a rung to fill, at the price of a few promotions that a synchronous
// SH would not have made.
//
// Options:
//   min_points = <parameters + 2>  complete trials a budget needs before the sampler learns
//                                  from it
//   min_early_stopping_rate = 0    s: new configurations start s rungs above the smallest
//                                  budget (the paper's early-stopping rate)
#include <algorithm>
#include <cmath>
#include <map>

#include "common/strings.h"
#include "samplers/sampler_util.h"
#include "schedulers/ladder.h"
#include "schedulers/promotion_index.h"
#include "schedulers/registry.h"
#include "winnow/error.h"

namespace winnow {
namespace {

class AshaScheduler final : public Scheduler {
 public:
  AshaScheduler(std::optional<int64_t> min_points, int64_t early_stopping_rate)
      : min_points_(min_points), early_stopping_rate_(early_stopping_rate) {}

  std::string_view name() const override { return "asha"; }
  bool assigns_budgets() const override { return true; }

  TrialAssignment next(const SchedulerContext& context) override {
    const BudgetSpec& budget = context.budget;
    const int n_rungs = budget.n_rungs();
    if (early_stopping_rate_ >= n_rungs) check_budget(budget);  // throws
    const int base_rung = static_cast<int>(early_stopping_rate_);
    promotions_.update(context.history, context.directions.front(), context.changed);
    for (int rung = n_rungs - 2; rung >= base_rung; --rung) {
      if (std::optional<int64_t> promoted = promotions_.promotable(rung, budget.eta)) {
        return TrialAssignment{.continues = *promoted,
                               .budget = budget.rung_budget(rung + 1),
                               .bracket = 0,
                               .rung = rung + 1};
      }
    }
    return TrialAssignment{.budget = budget.rung_budget(base_rung), .bracket = 0,
                           .rung = base_rung};
  }

  void check_budget(const BudgetSpec& budget) const override {
    const int n_rungs = budget.n_rungs();
    if (early_stopping_rate_ < n_rungs) return;
    throw Error("scheduler 'asha': min_early_stopping_rate = " +
                std::to_string(early_stopping_rate_) + " starts new configurations above the " +
                "largest budget: the budget (min " + budget.format(budget.min) + ", max " +
                budget.format(budget.max) + ", eta " + format_double(budget.eta) + ") has " +
                std::to_string(n_rungs) + " rung" + (n_rungs == 1 ? "" : "s") +
                ". Violated constraint: <= " + std::to_string(n_rungs - 1));
  }

  std::optional<std::vector<FrozenTrial>> sampler_history(
      const SchedulerContext& context, const TrialAssignment& assignment) override {
    return trials_at_informative_budget(context,
                                        min_points_.value_or(default_min_points(context.space)));
  }

 private:
  std::optional<int64_t> min_points_;
  int64_t early_stopping_rate_;
  PromotionIndex promotions_;  // kept in step with the history across asks
};

}  // namespace

std::unique_ptr<Scheduler> create_asha(const SchedulerOptions& options, uint64_t seed) {
  SamplerOptionReader reader("asha", options, "scheduler");
  std::optional<int64_t> min_points = read_min_points(reader, options, "asha");
  int64_t rate = reader.get_int("min_early_stopping_rate", 0, 0);
  reader.finish();
  return std::make_unique<AshaScheduler>(min_points, rate);
}

}  // namespace winnow
