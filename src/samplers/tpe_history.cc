// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/tpe_history.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

#include "analysis/pareto.h"
#include "common/math_constants.h"
#include "samplers/sampler_util.h"
#include "samplers/tpe_split.h"

namespace winnow {
namespace {

// Inserts `number` into the increasing `numbers` (new trials usually go at the end).
void insert_number(std::vector<int64_t>& numbers, int64_t number) {
  if (numbers.empty() || numbers.back() < number) {
    numbers.push_back(number);
    return;
  }
  auto it = std::lower_bound(numbers.begin(), numbers.end(), number);
  if (it == numbers.end() || *it != number) numbers.insert(it, number);
}

void erase_number(std::vector<int64_t>& numbers, int64_t number) {
  auto it = std::lower_bound(numbers.begin(), numbers.end(), number);
  if (it != numbers.end() && *it == number) numbers.erase(it);
}

// Keeps the `limit` smallest entries of the sorted `best`, with `entry` offered.
template <typename Entry>
void offer(std::vector<Entry>& best, const Entry& entry, size_t limit) {
  if (best.size() >= limit && !(entry < best.back())) return;
  best.insert(std::upper_bound(best.begin(), best.end(), entry), entry);
  if (best.size() > limit) best.pop_back();
}

}  // namespace

void TpeHistory::reset() {
  reader_.reset();
  forget_trials();
}

void TpeHistory::forget_trials() {
  slots_.clear();
  xs_.clear();
  actives_.clear();
  modelled_.clear();
  complete_count_ = pruned_count_ = 0;
  best_complete_.clear();
  front_pool_.clear();
  front_losses_.clear();
  front_dominators_.clear();
  front_pending_.clear();
  best_pruned_.clear();
  best_infeasible_.clear();
  activity_class_.assign(dims_, 0);
  ever_active_.assign(dims_, 0);
  always_active_.assign(dims_, 1);
  satisfying_.clear();
  violating_.clear();
}

void TpeHistory::sync(const SearchSpace& space, std::span<const FrozenTrial> history,
                      std::span<const Direction> directions) {
  if (space.size() != dims_ ||
      !std::equal(directions.begin(), directions.end(), directions_.begin(), directions_.end())) {
    dims_ = space.size();
    directions_.assign(directions.begin(), directions.end());
    reset();
  }
  history_ = history;
  if (!reader_.next(history, positions_)) forget_trials();
  for (size_t position : positions_) examine(space, position);
  update_front_pool();
}

void TpeHistory::examine(const SearchSpace& space, size_t position) {
  const FrozenTrial& trial = history_[position];
  if (trial.number < 0) {  // a gap in the numbers, filled later
    reader_.revisit(position);
    return;
  }
  const size_t i = index(trial.number);
  if (i >= slots_.size()) {
    const size_t grown = std::max(i + 1, slots_.size() + slots_.size() / 2);
    slots_.resize(grown);
    xs_.resize(grown * dims_);
    actives_.resize(grown * dims_);
  }
  Slot& slot = slots_[i];
  slot.known = true;
  slot.id = trial.id;
  slot.position = position;
  // A finished trial is read once; an unfinished one on every sync (it has no values yet, and a
  // waiting one may not even have its final configuration).
  UnitPoint point = space.encode(trial.config);
  std::copy(point.x.begin(), point.x.end(), xs_.begin() + static_cast<ptrdiff_t>(i * dims_));
  std::copy(point.active.begin(), point.active.end(),
            actives_.begin() + static_cast<ptrdiff_t>(i * dims_));

  Role role = Role::kNone;
  if (trial.state == TrialState::kComplete) {
    if (trial.values.size() == directions_.size()) role = Role::kComplete;
  } else if (trial.state == TrialState::kPruned) {
    role = Role::kPruned;
  } else if (trial.state == TrialState::kRunning) {
    if (constant_liar_ && !trial.config.empty()) role = Role::kRunning;
  }
  set_role(trial.number, role);
  slot.loss = std::numeric_limits<double>::quiet_NaN();
  if (role == Role::kComplete && directions_.size() == 1 && trial.feasible()) {
    slot.loss = directions_[0] == Direction::kMaximize ? -trial.values[0] : trial.values[0];
  }
  if (!is_finished(trial.state)) {
    reader_.revisit(position);
  } else if (!slot.counted && (role == Role::kComplete || role == Role::kPruned)) {
    slot.counted = true;
    count_finished(trial.number, trial);
  }
}

void TpeHistory::set_role(int64_t number, Role role) {
  Slot& slot = slots_[index(number)];
  if (slot.role == Role::kNone && role != Role::kNone) insert_number(modelled_, number);
  if (slot.role != Role::kNone && role == Role::kNone) erase_number(modelled_, number);
  slot.role = role;
}

void TpeHistory::count_finished(int64_t number, const FrozenTrial& trial) {
  const bool complete = trial.state == TrialState::kComplete;
  ++(complete ? complete_count_ : pruned_count_);

  // Refine the partition of the parameters by this trial's active flags.
  const uint8_t* active = &actives_[index(number) * dims_];
  std::vector<uint32_t> renamed(2 * dims_, UINT32_MAX);
  uint32_t classes = 0;
  for (size_t p = 0; p < dims_; ++p) {
    uint32_t& to = renamed[2 * activity_class_[p] + (active[p] != 0)];
    if (to == UINT32_MAX) to = classes++;
    activity_class_[p] = to;
    if (active[p]) {
      ever_active_[p] = 1;
    } else {
      always_active_[p] = 0;
    }
  }

  for (size_t c = 0; c < trial.constraints.size(); ++c) {
    if (c >= satisfying_.size()) {
      satisfying_.resize(c + 1);
      violating_.resize(c + 1);
    }
    insert_number(trial.constraints[c] <= 0.0 ? satisfying_[c] : violating_[c], number);
  }

  if (!trial.feasible()) {
    offer(best_infeasible_, {trial.constraint_violation(), !complete, number}, max_good_);
  } else if (!complete) {
    offer(best_pruned_, {pruned_trial_key(trial, directions_), number}, max_good_);
  } else if (directions_.size() <= 1) {
    // The value the split ranks by (to_minimization: maximised values negated, NaN worst).
    const double value =
        directions_.empty()
            ? 0.0
            : to_minimization(std::span<const double>(trial.values), directions_)[0];
    offer(best_complete_, {value, number}, max_good_ + 1);
  } else {
    front_pending_.push_back(number);
  }
}

// Several objectives: adds the pending complete feasible trials to the pool. The good set
// fills whole non-domination fronts until it holds n_good <= max_good trials, so it reaches a
// trial only if fewer than max_good trials dominate it (all of them lie in earlier fronts). A
// trial's dominators stay, so once max_good others dominate it, it never matters again. Those
// that remain keep all their dominators in the pool (a dominator's dominators dominate them
// too), and so their fronts within the pool are their fronts among all trials; a trial kept
// that has lost a dominator has max_good others over it, some in every front before its own,
// which puts it past the fronts the split reaches (good_candidates).
void TpeHistory::update_front_pool() {
  if (front_pending_.empty()) return;
  const size_t m = directions_.size();
  std::vector<double> losses;
  losses.reserve(front_pending_.size() * m);
  for (int64_t number : front_pending_) {
    std::vector<double> point = front_losses_of(number);
    losses.insert(losses.end(), point.begin(), point.end());
  }
  // In lexicographic order of the values no trial dominates one before it, so none added here
  // pushes another out, and dominated ones are turned away at once.
  std::vector<size_t> order(front_pending_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::lexicographical_compare(&losses[a * m], &losses[a * m] + m, &losses[b * m],
                                        &losses[b * m] + m);
  });
  for (size_t k : order) add_to_front_pool(front_pending_[k], &losses[k * m]);
  front_pending_.clear();
}

