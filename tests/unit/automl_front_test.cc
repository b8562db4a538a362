// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The accuracy / inference-time front of ensembles: cost bookkeeping, non-domination, the
// choice under a limit, and both ways of building it.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "automl/ensemble.h"
#include "automl/front.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

InferenceCost cost_of(double batch1, double batch1000, uint64_t bytes = 100) {
  InferenceCost cost;
  cost.seconds_per_row_batch1 = batch1;
  cost.seconds_per_row_batch1000 = batch1000;
  cost.bytes = bytes;
  return cost;
}

// A regression target and candidates of decreasing accuracy: candidate c predicts the truth
// plus noise of scale `noise[c]`, each with its own noise so that averaging helps.
struct Problem {
  Target target;
  std::vector<std::vector<float>> predictions;
  std::vector<FrontCandidate> candidates;

  Problem(const std::vector<double>& noise, const std::vector<InferenceCost>& costs) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal(0.0, 1.0);
    target.task = Task::kRegression;
    for (int i = 0; i < 400; ++i) target.values.push_back(normal(rng));
    for (double scale : noise) {
      std::vector<float> p;
      for (double y : target.values) p.push_back(static_cast<float>(y + scale * normal(rng)));
      predictions.push_back(std::move(p));
    }
    for (size_t c = 0; c < noise.size(); ++c) candidates.push_back({predictions[c], costs[c]});
  }
};

TEST(EnsembleCost, CountsEachMemberOnceWhateverItsWeight) {
  std::vector<InferenceCost> members = {cost_of(1e-3, 1e-5, 10), cost_of(2e-3, 3e-5, 20),
                                        cost_of(4e-3, 5e-5, 40)};
  InferenceCost base = cost_of(1e-4, 1e-6, 0);
  InferenceCost cost = ensemble_cost({0.75, 0.0, 0.25}, members, base);
  EXPECT_DOUBLE_EQ(cost.seconds_per_row_batch1, 1e-4 + 1e-3 + 4e-3);
  EXPECT_DOUBLE_EQ(cost.seconds_per_row_batch1000, 1e-6 + 1e-5 + 5e-5);
  EXPECT_EQ(cost.bytes, 50u);
  InferenceCost heavier = ensemble_cost({0.1, 0.0, 0.9}, members, base);
  EXPECT_DOUBLE_EQ(heavier.seconds_per_row_batch1, cost.seconds_per_row_batch1);
}

TEST(EnsembleFront, IsNonDominatedSortedAndStartsAtLeastAsAccurateAsPlainGreedy) {
  // The accurate candidates are slow; the cheap ones are noisy.
  Problem problem({0.3, 0.35, 0.4, 0.8, 1.2},
                  {cost_of(5e-3, 2e-4), cost_of(4e-3, 1e-4), cost_of(3e-3, 3e-4),
                   cost_of(1e-4, 1e-6), cost_of(1e-5, 1e-7)});
  InferenceCost base = cost_of(1e-6, 1e-8, 0);
  for (const std::string method : {"greedy", "nsga2"}) {
    FrontOptions options;
    options.method = method;
    options.nsga2_generations = 10;
    options.nsga2_population = 20;
    std::vector<FrontEntry> front =
        build_front(problem.candidates, base, problem.target, Metric::kRmse, options);
    ASSERT_GE(front.size(), 3u) << method;
    std::vector<std::span<const float>> oof;
    for (const auto& p : problem.predictions) oof.emplace_back(p);
    EnsembleSelection plain = select_ensemble(oof, problem.target, Metric::kRmse);
    // (The two sum in different orders, so float rounding may differ.)
    EXPECT_LE(front.front().loss, plain.loss * (1 + 1e-6)) << method;
    for (size_t i = 0; i < front.size(); ++i) {
      if (i > 0) EXPECT_LE(front[i - 1].loss, front[i].loss) << method;
      double sum = 0;
      for (double w : front[i].weights) sum += w;
      EXPECT_NEAR(sum, 1.0, 1e-9);
      EXPECT_NEAR(front[i].score, front[i].loss, 1e-12);  // rmse: score is the loss
      for (size_t j = 0; j < front.size(); ++j) {
        bool dominates = front[j].loss <= front[i].loss &&
                         front[j].cost.seconds_per_row_batch1 <= front[i].cost.seconds_per_row_batch1 &&
                         front[j].cost.seconds_per_row_batch1000 <=
                             front[i].cost.seconds_per_row_batch1000 &&
                         (front[j].loss < front[i].loss ||
                          front[j].cost.seconds_per_row_batch1 < front[i].cost.seconds_per_row_batch1 ||
                          front[j].cost.seconds_per_row_batch1000 <
                              front[i].cost.seconds_per_row_batch1000);
        EXPECT_FALSE(dominates) << method << ": entry " << j << " dominates entry " << i;
      }
    }
    // The fastest candidate alone is on the front: nothing is faster.
    const FrontEntry& fastest = front.back();
    EXPECT_NEAR(fastest.cost.seconds_per_row_batch1, 1e-5 + 1e-6, 1e-12) << method;
    EXPECT_EQ(fastest.weights[4], 1.0) << method;
  }
}

