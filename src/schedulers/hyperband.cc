// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Synchronous Successive Halving, Hyperband (Li et al. 2018) and BOHB (Falkner et al. 2018).
//
// The budget ladder has K = floor(log_eta(max/min)) + 1 rungs (BudgetSpec::rung_budget). A bracket
// with s halvings starts n_0 = ceil(K / (s + 1) * eta^s) configurations on rung K-1-s, and its
// stage i keeps the best n_i = floor(n_0 / eta^i) of stage i-1 for rung K-1-s+i. Hyperband cycles
// s = K-1, K-2, ..., 0 over its brackets; Successive Halving always uses s = K-1. A stage is
// filled only once the stage before it has finished entirely (that is what makes it
// synchronous); while it waits, idle workers start the next bracket rather than sit idle, as
// HpBandSter does, so brackets overlap.
//
// BOHB is Hyperband whose new configurations come from the study's sampler (TPE by default)
// trained on the largest budget with enough complete trials, except for a random fraction drawn
// from the prior, which keeps the search from collapsing onto a wrong model.
//
// Options:
//   min_points = <parameters + 2>  complete trials a budget needs before the sampler learns
//                                  from it (all schedulers here)
//   random_fraction = 0.15         bohb only: share of new configurations drawn at random. Lower
//                                  than the paper's 1/3 because TPE keeps exploring through its
//                                  prior component already (comparison in docs/benchmarks.md).
#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "samplers/sampler_util.h"
#include "schedulers/ladder.h"
#include "schedulers/registry.h"
#include "winnow/error.h"

namespace winnow {
namespace {

enum class Variant { kSuccessiveHalving, kHyperband, kBohb };

class HyperbandScheduler final : public Scheduler {
 public:
  HyperbandScheduler(Variant variant, std::optional<int64_t> min_points, double random_fraction,
                     uint64_t seed)
      : variant_(variant),
        min_points_(min_points),
        random_fraction_(random_fraction),
        seed_(seed) {}

  std::string_view name() const override {
    switch (variant_) {
      case Variant::kSuccessiveHalving: return "sh";
      case Variant::kHyperband: return "hyperband";
      case Variant::kBohb: return "bohb";
    }
    return "hyperband";
  }
  bool assigns_budgets() const override { return true; }
  // BOHB is Hyperband with TPE proposing the new configurations (Falkner et al. 2018).
  std::string_view default_sampler() const override {
    return variant_ == Variant::kBohb ? "tpe" : "random";
  }

  TrialAssignment next(const SchedulerContext& context) override {
    const BudgetSpec& budget = context.budget;
    const int n_rungs = budget.n_rungs();
    const Direction direction = context.directions.front();
    Ladder ladder = read_ladder(context.history, direction);

    // entries by bracket, then by rung.
    std::map<int64_t, std::map<int, std::vector<const RungEntry*>>> brackets;
    for (const RungEntry& entry : ladder.entries) brackets[entry.bracket][entry.rung].push_back(&entry);

    for (auto& [bracket, rungs] : brackets) {
      const int s = halvings(bracket, n_rungs);
      const int first_rung = n_rungs - 1 - s;
      for (int stage = 0; stage <= s; ++stage) {
        const int rung = first_rung + stage;
        const size_t wanted = stage_size(s, stage, n_rungs, budget.eta);
        std::vector<const RungEntry*>& here = rungs[rung];
        if (stage == 0) {
          if (here.size() < wanted) return fresh(context, bracket, rung);
          continue;
        }
        std::vector<const RungEntry*>& below = rungs[rung - 1];
        bool below_done = std::all_of(below.begin(), below.end(),
                                      [](const RungEntry* e) { return e->finished; });
        if (!below_done) break;  // blocked until the stage below finishes: try the next bracket
        if (here.size() >= wanted) continue;
        std::vector<const RungEntry*> ranked = below;
        std::sort(ranked.begin(), ranked.end(), [](const RungEntry* a, const RungEntry* b) {
          if (a->score != b->score) return a->score < b->score;
          return a->trial->number < b->trial->number;
        });
        ranked.resize(std::min(ranked.size(), wanted));
        for (const RungEntry* candidate : ranked) {
          if (std::isinf(candidate->score)) break;  // never spend budget on a failure
          if (ladder.continued.count(candidate->trial->number) != 0) continue;
          return TrialAssignment{.continues = candidate->trial->number,
                                 .budget = budget.rung_budget(rung),
                                 .bracket = bracket,
                                 .rung = rung};
        }
        // Every survivor is already running or done at this rung (or failed): nothing to add.
      }
    }
    int64_t new_bracket = brackets.empty() ? 0 : brackets.rbegin()->first + 1;
    const int s = halvings(new_bracket, n_rungs);
    return fresh(context, new_bracket, n_rungs - 1 - s);
  }

