// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Two acquisitions (option mo_acquisition):
//   ehvi    one GP per objective, log expected hypervolume improvement over the front (exact,
//           gp_ehvi.h). The reference point is the front's nadir plus a tenth of the front's
//           range per objective (BoTorch's infer_reference_point).
//   parego  Knowles 2006: each proposal draws weights from the simplex, scalarises the
//           objectives (each normalised to [0, 1] over the trials) by the augmented Chebyshev
//           function max_j w_j f_j + 0.05 sum_j w_j f_j, fits one GP to that and maximises log
//           EI. Random weights spread the proposals over the front; one GP per proposal.
// Why these choices:
//   * One GP per objective, each fitted like the one-objective GP (standardised, Yeo-Johnson,
//     MAP). The transform is monotone, so the front and every dominance are those of the raw
//     values, and the hypervolume is measured where each objective is roughly Gaussian rather
//     than where one long tail would make the others' improvements look negligible.
//   * The reference point of the improvement is the front's nadir plus a tenth of the front's
//     range in each objective (BoTorch's infer_reference_point): shift- and scale-invariant, and
//     close to the front. A reference at the worst observed value instead gives a front point
//     that is best in all but one objective a lever of the whole box (DTLZ2's corner (0, 0, 1+g):
//     every decrease of g adds a slab as large as the box), and the search sinks into that corner.
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
constexpr double kChebyshevAugmentation = 0.05;  // Knowles 2006's rho

// One proposal: the observations, the models and the acquisition built from them.
class Proposal {
 public:
  Proposal(const SampleContext& context, const GpOptions& options, uint64_t seed)
      : context_(context),
        options_(options),
        m_(context.directions.size()),
        random_(mix_seed(seed, stream_position(context))),
        inputs_(context.space),
        parego_(options.mo_acquisition == "parego" && m_ > 1) {
    model_options_.deterministic = options.deterministic;
  }

  std::optional<Config> run(const std::set<std::vector<double>>& evaluated) {
    collect();
    points_ = encode_trials(context_.space, inputs_, trials_);
    running_points_ = encode_trials(context_.space, inputs_, running_);
    // Objective models first, then constraint models; their stored fits warm-start these.
    const size_t objective_models = parego_ ? 1 : m_;
    warm_ = stored_thetas(objective_models + constraint_count_);
    models_.reserve(objective_models + constraint_count_);
    BoxDecomposition boxes = parego_ ? fit_scalarised() : fit_objectives();
    std::vector<const GaussianProcess*> objective_pointers;
    for (GaussianProcess& model : models_) objective_pointers.push_back(&model);
    std::vector<ConstraintModel> constraints = fit_constraints(objective_models);
    LogExpectedHypervolumeImprovement acquisition(objective_pointers, std::move(boxes),
                                                  std::move(constraints));
    AcquisitionOptions acquisition_options;
    acquisition_options.candidates = static_cast<int>(options_.n_candidates);
    acquisition_options.local_searches = static_cast<int>(options_.n_local);
    std::vector<ScoredPoint> scored =
        maximize_acquisition(acquisition, inputs_, anchors(), random_, acquisition_options);
    std::optional<Config> config =
        choose_scored(context_.space, inputs_, scored, evaluated,
                      options_.deterministic ? INFINITY : nearly_as_good());
    if (!config) config = uniform_allowed(context_.space, random_);
    if (context_.trial_attrs != nullptr) {
      nlohmann::json stored = nlohmann::json::array();
      for (const Eigen::VectorXd& theta : thetas_) {
        stored.push_back(std::vector<double>(theta.data(), theta.data() + theta.size()));
      }
      (*context_.trial_attrs)[kKernelsAttr] = stored.dump();
    }
    return config;
  }

