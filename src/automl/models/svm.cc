// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The "svm" family: kernel support vector machines with the RBF kernel, trained by libsvm
// (Chang & Lin, "LIBSVM: A Library for Support Vector Machines", ACM TIST 2011): C-SVC for
// classification, epsilon-SVR for regression. Class probabilities are libsvm's: Platt scaling of
// each pair of classes fitted on an inner five-fold cross-validation (Lin, Lin & Weng, "A note on
// Platt's probabilistic outputs for support vector machines", 2007), coupled by the method of Wu,
// Lin & Weng (JMLR 2004). Regression targets are standardised first, so svm_epsilon and svm_C
// are in units of the target's standard deviation.
// Only small data: training costs grow quadratically or worse with the rows, and Platt scaling
// trains five more machines per pair of classes.
// Contract: libsvm cannot be interrupted, so control.check() runs before and after it; the
// caller bounds the rest. libsvm draws its Platt folds from libc's rand(); training holds a
// process-wide mutex from srand(seed) to its end, which makes a fit deterministic for a seed and
// also means SVM fits in one process train one at a time. The fitted machine (support vectors,
// coefficients, offsets, Platt parameters) is written by this file and rebuilt into an svm_model
// view for prediction, so a model file never depends on libsvm's file format.
#include <libsvm/svm.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "automl/models/families.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

constexpr uint32_t kSvmFormatVersion = 1;
constexpr double kSvmMinProbability = 1e-6;
// Rows above which the family is not offered: see the file comment.
constexpr size_t kMaxRows = 5000;
constexpr double kCacheMegabytes = 100;
constexpr double kSolverEps = 1e-3;  // libsvm's default stopping tolerance

void no_print(const char*) {}

void silence_libsvm() {
  static std::once_flag once;
  std::call_once(once, [] { svm_set_print_string_function(&no_print); });
}

struct SvmModelDeleter {
  void operator()(svm_model* m) const { svm_free_and_destroy_model(&m); }
};

// libsvm's sparse row: the nonzero features (1-based), then index -1. Zeros are left out because
// libsvm's kernel treats an absent feature as zero anyway.
void append_row(std::span<const float> row, std::vector<svm_node>& nodes) {
  for (size_t c = 0; c < row.size(); ++c) {
    if (row[c] != 0.0f) nodes.push_back({static_cast<int>(c + 1), row[c]});
  }
  nodes.push_back({-1, 0.0});
}

struct SvmRows {
  std::vector<svm_node> nodes;
  std::vector<svm_node*> rows;
};

SvmRows to_svm_rows(const float* data, size_t rows, size_t cols) {
  SvmRows out;
  std::vector<size_t> starts(rows);
  for (size_t r = 0; r < rows; ++r) {
    starts[r] = out.nodes.size();
    append_row({data + r * cols, cols}, out.nodes);
  }
  out.rows.resize(rows);
  for (size_t r = 0; r < rows; ++r) out.rows[r] = out.nodes.data() + starts[r];
  return out;
}

class SvmModel final : public Model {
 public:
  SvmModel(Task task, double c, double gamma, double epsilon)
      : task_(task), c_(c), gamma_(gamma), epsilon_(epsilon) {}
  SvmModel(const SvmModel&) = delete;
  SvmModel& operator=(const SvmModel&) = delete;

