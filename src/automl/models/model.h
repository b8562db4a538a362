// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The model interface every learning algorithm implements, and the family record that makes
// one selectable by the AutoML search: its hyperparameters (conditional on `model == <name>`),
// its portfolio of strong default configurations, a factory and a loader. A new family is one
// file in src/automl/models/ plus one line in registry.cc.
#pragma once
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "automl/matrix.h"
#include "automl/serial.h"
#include "automl/task.h"
#include "winnow/space.h"

namespace winnow::automl {

// Thrown by a model's fit when FitControl says to stop (the time or memory limit was reached).
class FitStopped : public std::exception {
 public:
  const char* what() const noexcept override { return "fit stopped"; }
};

struct FitControl {
  // Seed of everything random in the fit; same seed, same data, same model. Default: 0.
  uint64_t seed = 0;
  // Threads the model may use. Default: 1.
  int threads = 1;
  // True once the fit must end (deadline passed, memory limit reached). Models call check()
  // between units of work (boosting rounds, trees, epochs) so that no fit outlives its limit by
  // more than one unit. Default: never.
  std::function<bool()> should_stop;
  void check() const {
    if (should_stop && should_stop()) throw FitStopped();
  }
};

class Model {
 public:
  virtual ~Model() = default;
  // Trains on x (no missing values) and y (y.size() == x.rows). Throws FitStopped when told
  // to stop, winnow::Error when the data cannot be learned by this model.
  virtual void fit(const Matrix& x, const Target& y, const FitControl& control) = 0;
  // Writes x.rows * n_outputs numbers, row-major: class probabilities (each row sums to 1) for
  // classification, the predicted value for regression. Thread-safe (const).
  virtual void predict(const Matrix& x, std::span<float> out) const = 0;
  // The fitted state, read back by the family's load().
  virtual void save(Writer& out) const = 0;
};

// What a family knows about the data when it defines its space and builds a model.
struct DataShape {
  Task task = Task::kRegression;
  size_t rows = 0;      // training rows (of one fold)
  size_t features = 0;  // columns after preprocessing (an estimate before it)
  int n_classes = 0;    // classification only
  size_t n_outputs() const { return task == Task::kRegression ? 1 : static_cast<size_t>(n_classes); }
};

struct ModelFamily {
  // Name used in the search space's `model` parameter and in reports ("xgboost").
  std::string name;
  // False when the family cannot or should not be used on data of this shape (kernel SVM on
  // large data). Default: always.
  std::function<bool(const DataShape&)> applicable;
  // Adds the family's hyperparameters, each named "<name>_<hyperparameter>" and active when
  // `condition` holds.
  std::function<void(SearchSpace& space, const std::string& condition, const DataShape&)>
      add_params;
  // Strong default configurations of the family's own parameters (names as in add_params),
  // tried before the search samples, best first.
  std::function<std::vector<Config>(const DataShape&)> portfolio;
  // Builds an unfitted model from a configuration holding the family's parameters.
  std::function<std::unique_ptr<Model>(const Config& config, const DataShape&)> create;
  // Reads a model written by its save().
  std::function<std::unique_ptr<Model>(Reader& in)> load;
  // Whether inputs should be scaled (linear models, distances, networks) rather than left as
  // they are (trees): decides which preprocessing choices the search offers with the family.
  bool wants_scaling = false;
};

// Every family, in the order the portfolio is tried.
const std::vector<ModelFamily>& model_families();
// Throws winnow::Error naming the known families.
const ModelFamily& find_family(std::string_view name);

// Reading a family's parameters from a configuration (absent -> fallback).
double param_float(const Config& config, std::string_view name, double fallback);
int64_t param_int(const Config& config, std::string_view name, int64_t fallback);
std::string param_string(const Config& config, std::string_view name, std::string fallback);

}  // namespace winnow::automl
