// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Random forests (Breiman 2001, "Random Forests") and extremely randomised trees (Geurts, Ernst
// and Wehenkel 2006, "Extremely randomized trees"), for classification (Gini or entropy) and
// regression (variance reduction).
//
// The one idea for speed: every feature is cut once, at fit time, into at most 255 quantile
// bins, and a node's split search is a histogram of its rows over those bins. A random forest
// scans every bin boundary of each sampled feature; extra trees draw one boundary per sampled
// feature uniformly between the node's lowest and highest occupied bin (Geurts et al., Alg. 2,
// with the draw made in quantile space instead of value space: a deliberate deviation that
// keeps one outlier from pushing nearly every draw to one side). Each split stores the raw
// float threshold between two bins, so predict compares raw inputs and never bins.
//
// Contract: trees are grown from per-tree seeds derived from FitControl::seed and the tree's
// index, so a fit is the same whatever the number of threads; control.check() runs before each
// tree. Leaves hold class frequencies (averaged over trees, clipped to [1e-6, 1], renormalised)
// or the mean target. min_samples_leaf counts bootstrap copies, as sample weights do.
#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "automl/models/families.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

constexpr int kMaxBins = 255;
constexpr int kBitmapWords = 4;  // 256 bits, one per bin
constexpr uint8_t kFormatVersion = 1;

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

