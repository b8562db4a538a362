// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "schedulers/promotion_index.h"

// GCC's policy-based red-black tree with order statistics (libstdc++, so also under clang on
// Debian): the rank of a key in O(log n), which std::set cannot give.
#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

#include <cmath>
#include <functional>

#include "schedulers/ladder.h"
#include "winnow/attributes.h"

namespace winnow {

struct PromotionIndex::RankedKeys
    : __gnu_pbds::tree<Key, __gnu_pbds::null_type, std::less<Key>, __gnu_pbds::rb_tree_tag,
                       __gnu_pbds::tree_order_statistics_node_update> {};

PromotionIndex::PromotionIndex() = default;
PromotionIndex::~PromotionIndex() = default;

void PromotionIndex::update(std::span<const FrozenTrial> history, Direction direction,
                            const std::vector<int64_t>* changed) {
  if (history.size() < placed_.size()) {
    placed_.clear();
    continued_count_.clear();
    retried_.clear();
    finished_.clear();
    open_.clear();
    changed = nullptr;
  }
  if (placed_.empty()) changed = nullptr;  // the first update reads everything
  placed_.resize(history.size());
  if (changed != nullptr) {
    for (int64_t number : *changed) {
      if (number >= 0 && static_cast<size_t>(number) < history.size()) {
        read_again(history, static_cast<size_t>(number), direction);
      }
    }
    return;
  }
  for (size_t i = 0; i < history.size(); ++i) {
    if (history[i].version != 0 && history[i].version == placed_[i].version) continue;
    read_again(history, i, direction);
  }
}

void PromotionIndex::read_again(std::span<const FrozenTrial> history, size_t index,
                                Direction direction) {
  const FrozenTrial& trial = history[index];
  auto number = static_cast<int64_t>(index);
  remove(number);
  if (trial.number == number) add(number, trial, direction);  // else a gap being filled
  placed_[index].version = trial.number == number ? trial.version : -1;
}

void PromotionIndex::remove(int64_t number) {
  Placed& placed = placed_[static_cast<size_t>(number)];
  if (!placed.on_ladder) return;
  if (placed.finished) {
    Key key{placed.score, number};
    finished_[placed.rung].erase(key);
    open_[placed.rung].erase(key);
  }
  if (placed.continues) {
    int64_t source = *placed.continues;
    if (--continued_count_[source] == 0) {
      continued_count_.erase(source);
      set_open(source, true);
    }
  }
  placed = Placed{.version = placed.version};
}

void PromotionIndex::add(int64_t number, const FrozenTrial& trial, Direction direction) {
  // The same reading of a trial's place on the ladder as read_ladder's.
  if (trial.state == TrialState::kFailed && trial.interrupted) return;
  // A failed attempt that a retry replaced leaves its place on the rung to the retry: counted
  // both, they took two of the rung's places and one configuration too few ran.
  if (trial.retry_of && retried_.insert(*trial.retry_of).second) remove(*trial.retry_of);
  if (retried_.contains(number)) return;
  std::optional<double> rung = numeric_attr(trial, kRungAttr);
  if (!rung || !numeric_attr(trial, kBudgetAttr)) return;
  Placed& placed = placed_[static_cast<size_t>(number)];
  placed.on_ladder = true;
  placed.rung = static_cast<int>(*rung);
  placed.finished = is_finished(trial.state);
  placed.score = placed.finished ? trial_score(trial, direction) : 0;
  if (auto continues = numeric_attr(trial, kContinuesAttr)) {
    placed.continues = static_cast<int64_t>(*continues);
  }
  if (placed.finished) {
    finished_[placed.rung].insert(Key{placed.score, number});
    if (continued_count_.count(number) == 0) open_[placed.rung].insert(Key{placed.score, number});
  }
  if (placed.continues && ++continued_count_[*placed.continues] == 1) {
    set_open(*placed.continues, false);
  }
}

void PromotionIndex::set_open(int64_t number, bool open) {
  if (number < 0 || static_cast<size_t>(number) >= placed_.size()) return;
  const Placed& placed = placed_[static_cast<size_t>(number)];
  if (!placed.on_ladder || !placed.finished) return;
  Key key{placed.score, number};
  if (open) {
    open_[placed.rung].insert(key);
  } else {
    open_[placed.rung].erase(key);
  }
}

std::optional<int64_t> PromotionIndex::promotable(int rung, double eta) const {
  auto finished = finished_.find(rung);
  auto open = open_.find(rung);
  if (finished == finished_.end() || open == open_.end() || open->second.empty()) {
    return std::nullopt;
  }
  const auto top = static_cast<size_t>(
      std::floor(static_cast<double>(finished->second.size()) / eta + 1e-9));
  const Key& best_open = *open->second.begin();
  if (std::isinf(best_open.first)) return std::nullopt;
  // Every finished trial ranked above the best open one is already continued: the best open
  // one is the first candidate of the top `top`, if its rank is within them.
  if (finished->second.order_of_key(best_open) >= top) return std::nullopt;
  return best_open.second;
}

}  // namespace winnow
