// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The TPE sampler's incremental view of the history (tpe_history.h): after every change of a
// simulated study, it must hold what a computation from all trials gives (the good set of the
// split, the bad trials, the parameter groups, the constraint sets); and the stratified sample
// that bounds an estimator's observations keeps the weight of each stretch of the history.
#include "samplers/tpe_history.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "samplers/parzen_estimator.h"
#include "samplers/tpe_split.h"

namespace winnow {
namespace {

constexpr size_t kMaxGood = 25;

// Two branches with their own parameters and a shared one: three activity patterns.
SearchSpace conditional_space() {
  SearchSpace space;
  space.add_categorical("branch", {std::string("a"), std::string("b")})
      .add_float("shared", 0.0, 1.0)
      .add_float("xa", 0.0, 1.0).when("branch == 'a'")
      .add_float("ya", 0.0, 1.0).when("branch == 'a'")
      .add_float("xb", 0.0, 1.0).when("branch == 'b'");
  space.validate();
  return space;
}

// What the view should hold, computed from every trial of the history.
struct FromScratch {
  std::vector<int64_t> modelled;
  std::vector<const FrozenTrial*> finished;  // complete ones, then pruned ones, by number
};

FromScratch from_scratch(const std::vector<FrozenTrial>& history, size_t n_objectives,
                         bool constant_liar) {
  FromScratch out;
  std::vector<const FrozenTrial*> pruned;
  for (const FrozenTrial& t : history) {
    if (t.number < 0) continue;
    const bool complete = t.state == TrialState::kComplete && t.values.size() == n_objectives;
    const bool running =
        t.state == TrialState::kRunning && constant_liar && !t.config.empty();
    if (complete) out.finished.push_back(&t);
    if (t.state == TrialState::kPruned) pruned.push_back(&t);
    if (complete || running || t.state == TrialState::kPruned) out.modelled.push_back(t.number);
  }
  out.finished.insert(out.finished.end(), pruned.begin(), pruned.end());
  return out;
}

std::map<int64_t, double> good_set(const std::vector<const FrozenTrial*>& trials,
                                   const std::vector<Direction>& directions, size_t n_good) {
  TpeSplit split = split_finished_trials(trials, directions, n_good);
  std::map<int64_t, double> good;
  for (size_t i = 0; i < trials.size(); ++i) {
    if (split.good[i]) good[trials[i]->number] = split.weights.empty() ? 1.0 : split.weights[i];
  }
  return good;
}

void expect_matches(const TpeHistory& view, const std::vector<FrozenTrial>& history,
                    const SearchSpace& space, const std::vector<Direction>& directions,
                    bool constant_liar, const std::string& where) {
  SCOPED_TRACE(where);
  const size_t m = directions.size();
  FromScratch expected = from_scratch(history, m, constant_liar);
  ASSERT_EQ(view.finished_count(), expected.finished.size());
  ASSERT_EQ(view.modelled(), expected.modelled);
  for (int64_t number : expected.modelled) {
    const FrozenTrial& t = history[static_cast<size_t>(number)];
    ASSERT_EQ(&view.trial(number), &t);
    UnitPoint point = space.encode(t.config);
    ASSERT_TRUE(std::equal(point.x.begin(), point.x.end(), view.x(number))) << number;
    ASSERT_TRUE(std::equal(point.active.begin(), point.active.end(), view.active(number)));
    double loss = std::numeric_limits<double>::quiet_NaN();
    if (t.state == TrialState::kComplete && m == 1 && t.feasible()) {
      loss = directions[0] == Direction::kMaximize ? -t.values[0] : t.values[0];
    }
    if (std::isnan(loss)) {
      EXPECT_TRUE(std::isnan(view.loss(number))) << number;
    } else {
      EXPECT_EQ(view.loss(number), loss) << number;
    }
  }

  // The split of the candidates is that of all finished trials, for every size of good set.
  for (size_t n_good : {size_t{1}, size_t{4}, kMaxGood}) {
    std::map<int64_t, double> good = good_set(expected.finished, directions, n_good);
    ASSERT_EQ(good_set(view.good_candidates(n_good), directions, n_good), good)
        << "n_good " << n_good;
    if (m != 1) continue;
    std::vector<int64_t> numbers;
    for (const auto& [number, weight] : good) numbers.push_back(number);
    double threshold = std::numeric_limits<double>::infinity();
    for (const FrozenTrial* t : expected.finished) {
      if (good.contains(t->number) || std::isnan(view.loss(t->number))) continue;
      threshold = std::min(threshold, view.loss(t->number));
    }
    EXPECT_EQ(view.best_loss_outside(numbers), threshold) << "n_good " << n_good;
  }

  // Groups: equal classes exactly for equal activity over the finished trials.
  auto pattern = [&](size_t p) {
    std::vector<bool> active;
    for (const FrozenTrial* t : expected.finished) {
      active.push_back(t->config.contains(space.params()[p].name));
    }
    return active;
  };
  for (size_t p = 0; p < space.size(); ++p) {
    std::vector<bool> pattern_p = pattern(p);
    EXPECT_EQ(view.ever_active(p), std::count(pattern_p.begin(), pattern_p.end(), true) > 0);
    EXPECT_EQ(view.always_active(p), std::count(pattern_p.begin(), pattern_p.end(), false) == 0);
    for (size_t q = 0; q < space.size(); ++q) {
      std::vector<bool> pattern_q = pattern(q);
      EXPECT_EQ(view.activity_class(p) == view.activity_class(q), pattern_p == pattern_q)
          << p << " " << q;
    }
  }

  // Constraint sets, by number.
  std::vector<const FrozenTrial*> by_number = expected.finished;
  std::sort(by_number.begin(), by_number.end(),
            [](const FrozenTrial* a, const FrozenTrial* b) { return a->number < b->number; });
  std::vector<ConstraintSplit> splits = split_by_constraints(by_number);
  ASSERT_EQ(view.constraint_count(), splits.size());
  for (size_t c = 0; c < splits.size(); ++c) {
    std::vector<int64_t> satisfying, violating;
    for (size_t i = 0; i < by_number.size(); ++i) {
      const int64_t number = by_number[i]->number;
      if (splits[c].membership[i] == ConstraintSplit::kFeasible) satisfying.push_back(number);
      if (splits[c].membership[i] == ConstraintSplit::kInfeasible) violating.push_back(number);
    }
    EXPECT_EQ(view.satisfying(c), satisfying);
    EXPECT_EQ(view.violating(c), violating);
  }
}

// How trials end in a simulated study: the shares that complete and are pruned (the others
// fail), and the share of finished trials that report constraints, and of those values that
// violate them.
struct Outcomes {
  double complete, pruned, constrained, violated;
};
// Mostly complete; nearly all pruned (the good set needs pruned trials); mostly infeasible
// (the good set needs infeasible ones).
const std::vector<Outcomes> kOutcomes = {
    {0.55, 0.25, 0.5, 0.3}, {0.03, 0.8, 0.3, 0.3}, {0.3, 0.5, 0.9, 0.9}};

// A study in which trials start and finish out of order, as with parallel workers: each step
// creates a trial (sometimes waiting, as an enqueued one, or leaving a gap in the numbers that
// a later step fills) or finishes a random unfinished one as complete, pruned or failed, with
// tied, infinite and NaN values and constraint values.
class SimulatedStudy {
 public:
  SimulatedStudy(const SearchSpace& space, size_t n_objectives, uint64_t seed,
                 Outcomes outcomes = kOutcomes[0])
      : space_(space), m_(n_objectives), rng_(seed), outcomes_(outcomes) {}

