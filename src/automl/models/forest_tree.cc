// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "automl/models/forest_tree.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "samplers/sampler_util.h"

namespace winnow::automl::forest {
namespace {

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

}  // namespace


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

TreeBuilder::TreeBuilder(const BinnedData& data, const ForestOptions& options)
    : data_(data), options_(options), k_(std::max(1, data.n_classes)),
      features_(data.usable),
      class_hist_(data.n_classes > 0 ? 256 * k_ : 0), bin_weight_(256), bin_sum_(256),
      totals_(k_), left_(k_) {
  double wanted = std::round(options.max_features * static_cast<double>(data.features));
  mtry_ = static_cast<size_t>(std::clamp(wanted, 1.0, static_cast<double>(data.features)));
}

Tree TreeBuilder::build(uint64_t seed) {
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

double TreeBuilder::target(size_t row) const {
  return data_.n_classes > 0 ? data_.labels[row] : data_.values[row];
}

bool TreeBuilder::compute_totals(size_t begin, size_t end) {
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

void TreeBuilder::make_leaf(Tree& tree, int32_t index) {
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

void TreeBuilder::scan(int32_t f, int last, bool only_last, Split& best) {
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

TreeBuilder::Split TreeBuilder::find_split(size_t begin, size_t end) {
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

void TreeBuilder::fill_histogram(int32_t f, size_t begin, size_t end) {
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

void TreeBuilder::clear_histogram() {
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

}  // namespace winnow::automl::forest