TEST(EnsembleFront, AnyLimitGetsAnEnsembleAtLeastAsAccurateAsDroppingTheSlowest) {
  // Plain greedy selection uses several members; AutoGluon's rule drops the slowest until the
  // ensemble fits. The front holds those ensembles, so its choice is never worse on the
  // validation rows.
  Problem problem({0.5, 0.4, 0.45, 0.6}, {cost_of(4e-3, 4e-5), cost_of(3e-3, 1e-5),
                                         cost_of(2e-3, 3e-5), cost_of(1e-3, 2e-5)});
  std::vector<std::span<const float>> oof;
  for (const auto& p : problem.predictions) oof.emplace_back(p);
  std::vector<InferenceCost> costs;
  for (const auto& c : problem.candidates) costs.push_back(c.cost);
  // A tiny NSGA-II run adds almost nothing to plain greedy's rounds: the rule's ensembles must
  // come from the front's own construction.
  FrontOptions options;
  options.method = "nsga2";
  options.nsga2_population = 2;
  options.nsga2_generations = 1;
  size_t plain = 0;
  std::vector<FrontEntry> front = build_front(problem.candidates, cost_of(0, 0, 0),
                                              problem.target, Metric::kRmse, options, &plain);
  for (int batch : {1, 1000}) {
    std::vector<double> weights = front[plain].weights;
    for (;;) {
      InferenceCost cost = ensemble_cost(weights, costs, cost_of(0, 0, 0));
      std::vector<float> average(problem.target.size(), 0.0f);
      double sum = 0;
      for (double w : weights) sum += w;
      for (size_t c = 0; c < weights.size(); ++c) {
        for (size_t i = 0; i < average.size(); ++i) {
          average[i] += static_cast<float>(weights[c] / sum) * problem.predictions[c][i];
        }
      }
      double rule_loss = loss(Metric::kRmse, problem.target, average);
      size_t chosen = choose_entry(front, cost.seconds_per_row(batch), batch);
      EXPECT_LE(front[chosen].loss, rule_loss * (1 + 1e-6)) << "batch " << batch;
      int slowest = -1, used = 0;
      for (size_t c = 0; c < weights.size(); ++c) {
        if (weights[c] <= 0) continue;
        ++used;
        if (slowest < 0 || costs[c].seconds_per_row(batch) > costs[slowest].seconds_per_row(batch)) {
          slowest = static_cast<int>(c);
        }
      }
      if (used <= 1) break;
      weights[static_cast<size_t>(slowest)] = 0;
    }
  }
}

TEST(EnsembleFront, ChooseEntryTakesTheMostAccurateWithinTheLimitElseTheFastest) {
  std::vector<FrontEntry> front(3);
  front[0].loss = 0.1;
  front[0].cost = cost_of(3e-3, 3e-5);
  front[1].loss = 0.2;
  front[1].cost = cost_of(1e-3, 4e-5);  // faster alone, slower in batches
  front[2].loss = 0.3;
  front[2].cost = cost_of(1e-4, 1e-6);
  bool fits = false;
  EXPECT_EQ(choose_entry(front, 1.0, 1, &fits), 0u);
  EXPECT_TRUE(fits);
  EXPECT_EQ(choose_entry(front, 2e-3, 1, &fits), 1u);
  EXPECT_EQ(choose_entry(front, 3.5e-5, 1000, &fits), 0u);
  EXPECT_EQ(choose_entry(front, 2e-5, 1000, &fits), 2u);
  EXPECT_TRUE(fits);
  EXPECT_EQ(choose_entry(front, 1e-9, 1, &fits), 2u);
  EXPECT_FALSE(fits);
  // Unknown costs (a file from before fronts) never fit.
  std::vector<FrontEntry> unknown(1);
  EXPECT_EQ(choose_entry(unknown, 1.0, 1, &fits), 0u);
  EXPECT_FALSE(fits);
  EXPECT_EQ(choose_entry(unknown, 1.0, 1, &fits, 0), 0u);
  EXPECT_FALSE(fits);
}