  std::vector<FrozenTrial>& history() { return history_; }

  void step() {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    if (unfinished_.empty() || u(rng_) < 0.55) {
      create();
    } else {
      finish();
    }
  }

 private:
  Config random_config() {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> x(space_.size());
    for (double& v : x) v = u(rng_);
    return space_.decode(x);
  }

  double value() {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    double r = u(rng_);
    if (r < 0.02) return std::numeric_limits<double>::quiet_NaN();
    if (r < 0.04) return std::numeric_limits<double>::infinity();
    return std::round(u(rng_) * 40.0) / 4.0;  // coarse, so that values tie
  }

  void create() {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const auto number = static_cast<int64_t>(history_.size());
    FrozenTrial t;
    t.id = number + 1000;
    t.number = number;
    t.state = u(rng_) < 0.1 ? TrialState::kWaiting : TrialState::kRunning;
    t.config = random_config();
    if (u(rng_) < 0.05) {
      // The storage has numbered it, but the cached history has not seen it yet.
      history_.emplace_back();
      gaps_.push_back(t);
    } else {
      history_.push_back(t);
    }
    unfinished_.push_back(number);
    if (!gaps_.empty() && u(rng_) < 0.3) {
      FrozenTrial filled = gaps_.front();
      gaps_.erase(gaps_.begin());
      history_[static_cast<size_t>(filled.number)] = filled;
    }
  }

