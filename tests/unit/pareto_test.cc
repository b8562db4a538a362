// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Non-dominated sorting against a brute-force peeling, crowding distance by hand, Deb's
// constrained domination.
#include "analysis/pareto.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "winnow/error.h"

namespace winnow {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::span<const double> row(const std::vector<double>& points, size_t m, size_t i) {
  return std::span<const double>(points).subspan(i * m, m);
}

// Repeatedly removes the points nothing remaining beats: O(n^2 * ranks), obviously right.
std::vector<size_t> peel_ranks(const std::vector<double>& points, size_t m,
                               const std::vector<double>& violations) {
  size_t n = points.size() / m;
  std::vector<size_t> rank(n);
  std::vector<bool> done(n, false);
  size_t remaining = n;
  for (size_t r = 0; remaining > 0; ++r) {
    std::vector<size_t> front;
    for (size_t a = 0; a < n; ++a) {
      if (done[a]) continue;
      bool beaten = false;
      for (size_t b = 0; b < n && !beaten; ++b) {
        if (done[b] || b == a) continue;
        beaten = violations.empty()
                     ? pareto_dominates(row(points, m, b), row(points, m, a))
                     : constrained_dominates(row(points, m, b), violations[b],
                                             row(points, m, a), violations[a]);
      }
      if (!beaten) front.push_back(a);
    }
    EXPECT_FALSE(front.empty());
    for (size_t a : front) {
      rank[a] = r;
      done[a] = true;
    }
    remaining -= front.size();
  }
  return rank;
}

// Random points with many ties and duplicates: a coarse grid for half the sets, continuous
// values for the rest, and copies of earlier rows.
std::vector<double> random_points(std::mt19937_64& rng, size_t n, size_t m, bool coarse) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::uniform_int_distribution<int> grid(0, 4);
  std::vector<double> points;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && uniform(rng) < 0.15) {
      size_t copy = std::uniform_int_distribution<size_t>(0, i - 1)(rng);
      for (size_t j = 0; j < m; ++j) points.push_back(points[copy * m + j]);
      continue;
    }
    for (size_t j = 0; j < m; ++j) points.push_back(coarse ? grid(rng) : uniform(rng));
  }
  return points;
}

TEST(NonDominatedSortTest, MatchesPeelingOnRandomPoints) {
  std::mt19937_64 rng(17);
  for (size_t m : {1, 2, 3, 4, 5}) {
    for (int round = 0; round < 40; ++round) {
      size_t n = std::uniform_int_distribution<size_t>(0, 120)(rng);
      std::vector<double> points = random_points(rng, n, m, round % 2 == 0);
      ASSERT_EQ(non_dominated_ranks(points, m), peel_ranks(points, m, {}))
          << "m = " << m << ", round " << round;
    }
  }
}

TEST(NonDominatedSortTest, MatchesPeelingWithViolations) {
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (size_t m : {1, 2, 3, 4}) {
    for (int round = 0; round < 40; ++round) {
      size_t n = std::uniform_int_distribution<size_t>(1, 80)(rng);
      std::vector<double> points = random_points(rng, n, m, round % 2 == 0);
      std::vector<double> violations;
      for (size_t i = 0; i < n; ++i) {
        double u = uniform(rng);
        // Feasible, infeasible with repeated violations, or unknown.
        violations.push_back(u < 0.5 ? 0.0 : u < 0.9 ? std::floor(u * 20) / 4 : kNaN);
      }
      ASSERT_EQ(non_dominated_ranks(points, m, violations), peel_ranks(points, m, violations))
          << "m = " << m << ", round " << round;
    }
  }
}

