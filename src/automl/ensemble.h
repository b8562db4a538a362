// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Greedy ensemble selection with replacement (Caruana et al., ICML 2004), as AutoGluon runs it:
// start empty; each round adds the candidate whose addition gives the lowest loss of the
// averaged out-of-fold predictions (a candidate may be added again, which raises its weight;
// on a tie the candidate already in the ensemble wins, then the better-ranked one); after
// `rounds` rounds keep the shortest prefix with the lowest loss. Weights are the counts divided
// by the prefix length.
#pragma once
#include <functional>
#include <span>
#include <vector>

#include "automl/metrics.h"
#include "automl/task.h"

namespace winnow::automl {

struct EnsembleSelection {
  std::vector<double> weights;       // one per candidate, summing to 1
  std::vector<double> loss_by_round; // loss after each round
  double loss = 0;                   // the kept prefix's loss
  size_t rounds_kept = 0;
};

// `candidates` are out-of-fold predictions over the rows of `target` (target.size() *
// n_outputs each), best single model first.
// `should_stop`, checked after each round, ends the selection early (the time limit); the first
// round always runs.
EnsembleSelection select_ensemble(const std::vector<std::span<const float>>& candidates,
                                  const Target& target, Metric metric, int rounds = 25,
                                  const std::function<bool()>& should_stop = {});

}  // namespace winnow::automl
