// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The TPE sampler's view of a study's history (tpe.cc), kept from one ask to the next and
// brought up to date with what changed, so that an ask costs the same with a hundred thousand
// trials as with a thousand.
//
// Every ask hands the sampler a span of all trials. Classifying and encoding each of them,
// sorting them for the good/bad split, grouping parameters by activity and splitting by
// constraints made an ask O(n log n) in the study's size. A finished trial never changes
// (trial.h), so this view reads only the trials past the end of the history it saw last and
// those that were not finished then; everything the model needs is updated from them:
//   * each trial's unit-cube encoding and its role (complete, pruned, running under the
//     constant liar, or left out, as tpe.cc's top describes), by trial number;
//   * the trials that take part, in number order;
//   * the candidates of the good set: the trials that split_finished_trials (tpe_split.h) can
//     still choose for a good set of at most max_good members. A trial's rank (by value, by
//     pruned key or by violation) only worsens as trials are added, so one that ranks past
//     max_good within its class never returns; with several objectives, neither does one that
//     max_good others dominate. The split, run on the candidates alone, chooses what it would
//     choose from all finished trials;
//   * the partition of the parameters by the finished trials they were active in (the groups
//     of the multivariate model), refined by each finished trial;
//   * per constraint, the finished trials that satisfy it and those that violate it (c-TPE).
//
// Contract: the history given to sync() extends the one given before (history_reader.h); one
// that does not (a budget scheduler hands the sampler one budget's trials, and the budget
// changes) is indexed again from scratch, which costs what an ask used to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <tuple>
#include <utility>
#include <vector>

#include "samplers/history_reader.h"
#include "winnow/space.h"
#include "winnow/trial.h"

namespace winnow {

class TpeHistory {
 public:
  // How a trial takes part in the model.
  enum class Role : uint8_t {
    kNone,      // not at all: failed, waiting, complete without one value per objective, or
                // running without the constant liar (or without a configuration yet)
    kComplete,  // complete, one value per objective
    kPruned,
    kRunning,   // running, with the constant liar: a bad observation
  };

  // `max_good`: the largest good set the sampler asks the split for.
  TpeHistory(bool constant_liar, size_t max_good)
      : constant_liar_(constant_liar), max_good_(max_good) {}

  // Brings the view up to date with `history` (SampleContext::history). The history must stay
  // alive and unchanged until the next sync(): trial() points into it.
  void sync(const SearchSpace& space, std::span<const FrozenTrial> history,
            std::span<const Direction> directions);
  // Forgets every trial (the next sync reads the whole history).
  void reset();

  // Finished trials that take part: complete ones with a value per objective, and pruned ones.
  size_t finished_count() const { return complete_count_ + pruned_count_; }
  // Numbers of the trials that take part (complete, pruned and running ones), increasing.
  const std::vector<int64_t>& modelled() const { return modelled_; }
  Role role(int64_t number) const { return slot(number).role; }
  const FrozenTrial& trial(int64_t number) const { return history_[slot(number).position]; }
  // The trial's unit-cube encoding (SearchSpace::encode): space.size() coordinates and flags.
  const double* x(int64_t number) const { return &xs_[index(number) * dims_]; }
  const uint8_t* active(int64_t number) const { return &actives_[index(number) * dims_]; }
  // With one objective, a complete feasible trial's value to minimise; NaN otherwise.
  double loss(int64_t number) const { return slot(number).loss; }

  // The candidates of a good set of n_good <= max_good members (see the top), complete ones
  // first, then pruned ones, each in number order: the order split_finished_trials breaks ties
  // by.
  std::vector<const FrozenTrial*> good_candidates(size_t n_good) const;
  // With one objective, the smallest loss() of a complete feasible trial that is not in `good`
  // (numbers, any order) and whose loss is not NaN; +infinity if there is none. Requires `good`
  // to hold the best complete feasible trials first, as the split's good set does.
  double best_loss_outside(std::span<const int64_t> good) const;

  // Whether parameter p was active in some finished trial, in all of them, and its class: two
  // parameters were active in exactly the same finished trials iff their classes are equal.
  bool ever_active(size_t p) const { return ever_active_[p] != 0; }
  bool always_active(size_t p) const { return always_active_[p] != 0; }
  uint32_t activity_class(size_t p) const { return activity_class_[p]; }

