// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Pruners that judge a trial by the steps it reports, within one trial (Optuna's
// SuccessiveHalvingPruner, HyperbandPruner and ThresholdPruner). The budget schedulers
// (sh.cc, hyperband.cc, asha.cc) do the same across trials that continue each other; these serve
// objectives that train in one go and call should_prune() as they go.
//
// sh_pruner: rungs at min_resource * eta^(early_stopping_rate + k) steps. When a trial first
//   reports a step at or past a rung, its value there is compared with the values every other
//   trial had when it passed that rung: it goes on only if it is within the best 1/eta of them
//   (itself included; the best one when fewer than eta passed). Like Optuna's, asynchronous: the
//   first trials to reach a rung always pass it.
//   Options: min_resource = auto (the last step of the first complete trial / 100, at least
//   1; no pruning before a trial completes) | N, eta = 4, early_stopping_rate = 0,
//   bootstrap = 0 (a rung passed by at most this many trials prunes).
// hyperband_pruner: floor(log_eta(max_resource / min_resource)) + 1 sh_pruner brackets, with
//   early stopping rates 0, 1, ...; a trial's bracket comes from its number, in proportion to
//   Hyperband's budgets, and it competes with the trials of its bracket only.
//   Options: min_resource = 1, max_resource = auto (the last step of the first complete trial)
//   | N, eta = 3, bootstrap = 0.
// threshold: prunes a trial whose value leaves [lower, upper] (or is NaN).
//   Options: lower = -inf, upper = +inf (without either, only NaN prunes), warmup_steps = 0,
//   interval_steps = 1.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "samplers/sampler_util.h"
#include "schedulers/registry.h"
#include "winnow/error.h"

namespace winnow {
namespace {

// The value a trial had when it passed `rung_step`: the one at its first report at or past it.
std::optional<double> value_at_rung(const FrozenTrial& trial, double rung_step) {
  auto it = trial.intermediate.lower_bound(static_cast<int64_t>(std::ceil(rung_step)));
  if (it == trial.intermediate.end()) return std::nullopt;
  return it->second;
}

// The last step of the first complete trial (by number) that reported any, or nullopt.
std::optional<int64_t> first_complete_last_step(std::span<const FrozenTrial> history) {
  for (const FrozenTrial& trial : history) {
    if (trial.state == TrialState::kComplete && !trial.intermediate.empty()) {
      return trial.intermediate.rbegin()->first;
    }
  }
  return std::nullopt;
}

struct HalvingRule {
  double min_resource = 1;
  double eta = 4;
  int64_t early_stopping_rate = 0;
  int64_t bootstrap = 0;
};

// Whether `trial`, having just reported, fails a rung it has just passed. `same_bracket` says
// which other trials compete.
template <typename Competes>
bool fails_a_rung(const FrozenTrial& trial, const SchedulerContext& context,
                  const HalvingRule& rule, Competes same_bracket) {
  const int64_t step = trial.intermediate.rbegin()->first;
  const double value = trial.intermediate.rbegin()->second;
  if (std::isnan(value)) return true;
  const bool minimize = context.directions.front() == Direction::kMinimize;
  const int64_t previous =
      trial.intermediate.size() > 1 ? std::prev(trial.intermediate.end(), 2)->first : -1;
  for (int64_t rung = 0;; ++rung) {
    double rung_step = rule.min_resource * std::pow(rule.eta, rule.early_stopping_rate + rung);
    if (static_cast<double>(step) < rung_step) return false;
    if (static_cast<double>(previous) >= rung_step) continue;  // judged at an earlier report
    std::vector<double> competing{value};
    for (const FrozenTrial& other : context.history) {
      if (other.number < 0 || other.number == trial.number || !same_bracket(other)) continue;
      if (std::optional<double> v = value_at_rung(other, rung_step); v && !std::isnan(*v)) {
        competing.push_back(*v);
      }
    }
    if (rule.bootstrap > 0 && static_cast<int64_t>(competing.size()) <= rule.bootstrap) {
      return true;
    }
    if (minimize) {
      std::sort(competing.begin(), competing.end());
    } else {
      std::sort(competing.begin(), competing.end(), std::greater<>());
    }
    int64_t index = static_cast<int64_t>(competing.size() / static_cast<size_t>(rule.eta)) - 1;
    double bar = competing[static_cast<size_t>(std::max<int64_t>(index, 0))];
    if (minimize ? value > bar : value < bar) return true;
  }
}

class SuccessiveHalvingPruner final : public Scheduler {
 public:
  SuccessiveHalvingPruner(HalvingRule rule, bool auto_min) : rule_(rule), auto_min_(auto_min) {}
  std::string_view name() const override { return "sh_pruner"; }
  bool assigns_budgets() const override { return false; }
  bool prunes() const override { return true; }

  bool should_prune(const FrozenTrial& trial, const SchedulerContext& context) override {
    if (trial.intermediate.empty() || context.directions.size() != 1) return false;
    HalvingRule rule = rule_;
    if (auto_min_) {
      std::optional<int64_t> last = first_complete_last_step(context.history);
      if (!last) return false;
      rule.min_resource = std::max<int64_t>(*last / 100, 1);
    }
    return fails_a_rung(trial, context, rule, [](const FrozenTrial&) { return true; });
  }

 private:
  HalvingRule rule_;
  bool auto_min_;
};

class HyperbandPruner final : public Scheduler {
 public:
  HyperbandPruner(HalvingRule rule, std::optional<int64_t> max_resource)
      : rule_(rule), max_resource_(max_resource) {}
  std::string_view name() const override { return "hyperband_pruner"; }
  bool assigns_budgets() const override { return false; }
  bool prunes() const override { return true; }

