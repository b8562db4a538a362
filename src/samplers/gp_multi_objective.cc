// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Why these choices:
//   * One GP per objective, each fitted like the one-objective GP (standardised, Yeo-Johnson,
//     MAP). The transform is monotone, so the front and every dominance are those of the raw
//     values, and the hypervolume is measured where each objective is roughly Gaussian rather
//     than where one long tail would make the others' improvements look negligible.
//   * The reference point of the improvement is each objective's worst observed (transformed)
//     value plus a tenth of its observed range: shift- and scale-invariant, and slightly beyond
//     the worst so the front's extremes still have room to improve.
//   * Constraints (c <= 0 holds) are modelled by a GP each on their standardised raw values
//     (no power transform: the threshold 0 must stay where it is); the acquisition adds
//     log P(c <= 0) for each, so proposals favour where every constraint holds, and the front
//     only counts feasible trials. Before any trial is feasible, the front is empty: EHVI is
//     then the expected volume below the reference, still times the probability of feasibility.
//   * Running trials are added to every objective GP as believed observations at the posterior
//     mean, and their believed points join the front, so parallel workers spread along it.
//   * The kernels' fits are stored with each proposal (user attribute "winnow.gp.kernels", one
//     theta per objective then per constraint) and warm-start the next proposal's fit, as the
//     one-objective GP does; the proposal is a function of (seed, trial count, history).
#include "samplers/gp_multi_objective.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>

#include "analysis/pareto.h"
#include "samplers/gp_ehvi.h"
#include "samplers/sampler_util.h"

