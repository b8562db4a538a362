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
  std::vector<int> chosen;           // the candidate added in each round
  std::vector<double> loss_by_round; // loss after each round
  double loss = 0;                   // the kept prefix's loss
  size_t rounds_kept = 0;
};

// Makes the selection cost-aware: each round minimises
//   (1 - time_weight) * (loss - loss_offset) / loss_scale
//     + time_weight * (base_seconds + the seconds of every distinct member) / time_scale,
// so adding a member already in the ensemble costs no time. loss_by_round and loss then hold
// that combined value.
struct SelectionCost {
  std::span<const double> member_seconds;  // one per candidate
  double base_seconds = 0;
  double time_weight = 0;
  double loss_offset = 0, loss_scale = 1, time_scale = 1;
};

// `candidates` are out-of-fold predictions over the rows of `target` (target.size() *
// n_outputs each), best single model first.
// `should_stop`, checked after each round, ends the selection early (the time limit); the first
// round always runs.
EnsembleSelection select_ensemble(const std::vector<std::span<const float>>& candidates,
                                  const Target& target, Metric metric, int rounds = 25,
                                  const std::function<bool()>& should_stop = {},
                                  const SelectionCost* cost = nullptr);

}  // namespace winnow::automl
