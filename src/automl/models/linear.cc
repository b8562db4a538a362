// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The "linear" family: regularised linear models on scaled inputs.
//   Classification: logistic regression with an L2 penalty (trust-region Newton) or an L1
//   penalty (newGLMNET), trained by liblinear (Fan et al., "LIBLINEAR: A Library for Large
//   Linear Classification", JMLR 2008). Several classes are one-vs-rest; their sigmoids are
//   normalised to sum to 1, exactly as liblinear's predict_probability does.
//   Regression: ridge in closed form (LDLT of X^T X + alpha I, or of X X^T + alpha I when
//   features outnumber rows) and lasso / elastic net by cyclic coordinate descent (Friedman,
//   Hastie & Tibshirani, "Regularization Paths for Generalized Linear Models via Coordinate
//   Descent", J. Stat. Softw. 2010). The objectives are scikit-learn's Ridge and ElasticNet,
//   except that the target is standardised first so that alpha means the same on every data set.
// The regression intercept is never penalised; liblinear 2.3 penalises its bias feature and has
// no switch to stop it.
// Contract: liblinear cannot be interrupted, so control.check() runs before and after it and its
// work is bounded by its stopping tolerance; the caller bounds the rest. Coordinate descent
// checks every few sweeps. The fitted weights are written by this file, not in liblinear's model
// file format, and predict() works from them, so a model file never depends on liblinear.
#include <linear.h>

#include <Eigen/Dense>
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
namespace internal {

// libc's rand() state is one per process, and both liblinear's L1 solver (its coordinate order)
// and libsvm's Platt scaling (its cross-validation split) draw from it. Holding this mutex from
// srand(seed) to the end of their training makes their draws depend on the seed alone. Code
// that calls rand() without it can still perturb those draws; Winnow's own code never does.
std::mutex& libc_rand_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace internal

namespace {

constexpr uint32_t kLinearFormatVersion = 1;
constexpr double kLinearMinProbability = 1e-6;
// liblinear's own default tolerance for both logistic solvers; it bounds their iterations.
constexpr double kLiblinearEps = 0.01;
// Coordinate descent: a sweep whose largest change of a prediction (in standard deviations of
// the target) is below this ends the fit; control is checked every kSweepsPerCheck sweeps.
constexpr double kDescentTolerance = 1e-4;
constexpr int kMaxSweeps = 1000;
constexpr int kSweepsPerCheck = 8;

enum class Penalty { kL2, kL1, kRidge, kLasso, kElasticNet };

Penalty parse_penalty(const std::string& text, Task task) {
  if (is_classification(task)) {
    if (text == "l2") return Penalty::kL2;
    if (text == "l1") return Penalty::kL1;
    throw Error("linear_penalty = '" + text + "' is not a classification penalty (l1, l2)");
  }
  if (text == "ridge") return Penalty::kRidge;
  if (text == "lasso") return Penalty::kLasso;
  if (text == "elasticnet") return Penalty::kElasticNet;
  throw Error("linear_penalty = '" + text + "' is not a regression penalty (ridge, lasso, "
              "elasticnet)");
}

void no_print(const char*) {}

void silence_liblinear() {
  static std::once_flag once;
  std::call_once(once, [] { set_print_string_function(&no_print); });
}

struct LiblinearModelDeleter {
  void operator()(model* m) const { free_and_destroy_model(&m); }
};

// liblinear's sparse rows: the nonzero features (1-based), the bias feature, then index -1.
struct LiblinearRows {
  std::vector<feature_node> nodes;
  std::vector<feature_node*> rows;
};

LiblinearRows to_liblinear(const Matrix& x, double bias) {
  LiblinearRows out;
  size_t nonzero = 0;
  for (float v : x.data) nonzero += v != 0.0f;
  out.nodes.reserve(nonzero + 2 * x.rows);
  std::vector<size_t> starts(x.rows);
  for (size_t r = 0; r < x.rows; ++r) {
    starts[r] = out.nodes.size();
    auto row = x.row(r);
    for (size_t c = 0; c < x.cols; ++c) {
      if (row[c] != 0.0f) out.nodes.push_back({static_cast<int>(c + 1), row[c]});
    }
    out.nodes.push_back({static_cast<int>(x.cols + 1), bias});
    out.nodes.push_back({-1, 0.0});
  }
  out.rows.resize(x.rows);
  for (size_t r = 0; r < x.rows; ++r) out.rows[r] = out.nodes.data() + starts[r];
  return out;
}

class LinearModel final : public Model {
 public:
  LinearModel(Task task, Penalty penalty, double c, double alpha, double l1_ratio)
      : task_(task), penalty_(penalty), c_(c), alpha_(alpha), l1_ratio_(l1_ratio) {}