namespace winnow::gp {
namespace {

const std::string kKernelsAttr = "winnow.gp.kernels";
constexpr size_t kAnchors = 5;
constexpr double kReferenceMargin = 0.1;

struct Observations {
  std::vector<const FrozenTrial*> trials;
  std::vector<double> values;      // row-major, minimised
  std::vector<double> violations;  // one per trial when constraints are reported, else empty
};

// The warm starts stored by the last proposal: one theta per model, or none for a model whose
// stored fit does not match (another space, another number of objectives).
std::vector<std::optional<Eigen::VectorXd>> stored_thetas(std::span<const FrozenTrial> history,
                                                          size_t models, size_t dimensions) {
  std::vector<std::optional<Eigen::VectorXd>> thetas(models);
  std::optional<std::string> stored = latest_attr(history, kKernelsAttr);
  if (!stored) return thetas;
  nlohmann::json json = nlohmann::json::parse(*stored, nullptr, false);
  if (!json.is_array() || json.size() != models) return thetas;
  for (size_t i = 0; i < models; ++i) {
    thetas[i] = theta_from_json(json[i].dump(), theta_size(dimensions));
  }
  return thetas;
}

// Keeps at most `count` trials: the lowest ranks (half of them) and a seeded random sample.
void keep_subset(Observations& observed, std::vector<double>& ranks, size_t objectives,
                 size_t count, Random& random) {
  if (observed.trials.size() <= count) return;
  Observations kept;
  std::vector<double> kept_ranks;
  for (size_t i : best_and_random(ranks, count, random)) {
    kept.trials.push_back(observed.trials[i]);
    kept.values.insert(kept.values.end(), observed.values.begin() + i * objectives,
                       observed.values.begin() + (i + 1) * objectives);
    if (!observed.violations.empty()) kept.violations.push_back(observed.violations[i]);
    kept_ranks.push_back(ranks[i]);
  }
  observed = std::move(kept);
  ranks = std::move(kept_ranks);
}

}  // namespace

std::optional<Config> propose_multi_objective(const SampleContext& context,
                                              const GpOptions& options, uint64_t seed,
                                              const std::set<std::vector<double>>& evaluated) {
  const SearchSpace& space = context.space;
  const size_t m = context.directions.size();
  Random random(mix_seed(seed, static_cast<uint64_t>(context.trial_count)));

  // Complete trials with every objective a number; how many constraint values they report.
  Observations observed;
  std::vector<const FrozenTrial*> running;
  size_t constraint_count = 0;
  for (const FrozenTrial& trial : context.history) {
    if (trial.number < 0) continue;
    if (trial.state == TrialState::kComplete && trial.values.size() == m &&
        std::none_of(trial.values.begin(), trial.values.end(),
                     [](double v) { return std::isnan(v); })) {
      observed.trials.push_back(&trial);
      constraint_count = std::max(constraint_count, trial.constraints.size());
    } else if (trial.state == TrialState::kRunning && !trial.config.empty()) {
      running.push_back(&trial);
    }
  }
  const size_t complete_count = observed.trials.size();
  for (size_t j = 0; j < m; ++j) {
    std::vector<double> column(complete_count);
    for (size_t i = 0; i < complete_count; ++i) {
      double v = observed.trials[i]->values[j];
      column[i] = context.directions[j] == Direction::kMaximize ? -v : v;
    }
    clip_infinities(column);
    observed.values.resize(complete_count * m);
    for (size_t i = 0; i < complete_count; ++i) observed.values[i * m + j] = column[i];
  }
  if (constraint_count > 0) {
    // A trial without (all) constraint values has them unknown: NaN, ranked after the others.
    std::vector<double> constraints(complete_count * constraint_count, NAN);
    for (size_t i = 0; i < complete_count; ++i) {
      const std::vector<double>& c = observed.trials[i]->constraints;
      if (c.size() == constraint_count) {
        std::copy(c.begin(), c.end(), constraints.begin() + i * constraint_count);
      }
    }
    observed.violations = total_violations(constraints, constraint_count);
  }
  std::vector<double> ranks;
  for (size_t r : non_dominated_ranks(observed.values, m, observed.violations)) {
    ranks.push_back(static_cast<double>(r));
  }
  keep_subset(observed, ranks, m, static_cast<size_t>(options.max_points), random);
  if (running.size() > static_cast<size_t>(options.max_points / 4)) {
    running.erase(running.begin(),
                  running.end() - static_cast<std::ptrdiff_t>(options.max_points / 4));
  }

  InputSpace inputs(space);
  const size_t n = observed.trials.size();
  const Eigen::MatrixXd points = encode_trials(space, inputs, observed.trials);
  const Eigen::MatrixXd running_points = encode_trials(space, inputs, running);
  ModelOptions model_options;
  model_options.deterministic = options.deterministic;
  std::vector<std::optional<Eigen::VectorXd>> warm =
      stored_thetas(context.history, m + constraint_count, space.size());
  std::vector<Eigen::VectorXd> thetas;

  // One GP per objective; `transformed` holds the standardised targets of the observed points,
  // then the believed values of the running ones, row-major.
  std::vector<GaussianProcess> models;
  models.reserve(m + constraint_count);
  const size_t believed_count = static_cast<size_t>(running_points.cols());
  std::vector<double> transformed((n + believed_count) * m);
  for (size_t j = 0; j < m; ++j) {
    std::vector<double> column(n);
    for (size_t i = 0; i < n; ++i) column[i] = observed.values[i * m + j];
    Eigen::VectorXd y = prepare_targets(column, options.power_transform);
    FitResult fit = fit_for_proposal(inputs, points, y, ranks, complete_count, warm[j],
                                     model_options, options, random);
    thetas.push_back(fit.theta);
    for (size_t i = 0; i < n; ++i) transformed[i * m + j] = y[static_cast<Eigen::Index>(i)];
    models.emplace_back(inputs, points, std::move(y), fit.theta, model_options);
    Eigen::VectorXd believed = models.back().add_fantasies(running_points);
    for (size_t i = 0; i < believed_count; ++i) {
      transformed[(n + i) * m + j] = believed[static_cast<Eigen::Index>(i)];
    }
  }

  // The front: feasible observed points and every believed one.
  std::vector<double> front, reference(m);
  for (size_t i = 0; i < n + believed_count; ++i) {
    bool feasible = i >= n || observed.violations.empty() || observed.violations[i] == 0.0;
    if (feasible) {
      front.insert(front.end(), transformed.begin() + i * m, transformed.begin() + (i + 1) * m);
    }
  }
  for (size_t j = 0; j < m; ++j) {
    double low = INFINITY, high = -INFINITY;
    for (size_t i = 0; i < n + believed_count; ++i) {
      low = std::min(low, transformed[i * m + j]);
      high = std::max(high, transformed[i * m + j]);
    }
    reference[j] = high + (high > low ? kReferenceMargin * (high - low) : 1.0);
  }

  std::vector<ConstraintModel> constraint_models;
  for (size_t c = 0; c < constraint_count; ++c) {
    std::vector<const FrozenTrial*> reported;
    std::vector<double> values;
    for (const FrozenTrial* trial : observed.trials) {
      if (trial->constraints.size() == constraint_count &&
          std::isfinite(trial->constraints[c])) {
        reported.push_back(trial);
        values.push_back(trial->constraints[c]);
      }
    }
    if (reported.size() < 2) {
      thetas.push_back(default_theta(space.size()));
      continue;
    }
    Eigen::VectorXd y = Eigen::Map<Eigen::VectorXd>(values.data(),
                                                    static_cast<Eigen::Index>(values.size()));
    double mean = y.mean(), sd = std::sqrt((y.array() - mean).square().mean());
    if (!(sd > 0.0)) sd = 1.0;
    y = (y.array() - mean) / sd;
    Eigen::MatrixXd constraint_points = encode_trials(space, inputs, reported);
    FitResult fit = fit_for_proposal(inputs, constraint_points, y, values, complete_count,
                                     warm[m + c], model_options, options, random);
    thetas.push_back(fit.theta);
    models.emplace_back(inputs, std::move(constraint_points), std::move(y), fit.theta,
                        model_options);
    constraint_models.push_back({&models.back(), -mean / sd});
  }

  std::vector<const GaussianProcess*> objective_models;
  for (size_t j = 0; j < m; ++j) objective_models.push_back(&models[j]);
  LogExpectedHypervolumeImprovement acquisition(
      objective_models, decompose_non_dominated(front, m, reference), constraint_models);

  // Anchors for the perturbed starting points: up to kAnchors points of the best rank, spread
  // along the front by their first objective.
  std::vector<size_t> best;
  for (size_t i = 0; i < n; ++i) {
    if (ranks[i] == 0.0) best.push_back(i);
  }
  std::stable_sort(best.begin(), best.end(), [&](size_t a, size_t b) {
    return observed.values[a * m] < observed.values[b * m];
  });
  const size_t anchor_count = std::min(kAnchors, best.size());
  Eigen::MatrixXd anchors(points.rows(), static_cast<Eigen::Index>(anchor_count));
  for (size_t i = 0; i < anchor_count; ++i) {
    size_t pick = anchor_count == 1 ? 0 : i * (best.size() - 1) / (anchor_count - 1);
    anchors.col(static_cast<Eigen::Index>(i)) = points.col(static_cast<Eigen::Index>(best[pick]));
  }
  AcquisitionOptions acquisition_options;
  acquisition_options.candidates = static_cast<int>(options.n_candidates);
  acquisition_options.local_searches = static_cast<int>(options.n_local);
  std::vector<ScoredPoint> scored =
      maximize_acquisition(acquisition, inputs, anchors, random, acquisition_options);

  std::optional<Config> config = choose_scored(
      space, inputs, scored, evaluated, options.deterministic ? INFINITY : nearly_as_good());
  if (!config) config = uniform_allowed(space, random);
  if (context.trial_attrs != nullptr) {
    nlohmann::json stored = nlohmann::json::array();
    for (const Eigen::VectorXd& theta : thetas) {
      stored.push_back(std::vector<double>(theta.data(), theta.data() + theta.size()));
    }
    (*context.trial_attrs)[kKernelsAttr] = stored.dump();
  }
  return config;
}

}  // namespace winnow::gp
