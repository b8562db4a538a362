// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Exact hypervolumes and contributions against a brute force over grid cells, known values,
// and the Monte Carlo estimate against the exact value.
#include "analysis/hypervolume.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "winnow/error.h"

namespace winnow {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct BruteForce {
  double volume = 0;
  std::vector<double> exclusive;  // per point: cells no other point dominates
};

// The dominated region is a union of cells of the grid whose lines are the distinct coordinates
// of the points and the reference; a cell belongs to it when a point is no worse than the cell's
// lower corner. O(n^m * n * m): exact and independent of the algorithms under test.
BruteForce brute_force(const std::vector<double>& points, size_t m,
                       const std::vector<double>& reference) {
  size_t n = points.size() / m;
  std::vector<size_t> inside;
  for (size_t i = 0; i < n; ++i) {
    bool in = true;
    for (size_t j = 0; j < m; ++j) in = in && points[i * m + j] < reference[j];
    if (in) inside.push_back(i);
  }
  std::vector<std::vector<double>> lines(m);
  for (size_t j = 0; j < m; ++j) {
    for (size_t i : inside) lines[j].push_back(points[i * m + j]);
    lines[j].push_back(reference[j]);
    std::sort(lines[j].begin(), lines[j].end());
    lines[j].erase(std::unique(lines[j].begin(), lines[j].end()), lines[j].end());
  }
  BruteForce result{0, std::vector<double>(n, 0.0)};
  std::vector<size_t> cell(m, 0);
  for (size_t j = 0; j < m; ++j) {
    if (lines[j].size() < 2) return result;
  }
  while (true) {
    double volume = 1;
    for (size_t j = 0; j < m; ++j) volume *= lines[j][cell[j] + 1] - lines[j][cell[j]];
    size_t dominators = 0, last = 0;
    for (size_t i : inside) {
      bool covers = true;
      for (size_t j = 0; j < m && covers; ++j) covers = points[i * m + j] <= lines[j][cell[j]];
      if (covers) {
        ++dominators;
        last = i;
      }
    }
    if (dominators > 0) result.volume += volume;
    if (dominators == 1) result.exclusive[last] += volume;
    size_t j = 0;
    while (j < m && ++cell[j] + 1 == lines[j].size()) cell[j++] = 0;
    if (j == m) break;
  }
  return result;
}

// Random sets in [0, 1)^m, the reference being (1, ..., 1), with duplicates, ties (coarse grid
// values), dominated points and some points with one coordinate on or beyond the reference.
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
    for (size_t j = 0; j < m; ++j) points.push_back(coarse ? grid(rng) / 5.0 : uniform(rng));
    if (uniform(rng) < 0.1) {
      size_t j = std::uniform_int_distribution<size_t>(0, m - 1)(rng);
      points[i * m + j] = uniform(rng) < 0.5 ? 1.0 : 1.0 + uniform(rng);
    }
  }
  return points;
}

void expect_relative(double actual, double expected, double tolerance, const char* what) {
  EXPECT_NEAR(actual, expected, tolerance * std::max(1.0, std::abs(expected))) << what;
}

void check_against_brute_force(size_t m, size_t max_points, int rounds, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> reference(m, 1.0);
  for (int round = 0; round < rounds; ++round) {
    size_t n = std::uniform_int_distribution<size_t>(0, max_points)(rng);
    std::vector<double> points = random_points(rng, n, m, round % 2 == 0);
    BruteForce expected = brute_force(points, m, reference);
    SCOPED_TRACE("m = " + std::to_string(m) + ", round " + std::to_string(round) + ", n = " +
                 std::to_string(n));
    expect_relative(exact_hypervolume(points, m, reference), expected.volume, 1e-9, "volume");
    HypervolumeResult result = hypervolume(points, m, reference);
    EXPECT_TRUE(result.exact);
    expect_relative(result.value, expected.volume, 1e-9, "hypervolume()");
    std::vector<double> contributions = hypervolume_contributions(points, m, reference);
    ASSERT_EQ(contributions.size(), n);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_NEAR(contributions[i], expected.exclusive[i], 1e-9 * std::max(1.0, expected.volume))
          << "contribution of point " << i;
    }
  }
}

