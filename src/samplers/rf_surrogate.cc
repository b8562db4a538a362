// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/rf_surrogate.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>
#include <string>

#include "winnow/error.h"

namespace winnow {
namespace {

// A counter-based SplitMix64 stream: the same draws on every platform and standard library
// (the std distributions are not), and one independent stream per tree from (seed, tree).
class Stream {
 public:
  Stream(uint64_t seed, uint64_t tree) : key_(mix(seed ^ mix(tree + 0x7F4A7C15ULL))) {}
  uint64_t next() { return mix(key_ + 0x9E3779B97F4A7C15ULL * ++counter_); }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  size_t below(size_t bound) { return static_cast<size_t>(uniform() * static_cast<double>(bound)); }

 private:
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t key_;
  uint64_t counter_ = 0;
};

void check_options(const RandomForestSurrogateOptions& o, size_t n_features) {
  auto fail = [](const std::string& field, const std::string& value, const std::string& rule) {
    throw Error("random forest: " + field + " = " + value + ". Violated constraint: " + rule);
  };
  if (o.n_trees < 1) fail("n_trees", std::to_string(o.n_trees), ">= 1");
  if (!(o.ratio_features > 0.0 && o.ratio_features <= 1.0)) {
    fail("ratio_features", std::to_string(o.ratio_features), "in (0, 1]");
  }
  if (o.min_samples_split < 2) {
    fail("min_samples_split", std::to_string(o.min_samples_split), ">= 2");
  }
  if (o.min_samples_leaf < 1) fail("min_samples_leaf", std::to_string(o.min_samples_leaf), ">= 1");
  if (o.max_depth < 0) fail("max_depth", std::to_string(o.max_depth), ">= 0 (0: unlimited)");
  if (!o.categories.empty() && o.categories.size() != n_features) {
    fail("categories", std::to_string(o.categories.size()) + " entries",
         "one per feature (" + std::to_string(n_features) + ") or none");
  }
}

}  // namespace

// Grows one tree. Bootstrap duplicates are weights, not copies; a node is a contiguous range of
// rows_, which a split partitions stably, so the tree depends only on the rows and the stream.
class RandomForestSurrogate::Grower {
 public:
  Grower(std::span<const double> x, size_t n_features, std::span<const double> y,
         const RandomForestSurrogateOptions& options, uint64_t tree)
      : x_(x), d_(n_features), y_(y), options_(options), stream_(options.seed, tree),
        weight_(y.size(), 0.0), goes_left_(y.size(), 0) {
    const size_t n = y.size();
    if (options.bootstrap) {
      for (size_t i = 0; i < n; ++i) weight_[stream_.below(n)] += 1.0;
    } else {
      std::fill(weight_.begin(), weight_.end(), 1.0);
    }
    for (size_t row = 0; row < n; ++row) {
      if (weight_[row] > 0) rows_.push_back(static_cast<int32_t>(row));
    }
    features_.resize(d_);
    std::iota(features_.begin(), features_.end(), size_t{0});
    max_features_ = std::max<size_t>(
        1, static_cast<size_t>(std::floor(options.ratio_features * static_cast<double>(d_))));
  }

  Tree grow() {
    Tree tree;
    tree.nodes.emplace_back();
    struct Pending {
      int32_t node;
      size_t begin, end;
      int depth;
    };
    std::vector<Pending> stack{{0, 0, rows_.size(), 0}};
    while (!stack.empty()) {
      Pending p = stack.back();
      stack.pop_back();
      Split split = best_split(p.begin, p.end, p.depth);
      if (split.feature < 0) {
        make_leaf(tree.nodes[p.node], p.begin, p.end);
        continue;
      }
      Node& node = tree.nodes[p.node];
      node.feature = split.feature;
      if (split.goes_left.empty()) {
        double cut = split.low + stream_.uniform() * (split.high - split.low);
        node.threshold = cut < split.high ? cut : split.low;
      } else {
        node.categories = static_cast<int32_t>(tree.goes_left.size());
        tree.goes_left.insert(tree.goes_left.end(), split.goes_left.begin(), split.goes_left.end());
      }
      size_t middle = partition(tree, node, p.begin, p.end);
      auto left = static_cast<int32_t>(tree.nodes.size());
      tree.nodes[p.node].left = left;  // `node` may dangle after the emplace_backs below
      tree.nodes[p.node].right = left + 1;
      tree.nodes.emplace_back();
      tree.nodes.emplace_back();
      stack.push_back({left + 1, middle, p.end, p.depth + 1});
      stack.push_back({left, p.begin, middle, p.depth + 1});
    }
    return tree;
  }

