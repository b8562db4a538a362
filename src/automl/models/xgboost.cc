// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Gradient-boosted trees through XGBoost's C API (Debian's libxgboost): the histogram method,
// logistic / softmax / squared-error objectives. Boosting runs one round at a time so that the
// fit can stop between rounds when the time or memory limit is reached. A fitted booster is kept
// in the model file in XGBoost's own binary JSON format (UBJSON), which newer XGBoost versions
// still read.
#include <xgboost/c_api.h>

#include <cmath>
#include <mutex>
#include <string>

#include "automl/models/families.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

void check_xgb(int status, const char* what) {
  if (status != 0) throw Error(std::string("XGBoost failed at ") + what + ": " + XGBGetLastError());
}

std::string format_param(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.17g", value);
  return text;
}

class DMatrix {
 public:
  explicit DMatrix(const Matrix& x) {
    check_xgb(XGDMatrixCreateFromMat(x.data.data(), x.rows, x.cols, NAN, &handle_),
              "creating the data matrix");
  }
  ~DMatrix() { XGDMatrixFree(handle_); }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  DMatrixHandle get() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

class XgboostModel final : public Model {
 public:
  XgboostModel(Config config, Task task, int n_outputs)
      : config_(std::move(config)), task_(task), n_outputs_(n_outputs) {}
  ~XgboostModel() override {
    if (booster_ != nullptr) XGBoosterFree(booster_);
  }

  void fit(const Matrix& x, const Target& y, const FitControl& control) override {
    control.check();
    DMatrix train(x);
    std::vector<float> labels(y.size());
    for (size_t i = 0; i < labels.size(); ++i) {
      labels[i] = is_classification(task_) ? static_cast<float>(y.labels[i])
                                           : static_cast<float>(y.values[i]);
    }
    check_xgb(XGDMatrixSetFloatInfo(train.get(), "label", labels.data(), labels.size()),
              "setting labels");
    DMatrixHandle matrices[] = {train.get()};
    check_xgb(XGBoosterCreate(matrices, 1, &booster_), "creating the booster");
    set(booster_, "tree_method", "hist");
    set(booster_, "verbosity", "0");
    set(booster_, "nthread", std::to_string(std::max(1, control.threads)));
    set(booster_, "seed", std::to_string(control.seed % 2147483647u));
    if (task_ == Task::kBinary) {
      set(booster_, "objective", "binary:logistic");
    } else if (task_ == Task::kMulticlass) {
      set(booster_, "objective", "multi:softprob");
      set(booster_, "num_class", std::to_string(n_outputs_));
    } else {
      set(booster_, "objective", "reg:squarederror");
      // The mean target is a better start than XGBoost's default of 0.5 for arbitrary scales.
      double mean = 0;
      for (double v : y.values) mean += v;
      set(booster_, "base_score", format_param(y.values.empty() ? 0 : mean / y.values.size()));
    }
    set(booster_, "eta", format_param(param_float(config_, "xgboost_eta", 0.1)));
    set(booster_, "max_depth", std::to_string(param_int(config_, "xgboost_max_depth", 6)));
    set(booster_, "min_child_weight",
        format_param(param_float(config_, "xgboost_min_child_weight", 1.0)));
    set(booster_, "subsample", format_param(param_float(config_, "xgboost_subsample", 1.0)));
    set(booster_, "colsample_bytree",
        format_param(param_float(config_, "xgboost_colsample_bytree", 1.0)));
    set(booster_, "lambda", format_param(param_float(config_, "xgboost_lambda", 1.0)));
    set(booster_, "alpha", format_param(param_float(config_, "xgboost_alpha", 1e-8)));
    int64_t rounds = param_int(config_, "xgboost_rounds", 200);
    for (int64_t round = 0; round < rounds; ++round) {
      control.check();
      check_xgb(XGBoosterUpdateOneIter(booster_, static_cast<int>(round), train.get()),
                "boosting");
    }
  }

  void predict(const Matrix& x, std::span<float> out) const override {
    DMatrix data(x);
    bst_ulong length = 0;
    const float* result = nullptr;
    {
      // XGBoosterPredict keeps its result in the booster's own buffer.
      std::lock_guard lock(mutex_);
      check_xgb(XGBoosterPredict(booster_, data.get(), 0, 0, 0, &length, &result), "predicting");
      size_t per_row = task_ == Task::kBinary ? 1 : static_cast<size_t>(n_outputs_);
      if (length != x.rows * per_row || out.size() != x.rows * static_cast<size_t>(n_outputs_)) {
        throw Error("XGBoost model does not match the data it is asked to predict");
      }
      if (task_ == Task::kBinary) {
        for (size_t r = 0; r < x.rows; ++r) {
          float p = std::clamp(result[r], 1e-6f, 1.0f - 1e-6f);
          out[2 * r] = 1.0f - p;
          out[2 * r + 1] = p;
        }
      } else {
        std::copy(result, result + x.rows * n_outputs_, out.begin());
      }
    }
  }

