// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Tabular AutoML: from a CSV file to a tuned, ensembled model in one call.
//
//   winnow::automl::FitOptions options;
//   options.target = "class";
//   options.time_limit_seconds = 600;
//   winnow::automl::Predictor model = winnow::automl::fit("train.csv", options);
//   model.save("model.winnow");
//   winnow::automl::Predictions p = model.predict_csv("test.csv");
//
// The search is an ordinary Winnow study (combined algorithm selection and hyperparameter
// optimisation over preprocessing and model families), its trials scored by cross-validation;
// the final model is a greedy ensemble of the best trials' fold models (docs/automl.md).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace winnow::automl {

struct FitOptions {
  // The column to predict. Required.
  std::string target;
  // "auto", "binary", "multiclass" or "regression". "auto" infers it from the target: text or
  // boolean values, or integers with few distinct values, make a classification task.
  // Default: "auto".
  std::string task = "auto";
  // roc_auc, log_loss, accuracy, balanced_accuracy, f1 (classification); rmse, mae, r2
  // (regression). Default: empty, meaning roc_auc for binary, log_loss for multiclass, rmse for
  // regression (the AutoML Benchmark's).
  std::string metric;
  // Wall-clock limit of the whole fit, search to written model; 0 = none (then `trials` must be
  // set). Default: 600.
  double time_limit_seconds = 600;
  // Trials to run; 0 = until the time limit. With a seed, a trial budget and no time limit, two
  // fits give identical models. Default: 0.
  int64_t trials = 0;
  // Threads; 0 = one per core. Default: 0.
  int jobs = 0;
  // Resident memory the fit may use, in bytes; a model that would exceed it is stopped and its
  // trial recorded as failed. 0 = four fifths of the machine's memory. Default: 0.
  uint64_t memory_limit_bytes = 0;
  // Seed of the search, the folds and every model. Default: 0.
  uint64_t seed = 0;
  // Storage URL or SQLite path of the study; empty = in memory. With a storage, an
  // interrupted fit started again with the same data and options resumes its study (the
  // trials' out-of-fold predictions and fold models are kept beside it, in <path>.automl/).
  // Default: empty.
  std::string storage;
  // Name of the study in the storage. Default: "automl".
  std::string study_name = "automl";
  // Sampler spec of the search. Default: "auto".
  std::string sampler = "auto";
  // Multi-fidelity: "asha", "hyperband" or "sh" give trials a fraction of each fold's training
  // rows (1/9, 1/3, all), promoting the best to more; "none" trains every trial on all of them.
  // Default: "none".
  std::string scheduler = "none";
  // Column types forced by the user, and columns not used at all. Default: none.
  std::vector<std::string> categorical_columns;
  std::vector<std::string> numeric_columns;
  std::vector<std::string> ignored_columns;
  // CSV delimiter; 0 guesses it. Default: 0.
  char delimiter = 0;
  // Only these model families (xgboost, random_forest, extra_trees, linear, knn, mlp, svm);
  // empty = all that suit the data. Default: empty.
  std::vector<std::string> models;
  // Greedy ensemble selection: rounds, and how many of the best trials are candidates.
  // Default: 25 and 20.
  int ensemble_rounds = 25;
  int ensemble_candidates = 20;
  // Refit every ensemble member on all rows after the search instead of averaging its fold
  // models; the search then leaves a fifth of the time limit for it. A member whose refit does
  // not finish in time keeps its fold models. Default: false (docs/automl.md says why).
  bool refit = false;
  // Inference-time limit per row of the ensemble the model file uses (preprocessing counted),
  // at rows `infer_batch` per call (1 or 1000): the most accurate ensemble of the front that
  // fits is chosen; when none does, the fastest, with a note. 0 = the most accurate ensemble.
  // Default: 0 and 1.
  double infer_limit_seconds = 0;
  int infer_batch = 1;
  // How the front of ensembles over (validation loss, inference time) is built: "greedy"
  // (greedy selection under a sweep of weights between normalised loss and time) or "nsga2"
  // (NSGA-II over integer member weights). Default: "greedy" (docs/automl.md says why).
  std::string front_method = "greedy";
  // Called with a line for people: notes about the data, progress, the final report. A line
  // starting with '\r' replaces the previous progress line. Default: none (silent).
  std::function<void(const std::string& line)> log;
  // Whether progress is a live line (a terminal) rather than one line per event.
  bool live_progress = false;
};