// The model's own ensemble is kept while it fits: a generous limit changes nothing.
TEST(EnsembleFront, ChooseEntryKeepsThePreferredEntryWhileItFits) {
  std::vector<FrontEntry> front(3);
  front[0].loss = 0.1;
  front[0].cost = cost_of(3e-3, 3e-5);
  front[1].loss = 0.2;
  front[1].cost = cost_of(1e-3, 4e-5);
  front[2].loss = 0.3;
  front[2].cost = cost_of(1e-4, 1e-6);
  bool fits = false;
  EXPECT_EQ(choose_entry(front, 10.0, 1, &fits, 1), 1u);
  EXPECT_TRUE(fits);
  EXPECT_EQ(choose_entry(front, 1e-3, 1, &fits, 1), 1u);
  EXPECT_EQ(choose_entry(front, 5e-4, 1, &fits, 1), 2u);  // too slow: the most accurate that fits
  EXPECT_EQ(choose_entry(front, 3.5e-5, 1000, &fits, 1), 0u);
  EXPECT_EQ(choose_entry(front, 1e-9, 1, &fits, 1), 2u);
  EXPECT_FALSE(fits);
  EXPECT_EQ(choose_entry(front, 10.0, 1, &fits, 7), 0u);  // no such entry: as without one
}

TEST(EnsembleFront, CostAwareSelectionPrefersTheCheapMemberAsTimeWeighs) {
  Problem problem({0.3, 0.32}, {cost_of(1e-2, 1e-4), cost_of(1e-4, 1e-6)});
  std::vector<std::span<const float>> oof;
  for (const auto& p : problem.predictions) oof.emplace_back(p);
  std::vector<double> seconds = {1e-2, 1e-4};
  SelectionCost cost;
  cost.member_seconds = seconds;
  cost.time_weight = 0.5;
  cost.time_scale = 1e-2;
  EnsembleSelection selection = select_ensemble(oof, problem.target, Metric::kRmse, 10, {}, &cost);
  EXPECT_EQ(selection.weights[0], 0.0);
  EXPECT_EQ(selection.weights[1], 1.0);
  ASSERT_FALSE(selection.chosen.empty());
  EXPECT_EQ(selection.chosen.front(), 1);
}

TEST(EnsembleFront, RejectsAnUnknownMethod) {
  Problem problem({0.3}, {cost_of(1e-3, 1e-5)});
  FrontOptions options;
  options.method = "genetic";
  EXPECT_THROW(build_front(problem.candidates, cost_of(0, 0), problem.target, Metric::kRmse,
                           options),
               Error);
}

TEST(TableSelectRows, RepeatsRowsAndKeepsLevels) {
  Table table;
  table.rows = 3;
  Column numbers{"x", ColumnType::kNumeric, {1.0, std::nan(""), 3.0}, {}, {}, 1};
  Column colours{"c", ColumnType::kCategorical, {}, {0, 1, -1}, {"red", "blue"}, 1};
  table.columns = {numbers, colours};
  Table picked = table.select_rows({2, 1, 2, 0});
  ASSERT_EQ(picked.rows, 4u);
  EXPECT_EQ(picked.columns[0].numbers[0], 3.0);
  EXPECT_TRUE(std::isnan(picked.columns[0].numbers[1]));
  EXPECT_EQ(picked.columns[0].missing, 1u);
  EXPECT_EQ(picked.columns[1].codes, (std::vector<int32_t>{-1, 1, -1, 0}));
  EXPECT_EQ(picked.columns[1].missing, 2u);
  EXPECT_EQ(picked.columns[1].levels, colours.levels);
}

}  // namespace
}  // namespace winnow::automl
