// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The multilayer perceptron family: one to three fully connected ReLU layers, a softmax output
// with cross-entropy loss for classification and a linear output with squared loss for
// regression, trained by minibatch Adam (Kingma & Ba 2015, Algorithm 1) with an L2 penalty
// 0.5 * alpha * |W|^2 on the weights (not the biases), He initialisation (He et al. 2015) and
// optional inverted dropout on the hidden layers.
//
// Early stopping (Prechelt 1998): a seeded 10% of the rows is held out, the validation loss is
// measured after every epoch, training ends after a run of epochs without improvement and the
// best weights are kept. Fewer rows than kMinRowsForValidation leave nothing to hold out; the
// training loss is watched instead.
//
// Inputs and the regression target are standardised inside the model (the statistics are saved
// with it) so that an unscaled matrix trains as well as a scaled one; for standardised input
// this is nearly the identity.
//
// Contract: the same seed and data give the same model (the random numbers come from our own
// use of std::mt19937_64, not from library distributions, and Eigen runs on one thread);
// control.check() runs before every minibatch; predict is const and touches only locals.
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <numbers>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "automl/models/families.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::RowVectorXf;

constexpr uint32_t kMlpFormatVersion = 1;
constexpr int kPatience = 10;
// An epoch improves on the best one when its loss is lower by this relative margin.
constexpr double kRelativeTolerance = 1e-4;
constexpr double kValidationFraction = 0.1;
constexpr size_t kMinRowsForValidation = 50;
constexpr size_t kEvalBlockRows = 1024;
constexpr float kMlpMinProbability = 1e-6f;
constexpr double kAdamBeta1 = 0.9;
constexpr double kAdamBeta2 = 0.999;
constexpr double kAdamEpsilon = 1e-8;
constexpr uint32_t kMaxLayers = 64;
constexpr uint32_t kMaxUnits = 1u << 24;

// std::normal_distribution and std::shuffle differ between standard libraries; a seed must give
// the same model wherever it is trained, so the few draws we need are made here.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double normal() {  // Box-Muller
    double u1 = std::max(uniform(), 1e-300);
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  void shuffle(std::vector<size_t>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[engine_() % i]);
  }

 private:
  std::mt19937_64 engine_;
};

struct Hyper {
  int hidden_layers = 1;
  int width = 100;
  double learning_rate = 1e-3;
  double alpha = 1e-4;
  int batch_size = 200;
  int max_epochs = 200;
  double dropout = 0.0;
};

Hyper read_hyper(const Config& config) {
  Hyper h;
  h.hidden_layers = static_cast<int>(std::clamp<int64_t>(
      param_int(config, "mlp_hidden_layers", h.hidden_layers), 1, 8));
  h.width = static_cast<int>(std::clamp<int64_t>(param_int(config, "mlp_width", h.width), 1, 4096));
  h.learning_rate = param_float(config, "mlp_learning_rate", h.learning_rate);
  h.alpha = std::max(0.0, param_float(config, "mlp_alpha", h.alpha));
  h.batch_size = static_cast<int>(
      std::clamp<int64_t>(param_int(config, "mlp_batch_size", h.batch_size), 1, 1 << 16));
  h.max_epochs = static_cast<int>(
      std::clamp<int64_t>(param_int(config, "mlp_max_epochs", h.max_epochs), 1, 100000));
  h.dropout = std::clamp(param_float(config, "mlp_dropout", h.dropout), 0.0, 0.9);
  if (!(h.learning_rate > 0.0) || !std::isfinite(h.learning_rate)) {
    throw Error("mlp: mlp_learning_rate = " + std::to_string(h.learning_rate) +
                ". Violated constraint: > 0");
  }
  return h;
}

struct Layer {
  RowMatrix weight;  // inputs x outputs
  RowVector bias;
};

// The training targets by row: labels for classification, standardised values for regression.
struct Targets {
  std::vector<int32_t> labels;
  std::vector<float> values;
};

