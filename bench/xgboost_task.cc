// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The XGBoost learning task (built only when CMake finds libxgboost; see bench/CMakeLists.txt).
//
// Data: Friedman #1 (Friedman 1991, "Multivariate adaptive regression splines", eq. 56; the
// generator scikit-learn ships as make_friedman1):
//   y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + noise * N(0, 1),  x ~ U[0, 1]^p,
// with p - 5 uninformative features, generated here from a fixed seed: 2,000 training rows and
// 1,000 validation rows by default. The noise floor of the validation RMSE is `label_noise` (1).
//
// Budget = boosting rounds; value = validation RMSE after that many rounds. Training runs on one
// thread (nthread = 1, tree_method = hist, 64 bins). A trial that continues an earlier one loads
// that configuration's booster (kept in memory as a UBJSON model, keyed by lineage) and trains
// only the missing rounds, as xgboost.train(xgb_model=...) does.
//
// Resuming is exact without row or column subsampling (subsample = colsample_bytree = 1; the
// self-check verifies it). With subsampling it is not bit-identical to training at once: the row
// and column samples are drawn from generators seeded when the booster is created, which the
// saved model does not carry (setting seed_per_iteration did not change that with 1.7.4), so a
// reloaded booster draws other rows and columns for its remaining rounds - as a real trainer
// that checkpoints its weights but not its data-loader state would. Each booster is seeded
// identically on creation, so every evaluation is a deterministic function of the configuration
// and its budget path, whatever ran before it in the process.
#include <xgboost/c_api.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "learning_curves.h"

namespace winnow_bench {
namespace {

using winnow::Config;

void check(int status, const char* what) {
  if (status != 0) throw std::runtime_error(std::string("xgboost: ") + what + ": " + XGBGetLastError());
}

double config_number(const Config& config, const char* name) {
  auto it = config.find(name);
  if (it == config.end()) throw std::runtime_error(std::string("missing parameter ") + name);
  std::optional<double> value = winnow::as_number(it->second);
  if (!value) throw std::runtime_error(std::string("parameter ") + name + " is not a number");
  return *value;
}

std::string format_param(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

struct Dataset {
  int columns = 0;
  std::vector<float> train_x, train_y, validation_x, validation_y;
};

// Uniform and normal numbers from mt19937_64 by explicit formulas (the standard distributions
// are implementation-defined, and the data must be the same everywhere).
Dataset friedman1(const XgboostTaskOptions& o) {
  std::mt19937_64 engine(o.data_seed);
  auto uniform = [&engine] { return static_cast<double>(engine() >> 11) * 0x1.0p-53; };
  auto normal = [&] {
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2 * std::log(1 - u1)) * std::cos(2 * 3.14159265358979323846 * u2);
  };
  Dataset d;
  d.columns = o.features;
  auto fill = [&](int rows, std::vector<float>& x, std::vector<float>& y) {
    x.resize(static_cast<size_t>(rows) * o.features);
    y.resize(rows);
    for (int r = 0; r < rows; ++r) {
      float* row = &x[static_cast<size_t>(r) * o.features];
      for (int c = 0; c < o.features; ++c) row[c] = static_cast<float>(uniform());
      double target = 10 * std::sin(3.14159265358979323846 * row[0] * row[1]) +
                      20 * (row[2] - 0.5) * (row[2] - 0.5) + 10 * row[3] + 5 * row[4];
      y[r] = static_cast<float>(target + o.label_noise * normal());
    }
  };
  fill(o.train_rows, d.train_x, d.train_y);
  fill(o.validation_rows, d.validation_x, d.validation_y);
  return d;
}

class XgboostTask;

class XgboostRun final : public TaskRun {
 public:
  XgboostRun(const Dataset& data, const winnow::BudgetSpec& budget) : budget_(budget) {
    check(XGDMatrixCreateFromMat(data.train_x.data(), data.train_y.size(), data.columns, NAN, &train_),
          "creating the training matrix");
    check(XGDMatrixSetFloatInfo(train_, "label", data.train_y.data(), data.train_y.size()),
          "setting training labels");
    check(XGDMatrixCreateFromMat(data.validation_x.data(), data.validation_y.size(), data.columns,
                                 NAN, &validation_),
          "creating the validation matrix");
    check(XGDMatrixSetFloatInfo(validation_, "label", data.validation_y.data(),
                                data.validation_y.size()),
          "setting validation labels");
  }
  ~XgboostRun() override {
    XGDMatrixFree(train_);
    XGDMatrixFree(validation_);
  }