  // c-TPE: for each constraint index up to the most any finished trial reports, the finished
  // trials (numbers, increasing) whose value of it is <= 0, and those whose value is > 0 or NaN.
  size_t constraint_count() const { return satisfying_.size(); }
  const std::vector<int64_t>& satisfying(size_t c) const { return satisfying_[c]; }
  const std::vector<int64_t>& violating(size_t c) const { return violating_[c]; }

  // How many candidates of each kind are kept (for tests): complete feasible (with several
  // objectives, those fewer than max_good others dominate), pruned feasible, infeasible.
  std::tuple<size_t, size_t, size_t> candidate_counts() const;

 private:
  struct Slot {
    int64_t id = -1;
    size_t position = 0;  // in the history of the last sync
    double loss = std::numeric_limits<double>::quiet_NaN();
    Role role = Role::kNone;
    bool known = false;
    bool counted = false;  // finished and entered into the counts, candidates, groups, ...
  };

  size_t index(int64_t number) const { return static_cast<size_t>(number); }
  const Slot& slot(int64_t number) const { return slots_[index(number)]; }
  void forget_trials();
  void examine(const SearchSpace& space, size_t position);
  void set_role(int64_t number, Role role);
  void count_finished(int64_t number, const FrozenTrial& trial);
  void update_front_pool();
  void add_to_front_pool(int64_t number, const double* losses);
  std::vector<double> front_losses_of(int64_t number) const;

  bool constant_liar_;
  size_t max_good_;
  size_t dims_ = 0;
  std::vector<Direction> directions_;
  std::span<const FrozenTrial> history_;
  HistoryReader reader_;
  std::vector<size_t> positions_;     // what the last sync read
  std::vector<Slot> slots_;           // by trial number
  std::vector<double> xs_;            // by trial number, dims_ each
  std::vector<uint8_t> actives_;
  std::vector<int64_t> modelled_;
  size_t complete_count_ = 0, pruned_count_ = 0;

  // Candidates of the good set, best first: one objective, (value to minimise, number), one
  // more than max_good of them (the best outside the good set gives the EI threshold).
  std::vector<std::pair<double, int64_t>> best_complete_;
  // Several objectives: the complete feasible trials that fewer than max_good others dominate
  // (numbers, increasing), their values to minimise (row-major) and how many members of the
  // pool dominate each; and trials not added yet.
  std::vector<int64_t> front_pool_;
  std::vector<double> front_losses_;
  std::vector<size_t> front_dominators_;
  std::vector<int64_t> front_pending_;
  // Pruned feasible trials by (pruned_trial_key, number); infeasible ones by (violation,
  // pruned, number): complete before pruned on equal violations, as the split orders them.
  std::vector<std::pair<std::pair<double, double>, int64_t>> best_pruned_;
  std::vector<std::tuple<double, bool, int64_t>> best_infeasible_;

  std::vector<uint32_t> activity_class_;
  std::vector<uint8_t> ever_active_, always_active_;

  std::vector<std::vector<int64_t>> satisfying_, violating_;
};

// A stratified sample of a list of n observations in trial-number order that default_weights
// (parzen_estimator.h) would weigh, for n > cap >= 1: at most `cap` of them. The newest, which
// weigh the most, are kept whole as long as the older ones can be merged into strata of
// consecutive observations that weigh the same and no more than the lightest one kept whole;
// each stratum keeps one observation, drawn in proportion to weight at a fraction of the
// stratum's weight hashed from the stratum's index, which stands for the stratum's summed
// weight. So a mixture over the kept observations has the full list's weight in each stretch
// of the history and in expectation its density, with each kernel carrying about the same
// weight. Each kept observation also tells how many it stands for. Positions come out
// increasing.
struct Stratum {
  size_t position;
  double weight;
  size_t count;
};
std::vector<Stratum> stratified_sample(size_t n, size_t cap);

// stratified_sample over the trials `numbers` (increasing) but those in `skip` (increasing, a
// subset of them), for more than `cap` of them: each kept trial's number, its stratum's weight
// and size.
struct KeptTrial {
  int64_t number;
  double weight;
  size_t count;
};
std::vector<KeptTrial> stratified_trials(std::span<const int64_t> numbers,
                                         std::span<const int64_t> skip, size_t cap);

// The sum of default_weights(n)[first .. last), without building the n weights.
double default_weight_sum(size_t n, size_t first, size_t last);

}  // namespace winnow