  bool should_prune(const FrozenTrial& trial, const SchedulerContext& context) override {
    if (trial.intermediate.empty() || context.directions.size() != 1) return false;
    std::optional<int64_t> max_resource = max_resource_;
    if (!max_resource) max_resource = first_complete_last_step(context.history);
    if (!max_resource) return false;
    int brackets = 1 + static_cast<int>(std::floor(
                           std::log(std::max(1.0, *max_resource / rule_.min_resource)) /
                               std::log(rule_.eta) + 1e-9));
    std::vector<int64_t> budget(static_cast<size_t>(brackets));
    int64_t total = 0;
    for (int i = 0; i < brackets; ++i) {
      int s = brackets - 1 - i;
      budget[static_cast<size_t>(i)] = static_cast<int64_t>(
          std::ceil(brackets * std::pow(rule_.eta, s) / static_cast<double>(s + 1)));
      total += budget[static_cast<size_t>(i)];
    }
    auto bracket_of = [&](int64_t number) {
      int64_t n = static_cast<int64_t>(mix_seed(0x4b, static_cast<uint64_t>(number)) %
                                       static_cast<uint64_t>(total));
      for (int i = 0; i < brackets; ++i) {
        if (n < budget[static_cast<size_t>(i)]) return i;
        n -= budget[static_cast<size_t>(i)];
      }
      return brackets - 1;
    };
    const int bracket = bracket_of(trial.number);
    HalvingRule rule = rule_;
    rule.early_stopping_rate = bracket;
    return fails_a_rung(trial, context, rule,
                        [&](const FrozenTrial& other) { return bracket_of(other.number) == bracket; });
  }

 private:
  HalvingRule rule_;
  std::optional<int64_t> max_resource_;
};

class ThresholdPruner final : public Scheduler {
 public:
  ThresholdPruner(double lower, double upper, int64_t warmup, int64_t interval)
      : lower_(lower), upper_(upper), warmup_(warmup), interval_(interval) {}
  std::string_view name() const override { return "threshold"; }
  bool assigns_budgets() const override { return false; }
  bool prunes() const override { return true; }

  bool should_prune(const FrozenTrial& trial, const SchedulerContext&) override {
    if (trial.intermediate.empty()) return false;
    auto [step, value] = *trial.intermediate.rbegin();
    if (step < warmup_ || (step - warmup_) % interval_ != 0) return false;
    return std::isnan(value) || value < lower_ || value > upper_;
  }

 private:
  double lower_, upper_;
  int64_t warmup_, interval_;
};

std::optional<int64_t> read_resource(SamplerOptionReader& reader, const char* scheduler,
                                     const char* key, const std::string& fallback) {
  std::string text = reader.get_string(key, fallback);
  if (text == "auto") return std::nullopt;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 1) {
    throw Error(std::string("scheduler '") + scheduler + "': option " + key + " = '" + text +
                "' must be 'auto' or a whole number >= 1");
  }
  return value;
}

double read_eta(SamplerOptionReader& reader, const char* scheduler, double fallback) {
  double eta = reader.get_double("eta", fallback);
  if (!(eta >= 2) || !std::isfinite(eta)) {
    throw Error(std::string("scheduler '") + scheduler + "': option eta must be >= 2");
  }
  return eta;
}

}  // namespace

std::unique_ptr<Scheduler> create_sh_pruner(const SchedulerOptions& options, uint64_t) {
  SamplerOptionReader reader("sh_pruner", options, "scheduler");
  HalvingRule rule;
  std::optional<int64_t> min_resource = read_resource(reader, "sh_pruner", "min_resource", "auto");
  if (min_resource) rule.min_resource = static_cast<double>(*min_resource);
  rule.eta = read_eta(reader, "sh_pruner", 4);
  rule.early_stopping_rate = reader.get_int("early_stopping_rate", 0, 0);
  rule.bootstrap = reader.get_int("bootstrap", 0, 0);
  reader.finish();
  return std::make_unique<SuccessiveHalvingPruner>(rule, !min_resource.has_value());
}

std::unique_ptr<Scheduler> create_hyperband_pruner(const SchedulerOptions& options, uint64_t) {
  SamplerOptionReader reader("hyperband_pruner", options, "scheduler");
  HalvingRule rule;
  std::optional<int64_t> min_resource =
      read_resource(reader, "hyperband_pruner", "min_resource", "1");
  if (!min_resource) {
    throw Error("scheduler 'hyperband_pruner': option min_resource must be a whole number");
  }
  rule.min_resource = static_cast<double>(*min_resource);
  std::optional<int64_t> max_resource =
      read_resource(reader, "hyperband_pruner", "max_resource", "auto");
  rule.eta = read_eta(reader, "hyperband_pruner", 3);
  rule.bootstrap = reader.get_int("bootstrap", 0, 0);
  reader.finish();
  if (max_resource && *max_resource < *min_resource) {
    throw Error("scheduler 'hyperband_pruner': max_resource must be >= min_resource");
  }
  return std::make_unique<HyperbandPruner>(rule, max_resource);
}

std::unique_ptr<Scheduler> create_threshold_pruner(const SchedulerOptions& options, uint64_t) {
  SamplerOptionReader reader("threshold", options, "scheduler");
  const double inf = std::numeric_limits<double>::infinity();
  double lower = options.contains("lower") ? reader.get_double("lower", -inf) : -inf;
  double upper = options.contains("upper") ? reader.get_double("upper", inf) : inf;
  int64_t warmup = reader.get_int("warmup_steps", 0, 0);
  int64_t interval = reader.get_int("interval_steps", 1, 1);
  reader.finish();
  if (lower > upper) throw Error("scheduler 'threshold': lower must be <= upper");
  return std::make_unique<ThresholdPruner>(lower, upper, warmup, interval);
}

}  // namespace winnow
