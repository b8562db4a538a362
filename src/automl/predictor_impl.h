// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What a model file holds: the schema of the training columns, and the ensemble: each member a
// trial's configuration and its fold models (a fitted pipeline and a model per validation fold,
// whose predictions are averaged), with the member's weight. The file is
//   "WINNOWML" | u32 format version | summary JSON | schema | task, metric, target, classes |
//   members (family, trial, weight, configuration JSON, folds: pipeline bytes, model bytes) |
//   the best trial (a member, with weight 0 when the ensemble left it out).
#pragma once
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "automl/data/schema.h"
#include "automl/metrics.h"
#include "automl/models/model.h"
#include "automl/pipeline/pipeline.h"
#include "winnow/automl.h"

namespace winnow::automl {

// 2: the best trial follows the members.
// 3: then the measured costs (preprocessing, each member) and the front of ensembles.
// 4: the file ends with a checksum of everything between the magic and it.
inline constexpr uint32_t kModelFormatVersion = 4;

struct FoldModel {
  Pipeline pipeline;
  std::unique_ptr<Model> model;
};

// What running a member (or the shared preprocessing) costs on the machine that fitted it,
// measured after the search on training rows: wall seconds per row when rows come one per call
// and a thousand per call, and the bytes of its fitted models (their serialised size, which
// tracks their memory). NaN where it was not measured (files of format 2).
struct InferenceCost {
  double seconds_per_row_batch1 = std::numeric_limits<double>::quiet_NaN();
  double seconds_per_row_batch1000 = std::numeric_limits<double>::quiet_NaN();
  uint64_t bytes = 0;

  double seconds_per_row(int batch) const {
    return batch >= 1000 ? seconds_per_row_batch1000 : seconds_per_row_batch1;
  }
};

struct EnsembleMember {
  std::string family;
  int64_t trial = 0;
  double weight = 0;  // in the chosen ensemble; 0 = not used by it
  std::string config_json;
  std::vector<FoldModel> folds;
  InferenceCost cost;
};

// One ensemble of the accuracy / inference-time front: a weight per member of the file (0 =
// left out), its validation loss (smaller is better) and score, and its cost: the shared
// preprocessing plus each member it uses.
struct FrontEntry {
  std::vector<double> weights;
  double loss = 0;
  double score = 0;
  InferenceCost cost;
};

// A fold model as bytes (pipeline, then the model), the form kept for a trial until the
// ensemble is chosen.
std::string save_fold_model(const FoldModel& fold);
FoldModel load_fold_model(std::string_view bytes, const std::string& family);

struct Predictor::Impl {
  Schema schema;
  Task task = Task::kRegression;
  Metric metric = Metric::kRmse;
  std::string target;
  std::vector<std::string> classes;
  std::vector<EnsembleMember> members;
  int64_t best_trial = -1;  // the trial with the best validation score
  nlohmann::json summary;
  // Turning a request's table into the schema's layout, per row.
  InferenceCost preprocessing_cost;
  // Ensembles from the most accurate to the fastest; empty in files of format 2.
  std::vector<FrontEntry> front;
  size_t chosen = 0;  // the front entry whose weights the members carry
  // The entry the model file chose at its fit, which an inference limit keeps when it fits.
  size_t chosen_in_file = 0;

  size_t n_outputs() const { return task == Task::kRegression ? 1 : classes.size(); }
  // The weighted ensemble's predictions for a table laid out as the schema; with
  // `best_single`, those of the member that was the best trial (kept with weight 0 when the
  // ensemble did not choose it).
  std::vector<float> predict(const Table& conformed, bool best_single = false) const;
  // One member's predictions (its fold models averaged), unweighted.
  std::vector<float> predict_member(const EnsembleMember& member, const Table& conformed) const;
  // Classification: each row's weighted sum of member probabilities scaled to sum to 1.
  void normalise(std::vector<float>& total, size_t rows) const;
  // Gives the members the weights of front entry `index`.
  void choose(size_t index);
};

}  // namespace winnow::automl