  void fit(const Matrix& x, const Target& y, const FitControl& control) override {
    if (is_classification(y.task) != is_classification(task_)) {
      throw Error("linear: the model was configured for " + std::string(to_string(task_)) +
                  " but is trained on a " + std::string(to_string(y.task)) + " target");
    }
    if (x.rows == 0 || y.size() != x.rows) {
      throw Error("linear: " + std::to_string(x.rows) + " training rows and " +
                  std::to_string(y.size()) + " targets");
    }
    control.check();
    n_features_ = x.cols;
    if (is_classification(task_)) {
      fit_logistic(x, y, control);
    } else {
      fit_regression(x, y.values, control);
    }
    control.check();
  }

  void predict(const Matrix& x, std::span<float> out) const override {
    if (x.cols != n_features_) {
      throw Error("linear: the model was trained on " + std::to_string(n_features_) +
                  " features, not " + std::to_string(x.cols));
    }
    size_t outputs = is_classification(task_) ? static_cast<size_t>(n_classes_) : 1;
    if (out.size() != x.rows * outputs) throw Error("linear: prediction buffer has the wrong size");
    if (!is_classification(task_)) {
      for (size_t r = 0; r < x.rows; ++r) {
        auto row = x.row(r);
        double value = intercept_;
        for (size_t c = 0; c < n_features_; ++c) value += weights_[c] * row[c];
        out[r] = static_cast<float>(value);
      }
      return;
    }
    std::vector<double> decision(nr_class_);
    std::vector<double> probability(n_classes_);
    for (size_t r = 0; r < x.rows; ++r) {
      predict_classes(x.row(r), decision, probability);
      for (int k = 0; k < n_classes_; ++k) out[r * n_classes_ + k] = probability[k];
    }
  }

  void save(Writer& out) const override {
    out.u32(kLinearFormatVersion);
    out.u8(static_cast<uint8_t>(task_));
    out.u64(n_features_);
    if (is_classification(task_)) {
      out.u32(static_cast<uint32_t>(n_classes_));
      out.u32(static_cast<uint32_t>(nr_class_));
      out.ints(labels_);
      out.f64(bias_);
      out.doubles(weights_);
    } else {
      out.f64(intercept_);
      out.doubles(weights_);
    }
  }

  static std::unique_ptr<Model> load(Reader& in) {
    auto corrupt = [] { return Error("linear model: model file is truncated or corrupt"); };
    if (in.u32() != kLinearFormatVersion) throw corrupt();
    auto task = static_cast<Task>(in.u8());
    if (task != Task::kBinary && task != Task::kMulticlass && task != Task::kRegression) {
      throw corrupt();
    }
    auto model = std::make_unique<LinearModel>(task, Penalty::kL2, 1.0, 1.0, 0.5);
    model->n_features_ = in.u64();
    if (is_classification(task)) {
      model->n_classes_ = static_cast<int>(in.u32());
      model->nr_class_ = static_cast<int>(in.u32());
      model->labels_ = in.ints();
      model->bias_ = in.f64();
      model->weights_ = in.doubles();
      int n = model->nr_class_;
      if (n < 1 || n > model->n_classes_ || model->labels_.size() != static_cast<size_t>(n)) {
        throw corrupt();
      }
      for (int32_t label : model->labels_) {
        if (label < 0 || label >= model->n_classes_) throw corrupt();
      }
      size_t expected = n == 1 ? 0 : (model->n_features_ + 1) * model->weight_columns();
      if (model->weights_.size() != expected) throw corrupt();
    } else {
      model->intercept_ = in.f64();
      model->weights_ = in.doubles();
      if (model->weights_.size() != model->n_features_) throw corrupt();
    }
    return model;
  }

