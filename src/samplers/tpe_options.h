// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The TPE sampler's options (`tpe:key=value,...`, documented at the top of tpe.cc and in
// docs/samplers.md) and their parsing and checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "samplers/parzen_estimator.h"
#include "samplers/registry.h"

namespace winnow {

struct TpeOptions {
  int64_t n_startup = 10;
  int64_t n_candidates = 24;
  bool multivariate = true;
  bool group = true;
  bool constant_liar = true;
  double gamma = 0.1;
  double prior_weight = 1.0;
  bool consider_endpoints = false;
  // Defaults depend on `multivariate` (see the top of tpe.cc).
  ParzenOptions::Bandwidth bandwidth = ParzenOptions::Bandwidth::kNeighbour;
  bool ei_weights = true;
  double min_bandwidth = 0.03;
  double clip_exponent = 2.0;
  bool constraint_model = true;
  bool normalized = true;
  std::optional<double> reference_margin;  // default_reference_margin(n_objectives)
  // Fraction of candidates drawn coordinate by coordinate; default: see TpeSampler.
  std::optional<double> recombine;
  // Most observations one Parzen estimator models; past it, a stratified sample (tpe.cc).
  int64_t max_observations = 1000;
};

// Reads and checks `options` for the sampler called `name` ("tpe" or "motpe", for the messages);
// throws winnow::Error naming the option and the rule it breaks.
TpeOptions parse_tpe_options(const std::string& name, const SamplerOptions& options);

}  // namespace winnow