  void finish() {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const size_t k = static_cast<size_t>(u(rng_) * static_cast<double>(unfinished_.size()));
    const int64_t number = unfinished_[std::min(k, unfinished_.size() - 1)];
    FrozenTrial& t = history_[static_cast<size_t>(number)];
    if (t.number < 0) return;  // still a gap
    unfinished_.erase(std::find(unfinished_.begin(), unfinished_.end(), number));
    const double r = u(rng_);
    if (r < outcomes_.complete) {
      t.state = TrialState::kComplete;
      for (size_t j = 0; j < m_; ++j) t.values.push_back(value());
    } else if (r < outcomes_.complete + outcomes_.pruned) {
      t.state = TrialState::kPruned;
      const int steps = static_cast<int>(u(rng_) * 4.0);
      for (int s = 1; s <= steps; ++s) t.intermediate[s] = value();
    } else {
      t.state = TrialState::kFailed;
    }
    if (t.state != TrialState::kFailed && u(rng_) < outcomes_.constrained) {
      const size_t n_constraints = u(rng_) < 0.5 ? 1 : 2;
      for (size_t c = 0; c < n_constraints; ++c) {
        const double v = u(rng_);
        // Coarse, so that violations tie.
        t.constraints.push_back(v < 0.02 ? std::numeric_limits<double>::quiet_NaN()
                                         : std::round((v - 1.0 + outcomes_.violated) * 8.0) / 8.0);
      }
    }
    ++t.version;
  }