 private:
  // liblinear keeps one weight vector for two classes (the first label's decision value) and one
  // per class otherwise.
  size_t weight_columns() const { return nr_class_ == 2 ? 1 : static_cast<size_t>(nr_class_); }

  void fit_logistic(const Matrix& x, const Target& y, const FitControl& control) {
    int max_label = -1;
    for (int32_t label : y.labels) {
      if (label < 0) throw Error("linear: negative class label " + std::to_string(label));
      max_label = std::max(max_label, label);
    }
    n_classes_ = std::max(y.n_classes(), max_label + 1);
    std::vector<double> targets(y.labels.begin(), y.labels.end());
    bool one_class = std::all_of(y.labels.begin(), y.labels.end(),
                                 [&](int32_t l) { return l == y.labels[0]; });
    if (one_class) {
      // liblinear has nothing to separate; the model always predicts the one class seen.
      nr_class_ = 1;
      labels_ = {y.labels[0]};
      weights_.clear();
      return;
    }
    bias_ = 1.0;
    LiblinearRows rows = to_liblinear(x, bias_);
    problem prob{};
    prob.l = static_cast<int>(x.rows);
    prob.n = static_cast<int>(x.cols + 1);
    prob.y = targets.data();
    prob.x = rows.rows.data();
    prob.bias = bias_;
    parameter param{};
    param.solver_type = penalty_ == Penalty::kL1 ? L1R_LR : L2R_LR;
    param.eps = kLiblinearEps;
    param.C = c_;
    param.nr_weight = 0;
    param.weight_label = nullptr;
    param.weight = nullptr;
    param.p = 0.1;
    param.init_sol = nullptr;
    if (const char* problem_text = check_parameter(&prob, &param)) {
      throw Error(std::string("linear: liblinear refused the parameters: ") + problem_text);
    }
    silence_liblinear();
    std::unique_ptr<model, LiblinearModelDeleter> trained;
    if (penalty_ == Penalty::kL1) {
      std::lock_guard lock(internal::libc_rand_mutex());
      control.check();  // the wait for the lock may have outlasted the limit
      std::srand(static_cast<unsigned>(control.seed ^ (control.seed >> 32)));
      trained.reset(train(&prob, &param));
    } else {
      trained.reset(train(&prob, &param));  // trust-region Newton: no random draws
    }
    if (!trained) throw Error("linear: liblinear failed to train");
    nr_class_ = trained->nr_class;
    labels_.assign(trained->label, trained->label + nr_class_);
    weights_.assign(trained->w, trained->w + (n_features_ + 1) * weight_columns());
    bias_ = trained->bias;
  }

  void predict_classes(std::span<const float> row, std::vector<double>& decision,
                       std::vector<double>& probability) const {
    std::fill(probability.begin(), probability.end(), 0.0);
    if (nr_class_ == 1) {
      probability[labels_[0]] = 1.0;
    } else {
      size_t columns = weight_columns();
      const double* bias_weights = weights_.data() + n_features_ * columns;
      for (size_t k = 0; k < columns; ++k) decision[k] = bias_weights[k] * bias_;
      for (size_t c = 0; c < n_features_; ++c) {
        if (row[c] == 0.0f) continue;
        const double* w = weights_.data() + c * columns;
        for (size_t k = 0; k < columns; ++k) decision[k] += w[k] * row[c];
      }
      if (nr_class_ == 2) {
        double p = 1.0 / (1.0 + std::exp(-decision[0]));
        probability[labels_[0]] = p;
        probability[labels_[1]] = 1.0 - p;
      } else {
        double sum = 0;
        for (int k = 0; k < nr_class_; ++k) {
          decision[k] = 1.0 / (1.0 + std::exp(-decision[k]));
          sum += decision[k];
        }
        for (int k = 0; k < nr_class_; ++k) probability[labels_[k]] = decision[k] / sum;
      }
    }
    // Classes absent from training, and saturated sigmoids, still get a little probability.
    double total = 0;
    for (double& p : probability) total += p = std::clamp(p, kLinearMinProbability, 1.0);
    for (double& p : probability) p /= total;
  }

