// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The real trade-off of the multi-objective benchmark (bench/mo_suite.cc, bench/optuna_mo.py):
// trains one gradient-boosted model with libxgboost and prints its validation error and size.
// Both harnesses run this program as a subprocess for every trial, so Winnow and Optuna
// optimise exactly the same objectives (Debian's python3-xgboost is not installed here).
//
//   xgb_tradeoff_objective n_estimators=40 max_depth=4 eta=0.1 min_child_weight=1 subsample=0.8 lambda=1
//   -> {"error": 1.2345..., "nodes": 1104, "model_kb": 52.3}
//   xgb_tradeoff_objective ... lambda=1 task=classification
//   -> {"error": 0.4321..., "nodes": 1104, "model_kb": 52.3, "error_rate": 0.181}
//
// Objectives, both minimised: "error", the validation RMSE (task=regression, the default) or
// the validation log-loss (task=classification; probabilities clipped to [1e-15, 1 - 1e-15]),
// computed here in double precision from the predictions, and "nodes", the number of nodes of
// all trees (splits and leaves, as the text dump lists them). "model_kb" (the UBJSON model's
// size in KiB) and "error_rate" (classification: the share of validation rows on the wrong side
// of 1/2) are printed for information only.
//
// Classification data: Hastie, Tibshirani, Friedman, "The Elements of Statistical Learning"
// (2nd ed., 2009), eq. 10.2 (scikit-learn's make_hastie_10_2): x ~ N(0, 1)^10, y = 1 when
// sum x_j^2 > 9.34 (the median of chi^2 with 10 degrees of freedom), else 0: balanced classes
// and a spherical boundary that axis-aligned trees need many nodes for. 1,000 training and
// 1,000 validation rows from their own fixed seed, as below.
//
// Data: Friedman #1 (Friedman 1991, "Multivariate adaptive regression splines", eq. 56; the
// generator scikit-learn ships as make_friedman1):
//   y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + N(0, 1),  x ~ U[0, 1]^10,
// five of the ten features uninformative; 1,000 training and 1,000 validation rows from a fixed
// seed, drawn with explicit formulas over std::mt19937_64 (whose output the standard fixes; the
// standard distributions are implementation-defined). The RMSE's noise floor is 1.
//
// Determinism: one thread (nthread = 1, and the matrices are built on one thread too),
// tree_method = hist, seed = 0, so the same configuration always gives the same output on one
// machine and library version (1.7.4 here). The search space lives in bench/mo_functions.cc and
// bench/mo_functions.py; this program only checks that each value is a number, that all six
// parameters are given, and the task's name.
//
// Exit status: 0 with the JSON line on stdout; 2 on a bad command line; 1 when XGBoost fails.
#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr int kFeatures = 10;
constexpr int kTrainRows = 1000;
constexpr int kValidationRows = 1000;
constexpr uint64_t kDataSeed = 20240611;
constexpr uint64_t kClassificationSeed = 20261124;
constexpr double kPi = 3.14159265358979323846;

const char* const kParameters[] = {"n_estimators", "max_depth",  "eta",
                                   "min_child_weight", "subsample", "lambda"};

void check(int status, const char* what) {
  if (status != 0) throw std::runtime_error(std::string(what) + ": " + XGBGetLastError());
}

struct Data {
  std::vector<float> x, y;
};

struct Stream {
  std::mt19937_64 engine;
  double uniform() { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }
  double normal() {  // Box-Muller
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2 * std::log(1 - u1)) * std::cos(2 * kPi * u2);
  }
};

// Training rows first, then validation rows, from one stream.
void friedman1(Data& train, Data& validation) {
  Stream stream{std::mt19937_64(kDataSeed)};
  auto uniform = [&stream] { return stream.uniform(); };
  auto normal = [&stream] { return stream.normal(); };
  auto fill = [&](int rows, Data& d) {
    d.x.resize(static_cast<size_t>(rows) * kFeatures);
    d.y.resize(rows);
    for (int r = 0; r < rows; ++r) {
      float* row = &d.x[static_cast<size_t>(r) * kFeatures];
      for (int c = 0; c < kFeatures; ++c) row[c] = static_cast<float>(uniform());
      double target = 10 * std::sin(kPi * row[0] * row[1]) + 20 * (row[2] - 0.5) * (row[2] - 0.5) +
                      10 * row[3] + 5 * row[4];
      d.y[r] = static_cast<float>(target + normal());
    }
  };
  fill(kTrainRows, train);
  fill(kValidationRows, validation);
}

// Hastie et al.'s 10.2, training rows first, then validation rows, from one stream.
void hastie_10_2(Data& train, Data& validation) {
  Stream stream{std::mt19937_64(kClassificationSeed)};
  auto fill = [&](int rows, Data& d) {
    d.x.resize(static_cast<size_t>(rows) * kFeatures);
    d.y.resize(rows);
    for (int r = 0; r < rows; ++r) {
      float* row = &d.x[static_cast<size_t>(r) * kFeatures];
      double squares = 0;
      for (int c = 0; c < kFeatures; ++c) {
        row[c] = static_cast<float>(stream.normal());
        squares += static_cast<double>(row[c]) * row[c];
      }
      d.y[r] = squares > 9.34 ? 1.0f : 0.0f;
    }
  };
  fill(kTrainRows, train);
  fill(kValidationRows, validation);
}

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "xgb_tradeoff_objective: %s\n"
               "usage: xgb_tradeoff_objective n_estimators=N max_depth=N eta=X "
               "min_child_weight=X subsample=X lambda=X [task=regression|classification]\n"
               "  trains XGBoost on Friedman #1 (regression) or Hastie et al.'s 10.2\n"
               "  (classification) and prints {\"error\": validation RMSE or log-loss, "
               "\"nodes\": tree nodes, \"model_kb\": UBJSON KiB}\n",
               problem.c_str());
  std::exit(2);
}

