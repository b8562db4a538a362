// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The k-nearest-neighbours family (Fix & Hodges 1951; Cover & Hart 1967), brute force: the
// fitted model is the training matrix itself. Euclidean distances come from one matrix product
// per block of queries, |q - t|^2 = |q|^2 + |t|^2 - 2 q.t, then a bounded heap keeps the k
// nearest of each query and their distances are recomputed exactly (the expansion cancels
// badly for near neighbours). Manhattan distance (p = 1) is computed directly.
//
// Training rows are centred on their mean, which leaves distances unchanged but keeps the norm
// expansion accurate on unscaled input. Features are not rescaled: choosing the scaling is the
// pipeline's job and the search compares its options.
//
// Cost bound: more than kMaxRows training rows (or more than kMaxStoredValues cells) are
// reduced to a seeded uniform subsample without replacement, so fit memory and predict time
// stay bounded whatever the data size; the family is therefore applicable to any data.
//
// Predictions: classification probabilities are the (uniform or 1/distance weighted) class
// frequencies among the neighbours, smoothed towards the training class frequencies by a
// Dirichlet prior of total mass one (so no probability is zero), clipped to [1e-6, 1];
// regression is the weighted mean of the neighbours' values. Predict is const and uses only
// locals; its working memory is bounded by kMaxBlockValues.
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "automl/models/families.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr uint32_t kKnnFormatVersion = 1;
constexpr size_t kMaxRows = 20000;
constexpr size_t kMaxStoredValues = size_t{1} << 25;
constexpr size_t kMinRowsWhenWide = 2000;
constexpr size_t kMaxBlockValues = size_t{1} << 22;
constexpr size_t kMaxQueryBlock = 1024;
constexpr float kKnnMinProbability = 1e-6f;
constexpr double kMinDistance = 1e-12;
constexpr uint64_t kMaxCount = uint64_t{1} << 32;

struct Options {
  int k = 5;
  bool distance_weights = false;
  int p = 2;
};

Options read_options(const Config& config) {
  Options o;
  o.k = static_cast<int>(std::clamp<int64_t>(param_int(config, "knn_n_neighbors", o.k), 1, 10000));
  std::string weights = param_string(config, "knn_weights", "uniform");
  if (weights != "uniform" && weights != "distance") {
    throw Error("knn: knn_weights = '" + weights + "'. Violated constraint: uniform or distance");
  }
  o.distance_weights = weights == "distance";
  o.p = static_cast<int>(param_int(config, "knn_p", o.p));
  if (o.p != 1 && o.p != 2) {
    throw Error("knn: knn_p = " + std::to_string(o.p) + ". Violated constraint: 1 or 2");
  }
  return o;
}

class KnnModel final : public Model {
 public:
  explicit KnnModel(Options options) : options_(options) {}

  void fit(const Matrix& x, const Target& y, const FitControl& control) override;
  void predict(const Matrix& x, std::span<float> out) const override;
  void save(Writer& out) const override;
  static std::unique_ptr<Model> load(Reader& in);

 private:
  // Derived state shared by fit and load: squared row norms and smoothed class frequencies.
  void finish();
  size_t n_outputs() const { return is_classification(task_) ? n_classes_ : 1; }
  double exact_distance(const float* query, size_t train_row) const;

  Options options_;
  Task task_ = Task::kRegression;
  size_t n_classes_ = 0;
  std::vector<float> mean_;
  RowMatrix train_;  // centred training rows
  std::vector<int32_t> labels_;
  std::vector<double> values_;
  Eigen::VectorXf norms_;
  std::vector<double> prior_;
};

void KnnModel::finish() {
  norms_ = train_.rowwise().squaredNorm();
  prior_.clear();
  if (!is_classification(task_)) return;
  prior_.assign(n_classes_, 1.0);
  for (int32_t label : labels_) prior_[static_cast<size_t>(label)] += 1.0;
  double total = static_cast<double>(labels_.size() + n_classes_);
  for (double& p : prior_) p /= total;
}