  Evaluation evaluate(const Config& config, double budget, double previous_budget,
                      int64_t lineage) override {
    int rounds = static_cast<int>(std::lround(budget));
    int previous = static_cast<int>(std::lround(previous_budget));
    if (rounds < 1) throw std::runtime_error("xgboost: budget " + std::to_string(budget) + " < 1 round");
    DMatrixHandle cache[2] = {train_, validation_};
    BoosterHandle booster = nullptr;
    check(XGBoosterCreate(cache, 2, &booster), "creating a booster");
    Evaluation out;
    try {
      int start = 0;
      auto checkpoint = checkpoints_.find(lineage);
      if (previous > 0 && previous <= rounds && checkpoint != checkpoints_.end() &&
          checkpoint->second.rounds == previous) {
        const std::string& model = checkpoint->second.model;
        check(XGBoosterLoadModelFromBuffer(booster, model.data(), model.size()),
              "loading a checkpoint");
        start = previous;
        out.resumed = true;
      }
      set_params(booster, config);
      for (int i = start; i < rounds; ++i) {
        check(XGBoosterUpdateOneIter(booster, i, train_), "training");
      }
      out.work = rounds - start;
      DMatrixHandle eval_sets[1] = {validation_};
      const char* eval_names[1] = {"val"};
      const char* result = nullptr;
      check(XGBoosterEvalOneIter(booster, rounds - 1, eval_sets, eval_names, 1, &result),
            "evaluating");
      const char* at = std::strstr(result, "val-rmse:");
      if (!at) throw std::runtime_error(std::string("xgboost: unexpected evaluation '") + result + "'");
      out.value = std::strtod(at + std::strlen("val-rmse:"), nullptr);
      if (rounds < budget_.max) {
        bst_ulong length = 0;
        const char* bytes = nullptr;
        check(XGBoosterSaveModelToBuffer(booster, R"({"format": "ubj"})", &length, &bytes),
              "saving a checkpoint");
        Checkpoint& slot = checkpoints_[lineage];
        bytes_ -= slot.model.size();
        slot.model.assign(bytes, length);
        slot.rounds = rounds;
        bytes_ += slot.model.size();
      } else if (checkpoint != checkpoints_.end()) {
        // Nothing continues past the maximum budget.
        bytes_ -= checkpoint->second.model.size();
        checkpoints_.erase(checkpoint);
      }
    } catch (...) {
      XGBoosterFree(booster);
      throw;
    }
    XGBoosterFree(booster);
    return out;
  }

  size_t checkpoints() const override { return checkpoints_.size(); }
  size_t checkpoint_bytes() const override { return bytes_; }

 private:
  struct Checkpoint {
    std::string model;
    int rounds = 0;
  };

  static void set_params(BoosterHandle booster, const Config& config) {
    const std::pair<const char*, std::string> fixed[] = {
        {"objective", "reg:squarederror"}, {"eval_metric", "rmse"}, {"tree_method", "hist"},
        {"max_bin", "64"}, {"nthread", "1"}, {"verbosity", "0"}, {"seed", "0"},
    };
    for (const auto& [key, value] : fixed) check(XGBoosterSetParam(booster, key, value.c_str()), key);
    for (const char* key : {"eta", "min_child_weight", "subsample", "colsample_bytree", "lambda", "alpha"}) {
      check(XGBoosterSetParam(booster, key, format_param(config_number(config, key)).c_str()), key);
    }
    check(XGBoosterSetParam(booster, "max_depth",
                            std::to_string(static_cast<int64_t>(config_number(config, "max_depth"))).c_str()),
          "max_depth");
  }

  winnow::BudgetSpec budget_;
  DMatrixHandle train_ = nullptr;
  DMatrixHandle validation_ = nullptr;
  std::map<int64_t, Checkpoint> checkpoints_;
  size_t bytes_ = 0;
};

class XgboostTask final : public LearningTask {
 public:
  XgboostTask(std::string name, XgboostTaskOptions options)
      : name_(std::move(name)), options_(std::move(options)), data_(friedman1(options_)) {
    space_.add_float("eta", 0.01, 1.0).log()
        .add_int("max_depth", 1, 10)
        .add_float("min_child_weight", 0.1, 100.0).log()
        .add_float("subsample", 0.5, 1.0)
        .add_float("colsample_bytree", 0.3, 1.0)
        .add_float("lambda", 1e-3, 100.0).log()
        .add_float("alpha", 1e-3, 10.0).log();
    space_.validate();
    options_.budget.validate();
  }
  std::string_view name() const override { return name_; }
  std::string description() const override {
    int major = 0, minor = 0, patch = 0;
    XGBoostVersion(&major, &minor, &patch);
    return "XGBoost " + std::to_string(major) + "." + std::to_string(minor) + "." +
           std::to_string(patch) + " on Friedman #1 (" +
           std::to_string(options_.train_rows) + " train / " +
           std::to_string(options_.validation_rows) + " validation rows, " +
           std::to_string(options_.features) + " features, label noise sd " +
           format_param(options_.label_noise) + "), 7 parameters, value = validation RMSE, budget " +
           options_.budget.format(options_.budget.min) + ".." +
           options_.budget.format(options_.budget.max) + " boosting rounds, nthread 1";
  }
  const winnow::SearchSpace& space() const override { return space_; }
  const winnow::BudgetSpec& budget() const override { return options_.budget; }
  std::unique_ptr<TaskRun> start_run() const override {
    return std::make_unique<XgboostRun>(data_, options_.budget);
  }
  bool resume_is_exact() const override { return false; }  // with subsampling; see above

 private:
  std::string name_;
  XgboostTaskOptions options_;
  Dataset data_;
  winnow::SearchSpace space_;
};

}  // namespace

bool have_xgboost() { return true; }

std::unique_ptr<LearningTask> make_xgboost_task(std::string name, XgboostTaskOptions options) {
  return std::make_unique<XgboostTask>(std::move(name), std::move(options));
}

}  // namespace winnow_bench