  void fit(const Matrix& x, const Target& y, const FitControl& control) override {
    if (is_classification(y.task) != is_classification(task_)) {
      throw Error("svm: the model was configured for " + std::string(to_string(task_)) +
                  " but is trained on a " + std::string(to_string(y.task)) + " target");
    }
    if (x.rows == 0 || y.size() != x.rows) {
      throw Error("svm: " + std::to_string(x.rows) + " training rows and " +
                  std::to_string(y.size()) + " targets");
    }
    control.check();
    n_features_ = x.cols;
    std::vector<double> targets(x.rows);
    if (is_classification(task_)) {
      int max_label = -1;
      for (int32_t label : y.labels) {
        if (label < 0) throw Error("svm: negative class label " + std::to_string(label));
        max_label = std::max(max_label, label);
      }
      n_classes_ = std::max(y.n_classes(), max_label + 1);
      std::copy(y.labels.begin(), y.labels.end(), targets.begin());
      if (std::all_of(y.labels.begin(), y.labels.end(),
                      [&](int32_t l) { return l == y.labels[0]; })) {
        // Nothing to separate: the model always predicts the one class seen.
        nr_class_ = 1;
        labels_ = {y.labels[0]};
        build_view();
        return;
      }
    } else {
      double mean = 0;
      for (double v : y.values) mean += v;
      mean /= static_cast<double>(x.rows);
      double variance = 0;
      for (double v : y.values) variance += (v - mean) * (v - mean);
      double scale = std::sqrt(variance / static_cast<double>(x.rows));
      y_mean_ = mean;
      y_scale_ = scale > 0 && std::isfinite(scale) ? scale : 1.0;
      for (size_t i = 0; i < x.rows; ++i) targets[i] = (y.values[i] - y_mean_) / y_scale_;
    }

    SvmRows rows = to_svm_rows(x.data.data(), x.rows, x.cols);
    svm_problem prob{};
    prob.l = static_cast<int>(x.rows);
    prob.y = targets.data();
    prob.x = rows.rows.data();
    svm_parameter param = parameters();
    param.cache_size = kCacheMegabytes;
    param.eps = kSolverEps;
    param.C = c_;
    param.shrinking = 1;
    param.probability = is_classification(task_) ? 1 : 0;
    if (const char* problem_text = svm_check_parameter(&prob, &param)) {
      throw Error(std::string("svm: libsvm refused the parameters: ") + problem_text);
    }
    silence_libsvm();
    std::unique_ptr<svm_model, SvmModelDeleter> trained;
    {
      std::lock_guard lock(internal::libc_rand_mutex());
      control.check();  // the wait for the lock may have outlasted the limit
      std::srand(static_cast<unsigned>(control.seed ^ (control.seed >> 32)));
      trained.reset(svm_train(&prob, &param));
    }
    if (!trained) throw Error("svm: libsvm failed to train");
    control.check();
    copy_from(*trained, x.cols);
    build_view();
  }

  void predict(const Matrix& x, std::span<float> out) const override {
    if (x.cols != n_features_) {
      throw Error("svm: the model was trained on " + std::to_string(n_features_) +
                  " features, not " + std::to_string(x.cols));
    }
    size_t outputs = is_classification(task_) ? static_cast<size_t>(n_classes_) : 1;
    if (out.size() != x.rows * outputs) throw Error("svm: prediction buffer has the wrong size");
    std::vector<svm_node> nodes;
    nodes.reserve(x.cols + 1);
    std::vector<double> pair_probability(std::max(nr_class_, 1));
    std::vector<double> probability(n_classes_);
    for (size_t r = 0; r < x.rows; ++r) {
      nodes.clear();
      append_row(x.row(r), nodes);
      if (!is_classification(task_)) {
        out[r] = static_cast<float>(svm_predict(&view_, nodes.data()) * y_scale_ + y_mean_);
        continue;
      }
      std::fill(probability.begin(), probability.end(), 0.0);
      if (nr_class_ == 1) {
        probability[labels_[0]] = 1.0;
      } else {
        svm_predict_probability(&view_, nodes.data(), pair_probability.data());
        for (int k = 0; k < nr_class_; ++k) probability[labels_[k]] = pair_probability[k];
      }
      // Classes absent from training still get a little probability.
      double total = 0;
      for (double& p : probability) total += p = std::clamp(p, kSvmMinProbability, 1.0);
      for (int k = 0; k < n_classes_; ++k) {
        out[r * n_classes_ + k] = static_cast<float>(probability[k] / total);
      }
    }
  }

  void save(Writer& out) const override {
    out.u32(kSvmFormatVersion);
    out.u8(static_cast<uint8_t>(task_));
    out.u64(n_features_);
    out.u32(static_cast<uint32_t>(n_classes_));
    out.f64(gamma_);
    out.f64(y_mean_);
    out.f64(y_scale_);
    out.u32(static_cast<uint32_t>(nr_class_));
    out.ints(labels_);
    out.ints(n_sv_);
    out.u64(n_support_);
    out.floats(support_vectors_);
    out.doubles(coefficients_);
    out.doubles(rho_);
    out.doubles(prob_a_);
    out.doubles(prob_b_);
  }

