// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "automl/front.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <random>

#include "automl/ensemble.h"
#include "winnow/error.h"
#include "winnow/study.h"

namespace winnow::automl {
namespace {

using Clock = std::chrono::steady_clock;

// Trade-offs between normalised loss and normalised time that the greedy sweep runs; 0 is
// plain greedy selection. Denser near 0, where a little time buys most of the accuracy.
constexpr double kTimeWeights[] = {0.0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9};
// Calls per cost measurement, at most.
constexpr size_t kMaxSingleRowCalls = 200;
constexpr size_t kMaxThousandRowCalls = 3;
constexpr size_t kSingleRows = 32;
constexpr size_t kBatchRows = 1000;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Median wall seconds of call(i), i = 0, 1, ..., until half the budget is spent (and at least
// once), at most `max_calls` times.
template <class Call>
double median_call_seconds(const Call& call, size_t max_calls, double budget_seconds) {
  std::vector<double> seconds;
  Clock::time_point start = Clock::now();
  for (size_t i = 0; i < max_calls; ++i) {
    Clock::time_point before = Clock::now();
    call(i);
    Clock::time_point after = Clock::now();
    seconds.push_back(std::chrono::duration<double>(after - before).count());
    if (std::chrono::duration<double>(after - start).count() >= budget_seconds) break;
  }
  return median(seconds);
}

// One ensemble found by a method: integer counts per candidate (the weights are the counts
// over their sum).
struct Found {
  std::vector<int> counts;
  double loss = 0;
  InferenceCost cost;
};

class FrontBuilder {
 public:
  FrontBuilder(const std::vector<FrontCandidate>& candidates, const InferenceCost& preprocessing,
               const Target& target, Metric metric)
      : candidates_(candidates), preprocessing_(preprocessing), target_(target), metric_(metric) {
    for (const FrontCandidate& c : candidates) {
      oof_.push_back(c.oof);
      costs_.push_back(c.cost);
      batch1_.push_back(c.cost.seconds_per_row_batch1);
      batch1000_.push_back(c.cost.seconds_per_row_batch1000);
    }
  }

  double loss_of(const std::vector<int>& counts) const {
    const size_t size = oof_.front().size();
    std::vector<double> sum(size, 0.0);
    int total = 0;
    for (size_t c = 0; c < counts.size(); ++c) {
      if (counts[c] == 0) continue;
      total += counts[c];
      for (size_t i = 0; i < size; ++i) sum[i] += counts[c] * oof_[c][i];
    }
    std::vector<float> average(size);
    for (size_t i = 0; i < size; ++i) average[i] = static_cast<float>(sum[i] / total);
    return loss(metric_, target_, average);
  }

  // Adds the ensemble and returns its index in found_ (nullopt when its loss is not finite).
  std::optional<size_t> add(std::vector<int> counts) {
    // Counts with a common factor are the same ensemble: keep one spelling.
    int divisor = 0;
    for (int count : counts) divisor = std::gcd(divisor, count);
    if (divisor == 0) return std::nullopt;
    for (int& count : counts) count /= divisor;
    auto known = seen_.find(counts);
    if (known != seen_.end()) return known->second;
    Found found;
    found.loss = loss_of(counts);
    if (!std::isfinite(found.loss)) return std::nullopt;
    std::vector<double> weights(counts.begin(), counts.end());
    found.cost = ensemble_cost(weights, costs_, preprocessing_);
    found.counts = counts;
    seen_.emplace(std::move(counts), found_.size());
    found_.push_back(std::move(found));
    return found_.size() - 1;
  }

  // Plain greedy selection's ensemble (its kept prefix), which stays on the front.
  void add_plain(const EnsembleSelection& selection) {
    add_prefixes(selection);
    std::vector<int> counts(candidates_.size(), 0);
    for (size_t r = 0; r < selection.rounds_kept && r < selection.chosen.size(); ++r) {
      counts[static_cast<size_t>(selection.chosen[r])] += 1;
    }
    plain_ = add(counts);
    // AutoGluon's way to a faster ensemble, dropping the slowest member at a time, gives points
    // too: the front then holds every ensemble that rule would choose.
    for (const std::vector<double>* seconds : {&batch1_, &batch1000_}) {
      std::vector<int> rest = counts;
      for (;;) {
        std::optional<size_t> slowest;
        size_t used = 0;
        for (size_t c = 0; c < rest.size(); ++c) {
          if (rest[c] == 0) continue;
          ++used;
          if (!slowest || (*seconds)[c] > (*seconds)[*slowest]) slowest = c;
        }
        if (used <= 1) break;
        rest[*slowest] = 0;
        add(rest);
      }
    }
  }

  // Every round's ensemble of one greedy selection.
  void add_prefixes(const EnsembleSelection& selection) {
    std::vector<int> counts(candidates_.size(), 0);
    for (int chosen : selection.chosen) {
      counts[static_cast<size_t>(chosen)] += 1;
      add(counts);
    }
  }

  void greedy_sweep(const FrontOptions& options) {
    std::vector<double> single_losses;
    for (size_t c = 0; c < candidates_.size(); ++c) {
      std::vector<int> counts(candidates_.size(), 0);
      counts[c] = 1;
      if (std::optional<size_t> index = add(counts)) single_losses.push_back(found_[*index].loss);
    }
    if (single_losses.empty()) return;
    auto [low, high] = std::minmax_element(single_losses.begin(), single_losses.end());
    for (const std::vector<double>* seconds : {&batch1_, &batch1000_}) {
      double slowest = *std::max_element(seconds->begin(), seconds->end());
      if (!std::isfinite(slowest)) continue;
      for (double weight : kTimeWeights) {
        if (weight == 0) continue;  // plain greedy, run once by build_front
        if (options.should_stop && options.should_stop()) return;
        SelectionCost cost;
        cost.member_seconds = *seconds;
        cost.base_seconds = preprocessing_.seconds_per_row(seconds == &batch1_ ? 1 : kBatchRows);
        if (!std::isfinite(cost.base_seconds)) cost.base_seconds = 0;
        cost.time_weight = weight;
        cost.loss_offset = *low;
        cost.loss_scale = std::max(*high - *low, 1e-12);
        cost.time_scale = std::max(slowest + cost.base_seconds, 1e-12);
        add_prefixes(select_ensemble(oof_, target_, metric_, options.rounds, {}, &cost));
      }
    }
  }

  void nsga2(const FrontOptions& options) {
    SearchSpace space;
    for (size_t c = 0; c < candidates_.size(); ++c) {
      space.add_int("w" + std::to_string(c), 0, options.nsga2_max_weight);
    }
    StudyOptions study_options;
    study_options.name = "ensemble_front";
    study_options.directions = {Direction::kMinimize, Direction::kMinimize, Direction::kMinimize};
    study_options.sampler = "nsga2:population_size=" + std::to_string(options.nsga2_population);
    study_options.seed = options.seed;
    Study study = Study::create(open_storage("memory"), space, study_options);
    const int64_t evaluations =
        static_cast<int64_t>(options.nsga2_population) * options.nsga2_generations;
    for (int64_t e = 0; e < evaluations; ++e) {
      if (options.should_stop && options.should_stop()) return;
      Trial trial = study.ask();
      std::vector<int> counts;
      for (size_t c = 0; c < candidates_.size(); ++c) {
        counts.push_back(static_cast<int>(trial.int_param("w" + std::to_string(c))));
      }
      if (std::all_of(counts.begin(), counts.end(), [](int count) { return count == 0; })) {
        study.tell_failed(trial, "an ensemble needs a member");
        continue;
      }
      std::optional<size_t> index = add(counts);
      if (!index) {
        study.tell_failed(trial, "non-finite loss");
        continue;
      }
      const Found& found = found_[*index];
      double t1 = found.cost.seconds_per_row_batch1, t1000 = found.cost.seconds_per_row_batch1000;
      study.tell(trial, std::vector<double>{found.loss, std::isfinite(t1) ? t1 : 0.0,
                                            std::isfinite(t1000) ? t1000 : 0.0});
    }
  }

  // The non-dominated ensembles and plain greedy selection's, most accurate first, at most
  // `max_entries` of them; *plain is the index of the latter.
  std::vector<FrontEntry> front(size_t max_entries, size_t* plain) const {
    auto time_of = [](const InferenceCost& cost, int batch) {
      double t = cost.seconds_per_row(batch);
      return std::isfinite(t) ? t : 0.0;
    };
    auto dominates = [&](const Found& a, const Found& b) {
      double a1 = time_of(a.cost, 1), b1 = time_of(b.cost, 1);
      double a2 = time_of(a.cost, kBatchRows), b2 = time_of(b.cost, kBatchRows);
      return a.loss <= b.loss && a1 <= b1 && a2 <= b2 && (a.loss < b.loss || a1 < b1 || a2 < b2);
    };
    std::vector<const Found*> kept;
    const Found* plain_found = plain_ ? &found_[*plain_] : nullptr;
    for (const Found& candidate : found_) {
      bool dominated = false;
      if (&candidate == plain_found) {
        kept.push_back(&candidate);
        continue;
      }
      for (const Found& other : found_) {
        if (dominates(other, candidate)) {
          dominated = true;
          break;
        }
      }
      if (!dominated) kept.push_back(&candidate);
    }
    std::stable_sort(kept.begin(), kept.end(),
                     [](const Found* a, const Found* b) { return a->loss < b->loss; });
    if (kept.size() > max_entries && max_entries >= 3) {
      // Evenly spread by rank, always with the most accurate and the fastest at each batch size.
      std::vector<uint8_t> keep(kept.size(), 0);
      for (size_t i = 0; i + 2 < max_entries; ++i) {
        keep[static_cast<size_t>(std::lround(i * (kept.size() - 1.0) / (max_entries - 3)))] = 1;
      }
      for (int batch : {1, static_cast<int>(kBatchRows)}) {
        size_t fastest = 0;
        for (size_t i = 1; i < kept.size(); ++i) {
          if (time_of(kept[i]->cost, batch) < time_of(kept[fastest]->cost, batch)) fastest = i;
        }
        keep[fastest] = 1;
      }
      for (size_t i = 0; i < kept.size(); ++i) {
        if (kept[i] == plain_found) keep[i] = 1;
      }
      std::vector<const Found*> thinned;
      for (size_t i = 0; i < kept.size(); ++i) {
        if (keep[i]) thinned.push_back(kept[i]);
      }
      kept = std::move(thinned);
    }
    std::vector<FrontEntry> entries;
    *plain = 0;
    for (const Found* found : kept) {
      if (found == plain_found) *plain = entries.size();
      FrontEntry entry;
      int total = std::accumulate(found->counts.begin(), found->counts.end(), 0);
      for (int count : found->counts) entry.weights.push_back(static_cast<double>(count) / total);
      entry.loss = found->loss;
      entry.score = greater_is_better(metric_) ? 1.0 - found->loss : found->loss;
      entry.cost = found->cost;
      entries.push_back(std::move(entry));
    }
    return entries;
  }

  std::vector<std::span<const float>> oof_;

 private:
  const std::vector<FrontCandidate>& candidates_;
  InferenceCost preprocessing_;
  const Target& target_;
  Metric metric_;
  std::vector<InferenceCost> costs_;
  std::vector<double> batch1_, batch1000_;
  std::vector<Found> found_;
  std::map<std::vector<int>, size_t> seen_;
  std::optional<size_t> plain_;
};

}  // namespace

CostSample make_cost_sample(const Table& features, uint64_t seed) {
  CostSample sample;
  if (features.rows == 0) throw Error("cost measurement needs at least one row");
  std::vector<size_t> order(features.rows);
  std::iota(order.begin(), order.end(), size_t{0});
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  for (size_t i = 0; i < kSingleRows && i < order.size(); ++i) {
    sample.single_rows.push_back(features.select_rows({order[i]}));
  }
  std::vector<size_t> batch(kBatchRows);
  for (size_t i = 0; i < kBatchRows; ++i) batch[i] = order[i % order.size()];
  sample.thousand_rows = features.select_rows(batch);
  return sample;
}

InferenceCost measure_member_cost(const Predictor::Impl& model, const EnsembleMember& member,
                                  const CostSample& sample, double budget_seconds) {
  InferenceCost cost;
  const size_t singles = sample.single_rows.size();
  cost.seconds_per_row_batch1 = median_call_seconds(
      [&](size_t i) { model.predict_member(member, sample.single_rows[i % singles]); },
      kMaxSingleRowCalls, budget_seconds / 2);
  cost.seconds_per_row_batch1000 =
      median_call_seconds([&](size_t) { model.predict_member(member, sample.thousand_rows); },
                          kMaxThousandRowCalls, budget_seconds / 2) /
      static_cast<double>(sample.thousand_rows.rows);
  for (const FoldModel& fold : member.folds) cost.bytes += save_fold_model(fold).size();
  return cost;
}

InferenceCost measure_preprocessing_cost(const Schema& schema, const CostSample& sample,
                                         double budget_seconds) {
  InferenceCost cost;
  const size_t singles = sample.single_rows.size();
  cost.seconds_per_row_batch1 = median_call_seconds(
      [&](size_t i) { schema.conform(sample.single_rows[i % singles], nullptr); },
      kMaxSingleRowCalls, budget_seconds / 2);
  cost.seconds_per_row_batch1000 =
      median_call_seconds([&](size_t) { schema.conform(sample.thousand_rows, nullptr); },
                          kMaxThousandRowCalls, budget_seconds / 2) /
      static_cast<double>(sample.thousand_rows.rows);
  return cost;
}

InferenceCost ensemble_cost(const std::vector<double>& weights,
                            const std::vector<InferenceCost>& members,
                            const InferenceCost& preprocessing) {
  InferenceCost total = preprocessing;
  for (size_t m = 0; m < members.size() && m < weights.size(); ++m) {
    if (weights[m] <= 0) continue;
    total.seconds_per_row_batch1 += members[m].seconds_per_row_batch1;
    total.seconds_per_row_batch1000 += members[m].seconds_per_row_batch1000;
    total.bytes += members[m].bytes;
  }
  return total;
}

std::vector<FrontEntry> build_front(const std::vector<FrontCandidate>& candidates,
                                    const InferenceCost& preprocessing, const Target& target,
                                    Metric metric, const FrontOptions& options,
                                    size_t* plain_entry) {
  if (candidates.empty()) throw Error("an ensemble front needs at least one candidate");
  if (options.method != "greedy" && options.method != "nsga2") {
    throw Error("front method '" + options.method + "' is not one of greedy, nsga2");
  }
  FrontBuilder builder(candidates, preprocessing, target, metric);
  builder.add_plain(select_ensemble(builder.oof_, target, metric, options.rounds));
  if (options.method == "greedy") {
    builder.greedy_sweep(options);
  } else {
    builder.nsga2(options);
  }
  size_t plain = 0;
  std::vector<FrontEntry> front = builder.front(std::max<size_t>(options.max_entries, 4), &plain);
  if (plain_entry != nullptr) *plain_entry = plain;
  return front;
}

size_t choose_entry(const std::vector<FrontEntry>& front, double seconds_per_row, int batch,
                    bool* fits, std::optional<size_t> preferred) {
  if (front.empty()) throw Error("the model file has no ensemble to choose from");
  if (preferred && *preferred < front.size() &&
      front[*preferred].cost.seconds_per_row(batch) <= seconds_per_row) {
    if (fits != nullptr) *fits = true;
    return *preferred;
  }
  std::optional<size_t> best, fastest;
  for (size_t i = 0; i < front.size(); ++i) {
    double t = front[i].cost.seconds_per_row(batch);
    if (!std::isfinite(t)) continue;
    if (!fastest || t < front[*fastest].cost.seconds_per_row(batch)) fastest = i;
    if (t <= seconds_per_row && (!best || front[i].loss < front[*best].loss)) best = i;
  }
  if (fits != nullptr) *fits = best.has_value();
  if (best) return *best;
  return fastest.value_or(0);
}

}  // namespace winnow::automl
