// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "analysis/regression_forest.h"

#include <algorithm>
#include <atomic>
#include <numeric>
#include <random>
#include <thread>

namespace winnow {
namespace {

class TreeGrower {
 public:
  TreeGrower(std::span<const double> x, size_t n_features, std::span<const double> y,
             const std::vector<std::vector<int32_t>>& presorted,
             const RegressionForestOptions& options, uint64_t seed)
      : x_(x), d_(n_features), y_(y), options_(options), engine_(seed),
        weight_(y.size(), 0), goes_left_(y.size(), 0) {
    const size_t n = y.size();
    if (options.bootstrap) {
      std::uniform_int_distribution<size_t> pick(0, n - 1);
      for (size_t i = 0; i < n; ++i) ++weight_[pick(engine_)];
    } else {
      std::fill(weight_.begin(), weight_.end(), 1);
    }
    // Each feature's sorted order restricted to the rows drawn: the root's runs.
    sorted_.resize(d_);
    for (size_t f = 0; f < d_; ++f) {
      sorted_[f].reserve(n);
      for (int32_t row : presorted[f]) {
        if (weight_[row] > 0) sorted_[f].push_back(row);
      }
    }
    buffer_.resize(sorted_.empty() ? 0 : sorted_[0].size());
    feature_order_.resize(d_);
    std::iota(feature_order_.begin(), feature_order_.end(), 0);
  }

  RegressionTree grow() {
    RegressionTree tree;
    const size_t rows = d_ > 0 ? sorted_[0].size() : 0;
    tree.nodes.emplace_back();
    struct Pending {
      int32_t node;
      size_t begin, end;
      int depth;
    };
    std::vector<Pending> stack{{0, 0, rows, 0}};
    while (!stack.empty()) {
      Pending p = stack.back();
      stack.pop_back();
      Split split = best_split(p.begin, p.end, p.depth);
      tree.nodes[p.node].value = split.mean;
      if (split.feature < 0) continue;
      size_t middle = partition(p.begin, p.end, split);
      auto left = static_cast<int32_t>(tree.nodes.size());
      tree.nodes.emplace_back();
      tree.nodes.emplace_back();
      RegressionTree::Node& node = tree.nodes[p.node];
      node.feature = split.feature;
      node.threshold = split.threshold;
      node.left = left;
      node.right = left + 1;
      stack.push_back({left + 1, middle, p.end, p.depth + 1});
      stack.push_back({left, p.begin, middle, p.depth + 1});
    }
    return tree;
  }

 private:
  struct Split {
    int32_t feature = -1;
    double threshold = 0;
    double mean = 0;
  };

  double feature_value(int32_t row, size_t feature) const { return x_[row * d_ + feature]; }

  // The split of [begin, end) that most reduces the weighted squared error: it maximises
  // sum_left^2 / w_left + sum_right^2 / w_right. Features are tried in a random order and a later
  // one wins only when strictly better, so ties do not always favour the first feature.
  Split best_split(size_t begin, size_t end, int depth) {
    Split best;
    double total_weight = 0, total_sum = 0;
    double low_y = 0, high_y = 0;
    bool first = true;
    for (size_t i = begin; i < end; ++i) {
      int32_t row = sorted_[0][i];
      double w = weight_[row];
      total_weight += w;
      total_sum += w * y_[row];
      if (first || y_[row] < low_y) low_y = y_[row];
      if (first || y_[row] > high_y) high_y = y_[row];
      first = false;
    }
    best.mean = total_weight > 0 ? total_sum / total_weight : 0;
    if (depth >= options_.max_depth || total_weight < options_.min_samples_split ||
        high_y - low_y <= 1e-12 * std::max(1.0, std::abs(best.mean))) {
      return best;
    }
    double best_score = total_sum * total_sum / total_weight * (1 + 1e-12);
    std::shuffle(feature_order_.begin(), feature_order_.end(), engine_);
    const double min_leaf = options_.min_samples_leaf;
    for (size_t f : feature_order_) {
      const std::vector<int32_t>& order = sorted_[f];
      double left_weight = 0, left_sum = 0;
      for (size_t i = begin; i + 1 < end; ++i) {
        int32_t row = order[i];
        left_weight += weight_[row];
        left_sum += weight_[row] * y_[row];
        double here = feature_value(row, f), next = feature_value(order[i + 1], f);
        if (next <= here) continue;  // equal values cannot be separated
        double right_weight = total_weight - left_weight;
        if (left_weight < min_leaf || right_weight < min_leaf) continue;
        double right_sum = total_sum - left_sum;
        double score = left_sum * left_sum / left_weight + right_sum * right_sum / right_weight;
        if (score > best_score) {
          best_score = score;
          best.feature = static_cast<int32_t>(f);
          best.threshold = here + 0.5 * (next - here);
          if (best.threshold >= next) best.threshold = here;  // halfway rounded up to `next`
        }
      }
    }
    return best;
  }

