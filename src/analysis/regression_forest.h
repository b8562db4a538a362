// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// A random forest of regression trees (Breiman 2001) grown with exact splits, for fANOVA. The
// AutoML forests (src/automl/models/forest.cc) split on 256 quantile bins, which is right for
// prediction but not here: fANOVA integrates the trees over the space, so a split must sit
// between the two trials it separates, not at a bin edge.
//
// Each tree presorts its rows once per feature and keeps, for every node, the node's rows as one
// contiguous run of each feature's sorted order; a split partitions those runs stably. A node
// therefore costs time linear in its rows and features, and a tree O(rows x features x depth).
// Bootstrap duplicates are weights, not copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace winnow {

struct RegressionForestOptions {
  int n_trees = 64;
  int max_depth = 64;
  int min_samples_split = 2;  // weighted rows a node needs to be split
  int min_samples_leaf = 1;   // weighted rows each side of a split keeps
  bool bootstrap = true;
  uint64_t seed = 0;
  int threads = 0;  // 0: one per core
};

struct RegressionTree {
  struct Node {
    int32_t feature = -1;  // -1: a leaf
    double threshold = 0;  // rows with x[feature] <= threshold go left
    int32_t left = -1;
    int32_t right = -1;
    double value = 0;  // mean target of the node's rows
  };
  std::vector<Node> nodes;  // nodes[0] is the root
};

// Calls work(i) for every i in [0, n) on `threads` threads (0: one per core), each taking the
// next i as it finishes one.
void parallel_for(size_t n, int threads, const std::function<void(size_t)>& work);

// Fits `options.n_trees` trees to the `n_rows` x `n_features` matrix `x` (row-major) and the
// targets `y`. The same seed gives the same trees whatever the number of threads.
std::vector<RegressionTree> fit_regression_forest(std::span<const double> x, size_t n_features,
                                                  std::span<const double> y,
                                                  const RegressionForestOptions& options);

}  // namespace winnow