void KnnModel::fit(const Matrix& x, const Target& y, const FitControl& control) {
  control.check();
  if (x.rows == 0) throw Error("knn: no training rows");
  if (x.cols == 0) throw Error("knn: the matrix has no columns");
  if (y.size() != x.rows) {
    throw Error("knn: the target has " + std::to_string(y.size()) + " rows, the matrix " +
                std::to_string(x.rows));
  }
  task_ = y.task;
  if (is_classification(task_)) {
    if (y.n_classes() < 1) throw Error("knn: a classification target without classes");
    n_classes_ = static_cast<size_t>(y.n_classes());
    for (int32_t label : y.labels) {
      if (label < 0 || label >= y.n_classes()) {
        throw Error("knn: label " + std::to_string(label) + " is outside [0, " +
                    std::to_string(y.n_classes()) + ")");
      }
    }
  }

  const size_t limit = std::min(kMaxRows, std::max(kMinRowsWhenWide, kMaxStoredValues / x.cols));
  std::vector<size_t> rows(x.rows);
  std::iota(rows.begin(), rows.end(), size_t{0});
  if (x.rows > limit) {
    // Partial Fisher-Yates: the first `limit` entries become a uniform sample. Our own draws
    // rather than std::shuffle, so the sample is the same under every standard library.
    std::mt19937_64 engine(control.seed);
    for (size_t i = 0; i < limit; ++i) std::swap(rows[i], rows[i + engine() % (x.rows - i)]);
    rows.resize(limit);
    std::sort(rows.begin(), rows.end());
  }

  const size_t n = rows.size(), d = x.cols;
  std::vector<double> sum(d, 0.0);
  for (size_t r : rows) {
    const float* src = x.data.data() + r * d;
    for (size_t j = 0; j < d; ++j) sum[j] += src[j];
  }
  mean_.resize(d);
  for (size_t j = 0; j < d; ++j) mean_[j] = static_cast<float>(sum[j] / static_cast<double>(n));
  train_.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
  labels_.clear();
  values_.clear();
  for (size_t i = 0; i < n; ++i) {
    const float* src = x.data.data() + rows[i] * d;
    float* dst = train_.data() + i * d;
    for (size_t j = 0; j < d; ++j) dst[j] = src[j] - mean_[j];
    if (is_classification(task_)) {
      labels_.push_back(y.labels[rows[i]]);
    } else {
      values_.push_back(y.values[rows[i]]);
    }
  }
  finish();
}

double KnnModel::exact_distance(const float* query, size_t train_row) const {
  const float* t = train_.data() + train_row * train_.cols();
  double total = 0.0;
  for (Eigen::Index j = 0; j < train_.cols(); ++j) {
    double diff = static_cast<double>(query[j]) - t[j];
    total += options_.p == 1 ? std::abs(diff) : diff * diff;
  }
  return options_.p == 1 ? total : std::sqrt(total);
}

void KnnModel::predict(const Matrix& x, std::span<float> out) const {
  if (train_.rows() == 0) throw Error("knn: predict before fit");
  const size_t n = static_cast<size_t>(train_.rows()), d = static_cast<size_t>(train_.cols());
  if (x.cols != d) {
    throw Error("knn: the model was trained on " + std::to_string(d) +
                " columns, the matrix has " + std::to_string(x.cols));
  }
  const size_t outputs = n_outputs();
  if (out.size() != x.rows * outputs) throw Error("knn: the output span has the wrong size");
  const size_t k = std::min(static_cast<size_t>(options_.k), n);
  const size_t block = std::clamp<size_t>(kMaxBlockValues / n, 1, kMaxQueryBlock);

  RowMatrix queries, distances;
  using Candidate = std::pair<float, uint32_t>;  // (distance or its square, training row)
  std::vector<Candidate> heap;
  std::vector<double> weights(k), votes(outputs);
  for (size_t start = 0; start < x.rows; start += block) {
    const size_t count = std::min(block, x.rows - start);
    queries.resize(static_cast<Eigen::Index>(count), static_cast<Eigen::Index>(d));
    for (size_t i = 0; i < count; ++i) {
      const float* src = x.data.data() + (start + i) * d;
      float* dst = queries.data() + i * d;
      for (size_t j = 0; j < d; ++j) dst[j] = src[j] - mean_[j];
    }
    if (options_.p == 2) {
      distances.noalias() = queries * train_.transpose();
      Eigen::VectorXf query_norms = queries.rowwise().squaredNorm();
      distances = ((-2.0f * distances).colwise() + query_norms).rowwise() +
                  norms_.transpose();
    } else {
      distances.resize(static_cast<Eigen::Index>(count), static_cast<Eigen::Index>(n));
      for (size_t i = 0; i < count; ++i) {
        distances.row(static_cast<Eigen::Index>(i)) =
            (train_.rowwise() - queries.row(static_cast<Eigen::Index>(i)))
                .cwiseAbs().rowwise().sum().transpose();
      }
    }

    for (size_t i = 0; i < count; ++i) {
      // A max-heap of the k best (distance, row) pairs; the row breaks ties so results do not
      // depend on the scan order.
      heap.clear();
      const float* row = distances.data() + i * n;
      for (size_t t = 0; t < n; ++t) {
        Candidate c{row[t], static_cast<uint32_t>(t)};
        if (heap.size() < k) {
          heap.push_back(c);
          std::push_heap(heap.begin(), heap.end());
        } else if (c < heap.front()) {
          std::pop_heap(heap.begin(), heap.end());
          heap.back() = c;
          std::push_heap(heap.begin(), heap.end());
        }
      }
      std::sort(heap.begin(), heap.end());
      const float* query = queries.data() + i * d;
      double weight_sum = 0.0;
      for (size_t m = 0; m < k; ++m) {
        weights[m] = options_.distance_weights
                         ? 1.0 / std::max(exact_distance(query, heap[m].second), kMinDistance)
                         : 1.0;
        weight_sum += weights[m];
      }
      float* dst = out.data() + (start + i) * outputs;
      if (!is_classification(task_)) {
        double total = 0.0;
        for (size_t m = 0; m < k; ++m) total += weights[m] * values_[heap[m].second];
        dst[0] = static_cast<float>(total / weight_sum);
        continue;
      }
      std::fill(votes.begin(), votes.end(), 0.0);
      for (size_t m = 0; m < k; ++m) votes[labels_[heap[m].second]] += weights[m];
      // k neighbour observations plus one pseudo-observation spread as the training classes.
      double norm = 0.0;
      for (size_t c = 0; c < outputs; ++c) {
        double p = (static_cast<double>(k) * votes[c] / weight_sum + prior_[c]) /
                   (static_cast<double>(k) + 1.0);
        votes[c] = std::max(p, static_cast<double>(kKnnMinProbability));
        norm += votes[c];
      }
      for (size_t c = 0; c < outputs; ++c) dst[c] = static_cast<float>(votes[c] / norm);
    }
  }
}