 private:
  // Complete trials with every objective a number (minimised, infinities clipped), their
  // constraint violations and non-domination ranks; at most max_points of them (the best ranks
  // and a seeded sample of the rest), and the most recent running trials.
  void collect() {
    for (const FrozenTrial& trial : context_.history) {
      if (trial.number < 0) continue;
      if (trial.state == TrialState::kComplete && trial.values.size() == m_ &&
          std::none_of(trial.values.begin(), trial.values.end(),
                       [](double v) { return std::isnan(v); })) {
        trials_.push_back(&trial);
        constraint_count_ = std::max(constraint_count_, trial.constraints.size());
      } else if (trial.state == TrialState::kRunning && !trial.config.empty()) {
        running_.push_back(&trial);
      }
    }
    complete_count_ = trials_.size();
    values_.resize(complete_count_ * m_);
    for (size_t j = 0; j < m_; ++j) {
      std::vector<double> column(complete_count_);
      for (size_t i = 0; i < complete_count_; ++i) {
        double v = trials_[i]->values[j];
        column[i] = context_.directions[j] == Direction::kMaximize ? -v : v;
      }
      clip_infinities(column);
      for (size_t i = 0; i < complete_count_; ++i) values_[i * m_ + j] = column[i];
    }
    if (constraint_count_ > 0) {
      // A trial without (all) constraint values has them unknown: NaN, ranked after the others.
      std::vector<double> constraints(complete_count_ * constraint_count_, NAN);
      for (size_t i = 0; i < complete_count_; ++i) {
        const std::vector<double>& c = trials_[i]->constraints;
        if (c.size() == constraint_count_) {
          std::copy(c.begin(), c.end(), constraints.begin() + i * constraint_count_);
        }
      }
      violations_ = total_violations(constraints, constraint_count_);
    }
    for (size_t r : non_dominated_ranks(values_, m_, violations_)) {
      ranks_.push_back(static_cast<double>(r));
    }
    const auto limit = static_cast<size_t>(options_.max_points);
    if (trials_.size() > limit) {
      std::vector<const FrozenTrial*> trials;
      std::vector<double> values, violations, ranks;
      for (size_t i : best_and_random(ranks_, limit, random_)) {
        trials.push_back(trials_[i]);
        values.insert(values.end(), values_.begin() + i * m_, values_.begin() + (i + 1) * m_);
        if (!violations_.empty()) violations.push_back(violations_[i]);
        ranks.push_back(ranks_[i]);
      }
      trials_ = std::move(trials), values_ = std::move(values);
      violations_ = std::move(violations), ranks_ = std::move(ranks);
    }
    const auto running_limit = static_cast<size_t>(options_.max_points / 4);
    if (running_.size() > running_limit) {
      running_.erase(running_.begin(),
                     running_.end() - static_cast<std::ptrdiff_t>(running_limit));
    }
  }

  bool feasible(size_t i) const { return violations_.empty() || violations_[i] == 0.0; }

  // The warm starts stored by the last proposal, one per model; none for a model whose stored
  // fit does not match (another space, another number of models).
  std::vector<std::optional<Eigen::VectorXd>> stored_thetas(size_t models) const {
    std::vector<std::optional<Eigen::VectorXd>> thetas(models);
    std::optional<std::string> stored = latest_attr(context_.history, kKernelsAttr);
    if (!stored) return thetas;
    nlohmann::json json = nlohmann::json::parse(*stored, nullptr, false);
    if (!json.is_array() || json.size() != models) return thetas;
    for (size_t i = 0; i < models; ++i) {
      thetas[i] = theta_from_json(json[i].dump(), theta_size(context_.space.size()));
    }
    return thetas;
  }

  // Fits a GP to standardised targets `y` of the kept trials, adds the running trials as
  // believed observations and returns their believed values.
  Eigen::VectorXd fit(Eigen::VectorXd y, const std::vector<double>& ranks, size_t slot) {
    FitResult result = fit_for_proposal(inputs_, points_, y, ranks, complete_count_, warm_[slot],
                                        model_options_, options_, random_);
    thetas_.push_back(result.theta);
    models_.emplace_back(inputs_, points_, std::move(y), result.theta, model_options_);
    return models_.back().add_fantasies(running_points_);
  }

  // EHVI: one GP per objective; the boxes of the feasible front's non-dominated region, the
  // believed points of running trials included, below the reference.
  BoxDecomposition fit_objectives() {
    const size_t n = trials_.size(), believed_count = static_cast<size_t>(running_points_.cols());
    std::vector<double> transformed((n + believed_count) * m_);
    for (size_t j = 0; j < m_; ++j) {
      std::vector<double> column(n);
      for (size_t i = 0; i < n; ++i) column[i] = values_[i * m_ + j];
      Eigen::VectorXd y = prepare_targets(column, options_.power_transform);
      for (size_t i = 0; i < n; ++i) transformed[i * m_ + j] = y[static_cast<Eigen::Index>(i)];
      Eigen::VectorXd believed = fit(std::move(y), ranks_, j);
      for (size_t i = 0; i < believed_count; ++i) {
        transformed[(n + i) * m_ + j] = believed[static_cast<Eigen::Index>(i)];
      }
    }
    std::vector<double> front, reference(m_);
    for (size_t i = 0; i < n + believed_count; ++i) {
      if (i >= n || feasible(i)) {
        front.insert(front.end(), transformed.begin() + i * m_, transformed.begin() + (i + 1) * m_);
      }
    }
    for (size_t j = 0; j < m_; ++j) {
      double low = INFINITY, high = -INFINITY, all_low = INFINITY, all_high = -INFINITY;
      for (size_t i = 0; i < n; ++i) {
        double v = transformed[i * m_ + j];
        all_low = std::min(all_low, v), all_high = std::max(all_high, v);
        if (ranks_[i] == 0.0) low = std::min(low, v), high = std::max(high, v);
      }
      double range = all_high > all_low ? all_high - all_low : 1.0;
      reference[j] = high + options_.mo_reference_margin * range;
    }
    return decompose_non_dominated(front, m_, reference);
  }