TEST(HypervolumeTest, TwoObjectivesMatchBruteForce) { check_against_brute_force(2, 40, 200, 1); }
TEST(HypervolumeTest, ThreeObjectivesMatchBruteForce) { check_against_brute_force(3, 24, 150, 2); }
TEST(HypervolumeTest, FourObjectivesMatchBruteForce) { check_against_brute_force(4, 13, 100, 3); }
TEST(HypervolumeTest, FiveObjectivesMatchBruteForce) { check_against_brute_force(5, 9, 60, 4); }
TEST(HypervolumeTest, OneObjectiveMatchesBruteForce) { check_against_brute_force(1, 10, 50, 5); }

TEST(HypervolumeTest, KnownValues) {
  // One point: its box.
  EXPECT_DOUBLE_EQ(exact_hypervolume(std::vector<double>{1, 2, 3}, 3, std::vector<double>{4, 4, 4}),
                   6.0);
  // A staircase by hand: strips of 3, 2 and 1.
  std::vector<double> stairs = {1, 3, 2, 2, 3, 1};
  EXPECT_DOUBLE_EQ(exact_hypervolume(stairs, 2, std::vector<double>{4, 4}), 6.0);
  // Two points by hand: boxes of 3 * 1 and 1 * 2 sharing [3, 4] x [3, 4].
  std::vector<double> two = {1, 3, 3, 2};
  EXPECT_DOUBLE_EQ(exact_hypervolume(two, 2, std::vector<double>{4, 4}), 4.0);
  // The unit vectors with the reference at 2: the cube [0, 2]^m but the unit cube, 2^m - 1;
  // each vector alone covers one unit cell.
  for (size_t m = 1; m <= 6; ++m) {
    std::vector<double> points(m * m, 0.0);
    for (size_t i = 0; i < m; ++i) points[i * m + i] = 1;
    std::vector<double> reference(m, 2.0);
    EXPECT_DOUBLE_EQ(exact_hypervolume(points, m, reference), std::ldexp(1.0, int(m)) - 1) << m;
    std::vector<double> contributions = hypervolume_contributions(points, m, reference);
    for (size_t i = 0; i < m; ++i) {
      EXPECT_DOUBLE_EQ(contributions[i], 1.0) << m;
    }
  }
}

TEST(HypervolumeTest, PointsOnOrBeyondTheReferenceAddNothing) {
  std::vector<double> reference = {1, 1, 1};
  std::vector<double> points = {0.5, 0.5, 1.0, 2, 0, 0, kNaN, 0, 0, 0.5, kInf, 0};
  EXPECT_EQ(exact_hypervolume(points, 3, reference), 0.0);
  EXPECT_EQ(hypervolume_contributions(points, 3, reference), (std::vector<double>(4, 0.0)));
  EXPECT_EQ(exact_hypervolume({}, 3, reference), 0.0);
  std::vector<double> unbounded = {-kInf, 0.5, 0.5};
  EXPECT_EQ(exact_hypervolume(unbounded, 3, reference), kInf);
  EXPECT_THROW(hypervolume_contributions(unbounded, 3, reference), Error);
}

TEST(HypervolumeTest, RejectsBadArguments) {
  std::vector<double> points = {0, 0, 0, 0};
  EXPECT_THROW(exact_hypervolume(points, 3, std::vector<double>{1, 1, 1}), Error);
  EXPECT_THROW(exact_hypervolume(points, 2, std::vector<double>{1, 1, 1}), Error);
  EXPECT_THROW(exact_hypervolume(points, 2, std::vector<double>{1, kInf}), Error);
  EXPECT_THROW(hypervolume(points, 2, std::vector<double>{1, 1}, {.monte_carlo_samples = 0}),
               Error);
}

// Points evenly spread over the positive orthant of the unit sphere (the DTLZ2 front).
std::vector<double> sphere_points(std::mt19937_64& rng, size_t n, size_t m) {
  std::normal_distribution<double> normal;
  std::vector<double> points;
  for (size_t i = 0; i < n; ++i) {
    std::vector<double> x(m);
    double norm = 0;
    for (double& v : x) {
      v = std::abs(normal(rng));
      norm += v * v;
    }
    for (double v : x) points.push_back(v / std::sqrt(norm));
  }
  return points;
}

