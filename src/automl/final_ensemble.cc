// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "automl/final_ensemble.h"

#include <algorithm>
#include <cmath>

#include "common/strings.h"

namespace winnow::automl {
namespace {

using Clock = std::chrono::steady_clock;

// Measuring a member takes at most this long, and at least the shorter time when the fit's time
// is nearly out.
constexpr double kMaxMeasureSeconds = 0.05;
constexpr double kMinMeasureSeconds = 0.002;
// The share of the time left that measuring may take.
constexpr double kMeasureShare = 0.25;

std::vector<InferenceCost> member_costs(const Predictor::Impl& model) {
  std::vector<InferenceCost> costs;
  for (const EnsembleMember& member : model.members) costs.push_back(member.cost);
  return costs;
}

std::string per_row(double seconds) {
  if (!std::isfinite(seconds)) return "unknown";
  if (seconds >= 1e-3) return format_short(seconds * 1e3) + " ms";
  return format_short(seconds * 1e6) + " us";
}

}  // namespace

void build_final_ensemble(Predictor::Impl& model, const std::vector<const StoredTrial*>& candidates,
                          const Table& features, const Target& scored_target,
                          const FinalEnsembleOptions& options) {
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  auto seconds_left = [&]() -> double {
    if (!options.end) return 1e9;
    return std::chrono::duration<double>(*options.end - Clock::now()).count() - 1.0;
  };
  // A member's fold models share one configuration and cost alike, so one fold is measured and
  // its time multiplied: loading and timing every fold of every candidate would take seconds.
  const double budget = std::clamp(kMeasureShare * seconds_left() / (candidates.size() + 1.0),
                                   kMinMeasureSeconds, kMaxMeasureSeconds);
  CostSample sample = make_cost_sample(features, options.seed);
  model.preprocessing_cost = measure_preprocessing_cost(model.schema, sample, budget);
  std::vector<FrontCandidate> front_candidates;
  std::vector<InferenceCost> costs;
  for (const StoredTrial* candidate : candidates) {
    EnsembleMember probe;
    probe.family = candidate->family;
    probe.folds.push_back(load_fold_model(candidate->fold_models.front(), probe.family));
    InferenceCost cost = measure_member_cost(model, probe, sample, budget);
    const double folds = static_cast<double>(candidate->fold_models.size());
    cost.seconds_per_row_batch1 *= folds;
    cost.seconds_per_row_batch1000 *= folds;
    cost.bytes = 0;
    for (const std::string& bytes : candidate->fold_models) cost.bytes += bytes.size();
    costs.push_back(cost);
    front_candidates.push_back({candidate->oof, cost});
  }
  FrontOptions front_options;
  front_options.method = options.front_method;
  front_options.rounds = options.rounds;
  front_options.seed = options.seed;
  front_options.should_stop = [&] { return seconds_left() < 0; };
  size_t plain = 0;
  std::vector<FrontEntry> front = build_front(front_candidates, model.preprocessing_cost,
                                              scored_target, model.metric, front_options, &plain);

  // The members are the candidates some ensemble uses, and the best trial.
  std::vector<size_t> kept;
  for (size_t c = 0; c < candidates.size(); ++c) {
    bool used = c == 0;
    for (const FrontEntry& entry : front) used = used || entry.weights[c] > 0;
    if (used) kept.push_back(c);
  }
  model.members.clear();
  for (size_t c : kept) {
    EnsembleMember member;
    member.family = candidates[c]->family;
    member.trial = candidates[c]->trial;
    member.config_json = candidates[c]->config_json;
    member.cost = costs[c];
    for (const std::string& bytes : candidates[c]->fold_models) {
      member.folds.push_back(load_fold_model(bytes, member.family));
    }
    model.members.push_back(std::move(member));
  }
  for (FrontEntry& entry : front) {
    std::vector<double> weights;
    for (size_t c : kept) weights.push_back(entry.weights[c]);
    entry.weights = std::move(weights);
  }
  model.front = std::move(front);
  model.best_trial = candidates.front()->trial;

  size_t chosen = plain;
  if (options.infer_limit_seconds > 0) {
    bool fits = false;
    chosen = choose_entry(model.front, options.infer_limit_seconds, options.infer_batch, &fits,
                          plain);
    const FrontEntry& entry = model.front[chosen];
    if (!fits) {
      log("no ensemble answers within " + per_row(options.infer_limit_seconds) + " per row at " +
          std::to_string(options.infer_batch) + " rows per call on this machine; using the " +
          "fastest (" + per_row(entry.cost.seconds_per_row(options.infer_batch)) + ")");
    }
  }
  model.choose(chosen);
  model.chosen_in_file = chosen;
}

void remeasure_members(Predictor::Impl& model, const Table& features,
                       const std::vector<size_t>& changed, uint64_t seed) {
  if (changed.empty()) return;
  CostSample sample = make_cost_sample(features, seed);
  for (size_t m : changed) {
    model.members[m].cost = measure_member_cost(model, model.members[m], sample, kMaxMeasureSeconds);
  }
  std::vector<InferenceCost> costs = member_costs(model);
  for (FrontEntry& entry : model.front) {
    entry.cost = ensemble_cost(entry.weights, costs, model.preprocessing_cost);
  }
}

}  // namespace winnow::automl