std::vector<double> TpeHistory::front_losses_of(int64_t number) const {
  return to_minimization(std::span<const double>(trial(number).values), directions_);
}

void TpeHistory::add_to_front_pool(int64_t number, const double* point) {
  const size_t m = directions_.size();
  auto row = [&](size_t k) { return &front_losses_[k * m]; };
  auto dominates = [&](const double* a, const double* b) {
    bool strictly = false;
    for (size_t j = 0; j < m; ++j) {
      if (a[j] > b[j]) return false;
      strictly |= a[j] < b[j];
    }
    return strictly;
  };
  size_t dominators = 0;
  for (size_t k = 0; k < front_pool_.size() && dominators < max_good_; ++k) {
    dominators += dominates(row(k), point);
  }
  if (dominators >= max_good_) return;
  bool evict = false;
  for (size_t k = 0; k < front_pool_.size(); ++k) {
    if (dominates(point, row(k))) evict |= ++front_dominators_[k] >= max_good_;
  }
  const auto at = static_cast<size_t>(
      std::lower_bound(front_pool_.begin(), front_pool_.end(), number) - front_pool_.begin());
  front_pool_.insert(front_pool_.begin() + static_cast<ptrdiff_t>(at), number);
  front_losses_.insert(front_losses_.begin() + static_cast<ptrdiff_t>(at * m), point, point + m);
  front_dominators_.insert(front_dominators_.begin() + static_cast<ptrdiff_t>(at), dominators);
  if (!evict) return;
  size_t kept = 0;
  for (size_t k = 0; k < front_pool_.size(); ++k) {
    if (front_dominators_[k] >= max_good_) continue;
    front_pool_[kept] = front_pool_[k];
    front_dominators_[kept] = front_dominators_[k];
    std::copy(row(k), row(k) + m, front_losses_.begin() + static_cast<ptrdiff_t>(kept * m));
    ++kept;
  }
  front_pool_.resize(kept);
  front_dominators_.resize(kept);
  front_losses_.resize(kept * m);
}