class MlpModel final : public Model {
 public:
  explicit MlpModel(Hyper hyper) : hyper_(hyper) {}

  void fit(const Matrix& x, const Target& y, const FitControl& control) override;
  void predict(const Matrix& x, std::span<float> out) const override;
  void save(Writer& out) const override;
  static std::unique_ptr<Model> load(Reader& in);

 private:
  // Standardised copies of the rows row_of(0..count-1) of x.
  template <typename RowOf>
  void gather(const Matrix& x, size_t count, RowOf row_of, RowMatrix& out) const;
  // Output scores (logits or standardised values) of standardised inputs, without dropout.
  RowMatrix forward(const RowMatrix& input) const;
  // Summed loss of `scores` for the targets of `rows`; when `gradient`, scores is replaced by
  // the gradient of the mean loss over the rows.
  double output_loss(RowMatrix& scores, std::span<const size_t> rows, const Targets& targets,
                     bool gradient) const;
  double mean_loss(const Matrix& x, std::span<const size_t> rows, const Targets& targets) const;
  void compute_input_scaling(const Matrix& x);

  Hyper hyper_;
  Task task_ = Task::kRegression;
  uint32_t n_inputs_ = 0;
  uint32_t n_outputs_ = 0;
  std::vector<float> x_mean_;
  std::vector<float> x_inverse_scale_;
  double y_mean_ = 0.0;
  double y_std_ = 1.0;
  std::vector<Layer> layers_;
};

template <typename RowOf>
void MlpModel::gather(const Matrix& x, size_t count, RowOf row_of, RowMatrix& out) const {
  out.resize(static_cast<Eigen::Index>(count), n_inputs_);
  for (size_t i = 0; i < count; ++i) {
    const float* src = x.data.data() + row_of(i) * x.cols;
    float* dst = out.data() + i * n_inputs_;
    for (uint32_t j = 0; j < n_inputs_; ++j) dst[j] = (src[j] - x_mean_[j]) * x_inverse_scale_[j];
  }
}

RowMatrix MlpModel::forward(const RowMatrix& input) const {
  RowMatrix a = input;
  for (size_t l = 0; l < layers_.size(); ++l) {
    RowMatrix z = a * layers_[l].weight;
    z.rowwise() += layers_[l].bias;
    if (l + 1 < layers_.size()) z = z.cwiseMax(0.0f);
    a = std::move(z);
  }
  return a;
}

double MlpModel::output_loss(RowMatrix& scores, std::span<const size_t> rows,
                             const Targets& targets, bool gradient) const {
  const float inv_count = 1.0f / static_cast<float>(rows.size());
  double loss = 0.0;
  if (is_classification(task_)) {
    for (Eigen::Index i = 0; i < scores.rows(); ++i) {
      auto row = scores.row(i);
      float top = row.maxCoeff();
      row = (row.array() - top).exp();
      row /= row.sum();
      int32_t label = targets.labels[rows[static_cast<size_t>(i)]];
      loss -= std::log(std::max(static_cast<double>(row(label)), 1e-12));
      if (gradient) {
        row(label) -= 1.0f;
        row *= inv_count;
      }
    }
  } else {
    for (Eigen::Index i = 0; i < scores.rows(); ++i) {
      float diff = scores(i, 0) - targets.values[rows[static_cast<size_t>(i)]];
      loss += 0.5 * static_cast<double>(diff) * diff;
      if (gradient) scores(i, 0) = diff * inv_count;
    }
  }
  return loss;
}

double MlpModel::mean_loss(const Matrix& x, std::span<const size_t> rows,
                           const Targets& targets) const {
  double total = 0.0;
  RowMatrix input;
  for (size_t start = 0; start < rows.size(); start += kEvalBlockRows) {
    auto block = rows.subspan(start, std::min(kEvalBlockRows, rows.size() - start));
    gather(x, block.size(), [&](size_t i) { return block[i]; }, input);
    RowMatrix scores = forward(input);
    total += output_loss(scores, block, targets, false);
  }
  return total / static_cast<double>(rows.size());
}