  void fit_regression(const Matrix& x, const std::vector<double>& values,
                      const FitControl& control) {
    const Eigen::Index n = static_cast<Eigen::Index>(x.rows);
    const Eigen::Index p = static_cast<Eigen::Index>(x.cols);
    Eigen::MatrixXd centred(n, p);
    for (Eigen::Index r = 0; r < n; ++r) {
      auto row = x.row(r);
      for (Eigen::Index c = 0; c < p; ++c) centred(r, c) = row[c];
    }
    Eigen::VectorXd x_mean = centred.colwise().mean().transpose();
    centred.rowwise() -= x_mean.transpose();
    Eigen::VectorXd target = Eigen::Map<const Eigen::VectorXd>(values.data(), n);
    double y_mean = target.mean();
    target.array() -= y_mean;
    double y_scale = std::sqrt(target.squaredNorm() / n);
    if (!(y_scale > 0) || !std::isfinite(y_scale)) y_scale = 1.0;
    target /= y_scale;
    control.check();

    Eigen::VectorXd w = penalty_ == Penalty::kRidge ? ridge(centred, target, control)
                                                    : elastic_net(centred, target, control);
    w *= y_scale;
    weights_.assign(w.data(), w.data() + p);
    intercept_ = y_mean - x_mean.dot(w);
  }

  // Minimises ||y - X w||^2 + alpha ||w||^2 on centred X and y (so the intercept is free).
  Eigen::VectorXd ridge(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                        const FitControl& control) const {
    const Eigen::Index n = x.rows(), p = x.cols();
    if (p <= n) {
      Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(p, p);
      gram.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose());
      gram.diagonal().array() += alpha_;
      control.check();
      Eigen::VectorXd w = gram.selfadjointView<Eigen::Lower>().ldlt().solve(x.transpose() * y);
      return w;
    }
    // More features than rows: the dual form w = X^T (X X^T + alpha I)^{-1} y is the same
    // solution from an n x n system.
    Eigen::MatrixXd kernel = Eigen::MatrixXd::Zero(n, n);
    kernel.selfadjointView<Eigen::Lower>().rankUpdate(x);
    kernel.diagonal().array() += alpha_;
    control.check();
    Eigen::VectorXd dual = kernel.selfadjointView<Eigen::Lower>().ldlt().solve(y);
    return x.transpose() * dual;
  }

  // Minimises 1/(2n) ||y - X w||^2 + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio) / 2 ||w||^2
  // by cyclic coordinate descent with soft thresholding (Friedman et al. 2010, eq. 5), keeping
  // the residual up to date so that a sweep costs one pass over X.
  Eigen::VectorXd elastic_net(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                              const FitControl& control) const {
    const Eigen::Index n = x.rows(), p = x.cols();
    double l1_ratio = penalty_ == Penalty::kLasso ? 1.0 : l1_ratio_;
    double l1 = alpha_ * l1_ratio;
    double l2 = alpha_ * (1.0 - l1_ratio);
    Eigen::VectorXd norms = x.colwise().squaredNorm().transpose() / static_cast<double>(n);
    Eigen::VectorXd w = Eigen::VectorXd::Zero(p);
    Eigen::VectorXd residual = y;
    for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
      if (sweep % kSweepsPerCheck == 0) control.check();
      double largest_change = 0;
      for (Eigen::Index j = 0; j < p; ++j) {
        if (norms[j] <= 0) continue;  // a constant column carries no information
        double old = w[j];
        double rho = x.col(j).dot(residual) / n + norms[j] * old;
        double shrunk = std::copysign(std::max(std::abs(rho) - l1, 0.0), rho);
        double updated = shrunk / (norms[j] + l2);
        if (updated == old) continue;
        residual.noalias() -= (updated - old) * x.col(j);
        w[j] = updated;
        largest_change = std::max(largest_change, std::abs(updated - old) * std::sqrt(norms[j]));
      }
      if (largest_change < kDescentTolerance) break;
    }
    return w;
  }

