// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Algorithm configuration: a study that tunes a solver over a set of problem instances. Each
// trial of such a study is one run: a configuration on one instance with one seed. The sampler
// ("race", or any other one wrapped in SMAC-style intensification) decides which run comes
// next and leaves its decision in the trial's attributes (winnow/attributes.h), so the study's
// state is the stored runs alone, as for any other study (docs/configuration.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace winnow {

struct ProblemInstance {
  std::string name;               // the path as given (shown in reports)
  std::string path;               // absolute: what {instance} expands to
  std::vector<double> features;   // one per InstanceSet::feature_names; empty without features
};

enum class RunCostKind {
  kValue,    // the number the program prints (its result line), e.g. conflicts or a final error
  kRuntime,  // the wall time of the run, measured by Winnow
};

struct InstanceSet {
  std::vector<ProblemInstance> train;  // what the configurator tunes on
  std::vector<ProblemInstance> test;   // evaluated once at the end, never seen while tuning
  std::vector<std::string> feature_names;  // columns of the features file; may be empty

  RunCostKind cost = RunCostKind::kValue;
  // kRuntime: a run is killed at the cutoff and counts par_factor x cutoff (PAR-k). With
  // kValue a run past the cutoff fails. 0 = no cutoff (not allowed with kRuntime). Default: 0.
  double cutoff_seconds = 0;
  // The k of PAR-k. Default: 10.
  double par_factor = 10;
  // kRuntime: cap a challenger's run at the time that already makes it lose (adaptive
  // capping); the run then counts as censored at the cap. Default: true.
  bool capping = true;
  // The command takes a seed ({seed} or seed_arg): runs are stochastic, so an instance may be
  // run again with another seed once every instance has been used. Without a seed a run is
  // deterministic and each configuration runs at most once per instance. Default: false.
  bool seeded = false;
  // The study's budget of tuning runs (its trials), which racing divides among its
  // iterations. 0 = unknown: racing then plans for 1,000 runs. Default: 0.
  int64_t budget_runs = 0;

  // The cost of a finished run that was killed at `cap` seconds (or at the cutoff): PAR-k at the
  // cutoff, and the cap itself (a lower bound) below it.
  double censored_cost(double cap) const {
    return cutoff_seconds > 0 && cap >= cutoff_seconds ? par_factor * cutoff_seconds : cap;
  }
};

}  // namespace winnow