  // Reorders every feature's run of [begin, end) so the split's left rows come first, keeping
  // each side sorted; returns where the right side starts.
  size_t partition(size_t begin, size_t end, const Split& split) {
    for (size_t i = begin; i < end; ++i) {
      int32_t row = sorted_[0][i];
      goes_left_[row] = feature_value(row, split.feature) <= split.threshold;
    }
    size_t middle = begin;
    for (size_t f = 0; f < d_; ++f) {
      std::vector<int32_t>& order = sorted_[f];
      size_t left = begin, right = 0;
      for (size_t i = begin; i < end; ++i) {
        int32_t row = order[i];
        if (goes_left_[row]) {
          order[left++] = row;
        } else {
          buffer_[right++] = row;
        }
      }
      std::copy_n(buffer_.begin(), right, order.begin() + left);
      middle = left;
    }
    return middle;
  }

  std::span<const double> x_;
  size_t d_;
  std::span<const double> y_;
  const RegressionForestOptions& options_;
  std::mt19937_64 engine_;
  std::vector<int32_t> weight_;
  std::vector<uint8_t> goes_left_;
  std::vector<std::vector<int32_t>> sorted_;
  std::vector<int32_t> buffer_;
  std::vector<size_t> feature_order_;
};

}  // namespace

void parallel_for(size_t n, int threads, const std::function<void(size_t)>& work) {
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  threads = std::clamp(threads, 1, static_cast<int>(std::max<size_t>(1, n)));
  std::atomic<size_t> next{0};
  auto loop = [&] {
    for (size_t i = next++; i < n; i = next++) work(i);
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(loop);
  loop();
  for (std::thread& thread : pool) thread.join();
}

std::vector<RegressionTree> fit_regression_forest(std::span<const double> x, size_t n_features,
                                                  std::span<const double> y,
                                                  const RegressionForestOptions& options) {
  const size_t n = y.size();
  std::vector<RegressionTree> trees(std::max(0, options.n_trees));
  if (n == 0 || n_features == 0 || trees.empty()) return trees;
  std::vector<std::vector<int32_t>> presorted(n_features, std::vector<int32_t>(n));
  for (size_t f = 0; f < n_features; ++f) {
    std::iota(presorted[f].begin(), presorted[f].end(), 0);
    std::stable_sort(presorted[f].begin(), presorted[f].end(), [&](int32_t a, int32_t b) {
      return x[a * n_features + f] < x[b * n_features + f];
    });
  }
  // Tree t's seed depends on t alone, so threads may take trees in any order.
  std::seed_seq seeds{options.seed, static_cast<uint64_t>(0x5eed)};
  std::vector<uint64_t> tree_seeds(trees.size());
  seeds.generate(tree_seeds.begin(), tree_seeds.end());
  parallel_for(trees.size(), options.threads, [&](size_t t) {
    TreeGrower grower(x, n_features, y, presorted, options, tree_seeds[t]);
    trees[t] = grower.grow();
  });
  return trees;
}

}  // namespace winnow