  static std::unique_ptr<Model> load(Reader& in) {
    auto corrupt = [] { return Error("svm model: model file is truncated or corrupt"); };
    if (in.u32() != kSvmFormatVersion) throw corrupt();
    auto task = static_cast<Task>(in.u8());
    if (task != Task::kBinary && task != Task::kMulticlass && task != Task::kRegression) {
      throw corrupt();
    }
    auto model = std::make_unique<SvmModel>(task, 1.0, 1.0, 0.1);
    SvmModel& m = *model;
    m.n_features_ = in.u64();
    m.n_classes_ = static_cast<int>(in.u32());
    m.gamma_ = in.f64();
    m.y_mean_ = in.f64();
    m.y_scale_ = in.f64();
    m.nr_class_ = static_cast<int>(in.u32());
    m.labels_ = in.ints();
    m.n_sv_ = in.ints();
    m.n_support_ = in.u64();
    m.support_vectors_ = in.floats();
    m.coefficients_ = in.doubles();
    m.rho_ = in.doubles();
    m.prob_a_ = in.doubles();
    m.prob_b_ = in.doubles();
    if (!m.consistent()) throw corrupt();
    m.build_view();
    return model;
  }

 private:
  svm_parameter parameters() const {
    svm_parameter param{};
    param.svm_type = is_classification(task_) ? C_SVC : EPSILON_SVR;
    param.kernel_type = RBF;
    param.degree = 3;
    param.gamma = gamma_;
    param.coef0 = 0;
    param.nu = 0.5;
    param.p = epsilon_;
    return param;
  }

  void copy_from(const svm_model& trained, size_t cols) {
    nr_class_ = trained.nr_class;
    n_support_ = static_cast<size_t>(trained.l);
    support_vectors_.assign(n_support_ * cols, 0.0f);
    for (size_t i = 0; i < n_support_; ++i) {
      for (const svm_node* node = trained.SV[i]; node->index != -1; ++node) {
        support_vectors_[i * cols + node->index - 1] = static_cast<float>(node->value);
      }
    }
    coefficients_.clear();
    for (int k = 0; k + 1 < nr_class_; ++k) {
      const double* row = trained.sv_coef[k];
      coefficients_.insert(coefficients_.end(), row, row + n_support_);
    }
    size_t pairs = static_cast<size_t>(nr_class_) * (nr_class_ - 1) / 2;
    rho_.assign(trained.rho, trained.rho + pairs);
    labels_.clear();
    n_sv_.clear();
    prob_a_.clear();
    prob_b_.clear();
    if (is_classification(task_)) {
      labels_.assign(trained.label, trained.label + nr_class_);
      n_sv_.assign(trained.nSV, trained.nSV + nr_class_);
      prob_a_.assign(trained.probA, trained.probA + pairs);
      prob_b_.assign(trained.probB, trained.probB + pairs);
    }
  }

  bool consistent() const {
    if (!(gamma_ > 0) || !(y_scale_ > 0)) return false;
    if (is_classification(task_)) {
      if (nr_class_ < 1 || nr_class_ > n_classes_) return false;
      if (labels_.size() != static_cast<size_t>(nr_class_)) return false;
      for (int32_t label : labels_) {
        if (label < 0 || label >= n_classes_) return false;
      }
      if (nr_class_ == 1) return n_support_ == 0;
      if (n_sv_.size() != static_cast<size_t>(nr_class_)) return false;
      uint64_t total = 0;
      for (int32_t count : n_sv_) {
        if (count < 0) return false;
        total += static_cast<uint64_t>(count);
      }
      if (total != n_support_) return false;
    } else if (nr_class_ != 2 || !labels_.empty() || !n_sv_.empty()) {
      return false;
    }
    size_t pairs = static_cast<size_t>(nr_class_) * (nr_class_ - 1) / 2;
    size_t probabilities = is_classification(task_) ? pairs : 0;
    if (n_features_ > 0 && n_support_ > support_vectors_.size() / n_features_) return false;
    return support_vectors_.size() == n_support_ * n_features_ &&
           coefficients_.size() == n_support_ * (nr_class_ - 1) && rho_.size() == pairs &&
           prob_a_.size() == probabilities && prob_b_.size() == probabilities &&
           n_support_ <= static_cast<uint64_t>(INT32_MAX);
  }

