// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// A random forest of regression trees that predicts a mean and a variance: the surrogate model
// of SMAC (Hutter, Hoos & Leyton-Brown, "Sequential model-based optimization for general
// algorithm configuration", LION 2011, section 4.3), as SMAC3 builds it on pyrfr
// (github.com/automl/random_forest_run). The "rf" sampler fits it to configurations; it knows
// nothing of search spaces, so it can equally be fitted to rows of [configuration | instance
// features] for algorithm configuration.
//
// The one idea: trees grown on bootstrap samples down to small leaves agree where the data pin
// the function down and disagree elsewhere, so the spread of their predictions serves as the
// model's uncertainty. Unlike a Gaussian process it copes with categorical features, large
// jumps and many rows (a fit costs O(trees x rows log rows x features x depth)).
//
// Splits follow pyrfr's RSS split: on a numeric feature, the best cut between two neighbouring
// values, placed uniformly at random in the gap (so the trees' steps do not all sit at one
// point and their mean varies smoothly between observations); on a categorical feature, the
// categories present sorted by their mean target and the best prefix of that order sent left
// (optimal for squared error, Breiman et al. 1984), categories absent from the node sent to a
// random side.
//
// Contract: fit() replaces the model; predict() is const and safe to call from many threads
// once fit() has returned. The same rows, options and seed give bit-identical predictions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace winnow {

struct RandomForestSurrogateOptions {
  // Trees in the forest. Default: 10 (SMAC).
  int n_trees = 10;
  // Fraction of the features tried at each split: max(1, floor(ratio * features)), and more, in
  // a random order, until one of them can split the node. Default: 1.0 (SMAC3's
  // hyperparameter-optimisation facade; its algorithm-configuration facade uses 5/6).
  double ratio_features = 1.0;
  // Rows (counted with their bootstrap multiplicity) a node needs to be split. Default: 2
  // (SMAC3's HPO facade; its algorithm-configuration facade uses 3).
  int min_samples_split = 2;
  // Rows each side of a split keeps. Default: 1 (HPO facade; algorithm configuration: 3).
  int min_samples_leaf = 1;
  // Deepest level a node may be split at; 0 = unlimited. Default: 0 (the HPO facade's 2^20;
  // algorithm configuration: 20).
  int max_depth = 0;
  // Each tree is grown on n rows drawn with replacement (true) or on every row (false).
  // Default: true.
  bool bootstrap = true;
  // The targets are logarithms of the modelled quantity (a log runtime, a log-scaled cost): a
  // leaf then predicts the log of the mean of exp(y) over its rows, so a forest fitted on log
  // costs averages costs, not log costs (SMAC's log_y; Hutter et al. 2009, "An experimental
  // investigation of model-based parameter optimisation: SPO and beyond"). Default: false.
  bool log_y = false;
  // The predictive variance: false, the variance of the trees' predictions (SMAC's default);
  // true, by the law of total variance, that plus the mean of the variances of the targets in
  // the leaves reached (pyrfr's compute_law_of_total_variance), which keeps noise in the data
  // visible where the trees agree. Default: false.
  bool total_variance = false;
  // Per feature: 0 for a numeric feature, k > 0 for a categorical one whose values are the
  // integers 0 .. k-1 (stored as doubles). Empty: every feature is numeric.
  std::vector<uint32_t> categories;
  // The seed of the bootstrap samples, feature orders and cut points.
  uint64_t seed = 0;
};

class RandomForestSurrogate {
 public:
  // The variance never goes below this (SMAC's VERY_SMALL_NUMBER), so an acquisition can divide
  // by its square root.
  static constexpr double kVarianceFloor = 1e-10;

  // Fits the forest to the y.size() rows of `x` (row-major, `n_features` finite values per row;
  // categorical values must be integers below their category count) and targets `y`, replacing
  // any earlier fit. Throws winnow::Error naming the option and the rule for invalid options;
  // rows that do not match n_features, an empty y or out-of-range categories are caller bugs
  // (asserted).
  void fit(std::span<const double> x, size_t n_features, std::span<const double> y,
           const RandomForestSurrogateOptions& options = {});

  // The mean over the trees of their predictions at `x` (n_features values) and the variance
  // chosen by options.total_variance, at least kVarianceFloor. Requires fitted().
  std::pair<double, double> predict(std::span<const double> x) const;

  // The prediction averaged over several rows, as SMAC predicts a configuration's cost across
  // instances (pyrfr's predict_marginalized_over_instances): each tree's mean leaf value over
  // the rows (with log_y, the log of the mean of exp, a mean cost), then the mean and variance
  // over the trees as predict() gives them. `rows`: one or more rows of n_features values.
  std::pair<double, double> predict_marginal(std::span<const double> rows) const;

  bool fitted() const { return !trees_.empty(); }
  size_t n_features() const { return n_features_; }

 private:
  struct Node {
    int32_t feature = -1;     // -1: a leaf
    double threshold = 0.0;   // numeric split: x[feature] <= threshold goes left
    int32_t categories = -1;  // categorical split: offset in Tree::goes_left of its k flags
    int32_t left = -1;
    int32_t right = -1;
    double value = 0.0;     // leaf: mean target (log_y: log of the mean of exp(target))
    double variance = 0.0;  // leaf: variance of the targets of its rows
  };
  struct Tree {
    std::vector<Node> nodes;       // nodes[0] is the root
    std::vector<uint8_t> goes_left;  // the flags of every categorical split, back to back
  };
  class Grower;

  const Node& leaf(const Tree& tree, std::span<const double> x) const;

  std::vector<Tree> trees_;
  std::vector<uint32_t> categories_;
  size_t n_features_ = 0;
  bool total_variance_ = false;
  bool log_y_ = false;
};

}  // namespace winnow