  std::optional<std::vector<FrozenTrial>> sampler_history(
      const SchedulerContext& context, const TrialAssignment& assignment) override {
    return trials_at_informative_budget(context,
                                        min_points_.value_or(default_min_points(context.space)));
  }

 private:
  // Halvings of a bracket: Hyperband cycles from the most aggressive bracket to plain full-budget
  // runs; SH and the first bracket of each Hyperband cycle use all K-1.
  int halvings(int64_t bracket, int n_rungs) const {
    if (variant_ == Variant::kSuccessiveHalving) return n_rungs - 1;
    return n_rungs - 1 - static_cast<int>(bracket % n_rungs);
  }

  static size_t stage_size(int s, int stage, int n_rungs, double eta) {
    double n0 = std::ceil(static_cast<double>(n_rungs) / (s + 1) * std::pow(eta, s) - 1e-9);
    double n = std::floor(n0 * std::pow(eta, -stage) + 1e-9);
    return static_cast<size_t>(std::max(1.0, n));
  }

  TrialAssignment fresh(const SchedulerContext& context, int64_t bracket, int rung) const {
    TrialAssignment assignment{.budget = context.budget.rung_budget(rung),
                               .bracket = bracket,
                               .rung = rung};
    if (variant_ == Variant::kBohb) {
      // Seeded by the number of the trial to come, so a resumed study makes the same choice.
      std::mt19937_64 rng(mix_seed(seed_, context.history.size()));
      assignment.random_config =
          std::uniform_real_distribution<double>(0, 1)(rng) < random_fraction_;
    }
    return assignment;
  }

  Variant variant_;
  std::optional<int64_t> min_points_;
  double random_fraction_;
  uint64_t seed_;
};

std::unique_ptr<Scheduler> create(Variant variant, const std::string& name,
                                  const SchedulerOptions& options, uint64_t seed) {
  SamplerOptionReader reader(name, options, "scheduler");
  std::optional<int64_t> min_points = read_min_points(reader, options, name);
  double random_fraction = 0;
  if (variant == Variant::kBohb) {
    random_fraction = reader.get_double("random_fraction", 0.15);
    if (!(random_fraction >= 0 && random_fraction <= 1)) {
      throw Error("scheduler 'bohb': option random_fraction = " + options.at("random_fraction") +
                  " must be within [0, 1]");
    }
  }
  reader.finish();
  return std::make_unique<HyperbandScheduler>(variant, min_points, random_fraction, seed);
}

}  // namespace

std::unique_ptr<Scheduler> create_successive_halving(const SchedulerOptions& options,
                                                     uint64_t seed) {
  return create(Variant::kSuccessiveHalving, "sh", options, seed);
}
std::unique_ptr<Scheduler> create_hyperband(const SchedulerOptions& options, uint64_t seed) {
  return create(Variant::kHyperband, "hyperband", options, seed);
}
std::unique_ptr<Scheduler> create_bohb(const SchedulerOptions& options, uint64_t seed) {
  return create(Variant::kBohb, "bohb", options, seed);
}

}  // namespace winnow
