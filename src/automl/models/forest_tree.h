// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// How the forests of forest.cc grow their trees: the training data cut into quantile bins once,
// and a builder that grows one tree from a seed by histogram split search (forest.cc says why).
// Used by forest.cc alone.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "automl/models/model.h"

namespace winnow::automl::forest {

constexpr int kMaxBins = 255;
constexpr int kBitmapWords = 4;  // 256 bits, one per bin

struct ForestOptions {
  bool extra_trees = false;
  int n_trees = 300;
  double max_features = 1.0;  // fraction of the columns sampled at each node
  int min_samples_leaf = 1;
  int max_depth = 0;  // 0 = unlimited
  bool entropy = false;
  bool bootstrap = true;
};

// A tree node in 12 bytes. Split: feature >= 0, rows with x[feature] <= threshold go to child,
// the others to child + 1. Leaf: feature == -1; the value is `threshold` itself (regression,
// or P(class 1) for binary tasks), or n_classes numbers from leaf_values[child] (multiclass).
struct Node {
  int32_t feature = -1;
  float threshold = 0.0f;
  int32_t child = 0;
};

struct Tree {
  std::vector<Node> nodes;
  std::vector<float> leaf_values;
};

// The training data as the tree builders read it.
struct BinnedData {
  size_t rows = 0;
  size_t features = 0;
  std::vector<uint8_t> bins;                   // column-major: bins[f * rows + r]
  std::vector<std::vector<float>> thresholds;  // per feature: bin b holds x <= thresholds[f][b]
  std::vector<int32_t> usable;                 // features with at least two bins
  int n_classes = 0;                           // 0 for regression
  const int32_t* labels = nullptr;
  const double* values = nullptr;
};

// The builders' threads for `jobs` pieces of work and at most `threads` threads (at least one).
size_t worker_count(size_t jobs, int threads);

// Every feature of `x` cut into at most kMaxBins quantile bins.
BinnedData bin_data(const Matrix& x, const FitControl& control);

// Runs body(worker, i) for i in [0, n) on `workers` threads (worker in [0, workers)); after
// the first exception no new i starts, and that exception is rethrown.
template <class Body>
void parallel_for(size_t n, size_t workers, Body body) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](size_t worker) {
    for (size_t i; !failed && (i = next++) < n;) {
      try {
        body(worker, i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

// Grows one tree at a time; one builder per thread, reused across that thread's trees.
class TreeBuilder {
 public:
  TreeBuilder(const BinnedData& data, const ForestOptions& options);

  // A tree grown on a bootstrap sample (or every row) drawn with `seed`.
  Tree build(uint64_t seed);

 private:
  // One row in the tree's sample: its bootstrap count and its target (the label for
  // classification), kept beside the row so histograms read the node's rows in order.
  struct Sample { int32_t row; int32_t weight; double y; };
  struct Split { int32_t feature = -1; int bin = 0; double score = 0.0; };

  double target(size_t row) const;

  // The node's weight and class totals (or target sum); true when it cannot be split further.
  bool compute_totals(size_t begin, size_t end);

  void make_leaf(Tree& tree, int32_t index);

  // Scores the boundaries after the occupied bins up to `last`: after each of them (random
  // forest), or only after `last` itself (extra trees). The proxies, larger is better:
  // s_L^2 / n_L + s_R^2 / n_R (variance reduction), sum_c n_Lc^2 / n_L + (same for R) (Gini),
  // sum_c n_Lc log(n_Lc / n_L) + (same for R) (entropy: minus n times the entropy).
  void scan(int32_t f, int last, bool only_last, Split& best);

  Split find_split(size_t begin, size_t end);

  void fill_histogram(int32_t f, size_t begin, size_t end);

  void clear_histogram();

  const BinnedData& data_;
  const ForestOptions& options_;
  const int k_;
  size_t mtry_ = 1;
  std::mt19937_64 rng_;
  std::vector<int32_t> features_;
  std::vector<Sample> samples_, scratch_;
  std::vector<int32_t> class_hist_;  // [bin][class]
  std::vector<int32_t> bin_weight_;
  std::vector<double> bin_sum_;
  uint64_t bitmap_[kBitmapWords] = {0, 0, 0, 0};  // occupied bins of the current histogram
  std::vector<double> totals_, left_;
  double weight_ = 0.0, sum_ = 0.0;
};

}  // namespace winnow::automl::forest
