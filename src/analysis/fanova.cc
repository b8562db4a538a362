// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// fANOVA's decomposition of one regression tree (Hutter et al. 2014, section 3): a tree is
// constant on each leaf's box, so under the uniform measure on [0, 1]^d its mean is
// sum_l vol_l v_l and its variance sum_l vol_l v_l^2 - mean^2. The marginal over feature i,
// f_i(t) = E[tree | x_i = t], is a step function: each leaf whose box spans t on axis i adds
// v_l vol_l / width_l,i. Sweeping the leaves' edges along axis i in order gives it exactly, and
// the main effect's variance is the integral of f_i^2 minus mean^2. That is O(L log L) per
// feature for L leaves, where the paper's (and Optuna's) evaluation of the marginal at every
// split midpoint costs O(splits x L).
#include <algorithm>
#include <cmath>

#include "analysis/importance_methods.h"
#include "analysis/regression_forest.h"

namespace winnow {
namespace {

struct Leaf {
  double value;
  double volume;
};

// Every leaf of `tree` with its box (lower and upper corners, `d` numbers each) and volume.
void collect_leaves(const RegressionTree& tree, size_t d, std::vector<Leaf>& leaves,
                    std::vector<double>& lower, std::vector<double>& upper) {
  std::vector<double> lo(d, 0.0), hi(d, 1.0);
  // Depth-first, restoring the box on the way back up.
  auto visit = [&](auto&& self, int32_t index) -> void {
    const RegressionTree::Node& node = tree.nodes[index];
    if (node.feature < 0) {
      double volume = 1;
      for (size_t f = 0; f < d; ++f) volume *= hi[f] - lo[f];
      if (volume <= 0) return;  // a split outside [0, 1] leaves an empty side
      leaves.push_back({node.value, volume});
      lower.insert(lower.end(), lo.begin(), lo.end());
      upper.insert(upper.end(), hi.begin(), hi.end());
      return;
    }
    const size_t f = node.feature;
    const double saved_hi = hi[f], saved_lo = lo[f];
    const double cut = std::clamp(node.threshold, lo[f], hi[f]);
    hi[f] = cut;
    self(self, node.left);
    hi[f] = saved_hi;
    lo[f] = cut;
    self(self, node.right);
    lo[f] = saved_lo;
  };
  visit(visit, 0);
}

// Main-effect variance fractions of one tree, or empty when the tree is constant.
std::vector<double> tree_fractions(const RegressionTree& tree, size_t d) {
  std::vector<Leaf> leaves;
  std::vector<double> lower, upper;
  collect_leaves(tree, d, leaves, lower, upper);
  double mean = 0, second_moment = 0;
  for (const Leaf& leaf : leaves) {
    mean += leaf.volume * leaf.value;
    second_moment += leaf.volume * leaf.value * leaf.value;
  }
  const double variance = second_moment - mean * mean;
  if (!(variance > 1e-14 * std::max(1.0, second_moment))) return {};
  std::vector<double> fractions(d, 0.0);
  std::vector<std::pair<double, double>> edges;  // (position, change of the marginal)
  for (size_t f = 0; f < d; ++f) {
    edges.clear();
    for (size_t l = 0; l < leaves.size(); ++l) {
      double width = upper[l * d + f] - lower[l * d + f];
      double height = leaves[l].value * leaves[l].volume / width;
      edges.emplace_back(lower[l * d + f], height);
      edges.emplace_back(upper[l * d + f], -height);
    }
    std::sort(edges.begin(), edges.end());
    double integral = 0, height = 0, position = 0;
    for (const auto& [at, change] : edges) {
      integral += height * height * (at - position);
      position = at;
      height += change;
    }
    fractions[f] = std::clamp((integral - mean * mean) / variance, 0.0, 1.0);
  }
  return fractions;
}

}  // namespace

FanovaFractions fanova_fractions(std::span<const double> x, size_t n_features,
                                 std::span<const double> y, const ImportanceOptions& options) {
  RegressionForestOptions forest_options;
  forest_options.n_trees = options.n_trees;
  forest_options.max_depth = options.max_depth;
  forest_options.min_samples_split = options.min_samples_split;
  forest_options.min_samples_leaf = options.min_samples_leaf;
  forest_options.seed = options.seed;
  forest_options.threads = options.threads;
  const std::vector<RegressionTree> trees = fit_regression_forest(x, n_features, y,
                                                                  forest_options);
  std::vector<std::vector<double>> per_tree(trees.size());
  parallel_for(trees.size(), options.threads,
               [&](size_t t) { per_tree[t] = tree_fractions(trees[t], n_features); });

  FanovaFractions result{std::vector<double>(n_features, 0.0),
                         std::vector<double>(n_features, 0.0)};
  size_t varying = 0;
  for (const std::vector<double>& fractions : per_tree) {
    if (fractions.empty()) continue;
    ++varying;
    for (size_t f = 0; f < n_features; ++f) result.mean[f] += fractions[f];
  }
  if (varying == 0) return result;
  for (size_t f = 0; f < n_features; ++f) result.mean[f] /= static_cast<double>(varying);
  for (const std::vector<double>& fractions : per_tree) {
    if (fractions.empty()) continue;
    for (size_t f = 0; f < n_features; ++f) {
      double deviation = fractions[f] - result.mean[f];
      result.std[f] += deviation * deviation;
    }
  }
  for (size_t f = 0; f < n_features; ++f) {
    result.std[f] = std::sqrt(result.std[f] / static_cast<double>(varying));
  }
  return result;
}

}  // namespace winnow
