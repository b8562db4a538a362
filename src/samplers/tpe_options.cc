// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/tpe_options.h"

#include <cmath>

#include "samplers/sampler_util.h"
#include "winnow/error.h"

namespace winnow {

TpeOptions parse_tpe_options(const std::string& name, const SamplerOptions& options) {
  SamplerOptionReader reader(name, options);
  TpeOptions o;
  o.n_startup = reader.get_int("n_startup", o.n_startup, 0);
  o.n_candidates = reader.get_int("n_candidates", o.n_candidates, 1);
  o.multivariate = reader.get_bool("multivariate", o.multivariate);
  o.group = reader.get_bool("group", o.group);
  o.constant_liar = reader.get_bool("constant_liar", o.constant_liar);
  o.gamma = reader.get_double("gamma", o.gamma);
  o.prior_weight = reader.get_double("prior_weight", o.prior_weight);
  o.consider_endpoints = reader.get_bool("consider_endpoints", o.consider_endpoints);
  // The univariate mode keeps Optuna's defaults: its weights and its magic clip.
  const std::string bandwidth = reader.get_string("bandwidth", "neighbour");
  const std::string weights = reader.get_string("weights", o.multivariate ? "ei" : "optuna");
  o.min_bandwidth = reader.get_double("min_bandwidth", o.multivariate ? 0.03 : 0.01);
  o.clip_exponent = reader.get_double("clip_exponent", o.multivariate ? 2.0 : 1.0);
  o.constraint_model = reader.get_bool("constraint_model", o.constraint_model);
  o.normalized = reader.get_bool("normalized", o.normalized);
  o.max_observations = reader.get_int("max_observations", o.max_observations, 1);
  if (options.contains("recombine")) o.recombine = reader.get_double("recombine", 0.0);
  if (options.contains("reference_margin")) {
    o.reference_margin = reader.get_double("reference_margin", 0.0);
  }
  reader.finish();
  auto bad_value = [&](const std::string& key, const std::string& rule) {
    return Error("sampler '" + name + "': option " + key + " = '" + options.at(key) + "' " + rule);
  };
  if (bandwidth == "scott") {
    if (!o.multivariate) throw bad_value("bandwidth", "needs multivariate = true");
    o.bandwidth = ParzenOptions::Bandwidth::kScott;
  } else if (bandwidth != "neighbour") {
    throw bad_value("bandwidth", "must be neighbour or scott");
  }
  if (weights != "ei" && weights != "optuna") throw bad_value("weights", "must be ei or optuna");
  o.ei_weights = weights == "ei";
  if (!(o.min_bandwidth > 0.0 && o.min_bandwidth <= 1.0)) {
    throw bad_value("min_bandwidth", "must be a fraction in (0, 1]");
  }
  if (!(o.clip_exponent > 0.0) || !std::isfinite(o.clip_exponent)) {
    throw bad_value("clip_exponent", "must be a finite number > 0");
  }
  if (!(o.gamma > 0.0 && o.gamma <= 1.0)) throw bad_value("gamma", "must be a fraction in (0, 1]");
  if (o.recombine && !(*o.recombine >= 0.0 && *o.recombine <= 1.0)) {
    throw bad_value("recombine", "must be a fraction in [0, 1]");
  }
  if (o.reference_margin && (!(*o.reference_margin > 0.0) || !std::isfinite(*o.reference_margin))) {
    throw bad_value("reference_margin", "must be a finite number > 0");
  }
  if (!(o.prior_weight >= 0.0) || !std::isfinite(o.prior_weight)) {
    throw bad_value("prior_weight", "must be a finite number >= 0");
  }
  if (o.n_candidates > 100000) throw bad_value("n_candidates", "must be at most 100000");
  if (!o.multivariate) {
    // Groups only exist for the joint model; say so if the user asked for both.
    if (options.contains("group") && o.group) throw bad_value("group", "needs multivariate = true");
    o.group = false;
  }
  return o;
}

}  // namespace winnow