TEST(HypervolumeTest, SphereFrontApproachesTheOrthantComplement) {
  // With the reference at (1, ..., 1) a dense sphere front dominates nearly all of the unit cube
  // outside the ball: 1 - pi / 4 in 2-D, 1 - pi / 6 in 3-D. Every finite set stays below.
  std::mt19937_64 rng(7);
  std::vector<double> quarter;
  for (int i = 0; i <= 2000; ++i) {
    double angle = std::numbers::pi / 2 * i / 2000;
    quarter.push_back(std::cos(angle));
    quarter.push_back(std::sin(angle));
  }
  double area = exact_hypervolume(quarter, 2, std::vector<double>{1, 1});
  EXPECT_LT(area, 1 - std::numbers::pi / 4);
  EXPECT_GT(area, 1 - std::numbers::pi / 4 - 1e-3);
  double volume = exact_hypervolume(sphere_points(rng, 20000, 3), 3, std::vector<double>{1, 1, 1});
  EXPECT_LT(volume, 1 - std::numbers::pi / 6);
  EXPECT_GT(volume, 1 - std::numbers::pi / 6 - 0.01);
}

TEST(HypervolumeTest, FourObjectivesWithAConstantOneAreThreeTimesASlab) {
  // Beyond brute-force sizes: WFG in 4-D on points sharing their last objective must equal the
  // slab depth times HV3D of the first three.
  std::mt19937_64 rng(11);
  for (size_t n : {50, 200, 400}) {
    std::vector<double> three = sphere_points(rng, n, 3);
    std::vector<double> four;
    for (size_t i = 0; i < n; ++i) {
      four.insert(four.end(), three.begin() + 3 * i, three.begin() + 3 * i + 3);
      four.push_back(0.25);
    }
    double expected = 0.75 * exact_hypervolume(three, 3, std::vector<double>{1.1, 1.1, 1.1});
    double actual = exact_hypervolume(four, 4, std::vector<double>{1.1, 1.1, 1.1, 1.0});
    EXPECT_NEAR(actual, expected, 1e-9 * expected) << n;
  }
}

TEST(HypervolumeTest, ObjectiveOrderDoesNotMatter) {
  std::mt19937_64 rng(13);
  std::vector<double> points = sphere_points(rng, 150, 5);
  std::vector<double> reference = {1.1, 1.2, 1.3, 1.4, 1.5};
  double volume = exact_hypervolume(points, 5, reference);
  std::vector<size_t> perm = {3, 0, 4, 2, 1};
  std::vector<double> permuted, permuted_reference;
  for (size_t i = 0; i < 150; ++i) {
    for (size_t j : perm) permuted.push_back(points[i * 5 + j]);
  }
  for (size_t j : perm) permuted_reference.push_back(reference[j]);
  EXPECT_NEAR(exact_hypervolume(permuted, 5, permuted_reference), volume, 1e-10 * volume);
}

TEST(HypervolumeContributionTest, EachEqualsTheVolumeLostWithoutIt) {
  // The definition, HV(S) - HV(S without i), on sets larger than the brute force handles.
  std::mt19937_64 rng(19);
  for (size_t m : {2, 3, 4}) {
    size_t n = m == 4 ? 40 : 120;
    std::vector<double> points = random_points(rng, n, m, false);
    std::vector<double> reference(m, 1.0);
    double total = exact_hypervolume(points, m, reference);
    std::vector<double> contributions = hypervolume_contributions(points, m, reference);
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      std::vector<double> without = points;
      without.erase(without.begin() + i * m, without.begin() + (i + 1) * m);
      double lost = total - exact_hypervolume(without, m, reference);
      EXPECT_NEAR(contributions[i], lost, 1e-10) << "m = " << m << ", point " << i;
      EXPECT_GE(contributions[i], 0.0);
      sum += contributions[i];
    }
    // Exclusive parts are disjoint pieces of the whole.
    EXPECT_LE(sum, total * (1 + 1e-12));
  }
}