  void save(Writer& out) const override {
    out.u8(static_cast<uint8_t>(task_));
    out.u32(static_cast<uint32_t>(n_outputs_));
    bst_ulong length = 0;
    const char* bytes = nullptr;
    std::lock_guard lock(mutex_);
    check_xgb(XGBoosterSaveModelToBuffer(booster_, R"({"format": "ubj"})", &length, &bytes),
              "saving the model");
    out.str(std::string_view(bytes, length));
  }

  static std::unique_ptr<Model> load(Reader& in) {
    auto task = static_cast<Task>(in.u8());
    if (task != Task::kBinary && task != Task::kMulticlass && task != Task::kRegression) {
      throw Error("model file is truncated or corrupt");
    }
    uint32_t n_outputs_read = in.u32();
    if (n_outputs_read == 0 || n_outputs_read > (1u << 20) ||
        (task == Task::kBinary && n_outputs_read != 2)) {
      throw Error("model file is truncated or corrupt");
    }
    int n_outputs = static_cast<int>(n_outputs_read);
    std::string bytes = in.str();
    auto model = std::make_unique<XgboostModel>(Config{}, task, n_outputs);
    check_xgb(XGBoosterCreate(nullptr, 0, &model->booster_), "creating the booster");
    check_xgb(XGBoosterLoadModelFromBuffer(model->booster_, bytes.data(), bytes.size()),
              "loading the model");
    set(model->booster_, "nthread", "1");
    return model;
  }

 private:
  static void set(BoosterHandle booster, const char* key, const std::string& value) {
    check_xgb(XGBoosterSetParam(booster, key, value.c_str()), key);
  }

  Config config_;
  Task task_;
  int n_outputs_;
  BoosterHandle booster_ = nullptr;
  mutable std::mutex mutex_;
};

}  // namespace

ModelFamily xgboost_family() {
  ModelFamily family;
  family.name = "xgboost";
  family.applicable = [](const DataShape&) { return true; };
  family.add_params = [](SearchSpace& space, const std::string& condition, const DataShape&) {
    space.add_int("xgboost_rounds", 20, 2000).log().default_value(int64_t{200}).when(condition)
        .add_float("xgboost_eta", 0.005, 0.5).log().default_value(0.1).when(condition)
        .add_int("xgboost_max_depth", 2, 12).default_value(int64_t{6}).when(condition)
        .add_float("xgboost_min_child_weight", 0.1, 64.0).log().default_value(1.0).when(condition)
        .add_float("xgboost_subsample", 0.5, 1.0).default_value(1.0).when(condition)
        .add_float("xgboost_colsample_bytree", 0.3, 1.0).default_value(1.0).when(condition)
        .add_float("xgboost_lambda", 1e-3, 100.0).log().default_value(1.0).when(condition)
        .add_float("xgboost_alpha", 1e-8, 10.0).log().default_value(1e-8).when(condition);
  };
  // XGBoost's defaults, then two configurations in the spirit of AutoGluon's and
  // auto-sklearn 2.0's portfolios: slower learning with more rounds and column sampling.
  family.portfolio = [](const DataShape&) {
    return std::vector<Config>{
        {{"xgboost_rounds", int64_t{200}}, {"xgboost_eta", 0.1}, {"xgboost_max_depth", int64_t{6}},
         {"xgboost_min_child_weight", 1.0}, {"xgboost_subsample", 1.0},
         {"xgboost_colsample_bytree", 1.0}, {"xgboost_lambda", 1.0}, {"xgboost_alpha", 1e-8}},
        {{"xgboost_rounds", int64_t{500}}, {"xgboost_eta", 0.05}, {"xgboost_max_depth", int64_t{8}},
         {"xgboost_min_child_weight", 1.0}, {"xgboost_subsample", 0.8},
         {"xgboost_colsample_bytree", 0.8}, {"xgboost_lambda", 1.0}, {"xgboost_alpha", 1e-8}},
        {{"xgboost_rounds", int64_t{800}}, {"xgboost_eta", 0.03}, {"xgboost_max_depth", int64_t{4}},
         {"xgboost_min_child_weight", 3.0}, {"xgboost_subsample", 0.9},
         {"xgboost_colsample_bytree", 0.6}, {"xgboost_lambda", 3.0}, {"xgboost_alpha", 1e-8}},
    };
  };
  family.create = [](const Config& config, const DataShape& shape) -> std::unique_ptr<Model> {
    return std::make_unique<XgboostModel>(config, shape.task, static_cast<int>(shape.n_outputs()));
  };
  family.load = [](Reader& in) { return XgboostModel::load(in); };
  family.wants_scaling = false;
  return family;
}

}  // namespace winnow::automl