void KnnModel::save(Writer& out) const {
  out.u32(kKnnFormatVersion);
  out.u8(static_cast<uint8_t>(task_));
  out.u64(n_classes_);
  out.u64(static_cast<uint64_t>(options_.k));
  out.u8(options_.distance_weights ? 1 : 0);
  out.u8(static_cast<uint8_t>(options_.p));
  out.u64(static_cast<uint64_t>(train_.rows()));
  out.u64(static_cast<uint64_t>(train_.cols()));
  out.floats(mean_);
  out.floats({train_.data(), static_cast<size_t>(train_.size())});
  if (is_classification(task_)) {
    out.ints(labels_);
  } else {
    out.doubles(values_);
  }
}

std::unique_ptr<Model> KnnModel::load(Reader& in) {
  const Error corrupt("knn model: the model file is truncated or corrupt");
  if (in.u32() != kKnnFormatVersion) throw Error("knn model: unknown format version");
  uint8_t task = in.u8();
  if (task > static_cast<uint8_t>(Task::kRegression)) throw corrupt;
  Options options;
  auto n_classes = in.count(uint64_t{1} << 20);  // a class count, not a row count
  options.k = static_cast<int>(in.count(10000));
  options.distance_weights = in.u8() != 0;
  options.p = in.u8();
  if (options.k < 1 || (options.p != 1 && options.p != 2)) throw corrupt;
  auto model = std::make_unique<KnnModel>(options);
  model->task_ = static_cast<Task>(task);
  model->n_classes_ = n_classes;
  uint64_t n = in.count(kMaxCount), d = in.count(kMaxCount);
  model->mean_ = in.floats();
  std::vector<float> data = in.floats();
  if (n == 0 || d == 0 || model->mean_.size() != d || data.size() != n * d) throw corrupt;
  model->train_ = Eigen::Map<RowMatrix>(data.data(), static_cast<Eigen::Index>(n),
                                        static_cast<Eigen::Index>(d));
  if (is_classification(model->task_)) {
    model->labels_ = in.ints();
    if (model->labels_.size() != n || n_classes == 0) throw corrupt;
    for (int32_t label : model->labels_) {
      if (label < 0 || static_cast<uint64_t>(label) >= n_classes) throw corrupt;
    }
  } else {
    model->values_ = in.doubles();
    if (model->values_.size() != n) throw corrupt;
  }
  model->finish();
  return model;
}

}  // namespace

ModelFamily knn_family() {
  ModelFamily family;
  family.name = "knn";
  family.applicable = [](const DataShape&) { return true; };
  family.add_params = [](SearchSpace& space, const std::string& condition, const DataShape&) {
    space.add_int("knn_n_neighbors", 1, 100).log().default_value(int64_t{5}).when(condition)
        .add_categorical("knn_weights", {std::string("uniform"), std::string("distance")})
        .default_value(std::string("uniform")).when(condition)
        .add_categorical("knn_p", {int64_t{2}, int64_t{1}}).default_value(int64_t{2})
        .when(condition);
  };
  family.portfolio = [](const DataShape&) {
    // scikit-learn's default, then a smoother distance-weighted neighbourhood.
    return std::vector<Config>{
        {{"knn_n_neighbors", int64_t{5}},
         {"knn_weights", std::string("uniform")},
         {"knn_p", int64_t{2}}},
        {{"knn_n_neighbors", int64_t{15}},
         {"knn_weights", std::string("distance")},
         {"knn_p", int64_t{2}}},
    };
  };
  family.create = [](const Config& config, const DataShape&) -> std::unique_ptr<Model> {
    return std::make_unique<KnnModel>(read_options(config));
  };
  family.load = [](Reader& in) { return KnnModel::load(in); };
  family.wants_scaling = true;
  return family;
}

}  // namespace winnow::automl
