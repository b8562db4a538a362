// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The parts of the "gp" sampler that its one-objective (gp.cc) and several-objective
// (gp_multi_objective.cc) proposals share: options, the preparation of targets, the kernel fit
// schedule, the encoding of trials and the choice among scored points.
#pragma once

#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "samplers/gaussian_process.h"
#include "samplers/gp_acquisition.h"
#include "winnow/sampler.h"

namespace winnow::gp {

// The sampler's options; gp.cc documents each (gp:key=value,...).
struct GpOptions {
  int64_t n_startup = 10;
  int64_t n_candidates = 512;
  int64_t n_local = 10;
  int64_t max_points = 500;
  int64_t full_fit_until = 100;
  int64_t refit_every = 10;
  int64_t fit_points = 128;
  bool deterministic = false;
  bool power_transform = true;
  std::string mo_acquisition = "ehvi";  // several objectives: "ehvi" or "parego"
  double mo_reference_margin = 0.1;      // EHVI's reference: front nadir + this x front range
};

// A configuration already evaluated (or running) is proposed again only if no new one has an
// acquisition value within this factor of it (log scale), and never for a deterministic
// objective while a new one exists. With a noise model, the value at an evaluated point is the
// value of measuring it again; a new configuration a thousand times less promising is predicted
// to be poor indeed, but anything closer is worth the information.
double nearly_as_good();

// Infinite values (an objective that overflowed) are clipped to the finite range, as Optuna's
// GPSampler does, so one of them does not flatten every other difference.
void clip_infinities(std::vector<double>& values);

// Indices of `count` of the values (count < size): the lowest count/2 and a seeded random
// sample of the others, in ascending index order.
std::vector<size_t> best_and_random(const std::vector<double>& values, size_t count,
                                    Random& random);

// Zero mean and unit standard deviation (a constant vector only loses its mean).
void standardise(Eigen::VectorXd& y);

// Yeo-Johnson transform of standardised values with the maximum-likelihood lambda (gp.cc says
// why); monotone, so it keeps every order and every Pareto dominance.
void power_transform(Eigen::VectorXd& y);

// Standardised, then (when `transform`) power-transformed and standardised again.
Eigen::VectorXd prepare_targets(std::span<const double> values, bool transform);

// The JSON value of user attribute `key` on the most recent trial that has it, or null.
std::optional<std::string> latest_attr(std::span<const FrozenTrial> history,
                                       const std::string& key);
// A theta of `size` finite numbers from JSON text (an array), or nullopt.
std::optional<Eigen::VectorXd> theta_from_json(const std::string& text, size_t size);

// Fits the kernel hyperparameters for one proposal: in full (from `warm`, if any, and from the
// default) up to full_fit_until complete trials and every refit_every after; otherwise a short
// fit from `warm`. On at most fit_points of the points: those with the lowest `ranks` (half of
// them) and a seeded random sample of the rest.
FitResult fit_for_proposal(const InputSpace& inputs, const Eigen::MatrixXd& points,
                           const Eigen::VectorXd& y, const std::vector<double>& ranks,
                           size_t complete_count, const std::optional<Eigen::VectorXd>& warm,
                           const ModelOptions& model_options, const GpOptions& options,
                           Random& random);

// The snapped encodings of `trials`' configurations, one per column.
Eigen::MatrixXd encode_trials(const SearchSpace& space, const InputSpace& inputs,
                              const std::vector<const FrozenTrial*>& trials);

// The best scored point whose configuration is allowed and new; a configuration that was
// already evaluated (or is running) only when nothing new is within `tolerance` of it.
std::optional<Config> choose_scored(const SearchSpace& space, const InputSpace& inputs,
                                    const std::vector<ScoredPoint>& scored,
                                    const std::set<std::vector<double>>& seen, double tolerance);

// A seeded uniform configuration that no forbidden clause rules out (when every scored point
// is forbidden).
Config uniform_allowed(const SearchSpace& space, Random& random);

}  // namespace winnow::gp
