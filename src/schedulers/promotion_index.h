// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// ASHA's promotion question ("on this rung, is the best finished trial not yet continued among
// the top 1/eta of the rung's finished trials?") answered in O(log n) from an index kept in step
// with the study's history, instead of re-reading every trial's rung on each ask. A worker asks
// under the study's write lock, so at 100,000 trials what it does there must not grow with the
// study.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "winnow/trial.h"

namespace winnow {

class PromotionIndex {
 public:
  PromotionIndex();
  ~PromotionIndex();
  PromotionIndex(const PromotionIndex&) = delete;
  PromotionIndex& operator=(const PromotionIndex&) = delete;

  // Brings the index in step with `history` (indexed by number). With `changed` (the numbers
  // that changed since the previous update, SchedulerContext::changed) only those are read
  // again; without it, every trial whose version differs from the one last read, and every
  // trial without a version (0: not from a storage). A shorter history (another study) starts
  // the index afresh.
  void update(std::span<const FrozenTrial> history, Direction direction,
              const std::vector<int64_t>* changed = nullptr);

  // The trial to promote from `rung`: the best finished one that no placed trial continues,
  // when it is among the best floor(finished / eta) finished trials of the rung and has a
  // score. nullopt otherwise.
  std::optional<int64_t> promotable(int rung, double eta) const;

 private:
  struct Placed {
    bool on_ladder = false;  // has rung attributes and is not an interrupted failure
    bool finished = false;
    int rung = 0;
    double score = 0;
    std::optional<int64_t> continues;
    int64_t version = -1;  // of the trial as last read; -1: never read
  };
  using Key = std::pair<double, int64_t>;  // (score, number): lower is better
  struct RankedKeys;                        // an order-statistics set of keys, per rung

  void read_again(std::span<const FrozenTrial> history, size_t number, Direction direction);
  void remove(int64_t number);
  void add(int64_t number, const FrozenTrial& trial, Direction direction);
  void set_open(int64_t number, bool open);

  std::vector<Placed> placed_;                        // by trial number
  std::unordered_map<int64_t, int> continued_count_;  // source number -> placed continuations
  std::unordered_set<int64_t> retried_;               // failed attempts a retry replaced
  std::map<int, RankedKeys> finished_;                // by rung: every finished trial
  std::map<int, std::set<Key>> open_;                 // by rung: finished, not continued
};

}  // namespace winnow
