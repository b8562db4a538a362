// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The synthetic learning curves, the task registry and the rank-correlation check. The XGBoost
// task lives in xgboost_task.cc (built only when libxgboost is found).
#include "learning_curves.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>

#include "winnow/sampler.h"
#include "winnow/trial.h"

namespace winnow_bench {
namespace {

using winnow::Config;

double number(const Config& config, const char* name) {
  auto it = config.find(name);
  if (it == config.end()) throw std::runtime_error(std::string("missing parameter ") + name);
  std::optional<double> value = winnow::as_number(it->second);
  if (!value) throw std::runtime_error(std::string("parameter ") + name + " is not a number");
  return *value;
}

std::string text(const Config& config, const char* name) {
  auto it = config.find(name);
  if (it == config.end()) throw std::runtime_error(std::string("missing parameter ") + name);
  return winnow::to_string(it->second);
}

std::string shortest(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", x);
  return buffer;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A standard normal number that depends only on (config, budget): FNV-1a over the parameter
// values as text, then Box-Muller on two splitmix64 draws.
double deterministic_normal(const Config& config, double budget) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  };
  for (const auto& [name, value] : config) {
    mix(name);
    mix("=");
    mix(winnow::to_string(value));
    mix(";");
  }
  mix(std::to_string(budget));
  uint64_t a = splitmix64(h), b = splitmix64(a);
  double u1 = (static_cast<double>(a >> 11) + 0.5) * 0x1.0p-53;
  double u2 = static_cast<double>(b >> 11) * 0x1.0p-53;
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * 3.14159265358979323846 * u2);
}

// --- The synthetic family (see learning_curves.h for the curve).
//
// Space: lr (log [1e-5, 1]), width (int, log [8, 1024]), reg ([0, 1]), depth (int [1, 8]),
// optimizer ({sgd, momentum, adam}). With u = log10(lr), w = log2(width):
//   best lr:  u*(optimizer, w) = {sgd: -1, momentum: -2, adam: -3} - 0.3 (w - 7)
//             (wider models want smaller steps, so lr and width interact);
//   distance: d = (u - u*)^2 + ((w - 7) / 2)^2 + ((reg - 0.3) / 0.3)^2 * (0.5 + depth / 8)
//                 + ((depth - 4) / 2.5)^2 + {sgd: 0.6, momentum: 0.25, adam: 0}
//   final:    0.05 + 0.9 (1 - exp(-d / 2)),  minimum 0.05 at d = 0: adam, lr = 1e-3,
//             width = 128, reg = 0.3, depth = 4 (every term is zero there and non-negative
//             elsewhere).
//   speed:    tau = 4 * 10^(-0.6 (u + 3)) * (1 + 2 reg) * 2^(0.25 (w - 7)) * (depth / 4)^0.5,
//             clipped to [0.1, 1000]: higher learning rates learn faster, regularisation,
//             width and depth slow learning down;
//   shape:    alpha = {sgd: 0.7, momentum: 0.9, adam: 1.1}.
class SyntheticCurves final : public LearningTask {
 public:
  SyntheticCurves(std::string name, SyntheticCurveOptions options)
      : name_(std::move(name)), options_(std::move(options)) {
    space_.add_float("lr", 1e-5, 1.0).log()
        .add_int("width", 8, 1024).log()
        .add_float("reg", 0.0, 1.0)
        .add_int("depth", 1, 8)
        .add_categorical("optimizer", {std::string("sgd"), std::string("momentum"),
                                       std::string("adam")});
    space_.validate();
    options_.budget.validate();
  }

  std::string_view name() const override { return name_; }
  std::string description() const override {
    return "synthetic power-law learning curves, 5 parameters (lr log, width int log, reg, depth "
           "int, optimizer categorical), optimum 0.05, budget " +
           options_.budget.format(options_.budget.min) + ".." +
           options_.budget.format(options_.budget.max) + " " + options_.budget.name +
           (options_.noise > 0 ? ", noise sd " + shortest(options_.noise) : ", no noise");
  }
  const winnow::SearchSpace& space() const override { return space_; }
  const winnow::BudgetSpec& budget() const override { return options_.budget; }
  std::optional<double> optimum() const override { return kOptimum; }
  std::optional<Config> minimiser() const override {
    return Config{{"lr", 1e-3}, {"width", int64_t{128}}, {"reg", 0.3}, {"depth", int64_t{4}},
                  {"optimizer", std::string("adam")}};
  }
  std::optional<double> true_final(const Config& config) const override {
    return Shape(config).final_value;
  }

  double value(const Config& config, double budget) const {
    Shape s(config);
    double b_max = options_.budget.max;
    double floor = std::pow(1 + b_max / s.tau, -s.alpha);
    double g = (std::pow(1 + budget / s.tau, -s.alpha) - floor) / (1 - floor);
    double v = s.final_value + (1 - s.final_value) * std::max(0.0, g);
    if (options_.noise > 0) v += options_.noise * deterministic_normal(config, budget);
    return v;
  }