void MlpModel::compute_input_scaling(const Matrix& x) {
  std::vector<double> sum(x.cols, 0.0), sum_sq(x.cols, 0.0);
  for (size_t r = 0; r < x.rows; ++r) {
    const float* row = x.data.data() + r * x.cols;
    for (size_t j = 0; j < x.cols; ++j) sum[j] += row[j];
  }
  x_mean_.assign(x.cols, 0.0f);
  for (size_t j = 0; j < x.cols; ++j) x_mean_[j] = static_cast<float>(sum[j] / x.rows);
  // Second pass about the mean: one-pass sums lose the variance of large-offset columns.
  for (size_t r = 0; r < x.rows; ++r) {
    const float* row = x.data.data() + r * x.cols;
    for (size_t j = 0; j < x.cols; ++j) {
      double d = static_cast<double>(row[j]) - x_mean_[j];
      sum_sq[j] += d * d;
    }
  }
  x_inverse_scale_.assign(x.cols, 1.0f);
  for (size_t j = 0; j < x.cols; ++j) {
    double sd = std::sqrt(sum_sq[j] / x.rows);
    if (sd > 1e-12 && std::isfinite(sd)) x_inverse_scale_[j] = static_cast<float>(1.0 / sd);
  }
}

void MlpModel::fit(const Matrix& x, const Target& y, const FitControl& control) {
  if (x.rows == 0) throw Error("mlp: no training rows");
  if (y.size() != x.rows) {
    throw Error("mlp: the target has " + std::to_string(y.size()) + " rows, the matrix " +
                std::to_string(x.rows));
  }
  if (x.cols == 0 || x.cols > kMaxUnits) {
    throw Error("mlp: the matrix has " + std::to_string(x.cols) + " columns");
  }
  task_ = y.task;
  n_inputs_ = static_cast<uint32_t>(x.cols);
  const size_t n = x.rows;
  Targets targets;
  if (is_classification(task_)) {
    if (y.n_classes() < 1) throw Error("mlp: a classification target without classes");
    n_outputs_ = static_cast<uint32_t>(y.n_classes());
    for (int32_t label : y.labels) {
      if (label < 0 || label >= y.n_classes()) {
        throw Error("mlp: label " + std::to_string(label) + " is outside [0, " +
                    std::to_string(y.n_classes()) + ")");
      }
    }
    targets.labels = y.labels;
  } else {
    n_outputs_ = 1;
    double sum = 0.0, sum_sq = 0.0;
    for (double v : y.values) sum += v;
    y_mean_ = sum / static_cast<double>(n);
    for (double v : y.values) sum_sq += (v - y_mean_) * (v - y_mean_);
    y_std_ = std::sqrt(sum_sq / static_cast<double>(n));
    if (!(y_std_ > 1e-12) || !std::isfinite(y_std_)) y_std_ = 1.0;
    if (!std::isfinite(y_mean_)) throw Error("mlp: the regression target has non-finite values");
    targets.values.resize(n);
    for (size_t i = 0; i < n; ++i) {
      targets.values[i] = static_cast<float>((y.values[i] - y_mean_) / y_std_);
    }
  }
  compute_input_scaling(x);

  Random random(control.seed);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  random.shuffle(order);
  size_t n_validation = 0;
  if (n >= kMinRowsForValidation) {
    n_validation = static_cast<size_t>(std::ceil(kValidationFraction * static_cast<double>(n)));
  }
  std::vector<size_t> validation(order.begin(), order.begin() + n_validation);
  std::vector<size_t> train(order.begin() + n_validation, order.end());
  std::sort(validation.begin(), validation.end());
  std::sort(train.begin(), train.end());
  const std::vector<size_t>& monitored = validation.empty() ? train : validation;

  // He initialisation: N(0, 2 / fan_in) weights, zero biases.
  layers_.clear();
  uint32_t fan_in = n_inputs_;
  for (int l = 0; l <= hyper_.hidden_layers; ++l) {
    uint32_t fan_out = l < hyper_.hidden_layers ? static_cast<uint32_t>(hyper_.width) : n_outputs_;
    Layer layer;
    layer.weight.resize(fan_in, fan_out);
    const double sd = std::sqrt(2.0 / fan_in);
    for (Eigen::Index i = 0; i < layer.weight.size(); ++i) {
      layer.weight.data()[i] = static_cast<float>(sd * random.normal());
    }
    layer.bias = RowVector::Zero(fan_out);
    layers_.push_back(std::move(layer));
    fan_in = fan_out;
  }

  const size_t n_layers = layers_.size();
  std::vector<Layer> moment1(n_layers), moment2(n_layers);
  for (size_t l = 0; l < n_layers; ++l) {
    moment1[l].weight = RowMatrix::Zero(layers_[l].weight.rows(), layers_[l].weight.cols());
    moment1[l].bias = RowVector::Zero(layers_[l].bias.size());
    moment2[l] = moment1[l];
  }

  std::vector<Layer> best = layers_;
  double best_loss = mean_loss(x, monitored, targets);
  if (!std::isfinite(best_loss)) best_loss = std::numeric_limits<double>::max();
  const size_t batch = std::min(static_cast<size_t>(hyper_.batch_size), train.size());
  const float keep = static_cast<float>(1.0 - hyper_.dropout);
  const float alpha = static_cast<float>(hyper_.alpha);
  std::vector<RowMatrix> activation(n_layers);  // activation[l] is the input of layer l
  std::vector<RowMatrix> mask(n_layers);        // dropout scale of activation[l], l >= 1
  double beta1_power = 1.0, beta2_power = 1.0;
  int stalled = 0;

  for (int epoch = 0; epoch < hyper_.max_epochs; ++epoch) {
    random.shuffle(train);
    for (size_t start = 0; start < train.size(); start += batch) {
      control.check();
      std::span<const size_t> rows(train.data() + start, std::min(batch, train.size() - start));
      gather(x, rows.size(), [&](size_t i) { return rows[i]; }, activation[0]);
      RowMatrix scores;
      for (size_t l = 0; l < n_layers; ++l) {
        RowMatrix z = activation[l] * layers_[l].weight;
        z.rowwise() += layers_[l].bias;
        if (l + 1 == n_layers) {
          scores = std::move(z);
          break;
        }
        z = z.cwiseMax(0.0f);
        if (keep < 1.0f) {
          mask[l + 1].resize(z.rows(), z.cols());
          for (Eigen::Index i = 0; i < mask[l + 1].size(); ++i) {
            mask[l + 1].data()[i] = random.uniform() < keep ? 1.0f / keep : 0.0f;
          }
          z = z.cwiseProduct(mask[l + 1]);
        }
        activation[l + 1] = std::move(z);
      }
      output_loss(scores, rows, targets, true);

      beta1_power *= kAdamBeta1;
      beta2_power *= kAdamBeta2;
      const float step = static_cast<float>(hyper_.learning_rate * std::sqrt(1.0 - beta2_power) /
                                            (1.0 - beta1_power));
      const float b1 = static_cast<float>(kAdamBeta1), b2 = static_cast<float>(kAdamBeta2);
      const float eps = static_cast<float>(kAdamEpsilon);
      RowMatrix delta = std::move(scores);
      for (size_t l = n_layers; l-- > 0;) {
        RowMatrix grad_w = activation[l].transpose() * delta;
        grad_w += alpha * layers_[l].weight;
        RowVector grad_b = delta.colwise().sum();
        if (l > 0) {
          // Through the ReLU and the dropout mask, with the weights before this step's update.
          RowMatrix back = delta * layers_[l].weight.transpose();
          auto active = (activation[l].array() > 0.0f).cast<float>();
          if (keep < 1.0f) {
            delta = back.array() * active * mask[l].array();
          } else {
            delta = back.array() * active;
          }
        }
        Layer& m = moment1[l];
        Layer& v = moment2[l];
        m.weight = b1 * m.weight + (1.0f - b1) * grad_w;
        v.weight = b2 * v.weight + (1.0f - b2) * grad_w.cwiseAbs2();
        layers_[l].weight.array() -= step * m.weight.array() / (v.weight.array().sqrt() + eps);
        m.bias = b1 * m.bias + (1.0f - b1) * grad_b;
        v.bias = b2 * v.bias + (1.0f - b2) * grad_b.cwiseAbs2();
        layers_[l].bias.array() -= step * m.bias.array() / (v.bias.array().sqrt() + eps);
      }
    }

    double loss = mean_loss(x, monitored, targets);
    if (!std::isfinite(loss)) break;  // diverged: the best weights so far are kept
    if (loss < best_loss * (1.0 - kRelativeTolerance)) {
      stalled = 0;
    } else if (++stalled >= kPatience) {
      if (loss < best_loss) best = layers_;
      break;
    }
    if (loss < best_loss) {
      best_loss = loss;
      best = layers_;
    }
  }
  layers_ = std::move(best);
}

