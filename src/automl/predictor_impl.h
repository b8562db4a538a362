// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What a model file holds: the schema of the training columns, and the ensemble: each member a
// trial's configuration and its fold models (a fitted pipeline and a model per validation fold,
// whose predictions are averaged), with the member's weight. The file is
//   "WINNOWML" | u32 format version | summary JSON | schema | task, metric, target, classes |
//   members (family, trial, weight, configuration JSON, folds: pipeline bytes, model bytes) |
//   the best trial (a member, with weight 0 when the ensemble left it out).
#pragma once
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
inline constexpr uint32_t kModelFormatVersion = 2;

struct FoldModel {
  Pipeline pipeline;
  std::unique_ptr<Model> model;
};

struct EnsembleMember {
  std::string family;
  int64_t trial = 0;
  double weight = 0;
  std::string config_json;
  std::vector<FoldModel> folds;
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

  size_t n_outputs() const { return task == Task::kRegression ? 1 : classes.size(); }
  // The weighted ensemble's predictions for a table laid out as the schema; with
  // `best_single`, those of the member that was the best trial (kept with weight 0 when the
  // ensemble did not choose it).
  std::vector<float> predict(const Table& conformed, bool best_single = false) const;
};

}  // namespace winnow::automl