 private:
  struct Split {
    int32_t feature = -1;
    double gain = 0.0;
    double low = 0.0, high = 0.0;    // numeric: the cut lies in [low, high)
    std::vector<uint8_t> goes_left;  // categorical: per category
  };

  double feature(int32_t row, size_t f) const { return x_[static_cast<size_t>(row) * d_ + f]; }

  // Splits gain sum_left^2 / w_left + sum_right^2 / w_right over the node's targets centred on
  // their mean: the reduction of the weighted squared error, free of the cancellation that
  // uncentred sums suffer when the mean is large against the spread.
  Split best_split(size_t begin, size_t end, int depth) {
    Split best;
    double weight = 0, sum = 0, low = HUGE_VAL, high = -HUGE_VAL;
    for (size_t i = begin; i < end; ++i) {
      int32_t row = rows_[i];
      weight += weight_[row];
      sum += weight_[row] * y_[row];
      low = std::min(low, y_[row]);
      high = std::max(high, y_[row]);
    }
    const double mean = sum / weight;
    const bool pure = high - low <= 1e-12 * std::max(1.0, std::abs(mean));
    if ((options_.max_depth > 0 && depth >= options_.max_depth) ||
        weight < options_.min_samples_split || pure) {
      return best;
    }
    double spread = 0;  // weighted squared error around the mean
    for (size_t i = begin; i < end; ++i) {
      double r = y_[rows_[i]] - mean;
      spread += weight_[rows_[i]] * r * r;
    }
    const double min_gain = 1e-12 * spread;
    best.gain = min_gain;
    // Features in a random order; past max_features only until some feature can split.
    size_t tried = 0;
    for (size_t k = 0; k < d_; ++k) {
      if (tried >= max_features_ && best.feature >= 0) break;
      std::swap(features_[k], features_[k + stream_.below(d_ - k)]);
      size_t f = features_[k];
      uint32_t categories = options_.categories.empty() ? 0 : options_.categories[f];
      if (categories > 0) {
        categorical_split(f, categories, begin, end, mean, best);
      } else {
        numeric_split(f, begin, end, mean, weight, best);
      }
      ++tried;
    }
    return best;
  }

  void numeric_split(size_t f, size_t begin, size_t end, double mean, double weight,
                     Split& best) {
    sorted_.assign(rows_.begin() + static_cast<std::ptrdiff_t>(begin),
                   rows_.begin() + static_cast<std::ptrdiff_t>(end));
    std::sort(sorted_.begin(), sorted_.end(), [&](int32_t a, int32_t b) {
      double va = feature(a, f), vb = feature(b, f);
      return va < vb || (va == vb && a < b);
    });
    const double min_leaf = options_.min_samples_leaf;
    double left_weight = 0, left_sum = 0;
    for (size_t i = 0; i + 1 < sorted_.size(); ++i) {
      int32_t row = sorted_[i];
      left_weight += weight_[row];
      left_sum += weight_[row] * (y_[row] - mean);
      double here = feature(row, f), next = feature(sorted_[i + 1], f);
      if (!(next > here)) continue;  // equal values cannot be separated
      double right_weight = weight - left_weight;
      if (left_weight < min_leaf || right_weight < min_leaf) continue;
      // The centred sums of the two sides are opposite: sum_right = -sum_left.
      double gain = left_sum * left_sum * (1.0 / left_weight + 1.0 / right_weight);
      if (gain > best.gain) {
        best = Split{static_cast<int32_t>(f), gain, here, next, {}};
      }
    }
  }