void MlpModel::predict(const Matrix& x, std::span<float> out) const {
  if (layers_.empty()) throw Error("mlp: predict before fit");
  if (x.cols != n_inputs_) {
    throw Error("mlp: the model was trained on " + std::to_string(n_inputs_) +
                " columns, the matrix has " + std::to_string(x.cols));
  }
  if (out.size() != x.rows * n_outputs_) throw Error("mlp: the output span has the wrong size");
  RowMatrix input;
  for (size_t start = 0; start < x.rows; start += kEvalBlockRows) {
    size_t count = std::min(kEvalBlockRows, x.rows - start);
    gather(x, count, [&](size_t i) { return start + i; }, input);
    RowMatrix scores = forward(input);
    for (size_t i = 0; i < count; ++i) {
      float* dst = out.data() + (start + i) * n_outputs_;
      auto row = scores.row(static_cast<Eigen::Index>(i));
      if (!is_classification(task_)) {
        dst[0] = static_cast<float>(row(0) * y_std_ + y_mean_);
        continue;
      }
      float top = row.maxCoeff();
      double sum = 0.0;
      for (uint32_t c = 0; c < n_outputs_; ++c) {
        dst[c] = std::exp(row(c) - top);
        sum += dst[c];
      }
      double clipped_sum = 0.0;
      for (uint32_t c = 0; c < n_outputs_; ++c) {
        dst[c] = std::max(static_cast<float>(dst[c] / sum), kMlpMinProbability);
        clipped_sum += dst[c];
      }
      for (uint32_t c = 0; c < n_outputs_; ++c) dst[c] = static_cast<float>(dst[c] / clipped_sum);
    }
  }
}

