// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Ensembles that trade accuracy for inference speed (Pochelu et al., HPC Asia 2022; AutoGluon's
// infer_limit). After the search, each ensemble candidate's inference cost is measured on this
// machine (seconds per row with one row per call and with a thousand, and the bytes of its
// models); then a front of ensembles over (validation loss, seconds per row at batch 1, at batch
// 1000) is built, from which a time limit picks the most accurate ensemble that fits.
//
// The cost of an ensemble is the shared preprocessing plus each distinct member: predictions
// are made member by member, so a member's weight changes accuracy, never time.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "automl/data/table.h"
#include "automl/metrics.h"
#include "automl/predictor_impl.h"

namespace winnow::automl {

// Rows cost measurements run on: single rows, and a table of a thousand (rows repeat when the
// data has fewer).
struct CostSample {
  std::vector<Table> single_rows;
  Table thousand_rows;
};
CostSample make_cost_sample(const Table& features, uint64_t seed);

// Wall seconds per row of one member, the median over repeated calls that stop after about
// `budget_seconds` (at least one call at each batch size), and the bytes of its fold models.
InferenceCost measure_member_cost(const Predictor::Impl& model, const EnsembleMember& member,
                                  const CostSample& sample, double budget_seconds);
// The same for turning a table into the schema's layout, shared by every member.
InferenceCost measure_preprocessing_cost(const Schema& schema, const CostSample& sample,
                                         double budget_seconds);

struct FrontCandidate {
  std::span<const float> oof;  // out-of-fold predictions, as select_ensemble takes them
  InferenceCost cost;
};

struct FrontOptions {
  // "greedy": greedy ensemble selection rerun under a sweep of weights between normalised loss
  // and normalised time, for each batch size, every round's ensemble kept; "nsga2": NSGA-II
  // over integer member weights in [0, nsga2_max_weight] with the three objectives.
  // Default: "greedy".
  std::string method = "greedy";
  // Rounds of each greedy selection. Default: 25.
  int rounds = 25;
  // NSGA-II's population, generations and largest weight. Default: 40, 50, 4.
  int nsga2_population = 40;
  int nsga2_generations = 50;
  int nsga2_max_weight = 4;
  uint64_t seed = 0;
  // The front keeps at most this many ensembles, spread over its loss range. Default: 24.
  size_t max_entries = 24;
  // Checked between selections (the time limit); the plain greedy ensemble is always built.
  std::function<bool()> should_stop;
};

// Non-dominated ensembles over the candidates (weights per candidate), most accurate first, and
// plain greedy selection's ensemble (select_ensemble without costs) whether dominated or not:
// it does not depend on measured times, so a seeded fit that uses it is reproducible.
// *plain_entry receives its index.
std::vector<FrontEntry> build_front(const std::vector<FrontCandidate>& candidates,
                                    const InferenceCost& preprocessing, const Target& target,
                                    Metric metric, const FrontOptions& options,
                                    size_t* plain_entry = nullptr);

// The entry to use within `seconds_per_row` at `batch`: `preferred` (the model's own choice)
// when its seconds per row are within the limit, so that a limit changes the model only when
// that choice is too slow; else the entry with the lowest loss that is within it; when none is,
// the fastest, and *fits is false.
size_t choose_entry(const std::vector<FrontEntry>& front, double seconds_per_row, int batch,
                    bool* fits = nullptr, std::optional<size_t> preferred = std::nullopt);

// The cost of an ensemble given by weights over `members`: preprocessing plus each member with
// a positive weight.
InferenceCost ensemble_cost(const std::vector<double>& weights, const std::vector<InferenceCost>& members,
                            const InferenceCost& preprocessing);

}  // namespace winnow::automl
