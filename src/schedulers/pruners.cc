// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Median and percentile pruning, with Optuna's semantics (MedianPruner, PercentilePruner): at a
// pruning step, a trial stops when the best value it reported so far is worse than the given
// percentile of what complete trials reported at that same step.
//
// Options:
//   percentile = 25 (percentile only; median is 50): lower keeps fewer trials
//   startup_trials = 5   no pruning until this many trials are complete
//   warmup_steps = 0     no pruning of a trial before it reports this step
//   interval_steps = 1   judge at most once per this many steps
//   min_trials = 1       complete trials that must have reported the step
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "samplers/sampler_util.h"
#include "schedulers/registry.h"
#include "winnow/error.h"

namespace winnow {
namespace {

struct PercentileOptions {
  double percentile = 25;
  int64_t startup_trials = 5;
  int64_t warmup_steps = 0;
  int64_t interval_steps = 1;
  int64_t min_trials = 1;
};

// numpy's default (linear) percentile of sorted values.
double percentile_of(std::vector<double>& values, double percentile) {
  std::sort(values.begin(), values.end());
  double position = percentile / 100.0 * static_cast<double>(values.size() - 1);
  size_t below = static_cast<size_t>(std::floor(position));
  size_t above = std::min(below + 1, values.size() - 1);
  double fraction = position - static_cast<double>(below);
  return values[below] + (values[above] - values[below]) * fraction;
}

class PercentilePruner final : public Scheduler {
 public:
  PercentilePruner(std::string name, PercentileOptions options)
      : name_(std::move(name)), options_(options) {}

  std::string_view name() const override { return name_; }
  bool assigns_budgets() const override { return false; }
  bool prunes() const override { return true; }

  bool should_prune(const FrozenTrial& trial, const SchedulerContext& context) override {
    if (trial.intermediate.empty() || context.directions.size() != 1) return false;
    const int64_t step = trial.intermediate.rbegin()->first;
    if (step < options_.warmup_steps || !first_in_interval(trial, step)) return false;

    const Direction direction = context.directions.front();
    // The trial's best so far: a lucky early value should not be held against a later dip.
    double best = direction == Direction::kMinimize ? std::numeric_limits<double>::infinity()
                                                    : -std::numeric_limits<double>::infinity();
    bool any_number = false;
    for (const auto& [reported_step, value] : trial.intermediate) {
      if (std::isnan(value)) continue;
      any_number = true;
      best = direction == Direction::kMinimize ? std::min(best, value) : std::max(best, value);
    }

    int64_t complete = 0;
    std::vector<double> at_step;
    for (const FrozenTrial& other : context.history) {
      if (other.number < 0 || other.number == trial.number) continue;
      if (other.state != TrialState::kComplete) continue;
      ++complete;
      auto it = other.intermediate.find(step);
      if (it != other.intermediate.end() && !std::isnan(it->second)) at_step.push_back(it->second);
    }
    if (complete < options_.startup_trials) return false;
    // Only NaN reported (a diverged run): nothing worth continuing, as in Optuna.
    if (!any_number) return true;
    if (static_cast<int64_t>(at_step.size()) < std::max<int64_t>(1, options_.min_trials)) {
      return false;
    }
    if (direction == Direction::kMinimize) {
      return best > percentile_of(at_step, options_.percentile);
    }
    return best < percentile_of(at_step, 100 - options_.percentile);
  }

 private:
  // Steps may be reported irregularly (every 3rd epoch, say): judge at the first step reported
  // in each interval window after the warm-up.
  bool first_in_interval(const FrozenTrial& trial, int64_t step) const {
    if (options_.interval_steps <= 1) return true;
    int64_t window_start =
        (step - options_.warmup_steps) / options_.interval_steps * options_.interval_steps +
        options_.warmup_steps;
    auto it = trial.intermediate.find(step);
    if (it == trial.intermediate.begin()) return true;
    int64_t previous_step = std::prev(it)->first;
    return previous_step < window_start;
  }

  std::string name_;
  PercentileOptions options_;
};

PercentileOptions read_common(SamplerOptionReader& reader, PercentileOptions o) {
  o.startup_trials = reader.get_int("startup_trials", o.startup_trials, 0);
  o.warmup_steps = reader.get_int("warmup_steps", o.warmup_steps, 0);
  o.interval_steps = reader.get_int("interval_steps", o.interval_steps, 1);
  o.min_trials = reader.get_int("min_trials", o.min_trials, 1);
  return o;
}

}  // namespace

std::unique_ptr<Scheduler> create_median_pruner(const SchedulerOptions& options, uint64_t) {
  SamplerOptionReader reader("median", options, "scheduler");
  PercentileOptions o = read_common(reader, PercentileOptions{.percentile = 50});
  reader.finish();
  return std::make_unique<PercentilePruner>("median", o);
}

std::unique_ptr<Scheduler> create_percentile_pruner(const SchedulerOptions& options, uint64_t) {
  SamplerOptionReader reader("percentile", options, "scheduler");
  PercentileOptions o = read_common(reader, PercentileOptions{});
  o.percentile = reader.get_double("percentile", o.percentile);
  if (!(o.percentile >= 0 && o.percentile <= 100)) {
    throw Error("scheduler 'percentile': option percentile = " + std::to_string(o.percentile) +
                " must be within [0, 100]");
  }
  reader.finish();
  return std::make_unique<PercentilePruner>("percentile", o);
}

}  // namespace winnow