void MlpModel::save(Writer& out) const {
  out.u32(kMlpFormatVersion);
  out.u8(static_cast<uint8_t>(task_));
  out.u64(n_inputs_);
  out.u64(n_outputs_);
  out.floats(x_mean_);
  out.floats(x_inverse_scale_);
  out.f64(y_mean_);
  out.f64(y_std_);
  out.u64(layers_.size());
  for (const Layer& layer : layers_) {
    out.u64(static_cast<uint64_t>(layer.weight.rows()));
    out.u64(static_cast<uint64_t>(layer.weight.cols()));
    out.floats({layer.weight.data(), static_cast<size_t>(layer.weight.size())});
    out.floats({layer.bias.data(), static_cast<size_t>(layer.bias.size())});
  }
}

std::unique_ptr<Model> MlpModel::load(Reader& in) {
  const Error corrupt("mlp model: the model file is truncated or corrupt");
  if (in.u32() != kMlpFormatVersion) throw Error("mlp model: unknown format version");
  auto model = std::make_unique<MlpModel>(Hyper{});
  uint8_t task = in.u8();
  if (task > static_cast<uint8_t>(Task::kRegression)) throw corrupt;
  model->task_ = static_cast<Task>(task);
  model->n_inputs_ = static_cast<uint32_t>(in.count(kMaxUnits));
  model->n_outputs_ = static_cast<uint32_t>(in.count(kMaxUnits));
  model->x_mean_ = in.floats();
  model->x_inverse_scale_ = in.floats();
  model->y_mean_ = in.f64();
  model->y_std_ = in.f64();
  if (model->x_mean_.size() != model->n_inputs_ ||
      model->x_inverse_scale_.size() != model->n_inputs_ || model->n_inputs_ == 0) {
    throw corrupt;
  }
  uint32_t n_layers = static_cast<uint32_t>(in.count(kMaxLayers));
  if (n_layers == 0) throw corrupt;
  uint64_t fan_in = model->n_inputs_;
  for (uint32_t l = 0; l < n_layers; ++l) {
    uint64_t rows = in.count(kMaxUnits), cols = in.count(kMaxUnits);
    std::vector<float> weight = in.floats();
    std::vector<float> bias = in.floats();
    if (rows != fan_in || weight.size() != rows * cols || bias.size() != cols) throw corrupt;
    Layer layer;
    layer.weight = Eigen::Map<RowMatrix>(weight.data(), static_cast<Eigen::Index>(rows),
                                         static_cast<Eigen::Index>(cols));
    layer.bias = Eigen::Map<RowVector>(bias.data(), static_cast<Eigen::Index>(cols));
    model->layers_.push_back(std::move(layer));
    fan_in = cols;
  }
  if (fan_in != model->n_outputs_) throw corrupt;
  return model;
}

}  // namespace