TEST(NonDominatedSortTest, HandExample) {
  // (1,1) beats everything but the copy of itself; (2,3) and (3,2) tie; (3,3) is dominated by
  // both; (0,5) is on the front through its first objective.
  std::vector<double> points = {1, 1, 2, 3, 3, 2, 3, 3, 1, 1, 0, 5};
  EXPECT_EQ(non_dominated_ranks(points, 2), (std::vector<size_t>{0, 1, 1, 2, 0, 0}));
  EXPECT_EQ(pareto_front_indices(points, 2), (std::vector<size_t>{0, 4, 5}));
  EXPECT_EQ(non_dominated_fronts(points, 2),
            (std::vector<std::vector<size_t>>{{0, 4, 5}, {1, 2}, {3}}));
  EXPECT_TRUE(non_dominated_ranks({}, 2).empty());
  EXPECT_TRUE(pareto_front_indices({}, 3).empty());
}

TEST(NonDominatedSortTest, NanCountsAsWorst) {
  std::vector<double> points = {kNaN, 0, 1, 1, 2, 2};
  // (NaN, 0) is (inf, 0): not dominated by (1,1), which has a larger second objective.
  EXPECT_EQ(non_dominated_ranks(points, 2), (std::vector<size_t>{0, 0, 1}));
  std::vector<double> single = {kNaN, 3, 1};
  EXPECT_EQ(non_dominated_ranks(single, 1), (std::vector<size_t>{2, 1, 0}));
}

TEST(NonDominatedSortTest, RejectsBadShapes) {
  std::vector<double> points = {1, 2, 3};
  EXPECT_THROW(non_dominated_ranks(points, 2), Error);
  EXPECT_THROW(non_dominated_ranks(points, 0), Error);
  std::vector<double> violations = {0, 0};
  EXPECT_THROW(non_dominated_ranks(points, 1, violations), Error);
}

TEST(ConstrainedDominationTest, FollowsDebsRules) {
  std::vector<double> good = {0, 0}, bad = {5, 5};
  // Feasibility beats objectives.
  EXPECT_TRUE(constrained_dominates(bad, 0.0, good, 0.1));
  EXPECT_FALSE(constrained_dominates(good, 0.1, bad, 0.0));
  // Negative violations are feasible too.
  EXPECT_TRUE(constrained_dominates(bad, -1.0, good, 0.5));
  // Two infeasible points: the smaller violation wins; equal ones tie whatever the objectives.
  EXPECT_TRUE(constrained_dominates(bad, 0.2, good, 0.3));
  EXPECT_FALSE(constrained_dominates(good, 0.3, bad, 0.3));
  EXPECT_FALSE(constrained_dominates(bad, 0.3, good, 0.3));
  // Two feasible points: Pareto domination.
  EXPECT_TRUE(constrained_dominates(good, 0.0, bad, 0.0));
  EXPECT_FALSE(constrained_dominates(bad, 0.0, good, 0.0));
  EXPECT_FALSE(constrained_dominates(good, 0.0, good, 0.0));
  // Unknown constraints lose to known ones, even infeasible, and compare by objectives.
  EXPECT_TRUE(constrained_dominates(bad, 9.0, good, kNaN));
  EXPECT_FALSE(constrained_dominates(good, kNaN, bad, 9.0));
  EXPECT_TRUE(constrained_dominates(good, kNaN, bad, kNaN));
}

TEST(ConstrainedDominationTest, TotalViolationSumsPositiveParts) {
  std::vector<double> constraints = {-1, -2, 0.5, -3, 0.25, 1, 0, 0, kNaN, -1};
  std::vector<double> total = total_violations(constraints, 2);
  ASSERT_EQ(total.size(), 5u);
  EXPECT_EQ(total[0], 0.0);
  EXPECT_EQ(total[1], 0.5);
  EXPECT_EQ(total[2], 1.25);
  EXPECT_EQ(total[3], 0.0);
  EXPECT_TRUE(std::isnan(total[4]));
  EXPECT_THROW(total_violations(constraints, 3), Error);
}

