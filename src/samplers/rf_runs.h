// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The random forest of an algorithm-configuration study, as SMAC models runs (Hutter, Hoos &
// Leyton-Brown, "Sequential model-based optimization for general algorithm configuration",
// LION 2011, sections 4.3-4.4): one row per run, [configuration | instance features] -> the
// run's cost, and a configuration's predicted cost is the forest's prediction averaged over
// the training instances. Runs stopped at a cap below the cutoff say only that the cost is
// above the cap; their targets are imputed as in Hutter, Hoos & Leyton-Brown, "Bayesian
// optimization with censored response data" (2011) and SMAC's RFRImputator, after Schmee &
// Hahn (1979): fit on the uncensored runs, replace each censored target by the mean of the
// predictive normal truncated to [cap, PAR-k cost], refit on all, repeat.
//
// Intensification (samplers/intensify.cc) shows the samplers it wraps one summary trial per
// configuration; a sampler that implements RunModelSampler is handed the runs as well.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "samplers/rf_surrogate.h"
#include "winnow/instances.h"
#include "winnow/sampler.h"

namespace winnow {

// One finished run of an algorithm-configuration study.
struct ConfigurationRun {
  size_t configuration = 0;  // index of its configuration among the summary trials
  size_t instance = 0;       // index into InstanceSet::train
  double cost = 0;           // to minimise; +inf for a failed run of a value cost
  bool censored = false;     // stopped at a cap below the cutoff: the cost is at least `cost`
};

class RunModelSampler {
 public:
  virtual ~RunModelSampler() = default;
  // Sampler::sample on `summary` (one trial per configuration, valued at its mean cost so
  // far), given the runs behind it.
  virtual std::optional<Config> sample_over_runs(const SampleContext& summary,
                                                 const InstanceSet& instances,
                                                 std::span<const ConfigurationRun> runs) = 0;
};

// E[Y | lower <= Y <= upper] for Y ~ N(mean, variance), finite even where the interval lies
// far in a tail (then it is close to the nearer bound).
double truncated_normal_mean(double mean, double variance, double lower, double upper);

// Replaces y[i] of every censored row (a lower bound on entry) by its imputed value, at most
// `upper`; `x` holds y.size() rows of n_features. Leaves y as it is when fewer than two rows
// are uncensored.
void impute_censored(std::span<const double> x, size_t n_features, std::vector<double>& y,
                     const std::vector<uint8_t>& censored, double upper,
                     const RandomForestSurrogateOptions& options);

}  // namespace winnow