  // ParEGO: one GP on the augmented Chebyshev scalarisation with weights drawn for this
  // proposal; the box below the best feasible (or believed) scalarised value.
  BoxDecomposition fit_scalarised() {
    const size_t n = trials_.size();
    std::vector<double> weights(m_);
    double total = 0.0;
    for (double& w : weights) w = -std::log(1.0 - random_.uniform()), total += w;
    for (double& w : weights) w /= total;  // uniform on the simplex
    std::vector<double> scalarised(n, -INFINITY), sums(n, 0.0);
    for (size_t j = 0; j < m_; ++j) {
      std::vector<double> column(n);
      for (size_t i = 0; i < n; ++i) column[i] = values_[i * m_ + j];
      Eigen::VectorXd y = prepare_targets(column, options_.power_transform);
      double low = y.minCoeff(), high = y.maxCoeff();
      double span = high > low ? high - low : 1.0;
      for (size_t i = 0; i < n; ++i) {
        double normalised = (y[static_cast<Eigen::Index>(i)] - low) / span;
        scalarised[i] = std::max(scalarised[i], weights[j] * normalised);
        sums[i] += weights[j] * normalised;
      }
    }
    for (size_t i = 0; i < n; ++i) scalarised[i] += kChebyshevAugmentation * sums[i];
    Eigen::VectorXd y = prepare_targets(scalarised, options_.power_transform);
    std::vector<double> targets(y.data(), y.data() + y.size());
    for (size_t i = 0; i < n; ++i) ranks_[i] = targets[i];  // anchors: the best scalarised
    std::vector<double> front;
    for (size_t i = 0; i < n; ++i) {
      if (feasible(i)) front.push_back(targets[i]);
    }
    Eigen::VectorXd believed = fit(std::move(y), targets, 0);
    for (Eigen::Index i = 0; i < believed.size(); ++i) front.push_back(believed[i]);
    double high = *std::max_element(targets.begin(), targets.end());
    return decompose_non_dominated(front, 1, {high + 1.0});
  }

  // One GP per constraint on its standardised raw values (no power transform: the threshold 0
  // must stay where it is), over the trials that report it.
  std::vector<ConstraintModel> fit_constraints(size_t first_slot) {
    std::vector<ConstraintModel> constraints;
    for (size_t c = 0; c < constraint_count_; ++c) {
      std::vector<const FrozenTrial*> reported;
      std::vector<double> values;
      for (const FrozenTrial* trial : trials_) {
        if (trial->constraints.size() == constraint_count_ &&
            std::isfinite(trial->constraints[c])) {
          reported.push_back(trial);
          values.push_back(trial->constraints[c]);
        }
      }
      if (reported.size() < 2) {
        thetas_.push_back(default_theta(context_.space.size()));
        continue;
      }
      Eigen::VectorXd y =
          Eigen::Map<Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
      double mean = y.mean(), sd = std::sqrt((y.array() - mean).square().mean());
      if (!(sd > 0.0)) sd = 1.0;
      y = (y.array() - mean) / sd;
      Eigen::MatrixXd points = encode_trials(context_.space, inputs_, reported);
      FitResult result = fit_for_proposal(inputs_, points, y, values, complete_count_,
                                          warm_[first_slot + c], model_options_, options_,
                                          random_);
      thetas_.push_back(result.theta);
      models_.emplace_back(inputs_, std::move(points), std::move(y), result.theta,
                           model_options_);
      constraints.push_back({&models_.back(), -mean / sd});
    }
    return constraints;
  }

  // Starting points to perturb: up to kAnchors of the best-ranked trials, spread by their first
  // objective (EHVI) or the best scalarised ones (ParEGO, whose ranks_ hold those values).
  Eigen::MatrixXd anchors() const {
    std::vector<size_t> order(trials_.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return ranks_[a] != ranks_[b] ? ranks_[a] < ranks_[b] : values_[a * m_] < values_[b * m_];
    });
    std::vector<size_t> best;
    for (size_t i : order) {
      if (parego_ ? best.size() < kAnchors : ranks_[i] == ranks_[order[0]]) best.push_back(i);
    }
    const size_t count = std::min(kAnchors, best.size());
    Eigen::MatrixXd anchors(points_.rows(), static_cast<Eigen::Index>(count));
    for (size_t i = 0; i < count; ++i) {
      size_t pick = count == 1 ? 0 : i * (best.size() - 1) / (count - 1);
      anchors.col(static_cast<Eigen::Index>(i)) = points_.col(static_cast<Eigen::Index>(best[pick]));
    }
    return anchors;
  }

  const SampleContext& context_;
  const GpOptions& options_;
  const size_t m_;
  Random random_;
  InputSpace inputs_;
  const bool parego_;
  ModelOptions model_options_;
  std::vector<const FrozenTrial*> trials_, running_;
  size_t complete_count_ = 0, constraint_count_ = 0;
  std::vector<double> values_;      // row-major, minimised
  std::vector<double> violations_;  // one per trial when constraints are reported, else empty
  std::vector<double> ranks_;
  Eigen::MatrixXd points_, running_points_;
  std::vector<std::optional<Eigen::VectorXd>> warm_;
  std::vector<Eigen::VectorXd> thetas_;
  std::vector<GaussianProcess> models_;
};

}  // namespace

std::optional<Config> propose_multi_objective(const SampleContext& context,
                                              const GpOptions& options, uint64_t seed,
                                              const std::set<std::vector<double>>& evaluated) {
  return Proposal(context, options, seed).run(evaluated);
}

}  // namespace winnow::gp