uint64_t mix_seed(uint64_t seed, uint64_t index) {  // splitmix64 of (seed, index)
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A float strictly below b and at least a, near their midpoint: the cut between two values.
float cut_between(float a, float b) {
  float m = static_cast<float>((static_cast<double>(a) + static_cast<double>(b)) / 2.0);
  if (!(m < b) || !(m >= a)) m = a;
  return m;
}

// Cut points between consecutive quantiles of `v` (sorted); tied values never straddle a cut.
std::vector<float> quantile_cuts(const std::vector<float>& v) {
  std::vector<float> cuts;
  const size_t n = v.size();
  if (n == 0 || v.front() == v.back()) return cuts;
  std::vector<float> distinct;
  for (float x : v) {
    if (distinct.empty() || x != distinct.back()) distinct.push_back(x);
    if (distinct.size() > static_cast<size_t>(kMaxBins)) break;
  }
  if (distinct.size() <= static_cast<size_t>(kMaxBins)) {
    for (size_t j = 0; j + 1 < distinct.size(); ++j) {
      cuts.push_back(cut_between(distinct[j], distinct[j + 1]));
    }
    return cuts;
  }
  for (int i = 1; i < kMaxBins; ++i) {
    float a = v[i * n / kMaxBins - 1];
    if (a == v.back()) break;
    float b = *std::upper_bound(v.begin(), v.end(), a);
    float cut = cut_between(a, b);
    if (cuts.empty() || cut > cuts.back()) cuts.push_back(cut);
  }
  return cuts;
}

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

// Fewer trees than this make too noisy an average to keep when a fit is stopped early.
constexpr size_t kMinTreesWhenStopped = 10;

size_t worker_count(size_t jobs, int threads) {
  return std::max<size_t>(1, std::min<size_t>(jobs, static_cast<size_t>(std::max(1, threads))));
}

BinnedData bin_data(const Matrix& x, const FitControl& control) {
  BinnedData data;
  data.rows = x.rows;
  data.features = x.cols;
  data.bins.resize(x.rows * x.cols);
  data.thresholds.resize(x.cols);
  // Quantiles of a large column are estimated from a fixed sample of rows.
  constexpr size_t kQuantileSample = 200000;
  std::vector<size_t> sample;
  if (x.rows > kQuantileSample) {
    std::mt19937_64 rng(mix_seed(~control.seed, 0));  // apart from every tree's seed
    std::uniform_int_distribution<size_t> pick(0, x.rows - 1);
    sample.resize(kQuantileSample);
    for (auto& r : sample) r = pick(rng);
  }
  parallel_for(x.cols, worker_count(x.cols, control.threads), [&](size_t, size_t f) {
    std::vector<float> column;
    if (sample.empty()) {
      column.resize(x.rows);
      for (size_t r = 0; r < x.rows; ++r) column[r] = x.data[r * x.cols + f];
    } else {
      for (size_t r : sample) column.push_back(x.data[r * x.cols + f]);
    }
    std::sort(column.begin(), column.end());
    std::vector<float>& cuts = data.thresholds[f] = quantile_cuts(column);
    uint8_t* out = data.bins.data() + f * x.rows;
    for (size_t r = 0; r < x.rows; ++r) {
      float v = x.data[r * x.cols + f];
      out[r] = static_cast<uint8_t>(std::lower_bound(cuts.begin(), cuts.end(), v) - cuts.begin());
    }
  });
  for (size_t f = 0; f < x.cols; ++f) {
    if (!data.thresholds[f].empty()) data.usable.push_back(static_cast<int32_t>(f));
  }
  return data;
}

// Grows one tree at a time; one builder per thread, reused across that thread's trees.
class TreeBuilder {
 public:
  TreeBuilder(const BinnedData& data, const ForestOptions& options)
      : data_(data), options_(options), k_(std::max(1, data.n_classes)),
        features_(data.usable),
        class_hist_(data.n_classes > 0 ? 256 * k_ : 0), bin_weight_(256), bin_sum_(256),
        totals_(k_), left_(k_) {
    double wanted = std::round(options.max_features * static_cast<double>(data.features));
    mtry_ = static_cast<size_t>(std::clamp(wanted, 1.0, static_cast<double>(data.features)));
  }

  Tree build(uint64_t seed) {
    rng_.seed(seed);
    features_ = data_.usable;
    samples_.clear();
    if (options_.bootstrap) {
      std::vector<int32_t> counts(data_.rows, 0);
      std::uniform_int_distribution<size_t> pick(0, data_.rows - 1);
      for (size_t i = 0; i < data_.rows; ++i) ++counts[pick(rng_)];
      for (size_t r = 0; r < data_.rows; ++r) {
        if (counts[r] > 0) samples_.push_back({static_cast<int32_t>(r), counts[r], target(r)});
      }
    } else {
      for (size_t r = 0; r < data_.rows; ++r) {
        samples_.push_back({static_cast<int32_t>(r), 1, target(r)});
      }
    }
    Tree tree;
    tree.nodes.emplace_back();
    struct Pending { int32_t node; size_t begin, end; int depth; };
    std::vector<Pending> stack{{0, 0, samples_.size(), 0}};
    while (!stack.empty()) {
      Pending p = stack.back();
      stack.pop_back();
      bool pure = compute_totals(p.begin, p.end);
      bool can_split = !pure && weight_ >= 2.0 * options_.min_samples_leaf &&
                       (options_.max_depth <= 0 || p.depth < options_.max_depth);
      Split split;
      if (can_split) split = find_split(p.begin, p.end);
      if (split.feature < 0) {
        make_leaf(tree, p.node);
        continue;
      }
      const uint8_t* column = data_.bins.data() + split.feature * data_.rows;
      // A stable partition keeps each node's rows in increasing order, so the histograms
      // read the bin columns front to back.
      size_t middle = p.begin;
      scratch_.clear();
      for (size_t i = p.begin; i < p.end; ++i) {
        if (column[samples_[i].row] <= split.bin) {
          samples_[middle++] = samples_[i];
        } else {
          scratch_.push_back(samples_[i]);
        }
      }
      std::copy(scratch_.begin(), scratch_.end(), samples_.begin() + middle);
      int32_t left = static_cast<int32_t>(tree.nodes.size());
      tree.nodes.resize(tree.nodes.size() + 2);
      Node& node = tree.nodes[p.node];
      node.feature = split.feature;
      node.threshold = data_.thresholds[split.feature][split.bin];
      node.child = left;
      stack.push_back({left + 1, middle, p.end, p.depth + 1});
      stack.push_back({left, p.begin, middle, p.depth + 1});
    }
    tree.nodes.shrink_to_fit();
    tree.leaf_values.shrink_to_fit();
    return tree;
  }

 private:
  // One row in the tree's sample: its bootstrap count and its target (the label for
  // classification), kept beside the row so histograms read the node's rows in order.
  struct Sample { int32_t row; int32_t weight; double y; };
  struct Split { int32_t feature = -1; int bin = 0; double score = 0.0; };

  double target(size_t row) const {
    return data_.n_classes > 0 ? data_.labels[row] : data_.values[row];
  }

  // The node's weight and class totals (or target sum); true when it cannot be split further.
  bool compute_totals(size_t begin, size_t end) {
    weight_ = 0.0;
    sum_ = 0.0;
    if (data_.n_classes > 0) {
      std::fill(totals_.begin(), totals_.end(), 0.0);
      for (size_t i = begin; i < end; ++i) {
        totals_[static_cast<int>(samples_[i].y)] += samples_[i].weight;
      }
      int nonzero = 0;
      for (double t : totals_) {
        weight_ += t;
        nonzero += t > 0;
      }
      return nonzero <= 1;
    }
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (size_t i = begin; i < end; ++i) {
      const double y = samples_[i].y;
      weight_ += samples_[i].weight;
      sum_ += samples_[i].weight * y;
      lo = std::min(lo, y);
      hi = std::max(hi, y);
    }
    return !(lo < hi);
  }

  void make_leaf(Tree& tree, int32_t index) {
    Node& node = tree.nodes[index];
    node.feature = -1;
    if (data_.n_classes == 0) {
      node.threshold = static_cast<float>(sum_ / weight_);
    } else if (data_.n_classes == 2) {
      node.threshold = static_cast<float>(totals_[1] / weight_);
    } else if (data_.n_classes > 2) {
      node.child = static_cast<int32_t>(tree.leaf_values.size());
      for (double t : totals_) tree.leaf_values.push_back(static_cast<float>(t / weight_));
    }
  }

  // Scores the boundaries after the occupied bins up to `last`: after each of them (random
  // forest), or only after `last` itself (extra trees). The proxies, larger is better:
  // s_L^2 / n_L + s_R^2 / n_R (variance reduction), sum_c n_Lc^2 / n_L + (same for R) (Gini),
  // sum_c n_Lc log(n_Lc / n_L) + (same for R) (entropy: minus n times the entropy).
  void scan(int32_t f, int last, bool only_last, Split& best) {
    const double min_leaf = options_.min_samples_leaf;
    double w_left = 0.0;
    auto consider = [&](int bin, auto score_of) {
      if (w_left >= min_leaf && weight_ - w_left >= min_leaf) {
        double score = score_of();
        if (score > best.score) best = {f, bin, score};
      }
    };
    auto walk = [&](auto add, auto score_of) {
      for (int w = 0; w < kBitmapWords; ++w) {
        for (uint64_t bits = bitmap_[w]; bits; bits &= bits - 1) {
          const int b = w * 64 + std::countr_zero(bits);
          if (b > last) return;
          w_left += bin_weight_[b];
          add(b);
          if (!only_last) consider(b, score_of);
        }
      }
    };
    if (data_.n_classes == 0) {
      double s_left = 0.0;
      auto score_of = [&] {
        const double s_right = sum_ - s_left;
        return s_left * s_left / w_left + s_right * s_right / (weight_ - w_left);
      };
      walk([&](int b) { s_left += bin_sum_[b]; }, score_of);
      if (only_last) consider(last, score_of);
      return;
    }
    std::fill(left_.begin(), left_.end(), 0.0);
    // Gini keeps sum_c n_Lc^2 and sum_c n_Rc^2 up to date as bins move left.
    double square_left = 0.0, square_right = 0.0;
    for (double t : totals_) square_right += t * t;
    auto add = [&](int b) {
      const int32_t* h = class_hist_.data() + b * k_;
      for (int c = 0; c < k_; ++c) {
        if (h[c] == 0) continue;
        const double n = h[c];
        square_left += n * (2.0 * left_[c] + n);
        square_right += n * (n - 2.0 * (totals_[c] - left_[c]));
        left_[c] += n;
      }
    };
    auto gini = [&] { return square_left / w_left + square_right / (weight_ - w_left); };
    auto entropy = [&] {
      const double w_right = weight_ - w_left;
      double score = 0.0;
      for (int c = 0; c < k_; ++c) {
        const double l = left_[c], r = totals_[c] - left_[c];
        if (l > 0) score += l * std::log(l / w_left);
        if (r > 0) score += r * std::log(r / w_right);
      }
      return score;
    };
    if (options_.entropy) {
      walk(add, entropy);
      if (only_last) consider(last, entropy);
    } else {
      walk(add, gini);
      if (only_last) consider(last, gini);
    }
  }

  Split find_split(size_t begin, size_t end) {
    Split best;
    best.score = -std::numeric_limits<double>::infinity();
    size_t visited = 0;
    for (size_t j = 0; j < features_.size() && visited < mtry_; ++j) {
      std::uniform_int_distribution<size_t> pick(j, features_.size() - 1);
      std::swap(features_[j], features_[pick(rng_)]);
      const int32_t f = features_[j];
      fill_histogram(f, begin, end);
      int lo = -1, hi = -1;
      for (int w = 0; w < kBitmapWords && lo < 0; ++w) {
        if (bitmap_[w]) lo = w * 64 + std::countr_zero(bitmap_[w]);
      }
      for (int w = kBitmapWords - 1; w >= 0 && hi < 0; --w) {
        if (bitmap_[w]) hi = w * 64 + 63 - std::countl_zero(bitmap_[w]);
      }
      // A feature constant in the node does not count towards max_features (as in sklearn).
      if (lo < hi) {
        ++visited;
        if (options_.extra_trees) {
          // The one boundary extra trees try, uniform over [lo, hi) in bin space.
          scan(f, std::uniform_int_distribution<int>(lo, hi - 1)(rng_), true, best);
        } else {
          scan(f, hi - 1, false, best);
        }
      }
      clear_histogram();
    }
    return best;
  }

  void fill_histogram(int32_t f, size_t begin, size_t end) {
    const uint8_t* column = data_.bins.data() + f * data_.rows;
    const Sample* samples = samples_.data();
    if (data_.n_classes > 0) {
      for (size_t i = begin; i < end; ++i) {
        const Sample& s = samples[i];
        const uint8_t b = column[s.row];
        bitmap_[b >> 6] |= uint64_t{1} << (b & 63);
        bin_weight_[b] += s.weight;
        class_hist_[b * k_ + static_cast<int>(s.y)] += s.weight;
      }
    } else {
      for (size_t i = begin; i < end; ++i) {
        const Sample& s = samples[i];
        const uint8_t b = column[s.row];
        bitmap_[b >> 6] |= uint64_t{1} << (b & 63);
        bin_weight_[b] += s.weight;
        bin_sum_[b] += s.weight * s.y;
      }
    }
  }

  void clear_histogram() {
    for (int w = 0; w < kBitmapWords; ++w) {
      for (uint64_t bits = bitmap_[w]; bits; bits &= bits - 1) {
        int b = w * 64 + std::countr_zero(bits);
        bin_weight_[b] = 0;
        bin_sum_[b] = 0.0;
        if (data_.n_classes > 0) std::fill_n(class_hist_.begin() + b * k_, k_, 0);
      }
      bitmap_[w] = 0;
    }
  }

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

class ForestModel : public Model {
 public:
  ForestModel() = default;
  explicit ForestModel(ForestOptions options) : options_(options) {}

  void fit(const Matrix& x, const Target& y, const FitControl& control) override {
    if (x.rows == 0 || x.rows != y.size()) {
      throw Error("forest: the training data has " + std::to_string(x.rows) +
                  " rows and the target " + std::to_string(y.size()) + "; need equal and > 0");
    }
    if (x.rows > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      throw Error("forest: more rows than a tree can index");
    }
    task_ = y.task;
    n_classes_ = is_classification(y.task) ? y.n_classes() : 0;
    if (is_classification(y.task)) {
      if (n_classes_ < 1) throw Error("forest: classification target without classes");
      for (int32_t label : y.labels) {
        if (label < 0 || label >= n_classes_) {
          throw Error("forest: label " + std::to_string(label) + " outside [0, " +
                      std::to_string(n_classes_) + ")");
        }
      }
    }
    n_features_ = x.cols;
    trees_.clear();  // a fit that stops leaves the model unfitted
    control.check();
    BinnedData data = bin_data(x, control);
    data.n_classes = n_classes_;
    data.labels = y.labels.data();
    data.values = y.values.data();
    control.check();

    const size_t n_trees = static_cast<size_t>(std::max(1, options_.n_trees));
    std::vector<Tree> trees(n_trees);
    const size_t workers = worker_count(n_trees, control.threads);
    std::vector<std::unique_ptr<TreeBuilder>> builders;
    for (size_t w = 0; w < workers; ++w) {
      builders.push_back(std::make_unique<TreeBuilder>(data, options_));
    }
    // A forest is useful with any number of trees: when told to stop, the trees built so far
    // are the model, unless there are too few of them to average.
    std::mutex check_mutex;  // should_stop need not be thread-safe
    std::atomic<bool> stopped{false};
    std::vector<uint8_t> built(n_trees, 0);
    parallel_for(n_trees, workers, [&](size_t worker, size_t t) {
      {
        std::lock_guard<std::mutex> lock(check_mutex);
        if (stopped || (control.should_stop && control.should_stop())) {
          stopped = true;
          return;
        }
      }
      trees[t] = builders[worker]->build(mix_seed(control.seed, t + 1));
      built[t] = 1;
    });
    trees_.clear();
    for (size_t t = 0; t < n_trees; ++t) {
      if (built[t]) trees_.push_back(std::move(trees[t]));
    }
    if (stopped && trees_.size() < std::min<size_t>(kMinTreesWhenStopped, n_trees)) {
      trees_.clear();
      throw FitStopped();
    }
  }

  void predict(const Matrix& x, std::span<float> out) const override {
    const size_t outputs = n_outputs();
    if (trees_.empty()) throw Error("forest: predict called before fit");
    if (x.cols != n_features_) {
      throw Error("forest: predict got " + std::to_string(x.cols) +
                  " columns, the model was fit on " + std::to_string(n_features_));
    }
    if (out.size() != x.rows * outputs) {
      throw Error("forest: predict output holds " + std::to_string(out.size()) +
                  " numbers, need " + std::to_string(x.rows * outputs));
    }
    // Rows in blocks, trees inside: a block's rows stay in cache while every tree visits them.
    constexpr size_t kBlock = 128;
    std::vector<double> acc;
    for (size_t start = 0; start < x.rows; start += kBlock) {
      const size_t stop = std::min(x.rows, start + kBlock);
      acc.assign((stop - start) * outputs, 0.0);
      for (const Tree& tree : trees_) {
        const Node* nodes = tree.nodes.data();
        for (size_t r = start; r < stop; ++r) {
          const float* row = x.data.data() + r * x.cols;
          const Node* node = nodes;
          while (node->feature >= 0) {
            node = nodes + (row[node->feature] <= node->threshold ? node->child : node->child + 1);
          }
          double* a = acc.data() + (r - start) * outputs;
          if (n_classes_ == 0) {
            a[0] += node->threshold;
          } else if (n_classes_ == 2) {
            a[0] += 1.0 - node->threshold;
            a[1] += node->threshold;
          } else if (n_classes_ == 1) {
            a[0] += 1.0;  // one class: every leaf is certain of it
          } else {
            const float* v = tree.leaf_values.data() + node->child;
            for (size_t c = 0; c < outputs; ++c) a[c] += v[c];
          }
        }
      }
      const double n_trees = static_cast<double>(trees_.size());
      for (size_t r = start; r < stop; ++r) {
        const double* a = acc.data() + (r - start) * outputs;
        float* o = out.data() + r * outputs;
        if (n_classes_ == 0) {
          o[0] = static_cast<float>(a[0] / n_trees);
          continue;
        }
        double total = 0.0;
        for (size_t c = 0; c < outputs; ++c) total += std::clamp(a[c] / n_trees, 1e-6, 1.0);
        for (size_t c = 0; c < outputs; ++c) {
          o[c] = static_cast<float>(std::clamp(a[c] / n_trees, 1e-6, 1.0) / total);
        }
      }
    }
  }

  void save(Writer& out) const override {
    out.u8(kFormatVersion);
    out.u8(static_cast<uint8_t>(task_));
    out.u32(static_cast<uint32_t>(n_classes_));
    out.u64(n_features_);
    out.u64(trees_.size());
    std::vector<int32_t> features, children;
    std::vector<float> thresholds;
    for (const Tree& tree : trees_) {
      features.clear();
      children.clear();
      thresholds.clear();
      for (const Node& node : tree.nodes) {
        features.push_back(node.feature);
        thresholds.push_back(node.threshold);
        children.push_back(node.child);
      }
      out.ints(features);
      out.floats(thresholds);
      out.ints(children);
      out.floats(tree.leaf_values);
    }
  }

  void load(Reader& in) {
    const Error corrupt("forest: model file is truncated or corrupt");
    if (in.u8() != kFormatVersion) throw Error("forest: unknown model format version");
    uint8_t task = in.u8();
    if (task > static_cast<uint8_t>(Task::kRegression)) throw corrupt;
    task_ = static_cast<Task>(task);
    const uint32_t n_classes = in.u32();
    if ((task_ == Task::kRegression) != (n_classes == 0) || n_classes > (1u << 20)) throw corrupt;
    n_classes_ = static_cast<int>(n_classes);
    n_features_ = in.u64();
    const size_t leaf_width = n_classes_ > 2 ? static_cast<size_t>(n_classes_) : 0;
    // Trees are appended as they are read, so a corrupt count fails on the data, not on a
    // huge allocation.
    const uint64_t n_trees = in.count(uint64_t{1} << 32);
    if (n_trees == 0) throw corrupt;
    trees_.clear();
    for (uint64_t t = 0; t < n_trees; ++t) {
      Tree& tree = trees_.emplace_back();
      std::vector<int32_t> features = in.ints();
      std::vector<float> thresholds = in.floats();
      std::vector<int32_t> children = in.ints();
      tree.leaf_values = in.floats();
      const size_t n = features.size();
      if (n == 0 || thresholds.size() != n || children.size() != n) throw corrupt;
      tree.nodes.resize(n);
      for (size_t i = 0; i < n; ++i) {
        // Children always follow their parent, so a valid file cannot make predict loop.
        const int64_t child = children[i];
        if (features[i] >= 0) {
          if (static_cast<uint64_t>(features[i]) >= n_features_ ||
              child <= static_cast<int64_t>(i) || child + 1 >= static_cast<int64_t>(n)) {
            throw corrupt;
          }
        } else if (features[i] != -1 ||
                   (leaf_width > 0 && (child < 0 || static_cast<size_t>(child) + leaf_width >
                                                        tree.leaf_values.size()))) {
          throw corrupt;
        }
        tree.nodes[i] = {features[i], thresholds[i], children[i]};
      }
    }
  }

  size_t n_outputs() const { return n_classes_ == 0 ? 1 : static_cast<size_t>(n_classes_); }

 private:
  ForestOptions options_;
  Task task_ = Task::kRegression;
  int n_classes_ = 0;
  size_t n_features_ = 0;
  std::vector<Tree> trees_;
};

// ---- The two families ----------------------------------------------------------------------

double sqrt_fraction(const DataShape& shape) {
  const double d = static_cast<double>(std::max<size_t>(1, shape.features));
  return std::clamp(std::sqrt(d) / d, 0.05, 1.0);
}

ForestOptions read_options(const std::string& family, bool extra_trees, const Config& config,
                           const DataShape& shape) {
  const bool classification = is_classification(shape.task);
  ForestOptions o;
  o.extra_trees = extra_trees;
  o.n_trees = static_cast<int>(param_int(config, family + "_n_trees", 300));
  o.max_features =
      param_float(config, family + "_max_features", classification ? sqrt_fraction(shape) : 1.0);
  o.min_samples_leaf = static_cast<int>(param_int(config, family + "_min_samples_leaf", 1));
  o.max_depth = static_cast<int>(param_int(config, family + "_max_depth", 0));
  o.entropy = classification && param_string(config, family + "_criterion", "gini") == "entropy";
  o.bootstrap = !extra_trees && param_int(config, family + "_bootstrap", 1) != 0;
  auto require = [&](bool ok, const std::string& what) {
    if (!ok) throw Error(family + ": " + what);
  };
  require(o.n_trees >= 1, family + "_n_trees = " + std::to_string(o.n_trees) + ", need >= 1");
  require(o.max_features > 0.0 && o.max_features <= 1.0,
          family + "_max_features = " + std::to_string(o.max_features) + ", need in (0, 1]");
  require(o.min_samples_leaf >= 1,
          family + "_min_samples_leaf = " + std::to_string(o.min_samples_leaf) + ", need >= 1");
  require(o.max_depth >= 0,
          family + "_max_depth = " + std::to_string(o.max_depth) + ", need >= 0 (0 = unlimited)");
  return o;
}

ModelFamily forest_family(const std::string& name, bool extra_trees) {
  ModelFamily family;
  family.name = name;
  family.wants_scaling = false;
  family.applicable = [](const DataShape&) { return true; };
  family.add_params = [name, extra_trees](SearchSpace& space, const std::string& condition,
                                          const DataShape& shape) {
    space.add_int(name + "_n_trees", 50, 500).log().when(condition);
    space.add_float(name + "_max_features", 0.05, 1.0).log().when(condition);
    space.add_int(name + "_min_samples_leaf", 1, 20).log().when(condition);
    // 0 = grow until leaves are pure or reach min_samples_leaf, the usual forest default.
    space.add_categorical(name + "_max_depth", {int64_t{0}, int64_t{8}, int64_t{16}})
        .when(condition);
    if (is_classification(shape.task)) {
      space.add_categorical(name + "_criterion", {std::string("gini"), std::string("entropy")})
          .when(condition);
    }
    if (!extra_trees) space.add_categorical(name + "_bootstrap", {true, false}).when(condition);
  };
  family.portfolio = [name, extra_trees](const DataShape& shape) {
    const bool classification = is_classification(shape.task);
    auto config = [&](double max_features, int64_t min_leaf, const char* criterion) {
      Config c{{name + "_n_trees", int64_t{300}},
               {name + "_max_features", max_features},
               {name + "_min_samples_leaf", min_leaf},
               {name + "_max_depth", int64_t{0}}};
      if (classification) c[name + "_criterion"] = std::string(criterion);
      if (!extra_trees) c[name + "_bootstrap"] = true;
      return c;
    };
    // scikit-learn's defaults first (sqrt of the features for classification, all of them for
    // regression, there with leaves of two rows, which halves the model's size for little
    // loss), then a wider and a smoother variant.
    if (classification) {
      const double sqrt_d = sqrt_fraction(shape);
      return std::vector<Config>{config(sqrt_d, 1, "gini"), config(0.5, 1, "entropy"),
                                 config(sqrt_d, 3, "gini")};
    }
    return std::vector<Config>{config(1.0, 2, "gini"), config(1.0 / 3.0, 1, "gini"),
                               config(0.5, 5, "gini")};
  };
  family.create = [name, extra_trees](const Config& config, const DataShape& shape) {
    return std::make_unique<ForestModel>(read_options(name, extra_trees, config, shape));
  };
  family.load = [](Reader& in) {
    auto model = std::make_unique<ForestModel>();
    model->load(in);
    return std::unique_ptr<Model>(std::move(model));
  };
  return family;
}

}  // namespace

ModelFamily random_forest_family() { return forest_family("random_forest", false); }
ModelFamily extra_trees_family() { return forest_family("extra_trees", true); }

}  // namespace winnow::automl
