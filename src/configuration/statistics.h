// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The tests racing eliminates configurations with, as irace applies them: blocks are
// instances (positions of the instance stream), treatments are configurations, and lower
// cost is better.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace winnow::configuration {

struct EliminationResult {
  // survivors[j] is false for a configuration the test eliminates.
  std::vector<bool> survivors;
  double p_value = 1;   // of the omnibus test (Friedman), or of the pairwise test for two
  std::string test;     // "Friedman", "Wilcoxon", "t": named in the elimination reason
};

// costs[j][b]: configuration j's cost on block b; every row has the same length (>= 2 blocks).
// Friedman's test over the rank sums; when it rejects equality at `alpha`, every
// configuration whose rank sum exceeds the best one's by more than Conover's critical
// difference is eliminated. Two configurations: Wilcoxon's signed-rank test. Infinite costs
// (failures) rank last.
EliminationResult friedman_elimination(const std::vector<std::vector<double>>& costs,
                                       double alpha);

// Paired t-tests of each configuration against the one with the lowest mean; a configuration
// whose mean is significantly higher (two-sided, at `alpha`, no multiplicity correction, as
// irace's "t-test") is eliminated. Infinite costs are replaced by the largest finite cost of
// the block times 10, so a failure counts as much worse without breaking the arithmetic.
EliminationResult ttest_elimination(const std::vector<std::vector<double>>& costs, double alpha);

// Ranks of `values` (1 = smallest), ties get their average rank.
std::vector<double> average_ranks(const std::vector<double>& values);

}  // namespace winnow::configuration