std::vector<const FrozenTrial*> TpeHistory::good_candidates(size_t n_good) const {
  std::vector<int64_t> complete, pruned;
  for (const auto& [value, number] : best_complete_) complete.push_back(number);
  if (!front_pool_.empty()) {
    // The split fills the good set front by front: the fronts after the one that fills it are
    // never reached. The first front is the members nothing dominates (a trial with a
    // dominator has one in the first front, which stays in the pool); often it fills the good
    // set alone, and then no ranking is needed.
    std::vector<size_t> rank(front_pool_.size());
    for (size_t k = 0; k < front_pool_.size(); ++k) rank[k] = front_dominators_[k] == 0 ? 0 : 1;
    if (static_cast<size_t>(std::count(rank.begin(), rank.end(), size_t{0})) < n_good) {
      rank = non_dominated_ranks(front_losses_, directions_.size());
    }
    std::vector<size_t> per_front;
    for (size_t r : rank) {
      if (r >= per_front.size()) per_front.resize(r + 1, 0);
      ++per_front[r];
    }
    size_t fronts = 0, members = 0;
    while (fronts < per_front.size() && members < n_good) members += per_front[fronts++];
    for (size_t k = 0; k < front_pool_.size(); ++k) {
      if (rank[k] < fronts) complete.push_back(front_pool_[k]);
    }
  }
  for (const auto& [key, number] : best_pruned_) pruned.push_back(number);
  for (const auto& [violation, is_pruned, number] : best_infeasible_) {
    (is_pruned ? pruned : complete).push_back(number);
  }
  std::sort(complete.begin(), complete.end());
  std::sort(pruned.begin(), pruned.end());
  std::vector<const FrozenTrial*> out;
  out.reserve(complete.size() + pruned.size());
  for (int64_t number : complete) out.push_back(&trial(number));
  for (int64_t number : pruned) out.push_back(&trial(number));
  return out;
}

double TpeHistory::best_loss_outside(std::span<const int64_t> good) const {
  for (const auto& [value, number] : best_complete_) {
    if (std::find(good.begin(), good.end(), number) != good.end()) continue;
    const double loss = slot(number).loss;
    if (!std::isnan(loss)) return loss;
  }
  return kInfinity;
}

std::tuple<size_t, size_t, size_t> TpeHistory::candidate_counts() const {
  return {best_complete_.size() + front_pool_.size(), best_pruned_.size(),
          best_infeasible_.size()};
}

double default_weight_sum(size_t n, size_t first, size_t last) {
  // default_weights: 1 for the newest 25, before them a ramp from 1/n to 1 over `ramp` entries.
  constexpr size_t kFlat = 25;
  last = std::min(last, n);
  if (first >= last) return 0.0;
  const size_t ramp = n > kFlat ? n - kFlat : 0;
  double sum = 0.0;
  if (last > ramp) sum += static_cast<double>(last - std::max(first, ramp));
  if (first < ramp) {
    const size_t end = std::min(last, ramp);
    const double start = 1.0 / static_cast<double>(n);
    const double count = static_cast<double>(end - first);
    if (ramp == 1) return sum + start;
    // sum of start + (1 - start) i / (ramp - 1) over i in [first, end)
    const double index_sum = 0.5 * count * static_cast<double>(first + end - 1);
    sum += count * start + (1.0 - start) * index_sum / static_cast<double>(ramp - 1);
  }
  return sum;
}