  void categorical_split(size_t f, uint32_t categories, size_t begin, size_t end, double mean,
                         Split& best) {
    std::vector<double> weight(categories, 0.0), sum(categories, 0.0);
    for (size_t i = begin; i < end; ++i) {
      int32_t row = rows_[i];
      auto c = static_cast<size_t>(feature(row, f));
      assert(c < categories);
      weight[c] += weight_[row];
      sum[c] += weight_[row] * (y_[row] - mean);
    }
    std::vector<uint32_t> present;
    for (uint32_t c = 0; c < categories; ++c) {
      if (weight[c] > 0) present.push_back(c);
    }
    if (present.size() < 2) return;
    std::stable_sort(present.begin(), present.end(), [&](uint32_t a, uint32_t b) {
      return sum[a] / weight[a] < sum[b] / weight[b];
    });
    double total_weight = std::accumulate(weight.begin(), weight.end(), 0.0);
    const double min_leaf = options_.min_samples_leaf;
    double left_weight = 0, left_sum = 0;
    size_t best_prefix = 0;
    for (size_t k = 0; k + 1 < present.size(); ++k) {
      left_weight += weight[present[k]];
      left_sum += sum[present[k]];
      double right_weight = total_weight - left_weight;
      if (left_weight < min_leaf || right_weight < min_leaf) continue;
      double gain = left_sum * left_sum * (1.0 / left_weight + 1.0 / right_weight);
      if (gain > best.gain) {
        best.gain = gain;
        best_prefix = k + 1;
      }
    }
    if (best_prefix == 0) return;
    best.feature = static_cast<int32_t>(f);
    best.goes_left.assign(categories, 0);
    for (size_t k = 0; k < best_prefix; ++k) best.goes_left[present[k]] = 1;
    // Categories this node never saw go to a random side, as in pyrfr: neither side knows
    // anything about them, and a fixed side would bias every tree the same way.
    for (uint32_t c = 0; c < categories; ++c) {
      if (weight[c] == 0) best.goes_left[c] = stream_.uniform() < 0.5;
    }
  }

  size_t partition(const Tree& tree, const Node& node, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      int32_t row = rows_[i];
      double v = feature(row, static_cast<size_t>(node.feature));
      goes_left_[row] = node.categories >= 0
                            ? tree.goes_left[static_cast<size_t>(node.categories) +
                                             static_cast<size_t>(v)]
                            : v <= node.threshold;
    }
    auto first = rows_.begin() + static_cast<std::ptrdiff_t>(begin);
    auto middle = std::stable_partition(first, rows_.begin() + static_cast<std::ptrdiff_t>(end),
                                        [&](int32_t row) { return goes_left_[row] != 0; });
    return static_cast<size_t>(middle - rows_.begin());
  }

  void make_leaf(Node& node, size_t begin, size_t end) const {
    double weight = 0, sum = 0, top = -HUGE_VAL;
    for (size_t i = begin; i < end; ++i) {
      weight += weight_[rows_[i]];
      sum += weight_[rows_[i]] * y_[rows_[i]];
      top = std::max(top, y_[rows_[i]]);
    }
    double mean = sum / weight, squares = 0, exp_sum = 0;
    for (size_t i = begin; i < end; ++i) {
      double w = weight_[rows_[i]], r = y_[rows_[i]] - mean;
      squares += w * r * r;
      exp_sum += w * std::exp(y_[rows_[i]] - top);
    }
    node.variance = squares / weight;
    // log of the weighted mean of exp(y), shifted by the largest y so no exp overflows.
    node.value = options_.log_y ? top + std::log(exp_sum / weight) : mean;
  }