  const SearchSpace& space_;
  size_t m_;
  std::mt19937_64 rng_;
  Outcomes outcomes_;
  std::vector<FrozenTrial> history_;
  std::vector<int64_t> unfinished_;
  std::vector<FrozenTrial> gaps_;
};

TEST(TpeHistory, IncrementalViewHoldsWhatAllTrialsGive) {
  const SearchSpace space = conditional_space();
  const std::vector<std::vector<Direction>> all_directions = {
      {Direction::kMinimize},
      {Direction::kMaximize},
      {Direction::kMinimize, Direction::kMaximize},
      {Direction::kMinimize, Direction::kMinimize, Direction::kMinimize}};
  for (const std::vector<Direction>& directions : all_directions) {
    for (bool constant_liar : {true, false}) {
      for (uint64_t seed = 1; seed <= kOutcomes.size(); ++seed) {
        SimulatedStudy study(space, directions.size(), seed, kOutcomes[seed - 1]);
        TpeHistory view(constant_liar, kMaxGood);
        for (int step = 0; step < 400; ++step) {
          study.step();
          view.sync(space, study.history(), directions);
          if (step % 10 != 9) continue;
          expect_matches(view, study.history(), space, directions, constant_liar,
                         std::to_string(directions.size()) + " objectives, liar " +
                             std::to_string(constant_liar) + ", seed " + std::to_string(seed) +
                             ", step " + std::to_string(step));
          if (HasFatalFailure()) return;
        }
        // Read at once, the whole history gives the same view.
        TpeHistory at_once(constant_liar, kMaxGood);
        at_once.sync(space, study.history(), directions);
        expect_matches(at_once, study.history(), space, directions, constant_liar, "at once");
        // The view kept only what can still matter, not every finished trial.
        auto [complete, pruned, infeasible] = view.candidate_counts();
        if (directions.size() == 1) {
          EXPECT_LE(complete, kMaxGood + 1);
        }
        EXPECT_LE(pruned, kMaxGood);
        EXPECT_LE(infeasible, kMaxGood);
      }
    }
  }
}

TEST(TpeHistory, ADifferentHistoryIsReadAgain) {
  // A budget scheduler hands the sampler the trials of one budget; when the budget changes the
  // history is another one altogether, not an extension of the last.
  const SearchSpace space = conditional_space();
  const std::vector<Direction> directions = {Direction::kMinimize};
  SimulatedStudy study(space, 1, 7);
  for (int step = 0; step < 300; ++step) study.step();
  std::vector<FrozenTrial> even, odd;
  for (const FrozenTrial& t : study.history()) {
    if (t.number < 0) continue;
    (t.number % 2 == 0 ? even : odd).push_back(t);
  }
  TpeHistory view(true, kMaxGood);
  view.sync(space, even, directions);
  view.sync(space, odd, directions);
  TpeHistory fresh(true, kMaxGood);
  fresh.sync(space, odd, directions);
  EXPECT_EQ(view.modelled(), fresh.modelled());
  EXPECT_EQ(view.finished_count(), fresh.finished_count());
  EXPECT_EQ(good_set(view.good_candidates(kMaxGood), directions, kMaxGood),
            good_set(fresh.good_candidates(kMaxGood), directions, kMaxGood));
  // And a shorter history than the last one.
  std::vector<FrozenTrial> shorter(odd.begin(), odd.begin() + 20);
  view.sync(space, shorter, directions);
  fresh.reset();
  fresh.sync(space, shorter, directions);
  EXPECT_EQ(view.modelled(), fresh.modelled());
  EXPECT_EQ(view.finished_count(), fresh.finished_count());
}

// ---- Stratified samples ------------------------------------------------------------------

TEST(TpeHistory, DefaultWeightSumsAddTheDefaultWeights) {
  for (size_t n : {1, 20, 25, 26, 27, 100, 3001}) {
    std::vector<double> weights = default_weights(n);
    for (size_t first : {size_t{0}, size_t{1}, n / 3, n - 1}) {
      for (size_t last : {first, first + 1, n / 2, n - 3, n}) {
        if (last < first || last > n) continue;
        double expected = std::accumulate(weights.begin() + static_cast<ptrdiff_t>(first),
                                          weights.begin() + static_cast<ptrdiff_t>(last), 0.0);
        EXPECT_NEAR(default_weight_sum(n, first, last), expected, 1e-9 * (1.0 + expected))
            << n << " [" << first << ", " << last << ")";
      }
    }
  }
}

TEST(TpeHistory, StratifiedSampleKeepsTheWeightOfEachStretch) {
  const std::vector<std::pair<size_t, size_t>> cases = {
      {1001, 1000}, {1100, 1000}, {1999, 1000}, {2000, 1000}, {12345, 1000}, {100000, 1000},
      {20, 5}, {30, 7}};
  for (auto [n, cap] : cases) {
    SCOPED_TRACE(std::to_string(n) + " observations, cap " + std::to_string(cap));
    std::vector<Stratum> sample = stratified_sample(n, cap);
    EXPECT_LE(sample.size(), cap);
    EXPECT_GE(sample.size(), cap * 9 / 10);
    std::vector<double> weights = default_weights(n);
    size_t first = 0;
    double lightest = INFINITY, heaviest = 0.0;
    for (const Stratum& s : sample) {
      // Strata tile [0, n) in order, and each kept observation carries its stratum's weight.
      ASSERT_GE(s.position, first);
      ASSERT_LT(s.position, first + s.count);
      double expected = std::accumulate(weights.begin() + static_cast<ptrdiff_t>(first),
                                        weights.begin() + static_cast<ptrdiff_t>(first + s.count),
                                        0.0);
      EXPECT_NEAR(s.weight, expected, 1e-9 * expected);
      if (s.count > 1) {
        lightest = std::min(lightest, s.weight);
        heaviest = std::max(heaviest, s.weight);
      }
      first += s.count;
    }
    EXPECT_EQ(first, n);
    // Merged strata weigh the same but for their edges (an observation weighs at most 1).
    if (lightest < INFINITY) {
      EXPECT_LE(heaviest - lightest, 2.0);
    }
  }
  // Just past the cap, all but the two oldest (and lightest) observations are kept whole.
  std::vector<Stratum> past = stratified_sample(1001, 1000);
  ASSERT_EQ(past.size(), 1000u);
  EXPECT_EQ(past[0].count, 2u);
  EXPECT_EQ(past[1].position, 2u);
  // From one ask to the next (one more observation), a kept one stays or moves to a neighbour.
  std::vector<Stratum> before = stratified_sample(50000, 1000);
  std::vector<Stratum> after = stratified_sample(50001, 1000);
  ASSERT_EQ(before.size(), after.size());
  for (size_t j = 0; j < before.size(); ++j) {
    EXPECT_LE(after[j].position - before[j].position, 3u) << j;
  }
}

TEST(TpeHistory, StratifiedTrialsSkipTheGoodOnes) {
  std::vector<int64_t> numbers(5000);
  std::iota(numbers.begin(), numbers.end(), int64_t{0});
  for (int64_t& v : numbers) v = 3 * v + 1;  // not dense, like a history with failed trials
  std::vector<int64_t> skip = {1, 4, 301, 4000, 14998};
  std::vector<KeptTrial> kept = stratified_trials(numbers, skip, 3000);
  ASSERT_LE(kept.size(), 3000u);
  size_t count = 0;
  for (size_t i = 0; i < kept.size(); ++i) {
    EXPECT_TRUE(std::binary_search(numbers.begin(), numbers.end(), kept[i].number));
    EXPECT_FALSE(std::binary_search(skip.begin(), skip.end(), kept[i].number)) << kept[i].number;
    if (i > 0) {
      EXPECT_LT(kept[i - 1].number, kept[i].number);
    }
    count += kept[i].count;
  }
  EXPECT_EQ(count, numbers.size() - skip.size());
  // The newest are kept whole (but the skipped 14998).
  EXPECT_EQ(kept.back().number, 14995);
  EXPECT_EQ(kept.back().count, 1u);
}

TEST(TpeHistory, StratifiedSampleKeepsTheDensityOfAllObservations) {
  // 20,000 observations in trial-number order: the older half around 0.25, the newer around
  // 0.75. default_weights favours the newer ones (their mean weight is three times the older
  // ones'), so the full estimator's density is three times higher at 0.75 than at 0.25. A
  // sample of 500 with its strata's weights keeps that; every 40th observation, equally
  // weighted, would not.
  const size_t n = 20000, cap = 500;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> older(0.25, 0.05), newer(0.75, 0.05);
  std::vector<double> observations(n);
  for (size_t i = 0; i < n; ++i) {
    observations[i] = std::clamp(i < n / 2 ? older(rng) : newer(rng), 0.0, 1.0);
  }
  std::vector<ParzenDimension> dims = {ParzenDimension{}};
  ParzenOptions options{.min_bandwidth = 0.03, .clip_exponent = 2.0};
  ParzenEstimator full(dims, observations, default_weights(n), options);
  std::vector<double> kept, weights, thinned;
  for (const Stratum& s : stratified_sample(n, cap)) {
    kept.push_back(observations[s.position]);
    weights.push_back(s.weight);
  }
  for (size_t i = 0; i < n; i += n / cap) thinned.push_back(observations[i]);
  ParzenEstimator sampled(dims, kept, weights, options);
  ParzenEstimator unweighted(dims, thinned, std::vector<double>(thinned.size(), 1.0), options);
  const std::vector<double> points = {0.2, 0.25, 0.3, 0.7, 0.75, 0.8};
  std::vector<double> expected = full.log_pdf(points), actual = sampled.log_pdf(points),
                      flat = unweighted.log_pdf(points);
  for (size_t i = 0; i < points.size(); ++i) {
    EXPECT_NEAR(actual[i], expected[i], 0.15) << points[i];
  }
  EXPECT_NEAR(expected[4] - expected[1], std::log(3.0), 0.15);
  EXPECT_GT(std::abs(flat[4] - flat[1] - (expected[4] - expected[1])), 0.5);
}

}  // namespace
}  // namespace winnow