TEST(HypervolumeContributionTest, TwoObjectivesByHand) {
  // By hand, the exclusive parts of (1,3), (2,2), (3,1) under (4,4) are the unit squares
  // [1,2] x [3,4], [2,3] x [2,3] and [3,4] x [1,2].
  std::vector<double> stairs = {1, 3, 2, 2, 3, 1};
  EXPECT_EQ(hypervolume_contributions(stairs, 2, std::vector<double>{4, 4}),
            (std::vector<double>{1, 1, 1}));
  // A dominated point inside (2,2)'s exclusive part takes from it; the copy of (1,3) zeroes both.
  std::vector<double> more = {1, 3, 2, 2, 3, 1, 2.5, 2.5, 1, 3};
  EXPECT_EQ(hypervolume_contributions(more, 2, std::vector<double>{4, 4}),
            (std::vector<double>{0, 0.75, 1, 0, 0}));
}

TEST(HypervolumeEstimateTest, WithinAFewStandardErrorsOfTheExactValue) {
  std::mt19937_64 rng(29);
  for (size_t m : {4, 5}) {
    std::vector<double> points = sphere_points(rng, 200, m);
    std::vector<double> reference(m, 1.1);
    double exact = exact_hypervolume(points, m, reference);
    HypervolumeOptions options{.max_exact_points = 100, .monte_carlo_samples = 200000, .seed = 3};
    HypervolumeResult estimate = hypervolume(points, m, reference, options);
    EXPECT_FALSE(estimate.exact);
    EXPECT_GT(estimate.standard_error, 0.0);
    EXPECT_LT(estimate.standard_error, 0.01 * exact);
    EXPECT_NEAR(estimate.value, exact, 4 * estimate.standard_error) << "m = " << m;
    // Same seed, same estimate; the default options stay exact at this size.
    EXPECT_EQ(hypervolume(points, m, reference, options).value, estimate.value);
    HypervolumeResult exact_result = hypervolume(points, m, reference);
    EXPECT_TRUE(exact_result.exact);
    EXPECT_EQ(exact_result.standard_error, 0.0);
    EXPECT_DOUBLE_EQ(exact_result.value, exact);
  }
}

TEST(ReferencePointTest, WorstPlusATenthOfTheRange) {
  std::vector<double> points = {0, 10, 4, -5, 2, kNaN, 1, kInf};
  std::vector<double> reference = default_reference_point(points, 2);
  EXPECT_DOUBLE_EQ(reference[0], 4.4);   // worst 4, range 4
  EXPECT_DOUBLE_EQ(reference[1], 11.5);  // worst 10, range 15; NaN and infinity ignored
  // A single value: a tenth of its magnitude, or 1 at zero; no finite value: 1.
  EXPECT_EQ(default_reference_point(std::vector<double>{-20, 0, kNaN}, 3),
            (std::vector<double>{-18, 1, 1}));
  // Shifting an objective shifts the reference with it.
  std::vector<double> shifted = {100, 10, 104, -5, 102, kNaN, 101, kInf};
  EXPECT_DOUBLE_EQ(default_reference_point(shifted, 2)[0], 104.4);
  // Another margin scales the distance (the TPE sampler uses half the range).
  EXPECT_DOUBLE_EQ(default_reference_point(points, 2, 0.5)[0], 6.0);
  EXPECT_DOUBLE_EQ(default_reference_point(points, 2, 0.5)[1], 17.5);
  EXPECT_EQ(default_reference_point(std::vector<double>{-20, 0, kNaN}, 3, 0.5),
            (std::vector<double>{-10, 1, 1}));
  // Always strictly worse, so every finite point counts.
  // ... even when the range overflows.
  std::vector<double> huge = {1e300, 1.7e308, -1e308, -1.7e308};
  std::vector<double> r = default_reference_point(huge, 2);
  EXPECT_GT(r[0], 1e300);
  EXPECT_GT(r[1], 1.7e308);
  EXPECT_TRUE(std::isfinite(r[1]));
}

}  // namespace
}  // namespace winnow