ModelFamily mlp_family() {
  ModelFamily family;
  family.name = "mlp";
  family.applicable = [](const DataShape&) { return true; };
  family.add_params = [](SearchSpace& space, const std::string& condition, const DataShape&) {
    space.add_int("mlp_hidden_layers", 1, 3).default_value(int64_t{1}).when(condition)
        .add_int("mlp_width", 16, 512).log().default_value(int64_t{100}).when(condition)
        .add_float("mlp_learning_rate", 1e-4, 1e-1).log().default_value(1e-3).when(condition)
        .add_float("mlp_alpha", 1e-7, 1e-1).log().default_value(1e-4).when(condition)
        .add_int("mlp_batch_size", 16, 512).log().default_value(int64_t{200}).when(condition)
        .add_int("mlp_max_epochs", 10, 300).log().default_value(int64_t{200}).when(condition)
        .add_float("mlp_dropout", 0.0, 0.5).default_value(0.0).when(condition);
  };
  family.portfolio = [](const DataShape&) {
    // scikit-learn's MLPClassifier defaults, then a wider, deeper network with some dropout.
    return std::vector<Config>{
        {{"mlp_hidden_layers", int64_t{1}},
         {"mlp_width", int64_t{100}},
         {"mlp_learning_rate", 1e-3},
         {"mlp_alpha", 1e-4},
         {"mlp_batch_size", int64_t{200}},
         {"mlp_max_epochs", int64_t{200}},
         {"mlp_dropout", 0.0}},
        {{"mlp_hidden_layers", int64_t{2}},
         {"mlp_width", int64_t{256}},
         {"mlp_learning_rate", 1e-3},
         {"mlp_alpha", 1e-5},
         {"mlp_batch_size", int64_t{128}},
         {"mlp_max_epochs", int64_t{150}},
         {"mlp_dropout", 0.1}},
    };
  };
  family.create = [](const Config& config, const DataShape&) -> std::unique_ptr<Model> {
    return std::make_unique<MlpModel>(read_hyper(config));
  };
  family.load = [](Reader& in) { return MlpModel::load(in); };
  family.wants_scaling = true;
  return family;
}

}  // namespace winnow::automl