std::string format_number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, double> params;
  bool classification = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") usage("evaluates one configuration of the trade-off");
    size_t eq = arg.find('=');
    if (eq == std::string::npos) usage("argument '" + arg + "' is not name=value");
    std::string name = arg.substr(0, eq), text = arg.substr(eq + 1);
    if (name == "task") {
      if (text != "regression" && text != "classification") usage("unknown task '" + text + "'");
      classification = text == "classification";
      continue;
    }
    bool known = false;
    for (const char* p : kParameters) known |= name == p;
    if (!known) usage("unknown parameter '" + name + "'");
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(value)) {
      usage("parameter " + name + " = '" + text + "' is not a finite number");
    }
    params[name] = value;
  }
  for (const char* p : kParameters) {
    if (!params.count(p)) usage(std::string("missing parameter ") + p);
  }
  const double n_estimators = params["n_estimators"], max_depth = params["max_depth"];
  if (n_estimators < 1 || n_estimators != std::floor(n_estimators)) {
    usage("n_estimators = " + format_number(n_estimators) + " must be an integer >= 1");
  }
  if (max_depth < 1 || max_depth != std::floor(max_depth)) {
    usage("max_depth = " + format_number(max_depth) + " must be an integer >= 1");
  }

  Data train, validation;
  if (classification) {
    hastie_10_2(train, validation);
  } else {
    friedman1(train, validation);
  }
  DMatrixHandle train_matrix = nullptr, validation_matrix = nullptr;
  BoosterHandle booster = nullptr;
  int status = 0;
  try {
    // One thread everywhere: the matrices too, not only training (nthread below).
    check(XGDMatrixCreateFromMat_omp(train.x.data(), kTrainRows, kFeatures, NAN, &train_matrix, 1),
          "creating the training matrix");
    check(XGDMatrixSetFloatInfo(train_matrix, "label", train.y.data(), kTrainRows), "labels");
    check(XGDMatrixCreateFromMat_omp(validation.x.data(), kValidationRows, kFeatures, NAN,
                                     &validation_matrix, 1),
          "creating the validation matrix");
    check(XGBoosterCreate(&train_matrix, 1, &booster), "creating a booster");
    const std::pair<const char*, std::string> settings[] = {
        {"objective", classification ? "binary:logistic" : "reg:squarederror"},
        {"tree_method", "hist"},
        {"max_bin", "64"},
        {"nthread", "1"},
        {"verbosity", "0"},
        {"seed", "0"},
        {"max_depth", std::to_string(static_cast<int64_t>(max_depth))},
        {"eta", format_number(params["eta"])},
        {"min_child_weight", format_number(params["min_child_weight"])},
        {"subsample", format_number(params["subsample"])},
        {"lambda", format_number(params["lambda"])},
    };
    for (const auto& [key, value] : settings) check(XGBoosterSetParam(booster, key, value.c_str()), key);
    for (int round = 0; round < static_cast<int>(n_estimators); ++round) {
      check(XGBoosterUpdateOneIter(booster, round, train_matrix), "training");
    }

    bst_ulong length = 0;
    const float* predictions = nullptr;
    check(XGBoosterPredict(booster, validation_matrix, 0, 0, 0, &length, &predictions), "predicting");
    if (length != static_cast<bst_ulong>(kValidationRows)) throw std::runtime_error("wrong prediction count");
    double squares = 0, log_loss = 0;
    int wrong = 0;
    for (int r = 0; r < kValidationRows; ++r) {
      double p = static_cast<double>(predictions[r]), y = static_cast<double>(validation.y[r]);
      squares += (p - y) * (p - y);
      p = std::min(std::max(p, 1e-15), 1 - 1e-15);
      log_loss -= y * std::log(p) + (1 - y) * std::log(1 - p);
      wrong += (p > 0.5) != (y > 0.5);
    }
    double error =
        classification ? log_loss / kValidationRows : std::sqrt(squares / kValidationRows);

    bst_ulong trees = 0;
    const char** dump = nullptr;
    check(XGBoosterDumpModelEx(booster, "", 0, "text", &trees, &dump), "dumping the model");
    int64_t nodes = 0;
    for (bst_ulong t = 0; t < trees; ++t) {
      for (const char* c = dump[t]; *c; ++c) nodes += *c == '\n';
    }
    bst_ulong bytes = 0;
    const char* model = nullptr;
    check(XGBoosterSaveModelToBuffer(booster, R"({"format": "ubj"})", &bytes, &model), "saving");

    std::printf("{\"error\": %s, \"nodes\": %lld, \"model_kb\": %.6g", format_number(error).c_str(),
                static_cast<long long>(nodes), static_cast<double>(bytes) / 1024.0);
    if (classification) {
      std::printf(", \"error_rate\": %.6g", static_cast<double>(wrong) / kValidationRows);
    }
    std::printf("}\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xgb_tradeoff_objective: xgboost: %s\n", e.what());
    status = 1;
  }
  if (booster) XGBoosterFree(booster);
  if (train_matrix) XGDMatrixFree(train_matrix);
  if (validation_matrix) XGDMatrixFree(validation_matrix);
  return status;
}