  std::unique_ptr<TaskRun> start_run() const override;

 private:
  static constexpr double kOptimum = 0.05;

  struct Shape {
    double final_value = 0, tau = 1, alpha = 1;
    explicit Shape(const Config& c) {
      double u = std::log10(number(c, "lr"));
      double w = std::log2(number(c, "width"));
      double reg = number(c, "reg");
      double depth = number(c, "depth");
      std::string optimizer = text(c, "optimizer");
      double u_best, penalty;
      if (optimizer == "sgd") {
        u_best = -1, penalty = 0.6, alpha = 0.7;
      } else if (optimizer == "momentum") {
        u_best = -2, penalty = 0.25, alpha = 0.9;
      } else if (optimizer == "adam") {
        u_best = -3, penalty = 0, alpha = 1.1;
      } else {
        throw std::runtime_error("optimizer '" + optimizer + "' is not sgd, momentum or adam");
      }
      u_best -= 0.3 * (w - 7);
      double d = (u - u_best) * (u - u_best) + std::pow((w - 7) / 2, 2) +
                 std::pow((reg - 0.3) / 0.3, 2) * (0.5 + depth / 8) +
                 std::pow((depth - 4) / 2.5, 2) + penalty;
      final_value = kOptimum + 0.9 * (1 - std::exp(-d / 2));
      tau = 4 * std::pow(10.0, -0.6 * (u + 3)) * (1 + 2 * reg) * std::pow(2.0, 0.25 * (w - 7)) *
            std::sqrt(depth / 4);
      tau = std::clamp(tau, 0.1, 1000.0);
    }
  };

  std::string name_;
  SyntheticCurveOptions options_;
  winnow::SearchSpace space_;
};

// The curve is a closed form, so a continuation needs no checkpoint: an idealised checkpointing
// trainer that pays only for the new units.
class SyntheticRun final : public TaskRun {
 public:
  explicit SyntheticRun(const SyntheticCurves& task) : task_(task) {}
  Evaluation evaluate(const Config& config, double budget, double previous_budget,
                      int64_t lineage) override {
    return {.value = task_.value(config, budget),
            .work = budget - previous_budget,
            .resumed = previous_budget > 0};
  }

 private:
  const SyntheticCurves& task_;
};

std::unique_ptr<TaskRun> SyntheticCurves::start_run() const {
  return std::make_unique<SyntheticRun>(*this);
}

std::vector<double> ranks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> r(values.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[order[k]] = 0.5 * static_cast<double>(i + j);  // ties
    i = j + 1;
  }
  return r;
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  double n = static_cast<double>(x.size());
  double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

}  // namespace

std::unique_ptr<LearningTask> make_synthetic_curves(std::string name,
                                                    SyntheticCurveOptions options) {
  return std::make_unique<SyntheticCurves>(std::move(name), std::move(options));
}

std::vector<std::string> learning_task_names() {
  std::vector<std::string> names = {"curves", "curves-noisy"};
  if (have_xgboost()) names.push_back("xgboost");
  return names;
}

std::unique_ptr<LearningTask> make_learning_task(std::string_view name,
                                                 const winnow::BudgetSpec* budget) {
  if (name == "curves" || name == "curves-noisy") {
    SyntheticCurveOptions options;
    if (name == "curves-noisy") options.noise = 0.02;
    if (budget) options.budget = *budget;
    return make_synthetic_curves(std::string(name), options);
  }
  if (name == "xgboost" && have_xgboost()) {
    XgboostTaskOptions options;
    if (budget) options.budget = *budget;
    return make_xgboost_task("xgboost", options);
  }
  return nullptr;
}

std::vector<double> learning_curve_rank_correlations(const LearningTask& task, int n,
                                                     uint64_t seed) {
  const winnow::BudgetSpec& budget = task.budget();
  int rungs = budget.n_rungs();
  std::unique_ptr<winnow::Sampler> sampler =
      winnow::create_sampler(winnow::SamplerSpec::parse("random"), seed);
  std::vector<winnow::Direction> directions = {winnow::Direction::kMinimize};
  std::vector<std::vector<double>> values(rungs);
  std::unique_ptr<TaskRun> run = task.start_run();
  for (int i = 0; i < n; ++i) {
    winnow::SampleContext context{task.space(), {}, directions, i};
    Config config = *sampler->sample(context);
    double previous = 0;
    for (int r = 0; r < rungs; ++r) {
      double b = budget.rung_budget(r);
      values[r].push_back(run->evaluate(config, b, previous, i).value);
      previous = b;
    }
  }
  std::vector<double> top = ranks(values.back());
  std::vector<double> out;
  for (int r = 0; r < rungs; ++r) out.push_back(pearson(ranks(values[r]), top));
  return out;
}

#ifndef WINNOW_BENCH_HAVE_XGBOOST
bool have_xgboost() { return false; }
std::unique_ptr<LearningTask> make_xgboost_task(std::string, XgboostTaskOptions) {
  return nullptr;
}
#endif

}  // namespace winnow_bench
