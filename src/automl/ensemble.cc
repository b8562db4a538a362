// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "automl/ensemble.h"

#include <limits>

#include "winnow/error.h"

namespace winnow::automl {

EnsembleSelection select_ensemble(const std::vector<std::span<const float>>& candidates,
                                  const Target& target, Metric metric, int rounds,
                                  const std::function<bool()>& should_stop,
                                  const SelectionCost* cost) {
  if (candidates.empty()) throw Error("ensemble selection needs at least one candidate");
  const size_t size = target.size() * target.n_outputs();
  for (const auto& candidate : candidates) {
    if (candidate.size() != size) throw Error("ensemble selection: predictions differ in size");
  }
  EnsembleSelection result;
  std::vector<double> sum(size, 0.0);
  std::vector<float> trial(size);
  std::vector<int> counts(candidates.size(), 0);
  std::vector<int>& chosen = result.chosen;
  double ensemble_seconds = cost != nullptr ? cost->base_seconds : 0.0;
  for (int round = 0; round < rounds; ++round) {
    const double inverse = 1.0 / (round + 1);
    double best_loss = std::numeric_limits<double>::infinity();
    int best = -1;
    for (size_t c = 0; c < candidates.size(); ++c) {
      for (size_t i = 0; i < size; ++i) {
        trial[i] = static_cast<float>((sum[i] + candidates[c][i]) * inverse);
      }
      double value = loss(metric, target, trial);
      if (cost != nullptr) {
        double seconds = ensemble_seconds + (counts[c] > 0 ? 0.0 : cost->member_seconds[c]);
        value = (1 - cost->time_weight) * (value - cost->loss_offset) / cost->loss_scale +
                cost->time_weight * seconds / cost->time_scale;
      }
      bool better = value < best_loss;
      bool tie_won = value == best_loss && best >= 0 && counts[c] > 0 && counts[best] == 0;
      if (better || tie_won) {
        best_loss = value;
        best = static_cast<int>(c);
      }
    }
    if (best < 0) break;  // every candidate gave NaN
    for (size_t i = 0; i < size; ++i) sum[i] += candidates[best][i];
    if (cost != nullptr && counts[best] == 0) ensemble_seconds += cost->member_seconds[best];
    counts[best] += 1;
    chosen.push_back(best);
    result.loss_by_round.push_back(best_loss);
    if (should_stop && should_stop()) break;
  }
  if (chosen.empty()) {
    result.weights.assign(candidates.size(), 0.0);
    result.weights[0] = 1.0;
    result.loss = std::numeric_limits<double>::quiet_NaN();
    result.rounds_kept = 1;
    return result;
  }
  size_t keep = 0;
  for (size_t r = 1; r < result.loss_by_round.size(); ++r) {
    if (result.loss_by_round[r] < result.loss_by_round[keep]) keep = r;
  }
  result.rounds_kept = keep + 1;
  result.loss = result.loss_by_round[keep];
  result.weights.assign(candidates.size(), 0.0);
  for (size_t r = 0; r <= keep; ++r) result.weights[chosen[r]] += 1.0 / (keep + 1);
  return result;
}

}  // namespace winnow::automl