  // Points view_ (an svm_model libsvm's predict functions read but never free) at this object's
  // arrays. The arrays never change after this, and the object is never copied or moved.
  void build_view() {
    silence_libsvm();  // Platt coupling may print while predicting
    view_ = svm_model{};
    view_.param = parameters();
    view_.nr_class = nr_class_;
    view_.l = static_cast<int>(n_support_);
    if (nr_class_ < 2) return;
    SvmRows rows = to_svm_rows(support_vectors_.data(), n_support_, n_features_);
    // Moving a vector keeps its buffer, so the row pointers stay valid.
    sv_nodes_ = std::move(rows.nodes);
    sv_rows_ = std::move(rows.rows);
    coefficient_rows_.resize(nr_class_ - 1);
    for (int k = 0; k + 1 < nr_class_; ++k) {
      coefficient_rows_[k] = coefficients_.data() + k * n_support_;
    }
    view_.SV = sv_rows_.data();
    view_.sv_coef = coefficient_rows_.data();
    view_.rho = rho_.data();
    if (is_classification(task_)) {
      view_.probA = prob_a_.data();
      view_.probB = prob_b_.data();
      view_.label = labels_.data();
      view_.nSV = n_sv_.data();
    }
    view_.free_sv = 0;
  }

  Task task_;
  double c_;
  double gamma_;
  double epsilon_;

  size_t n_features_ = 0;
  int n_classes_ = 0;
  double y_mean_ = 0;
  double y_scale_ = 1;
  // The fitted machine in libsvm's layout: nr_class_ classes (2 in regression) with their
  // labels_ and support vector counts n_sv_, n_support_ dense support_vectors_, coefficients_
  // ((nr_class_ - 1) rows of n_support_), one rho_ per pair and Platt's prob_a_ / prob_b_ per
  // pair. One class seen: nr_class_ = 1 and no machine.
  int nr_class_ = 0;
  std::vector<int32_t> labels_;
  std::vector<int32_t> n_sv_;
  uint64_t n_support_ = 0;
  std::vector<float> support_vectors_;
  std::vector<double> coefficients_;
  std::vector<double> rho_;
  std::vector<double> prob_a_;
  std::vector<double> prob_b_;

  std::vector<svm_node> sv_nodes_;
  std::vector<svm_node*> sv_rows_;
  std::vector<double*> coefficient_rows_;
  svm_model view_{};
};

}  // namespace

ModelFamily svm_family() {
  ModelFamily family;
  family.name = "svm";
  family.applicable = [](const DataShape& shape) { return shape.rows <= kMaxRows; };
  family.add_params = [](SearchSpace& space, const std::string& condition,
                         const DataShape& shape) {
    double gamma = std::clamp(1.0 / static_cast<double>(std::max<size_t>(shape.features, 1)),
                              1e-4, 10.0);
    space.add_float("svm_C", 1e-2, 1e3).log().default_value(1.0).when(condition)
        .add_float("svm_gamma", 1e-4, 10.0).log().default_value(gamma).when(condition);
    if (!is_classification(shape.task)) {
      space.add_float("svm_epsilon", 1e-3, 1.0).log().default_value(0.1).when(condition);
    }
  };
  // libsvm's and scikit-learn's defaults (gamma 1 / features is scikit-learn's "scale" on
  // standardised inputs), then a harder margin.
  family.portfolio = [](const DataShape& shape) {
    double gamma = std::clamp(1.0 / static_cast<double>(std::max<size_t>(shape.features, 1)),
                              1e-4, 10.0);
    std::vector<Config> configs = {
        {{"svm_C", 1.0}, {"svm_gamma", gamma}},
        {{"svm_C", 10.0}, {"svm_gamma", gamma}},
    };
    if (!is_classification(shape.task)) {
      for (Config& config : configs) config["svm_epsilon"] = 0.1;
    }
    return configs;
  };
  family.create = [](const Config& config, const DataShape& shape) -> std::unique_ptr<Model> {
    double c = param_float(config, "svm_C", 1.0);
    double gamma = param_float(
        config, "svm_gamma", 1.0 / static_cast<double>(std::max<size_t>(shape.features, 1)));
    double epsilon = param_float(config, "svm_epsilon", 0.1);
    if (!(c > 0)) throw Error("svm_C = " + std::to_string(c) + " must be > 0");
    if (!(gamma > 0)) throw Error("svm_gamma = " + std::to_string(gamma) + " must be > 0");
    if (!(epsilon >= 0)) throw Error("svm_epsilon = " + std::to_string(epsilon) + " must be >= 0");
    return std::make_unique<SvmModel>(shape.task, c, gamma, epsilon);
  };
  family.load = [](Reader& in) { return SvmModel::load(in); };
  family.wants_scaling = true;
  return family;
}

}  // namespace winnow::automl