  Task task_;
  Penalty penalty_;
  double c_;
  double alpha_;
  double l1_ratio_;

  size_t n_features_ = 0;
  // Classification: liblinear's classes (nr_class_, their labels_ in liblinear's order), its
  // weights_ laid out as liblinear's w ((n_features_ + 1) x weight_columns(), the bias row
  // last) and bias_ feature value. One class seen: nr_class_ = 1 and no weights.
  int n_classes_ = 0;
  int nr_class_ = 0;
  std::vector<int32_t> labels_;
  double bias_ = 1.0;
  // Regression: weights_ (one per feature) and intercept_ on the original scales.
  std::vector<double> weights_;
  double intercept_ = 0;
};

std::string and_condition(const std::string& condition, const std::string& clause) {
  return condition.empty() ? clause : condition + " and " + clause;
}

}  // namespace

ModelFamily linear_family() {
  ModelFamily family;
  family.name = "linear";
  family.applicable = [](const DataShape&) { return true; };
  family.add_params = [](SearchSpace& space, const std::string& condition,
                         const DataShape& shape) {
    if (is_classification(shape.task)) {
      space.add_categorical("linear_penalty", {std::string("l2"), std::string("l1")})
          .default_value(std::string("l2")).when(condition)
          .add_float("linear_C", 1e-4, 1e4).log().default_value(1.0).when(condition);
    } else {
      space.add_categorical("linear_penalty",
                            {std::string("ridge"), std::string("lasso"),
                             std::string("elasticnet")})
          .default_value(std::string("ridge")).when(condition)
          .add_float("linear_alpha", 1e-6, 1e3).log().default_value(1.0).when(condition)
          .add_float("linear_l1_ratio", 0.01, 0.99).default_value(0.5)
          .when(and_condition(condition, "linear_penalty == 'elasticnet'"));
    }
  };
  // scikit-learn's defaults (LogisticRegression, Ridge), then the sparse alternative.
  family.portfolio = [](const DataShape& shape) {
    if (is_classification(shape.task)) {
      return std::vector<Config>{
          {{"linear_penalty", std::string("l2")}, {"linear_C", 1.0}},
          {{"linear_penalty", std::string("l1")}, {"linear_C", 1.0}},
      };
    }
    return std::vector<Config>{
        {{"linear_penalty", std::string("ridge")}, {"linear_alpha", 1.0}},
        {{"linear_penalty", std::string("lasso")}, {"linear_alpha", 1e-3}},
    };
  };
  family.create = [](const Config& config, const DataShape& shape) -> std::unique_ptr<Model> {
    bool classification = is_classification(shape.task);
    Penalty penalty = parse_penalty(
        param_string(config, "linear_penalty", classification ? "l2" : "ridge"), shape.task);
    double c = param_float(config, "linear_C", 1.0);
    double alpha = param_float(config, "linear_alpha", 1.0);
    double l1_ratio = param_float(config, "linear_l1_ratio", 0.5);
    if (!(c > 0)) throw Error("linear_C = " + std::to_string(c) + " must be > 0");
    if (!(alpha > 0)) throw Error("linear_alpha = " + std::to_string(alpha) + " must be > 0");
    if (!(l1_ratio >= 0 && l1_ratio <= 1)) {
      throw Error("linear_l1_ratio = " + std::to_string(l1_ratio) + " must be in [0, 1]");
    }
    return std::make_unique<LinearModel>(shape.task, penalty, c, alpha, l1_ratio);
  };
  family.load = [](Reader& in) { return LinearModel::load(in); };
  family.wants_scaling = true;
  return family;
}

}  // namespace winnow::automl