  std::span<const double> x_;
  size_t d_;
  std::span<const double> y_;
  const RandomForestSurrogateOptions& options_;
  Stream stream_;
  std::vector<double> weight_;
  std::vector<uint8_t> goes_left_;
  std::vector<int32_t> rows_;
  std::vector<int32_t> sorted_;
  std::vector<size_t> features_;
  size_t max_features_ = 1;
};

void RandomForestSurrogate::fit(std::span<const double> x, size_t n_features,
                                std::span<const double> y,
                                const RandomForestSurrogateOptions& options) {
  check_options(options, n_features);
  assert(!y.empty() && x.size() == y.size() * n_features);
  trees_.clear();
  n_features_ = n_features;
  categories_ = options.categories;
  total_variance_ = options.total_variance;
  log_y_ = options.log_y;
  trees_.reserve(static_cast<size_t>(options.n_trees));
  for (int t = 0; t < options.n_trees; ++t) {
    trees_.push_back(Grower(x, n_features, y, options, static_cast<uint64_t>(t)).grow());
  }
}

const RandomForestSurrogate::Node& RandomForestSurrogate::leaf(const Tree& tree,
                                                               std::span<const double> x) const {
  const Node* node = &tree.nodes[0];
  while (node->feature >= 0) {
    double v = x[static_cast<size_t>(node->feature)];
    bool left;
    if (node->categories >= 0) {
      // A category beyond those fitted (a caller bug) goes right rather than out of bounds.
      auto c = static_cast<size_t>(v);
      left = v >= 0 && c < categories_[static_cast<size_t>(node->feature)] &&
             tree.goes_left[static_cast<size_t>(node->categories) + c];
    } else {
      left = v <= node->threshold;
    }
    node = &tree.nodes[static_cast<size_t>(left ? node->left : node->right)];
  }
  return *node;
}

std::pair<double, double> RandomForestSurrogate::predict(std::span<const double> x) const {
  assert(fitted() && x.size() == n_features_);
  // Welford's running mean and squared deviations: no cancellation when the mean is large
  // against the spread of the trees.
  double mean = 0, deviations = 0, within = 0, count = 0;
  for (const Tree& tree : trees_) {
    const Node& node = leaf(tree, x);
    count += 1;
    double delta = node.value - mean;
    mean += delta / count;
    deviations += delta * (node.value - mean);
    within += node.variance;
  }
  // Population variance of the tree means (numpy's var, as SMAC computes it).
  double variance = deviations / count;
  if (total_variance_) variance += within / count;
  return {mean, std::max(variance, kVarianceFloor)};
}

std::pair<double, double> RandomForestSurrogate::predict_marginal(
    std::span<const double> rows) const {
  assert(fitted() && !rows.empty() && rows.size() % n_features_ == 0);
  const size_t n = rows.size() / n_features_;
  double mean = 0, deviations = 0, within = 0, count = 0;
  for (const Tree& tree : trees_) {
    // Running log-sum-exp (log_y) or sum of the leaf values over the rows.
    double top = -HUGE_VAL, sum = 0, variance = 0;
    for (size_t r = 0; r < n; ++r) {
      const Node& node = leaf(tree, rows.subspan(r * n_features_, n_features_));
      variance += node.variance;
      if (!log_y_) {
        sum += node.value;
      } else if (node.value > top) {
        sum = sum * std::exp(top - node.value) + 1;
        top = node.value;
      } else {
        sum += std::exp(node.value - top);
      }
    }
    const double rows_n = static_cast<double>(n);
    const double value = log_y_ ? top + std::log(sum / rows_n) : sum / rows_n;
    count += 1;
    double delta = value - mean;
    mean += delta / count;
    deviations += delta * (value - mean);
    within += variance / rows_n;
  }
  double variance = deviations / count;
  if (total_variance_) variance += within / count;
  return {mean, std::max(variance, kVarianceFloor)};
}

}  // namespace winnow