TEST(ConstrainedDominationTest, RanksFeasibleThenByViolationThenUnknown) {
  std::vector<double> points = {5, 5, 1, 1, 0, 0, 9, 9, 0, 0, 3, 3, 2, 2};
  std::vector<double> violations = {0, 0.5, 2, 0, 0.5, kNaN, kNaN};
  EXPECT_EQ(non_dominated_ranks(points, 2, violations),
            (std::vector<size_t>{0, 2, 3, 1, 2, 5, 4}));
  EXPECT_EQ(pareto_front_indices(points, 2, violations), (std::vector<size_t>{0}));
  // Nothing feasible: the least violating points form rank 0.
  std::vector<double> none_feasible = {1, 0.5, 2, 3, 0.5, 1, 1};
  EXPECT_EQ(pareto_front_indices(points, 2, none_feasible), (std::vector<size_t>{1, 4}));
}

TEST(CrowdingDistanceTest, HandExample) {
  // Objective 0 spans 10: (2,5) gets (3 - 0) / 10, (3,3) gets (10 - 2) / 10. Objective 1 spans
  // 10: (3,3) gets (5 - 0) / 10, (2,5) gets (10 - 3) / 10.
  std::vector<double> front = {0, 10, 2, 5, 3, 3, 10, 0};
  std::vector<double> distance = crowding_distances(front, 2);
  ASSERT_EQ(distance.size(), 4u);
  EXPECT_EQ(distance[0], kInf);
  EXPECT_NEAR(distance[1], 0.3 + 0.7, 1e-12);
  EXPECT_NEAR(distance[2], 0.8 + 0.5, 1e-12);
  EXPECT_EQ(distance[3], kInf);
}

TEST(CrowdingDistanceTest, MembersAreASubsetInTheirOrder) {
  std::vector<double> points = {100, 100, 10, 0, 3, 3, 0, 10, 2, 5};
  std::vector<size_t> members = {4, 3, 2, 1};
  std::vector<double> distance = crowding_distances(points, 2, members);
  ASSERT_EQ(distance.size(), 4u);
  EXPECT_NEAR(distance[0], 1.0, 1e-12);  // (2,5)
  EXPECT_EQ(distance[1], kInf);          // (0,10)
  EXPECT_NEAR(distance[2], 1.3, 1e-12);  // (3,3)
  EXPECT_EQ(distance[3], kInf);          // (10,0)
  std::vector<size_t> outside = {5};
  EXPECT_THROW(crowding_distances(points, 2, outside), Error);
}

TEST(CrowdingDistanceTest, ConstantObjectiveAddsNothingAndSmallSetsAreBoundaries) {
  // The second objective is constant: only the first one counts.
  std::vector<double> points = {0, 7, 1, 7, 4, 7};
  std::vector<double> distance = crowding_distances(points, 2);
  EXPECT_EQ(distance[0], kInf);
  EXPECT_NEAR(distance[1], 1.0, 1e-12);
  EXPECT_EQ(distance[2], kInf);
  // Every member of a constant set gets 0.
  std::vector<double> same = {1, 1, 1, 1, 1, 1};
  EXPECT_EQ(crowding_distances(same, 2), (std::vector<double>{0, 0, 0}));
  std::vector<double> two = {1, 2, 2, 1};
  EXPECT_EQ(crowding_distances(two, 2), (std::vector<double>{kInf, kInf}));
}

TEST(ToMinimizationTest, NegatesMaximisedObjectivesAndMakesNanWorst) {
  std::vector<Direction> directions = {Direction::kMinimize, Direction::kMaximize};
  std::vector<double> values = {1, 2, kNaN, kNaN, -3, -kInf};
  EXPECT_EQ(to_minimization(values, directions),
            (std::vector<double>{1, -2, kInf, kInf, -3, kInf}));
  std::vector<std::vector<double>> rows = {{1, 2}, {3, 4}};
  EXPECT_EQ(to_minimization(rows, directions), (std::vector<double>{1, -2, 3, -4}));
  std::vector<std::vector<double>> ragged = {{1, 2}, {3}};
  EXPECT_THROW(to_minimization(ragged, directions), Error);
}

}  // namespace
}  // namespace winnow