// Predictions for the rows of a table, in order.
struct Predictions {
  size_t rows = 0;
  // Classification: the class names, the predicted class of each row and its probabilities
  // (rows * classes.size(), row-major). Regression: the predicted values.
  std::vector<std::string> classes;
  std::vector<std::string> labels;
  std::vector<float> probabilities;
  std::vector<double> values;
};

// One ensemble of the accuracy / inference-time front a model file keeps.
struct EnsembleChoice {
  double score = 0;                        // validation metric, as FitOptions::metric
  double seconds_per_row_batch1 = 0;       // measured on the fitting machine; NaN if unknown
  double seconds_per_row_batch1000 = 0;
  uint64_t bytes = 0;                      // the members' fitted models
  std::vector<std::pair<int64_t, double>> members;  // trial number, weight
  bool chosen = false;                     // the one predictions use
};

class Predictor {
 public:
  ~Predictor();
  Predictor(Predictor&&) noexcept;
  Predictor& operator=(Predictor&&) noexcept;

  // Reads a model file; throws winnow::Error when it is not one, is truncated, or was written
  // by a newer format.
  static Predictor load(const std::string& path);
  // Writes the model file (atomically: a crash leaves the old file or the new one).
  void save(const std::string& path) const;

  // Predicts the rows of a CSV file. Columns are matched by name: a missing one is an error
  // naming it; extra ones are ignored, unseen categories and missing cells handled as in
  // training; `notes` receives what was ignored or changed.
  // With `best_single`, the predictions of the best trial alone (its fold models), which the
  // file keeps beside the ensemble so the two can be compared on new data.
  Predictions predict_csv(const std::string& path, std::vector<std::string>* notes = nullptr,
                          bool best_single = false) const;
  // The metrics of the task (the fit's metric first) on a labelled CSV file.
  std::vector<std::pair<std::string, double>> evaluate_csv(
      const std::string& path, std::vector<std::string>* notes = nullptr) const;

  // The front of ensembles, most accurate first. A file written before fronts existed has one
  // entry, its ensemble, with unknown times.
  std::vector<EnsembleChoice> front() const;
  // Chooses the ensemble for `seconds_per_row` at `batch` rows per call (1 or 1000): the one
  // the model file chose, if its time per row is within the limit (a limit changes the model
  // only when it must), else the most accurate one within it; when none is, the fastest.
  // Returns whether one fit.
  bool choose_within(double seconds_per_row, int batch);

  std::string task() const;
  std::string target() const;
  std::string metric() const;
  // What `winnow automl show` prints: data, validation, leaderboard, ensemble, times.
  std::string report() const;
  // The same as JSON.
  std::string summary_json() const;
  // What `winnow automl show --front` prints: every ensemble of the front, its validation score,
  // times per row and members.
  std::string front_report() const;

  struct Impl;
  // For the serving engine and the benchmarks, which reach inside the model.
  const Impl& impl() const { return *impl_; }
  Impl& impl() { return *impl_; }

 private:
  explicit Predictor(std::unique_ptr<Impl> impl);
  std::string report_text() const;
  friend Predictor fit(const std::string& csv_path, const FitOptions& options);
  std::unique_ptr<Impl> impl_;
};

// Runs the whole fit: reads the CSV file, searches, builds the ensemble. Throws winnow::Error
// for bad data or options, with the file, line or column it concerns.
Predictor fit(const std::string& csv_path, const FitOptions& options);

// Whether a CSV cell reads as a missing value (empty, "NA", "N/A", "NaN", "null", "None", "?" ...,
// spaces around it ignored): a label spelt so cannot cross a CSV file as a class.
bool is_missing_cell(std::string_view cell);

}  // namespace winnow::automl