namespace {

// The largest i in [0, n] with default_weight_sum(n, 0, i) <= target: the ramp's sum is
// quadratic in i, so the root of that quadratic (or, past the ramp, a step of 1 per trial) is
// within a step or two, and the loops settle it exactly.
size_t last_index_within(size_t n, double target) {
  auto cumulative = [&](size_t i) { return default_weight_sum(n, 0, i); };
  constexpr size_t kFlat = 25;
  const size_t ramp = n > kFlat ? n - kFlat : 0;
  double guess = target;  // flat weights: one per trial
  if (ramp >= 2 && target < cumulative(ramp)) {
    const double start = 1.0 / static_cast<double>(n);
    const double a = 0.5 * (1.0 - start) / static_cast<double>(ramp - 1), b = start - a;
    guess = (-b + std::sqrt(b * b + 4.0 * a * std::max(target, 0.0))) / (2.0 * a);
  } else if (ramp >= 1) {
    guess = static_cast<double>(ramp) + (target - cumulative(ramp));
  }
  size_t i = static_cast<size_t>(std::clamp(guess, 0.0, static_cast<double>(n)));
  while (i > 0 && cumulative(i) > target) --i;
  while (i < n && cumulative(i + 1) <= target) ++i;
  return i;
}

}  // namespace

std::vector<Stratum> stratified_sample(size_t n, size_t cap) {
  assert(cap >= 1 && n > cap);
  auto cumulative = [&](size_t i) { return default_weight_sum(n, 0, i); };
  auto weight = [&](size_t i) { return default_weight_sum(n, i, i + 1); };
  // The newest trials weigh the most: the newest `whole` are kept as they are, and the older
  // ones are merged into cap - whole strata of equal weight, each no heavier than the lightest
  // trial kept whole. Just past the cap nearly every trial is kept whole; at twice the cap and
  // beyond, every kept trial stands for a stratum of the same weight.
  auto fits = [&](size_t k) {
    return cumulative(n - k) / static_cast<double>(cap - k) <= weight(n - k);
  };
  // On the ramp the merged trials' weight is about half the lightest whole one's times their
  // number, which puts the answer near 2 cap - n; the loops settle it.
  size_t whole = n < 2 * cap ? std::min(2 * cap - n, cap - 1) : 0;
  while (whole + 1 < cap && fits(whole + 1)) ++whole;
  while (whole > 0 && !fits(whole)) --whole;
  const size_t merged = n - whole, strata = cap - whole;
  const double total = cumulative(merged);
  std::vector<Stratum> out;
  out.reserve(cap);
  size_t first = 0;
  for (size_t j = 0; j < strata; ++j) {
    size_t last = merged;
    if (j + 1 < strata) {
      // The first trial whose cumulative weight reaches the stratum's upper edge.
      const double edge = total * static_cast<double>(j + 1) / static_cast<double>(strata);
      last = last_index_within(n, edge);
      if (cumulative(last) < edge) ++last;
      last = std::clamp(last, first, merged);
    }
    if (last == first) continue;
    // The trial at the same fraction of the stratum's weight whatever n: from one ask to the
    // next (n + 1) it stays or moves to a neighbour, whose data is already in the cache. Drawn
    // in proportion to weight, then standing for the stratum's weight, it gives the stratum's
    // mixture in expectation.
    const double low = cumulative(first), high = cumulative(last);
    const double fraction = static_cast<double>(mix_seed(cap, j) >> 11) * 0x1.0p-53;
    const size_t kept =
        std::clamp(last_index_within(n, low + fraction * (high - low)), first, last - 1);
    out.push_back({kept, high - low, last - first});
    first = last;
  }
  for (size_t i = merged; i < n; ++i) out.push_back({i, weight(i), 1});
  return out;
}

std::vector<KeptTrial> stratified_trials(std::span<const int64_t> numbers,
                                         std::span<const int64_t> skip, size_t cap) {
  assert(skip.size() <= numbers.size());
  // Where the skipped trials sit in `numbers`: a position among the kept trials lies past the
  // skipped ones before it.
  std::vector<size_t> skipped;
  skipped.reserve(skip.size());
  for (int64_t number : skip) {
    skipped.push_back(static_cast<size_t>(
        std::lower_bound(numbers.begin(), numbers.end(), number) - numbers.begin()));
  }
  std::vector<KeptTrial> out;
  out.reserve(cap);
  size_t k = 0;
  for (const Stratum& stratum : stratified_sample(numbers.size() - skip.size(), cap)) {
    while (k < skipped.size() && skipped[k] <= stratum.position + k) ++k;
    out.push_back({numbers[stratum.position + k], stratum.weight, stratum.count});
  }
  return out;
}

}  // namespace winnow
