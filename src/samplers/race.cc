// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Iterated racing, as irace does it (López-Ibáñez et al., "The irace package", Operations
// Research Perspectives 3, 2016), for algorithm-configuration studies (winnow/instances.h).
//
// Each iteration samples new configurations from a model of the elites, races them together with
// the elites instance by instance, and eliminates by paired t-tests (value costs) or Friedman's
// test (runtime costs) once `first_test` instances are done; the survivors become the next elites.
// Elitist racing: an elite's earlier results are reused, and it cannot be eliminated before the new
// configurations have seen every instance it has. A race visits a new instance first, then the ones
// seen before in a fresh random order (order_race). With a runtime cost, adaptive capping cuts a
// run at the time that would put its configuration's total above the median total of the race's
// elites (irace's elitist capping), and a capped configuration is eliminated. From the first
// test's instance on, while more than `survivors` race, so is any configuration whose total
// is above that bound (irace's dominance criterion), so a race its test cannot decide ends.
//
// The sampler keeps no state: each call replays the races from the stored runs (every
// decision depends only on results, never on when they arrived) and hands out the first run
// the current race still needs. When every needed run is already running (parallel jobs), it
// runs the surviving configurations ahead on the next instances, which racing reuses.
//
// New configurations come from irace's model (samplers/race_model.h): each elite's own
// probabilities and standard deviations, inherited from the elite it was sampled from, and
// softly restarted when the new configurations nearly copy one another. Each iteration races
// as many configurations as irace's computeNbConfigurations allows, counting the results the
// elites bring with them as budget already paid.
//
// Survivors are ordered by their mean cost, the study's objective, where irace orders them by
// rank sum under Friedman's test: among the configurations the test cannot tell apart the
// elites and the incumbent are those with the lowest cost users are judged by (the two orders
// were measured against irace: docs/benchmarks.md).
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "configuration/runs.h"
#include "configuration/statistics.h"
#include "samplers/race_model.h"
#include "samplers/registry.h"
#include "samplers/sampler_util.h"
#include "winnow/attributes.h"
#include "winnow/error.h"

namespace winnow {
namespace {

using configuration::Decision;
using configuration::InstanceStream;
using configuration::Run;
using configuration::RunTable;
using configuration::TrialNotes;

struct RaceOptions {
  double confidence = 0.95;   // of the elimination tests
  int first_test = 5;         // instances before the first test
  int each_test = 1;          // instances between tests
  // The elimination test. Auto takes paired t-tests for a value cost (the study minimises the
  // mean cost, which is what a t-test compares) and Friedman's test for a runtime cost, whose
  // timeouts penalised to PAR-k inflate the variance a t-test needs to be small, while ranks
  // only need the order.
  enum class Test { kAuto, kFriedman, kT } test = Test::kAuto;
  int iterations = 0;         // planned iterations; 0: floor(2 + log2(parameters))
  int survivors = 0;          // a race stops at this many; 0: floor(2 + log2(parameters))
  int lookahead = 8;          // instances run ahead while results are pending
  // irace's dominance criterion under capping: while more than `survivors` race, one whose
  // total is above the bound is eliminated, capped or not (an elite only once the new
  // configurations have seen its instances), which ends a race its test cannot decide.
  // kAfterFirstTest applies it from the first test's instance on; kAlways from the first
  // instance, as irace does, which on one instance's evidence cut good configurations.
  enum class Dominance { kOff, kAfterFirstTest, kAlways } dominance = Dominance::kAfterFirstTest;
};

// Slack added to a runtime bound, and the shortest cap (irace's minMeasurableTime).
constexpr double kMinMeasurableSeconds = 0.01;

struct Planned {
  int64_t id;
  Config config;
};

// What one ask decides: the next run, or nothing (the stream and the budget are spent).
struct NextRun {
  int64_t configuration;
  int64_t position;
  int iteration;
  std::optional<double> cap;
};

class Replay {
 public:
  Replay(const SampleContext& context, std::span<const TrialNotes> notes,
         const RaceOptions& options, uint64_t seed)
      : context_(context),
        instances_(*context.instances),
        options_(options),
        seed_(seed),
        table_(context.history, notes, instances_, context.directions[0]),
        stream_(instances_, seed) {
    const double d = std::max<double>(1, static_cast<double>(context.space.size()));
    default_count_ = static_cast<int>(std::floor(2 + std::log2(d)));
    iterations_ = options.iterations > 0 ? options.iterations : default_count_;
    survivors_ = options.survivors > 0 ? options.survivors : default_count_;
    budget_ = instances_.budget_runs > 0 ? instances_.budget_runs : 1000;
    for (size_t i = 0; i < notes.size(); ++i) {
      const TrialNotes& note = notes[i];
      if (!note.iteration || !note.position || note.test_run) continue;
      const FrozenTrial& trial = context.history[i];
      if (trial.state == TrialState::kFailed && trial.interrupted) continue;
      ++runs_by_iteration_[static_cast<int>(*note.iteration)][*note.position];
    }
  }

  std::optional<NextRun> next() {
    std::vector<int64_t> elites;
    RaceModel model(context_.space, iterations_);
    const RaceModel::ConfigOf config_of = [this](int64_t id) { return this->config_of(id); };
    bool elites_done = false;  // the elites ran out of instances while budget remains
    for (int iteration = 1;; ++iteration) {
      int64_t used = 0;
      for (const auto& [i, counts] : runs_by_iteration_) {
        if (i >= iteration) break;
        for (const auto& [position, count] : counts) used += count;
      }
      const int64_t remaining = budget_ - used;
      const int64_t share =
          iteration <= iterations_ ? remaining / (iterations_ - iteration + 1) : remaining;
      int64_t fresh = configurations_for(iteration, share, elites) -
                      static_cast<int64_t>(elites.size());
      if (iteration == 1) fresh = std::max<int64_t>(fresh, survivors_ + 1);
      if (elites_done) fresh = std::max<int64_t>(fresh, 1);
      const bool final_race = iteration > 1 && fresh < 1;
      std::vector<Planned> candidates;
      for (int64_t id : elites) candidates.push_back({id, *config_of(id)});
      if (!final_race) {
        if (iteration > 1) model.update(iteration, elites, config_of, fresh);
        const int64_t base = next_id_;
        next_id_ += fresh;
        std::vector<Planned> sampled = sample_new(iteration, base, fresh, elites, model, 0);
        // The check runs on the configurations as generated (not as stored), so a replay
        // takes the same decision as the ask that first sampled them.
        if (iteration > 1) {
          std::vector<std::pair<int64_t, Config>> racing;
          for (const Planned& p : candidates) racing.emplace_back(p.id, p.config);
          for (const Planned& p : sampled) racing.emplace_back(p.id, p.config);
          std::vector<int64_t> similar = near_identical(context_.space, racing);
          if (!similar.empty()) {
            model.restart(similar, fresh);
            decisions_.push_back({-1, "restart",
                                  "iteration " + std::to_string(iteration) + ": " +
                                      std::to_string(similar.size()) +
                                      " configurations nearly identical; the model widened"});
            sampled = sample_new(iteration, base, fresh, elites, model, 1);
          }
        }
        for (Planned& planned_config : sampled) {
          if (const Config* stored = table_.config(planned_config.id)) {
            planned_config.config = *stored;  // what actually ran
          }
        }
        for (Planned& planned_config : sampled) candidates.push_back(std::move(planned_config));
      }
      RaceOutcome outcome = race(iteration, candidates, elites.size(),
                                 final_race ? std::numeric_limits<int64_t>::max() : share);
      if (outcome.next) return outcome.next;
      if (outcome.exhausted) return std::nullopt;
      elites = std::move(outcome.ranked);
      if (elites.size() > static_cast<size_t>(survivors_)) {
        // Recorded, so a report never takes a dropped elite, run on many instances, for the
        // best standing configuration.
        for (size_t i = static_cast<size_t>(survivors_); i < elites.size(); ++i) {
          decisions_.push_back({elites[i], "eliminated",
                                "iteration " + std::to_string(iteration) + ": not among the " +
                                    std::to_string(survivors_) + " best survivors"});
        }
        elites.resize(survivors_);
      }
      if (iteration == 1) model.initialise(elites);
      // The elites have seen every instance: spend what is left on new configurations.
      elites_done = final_race && outcome.stream_ended;
    }
  }

  const std::vector<Decision>& decisions() const { return decisions_; }
  // next() found nothing to run only because results are pending.
  bool waiting() const { return waiting_; }
  const Config* config_of(int64_t id) const {
    auto it = planned_.find(id);
    return it == planned_.end() ? table_.config(id) : &it->second;
  }

 private:
  struct RaceOutcome {
    std::optional<NextRun> next;
    std::vector<int64_t> ranked;  // survivors, best first
    bool exhausted = false;
    bool stream_ended = false;
  };

  // The configurations, elites included, an iteration with `share` runs races; the elites'
  // instances are those before their frontier.
  int64_t configurations_for(int iteration, int64_t share,
                             const std::vector<int64_t>& elites) const {
    return configurations_to_race(share, iteration, options_.first_test, options_.each_test,
                                  static_cast<int64_t>(elites.size()), frontier_of(elites));
  }

  // The position after the furthest one any of the elites has seen.
  int64_t frontier_of(const std::vector<int64_t>& elites) const {
    int64_t frontier = 0;
    for (int64_t id : elites) {
      auto it = seen_.find(id);
      if (it != seen_.end() && !it->second.empty()) {
        frontier = std::max(frontier, *it->second.rbegin() + 1);
      }
    }
    return frontier;
  }

  // The position a race visits at its step k (see order_race).
  int64_t position_at(int64_t k) const {
    const auto known = static_cast<int64_t>(race_order_.size());
    return k < known ? race_order_[static_cast<size_t>(k)] : race_frontier_ + 1 + (k - known);
  }

  // irace's elitist racing order (elitistNewInstances = 1): first the position after every one
  // the elites have seen, then those in a seeded random order, then the later ones. So every
  // race meets a new instance first and tests on a different mix of the old ones, rather than
  // eliminating by the same first instances iteration after iteration; on costs that differ by
  // orders of magnitude between instances, those few would decide every elimination.
  void order_race(int iteration, const std::vector<int64_t>& elites) {
    race_frontier_ = frontier_of(elites);
    race_order_.clear();
    if (stream_.valid(race_frontier_)) race_order_.push_back(race_frontier_);
    std::vector<int64_t> old(static_cast<size_t>(race_frontier_));
    for (int64_t p = 0; p < race_frontier_; ++p) old[static_cast<size_t>(p)] = p;
    std::mt19937_64 rng(mix_seed(seed_, 0x0DE5u + static_cast<uint64_t>(iteration)));
    std::shuffle(old.begin(), old.end(), rng);
    race_order_.insert(race_order_.end(), old.begin(), old.end());
  }

  // Runs of this iteration at the race's steps 0 .. steps-1.
  int64_t runs_in(int iteration, int64_t steps) const {
    auto it = runs_by_iteration_.find(iteration);
    if (it == runs_by_iteration_.end()) return 0;
    int64_t count = 0;
    for (int64_t k = 0; k < steps; ++k) {
      auto at = it->second.find(position_at(k));
      if (at != it->second.end()) count += at->second;
    }
    return count;
  }

  // A configuration's total over the race's steps 0 .. last.
  double sum_to(int64_t id, int64_t last) const {
    double sum = 0;
    for (int64_t k = 0; k <= last; ++k) sum += table_.run(id, position_at(k))->cost;
    return sum;
  }

  bool finished(int64_t id, int64_t position) const {
    const Run* run = table_.run(id, position);
    return run != nullptr && run->finished;
  }

  RaceOutcome race(int iteration, const std::vector<Planned>& candidates, size_t n_elites,
                   int64_t share) {
    RaceOutcome outcome;
    std::vector<int64_t> alive;
    for (const Planned& candidate : candidates) {
      alive.push_back(candidate.id);
      if (!table_.config(candidate.id)) planned_[candidate.id] = candidate.config;
    }
    std::set<int64_t> elite_ids;
    for (size_t i = 0; i < n_elites; ++i) elite_ids.insert(candidates[i].id);
    const bool capping = instances_.cost == RunCostKind::kRuntime && instances_.capping;
    const std::string where = "iteration " + std::to_string(iteration) + ", instance ";
    std::vector<int64_t> elites;
    for (size_t i = 0; i < n_elites; ++i) elites.push_back(candidates[i].id);
    order_race(iteration, elites);
    // How many of each elite's seen positions the race has passed: an elite is protected until
    // the race has passed all of them.
    std::map<int64_t, size_t> passed;
    int64_t decided = 0;  // steps 0 .. decided-1 are finished by every alive configuration
    for (int64_t k = 0;; ++k) {
      const int64_t p = position_at(k);
      if (!stream_.valid(p)) {
        if (k == 0) outcome.exhausted = true;
        outcome.stream_ended = true;
        break;
      }
      // Order by the total over the instances raced so far; with capping, the configurations
      // that bound the others run first.
      std::vector<std::pair<double, int64_t>> order;
      for (int64_t id : alive) order.push_back({k == 0 ? 0 : sum_to(id, k - 1), id});
      std::stable_sort(order.begin(), order.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      int64_t needed = 0;
      for (int64_t id : alive) needed += table_.run(id, p) == nullptr;
      if (needed > 0 && k >= options_.first_test && runs_in(iteration, k) + needed > share) {
        break;  // this iteration's budget cannot pay for another instance
      }
      std::set<int64_t> bounding;
      std::optional<double> bound;
      if (capping) {
        bounding = bounding_configurations(order, elite_ids);
        bound = execution_bound(bounding, k);
        std::stable_partition(order.begin(), order.end(),
                              [&](const auto& entry) { return bounding.contains(entry.second); });
      }
      for (const auto& [sum_before, id] : order) {
        if (table_.run(id, p) != nullptr) continue;
        std::optional<double> cap;
        if (capping && !bounding.contains(id)) {
          // With several jobs the bounding configurations' runs may still be going: waiting
          // for them costs less than the uncapped run that capping exists to avoid.
          if (!bound) continue;
          cap = capped_at(*bound, k, sum_before);
        }
        outcome.next = NextRun{id, p, iteration, cap};
        return outcome;
      }
      bool pending = false;
      for (int64_t id : alive) pending = pending || !finished(id, p);
      if (pending) {
        outcome.next = lookahead(iteration, alive, k, capping ? &bounding : nullptr);
        if (!outcome.next) {
          outcome.exhausted = true;
          waiting_ = true;
        }
        return outcome;
      }
      // Every alive configuration has finished the race's steps 0..k.
      std::vector<int64_t> kept;
      for (int64_t id : alive) {
        const Run* run = table_.run(id, p);
        bool capped = run->censored && instances_.cutoff_seconds > 0 &&
                      run->cap < instances_.cutoff_seconds;
        if (capped) {
          decisions_.push_back({id, "eliminated",
                                where + std::to_string(k + 1) +
                                    ": capped, its run could no longer beat the best"});
        } else {
          kept.push_back(id);
        }
      }
      alive = std::move(kept);
      const int64_t seen = k + 1;
      decided = seen;
      for (int64_t id : elites) passed[id] += seen_[id].contains(p) ? 1 : 0;
      if (capping && options_.dominance != RaceOptions::Dominance::kOff &&
          alive.size() > static_cast<size_t>(survivors_) &&
          (options_.dominance == RaceOptions::Dominance::kAlways ||
           seen >= options_.first_test)) {
        alive = eliminate_dominated(alive, elite_ids, passed, k, where + std::to_string(seen));
      }
      if (alive.size() > 1 && seen >= options_.first_test &&
          (seen - options_.first_test) % options_.each_test == 0) {
        std::vector<std::vector<double>> costs;
        for (int64_t id : alive) {
          std::vector<double> row;
          for (int64_t q = 0; q <= k; ++q) row.push_back(table_.run(id, position_at(q))->cost);
          costs.push_back(std::move(row));
        }
        const double alpha = 1 - options_.confidence;
        configuration::EliminationResult test =
            uses_ttest() ? configuration::ttest_elimination(costs, alpha)
                         : configuration::friedman_elimination(costs, alpha);
        std::vector<int64_t> kept_by_test;
        for (size_t j = 0; j < alive.size(); ++j) {
          // Elitist: an elite stays until the new configurations saw what it saw.
          bool protected_elite =
              elite_ids.contains(alive[j]) && passed[alive[j]] < seen_[alive[j]].size();
          if (test.survivors[j] || protected_elite) {
            kept_by_test.push_back(alive[j]);
          } else {
            char p_text[32];
            std::snprintf(p_text, sizeof(p_text), "%.3g", test.p_value);
            decisions_.push_back({alive[j], "eliminated",
                                  where + std::to_string(seen) + ": " + test.test +
                                      " test, p = " + p_text});
          }
        }
        alive = std::move(kept_by_test);
      }
      if (alive.size() <= static_cast<size_t>(survivors_) && seen >= options_.first_test &&
          share != std::numeric_limits<int64_t>::max()) {
        break;
      }
      // The final race (no budget of its own) keeps running its elites on new instances.
      if (alive.size() <= 1 && seen >= options_.first_test &&
          share != std::numeric_limits<int64_t>::max()) {
        break;
      }
    }
    // Rank the survivors by their mean over the instances raced (results that arrived from
    // running ahead are left for the next race, so the ranking never depends on timing).
    std::vector<std::pair<double, int64_t>> ranked;
    for (int64_t id : alive) {
      ranked.push_back({decided > 0 ? sum_to(id, decided - 1) : 0, id});
      for (int64_t k = 0; k < decided; ++k) seen_[id].insert(position_at(k));
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [sum, id] : ranked) outcome.ranked.push_back(id);
    return outcome;
  }

  // irace's dominance criterion (dom.elim): the bound is the median total of the elites that
  // are still protected, or without any, of the `survivors` best; every other configuration
  // above it (with the caps' slack) is eliminated.
  std::vector<int64_t> eliminate_dominated(const std::vector<int64_t>& alive,
                                           const std::set<int64_t>& elite_ids,
                                           const std::map<int64_t, size_t>& passed, int64_t k,
                                           const std::string& where) {
    std::set<int64_t> guarded;
    for (int64_t id : alive) {
      if (elite_ids.contains(id) && passed.at(id) < seen_[id].size()) guarded.insert(id);
    }
    std::vector<std::pair<double, int64_t>> order;
    for (int64_t id : alive) order.push_back({sum_to(id, k), id});
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    const std::optional<double> bound = execution_bound(bounding_configurations(order, guarded), k);
    if (!bound) return alive;
    std::set<int64_t> dominated;
    for (const auto& [total, id] : order) {
      if (!guarded.contains(id) && total > *bound + kMinMeasurableSeconds) dominated.insert(id);
    }
    std::vector<int64_t> kept;
    for (int64_t id : alive) {
      if (!dominated.contains(id)) {
        kept.push_back(id);
      } else {
        decisions_.push_back({id, "eliminated",
                              where + ": its total is above the bound of the best (dominated)"});
      }
    }
    return kept;
  }

  bool uses_ttest() const {
    if (options_.test == RaceOptions::Test::kAuto) return instances_.cost != RunCostKind::kRuntime;
    return options_.test == RaceOptions::Test::kT;
  }

  // The configurations whose results bound the others' runs (irace's elitist capping, Pérez
  // Cáceres et al., "An experimental study of adaptive capping in irace", LION 2017): the
  // race's elites still alive, or without any, the `survivors` best by their total so far.
  std::set<int64_t> bounding_configurations(const std::vector<std::pair<double, int64_t>>& order,
                                            const std::set<int64_t>& elite_ids) const {
    std::set<int64_t> bounding;
    for (const auto& [sum, id] : order) {
      if (elite_ids.contains(id)) bounding.insert(id);
    }
    if (!bounding.empty()) return bounding;
    for (size_t k = 0; k < order.size() && k < static_cast<size_t>(survivors_); ++k) {
      bounding.insert(order[k].second);
    }
    return bounding;
  }

  // The total through the race's step k that a run may reach before it loses: (k + 1) times
  // the median over the bounding configurations of their mean through k (irace's "median"
  // capping type). nullopt while one of them has not finished steps 0..k.
  std::optional<double> execution_bound(const std::set<int64_t>& bounding, int64_t k) const {
    std::vector<double> totals;
    for (int64_t id : bounding) {
      for (int64_t q = 0; q <= k; ++q) {
        if (!finished(id, position_at(q))) return std::nullopt;
      }
      totals.push_back(sum_to(id, k));
    }
    if (totals.empty()) return std::nullopt;
    std::sort(totals.begin(), totals.end());
    const size_t n = totals.size();
    return n % 2 == 1 ? totals[n / 2] : 0.5 * (totals[n / 2 - 1] + totals[n / 2]);
  }

  // irace's candidate bound for a run at the race's step k: what the bounding configurations'
  // median mean allows over steps 0..k, less what the configuration spent before step k; if
  // that is spent, one instance's worth.
  double capped_at(double bound, int64_t k, double spent_before) const {
    const double mean = bound / static_cast<double>(k + 1);
    const double left = bound + kMinMeasurableSeconds - spent_before;
    return std::max(std::min(left > 0 ? left : mean, instances_.cutoff_seconds),
                    kMinMeasurableSeconds);
  }

  // A run of a configuration still alive on an instance past the race's step k. Under capping
  // (`bounding` set) the others run ahead only once the bounding configurations have finished
  // that far, capped as the race would cap them. Their own results still pending count as
  // nothing spent, which only loosens the cap: a run cut at it still loses.
  std::optional<NextRun> lookahead(int iteration, const std::vector<int64_t>& alive, int64_t k,
                                   const std::set<int64_t>* bounding) const {
    for (int64_t q = k + 1; q <= k + options_.lookahead && stream_.valid(position_at(q)); ++q) {
      for (int64_t id : alive) {
        if (table_.run(id, position_at(q)) != nullptr) continue;
        if (bounding == nullptr || bounding->contains(id)) {
          return NextRun{id, position_at(q), iteration, std::nullopt};
        }
        std::optional<double> bound = execution_bound(*bounding, q);
        if (!bound) continue;
        double spent = 0;
        for (int64_t before = 0; before < q; ++before) {
          const Run* run = table_.run(id, position_at(before));
          if (run != nullptr && run->finished) spent += run->cost;
        }
        return NextRun{id, position_at(q), iteration, capped_at(*bound, q, spent)};
      }
    }
    return std::nullopt;
  }

  // irace's sampling: a parent elite chosen with weight by rank, then a configuration from the
  // parent's model. The first iteration samples uniformly, after the default. `salt` gives a
  // resampling after a soft restart its own random streams.
  std::vector<Planned> sample_new(int iteration, int64_t base, int64_t count,
                                  const std::vector<int64_t>& elites, RaceModel& model,
                                  uint64_t salt) {
    const SearchSpace& space = context_.space;
    std::vector<Planned> out;
    std::vector<Config> existing;
    for (int64_t id : elites) existing.push_back(*config_of(id));
    for (int64_t j = 0; j < count; ++j) {
      const int64_t id = base + j;
      if (iteration == 1 && j == 0) {
        // The space's default configuration races first, as irace's initial configurations
        // and SMAC's default do: a user's current settings are always among the contenders.
        Config config = space.default_config();
        existing.push_back(config);
        out.push_back({id, std::move(config)});
        continue;
      }
      std::mt19937_64 rng(mix_seed(
          seed_, static_cast<uint64_t>(iteration) * 1000003u + static_cast<uint64_t>(j) +
                     salt * 0x9E3779B97F4A7C15ull));
      std::uniform_real_distribution<double> uniform(0, 1);
      Config config;
      int64_t parent = -1;
      for (int attempt = 0; attempt < 100; ++attempt) {
        parent = -1;
        if (!elites.empty()) {
          // Weights n, n-1, ..., 1 by rank.
          const double n = static_cast<double>(elites.size());
          double pick = uniform(rng) * n * (n + 1) / 2;
          size_t chosen = 0;
          for (; chosen + 1 < elites.size(); ++chosen) {
            pick -= n - static_cast<double>(chosen);
            if (pick < 0) break;
          }
          parent = elites[chosen];
        }
        config = model.sample(parent, parent >= 0 ? config_of(parent) : nullptr, rng);
        if (space.is_forbidden(config)) continue;
        bool duplicate = std::any_of(existing.begin(), existing.end(), [&](const Config& c) {
          return c.size() == config.size() &&
                 std::equal(c.begin(), c.end(), config.begin(), [](const auto& a, const auto& b) {
                   return a.first == b.first && values_equal(a.second, b.second);
                 });
        });
        if (!duplicate || attempt == 99) break;
      }
      if (parent >= 0) model.set_parent(id, parent);
      existing.push_back(config);
      out.push_back({id, std::move(config)});
    }
    return out;
  }

  const SampleContext& context_;
  const InstanceSet& instances_;
  const RaceOptions& options_;
  uint64_t seed_;
  RunTable table_;
  InstanceStream stream_;
  int default_count_ = 2, iterations_ = 2, survivors_ = 2;
  int64_t budget_ = 1000;
  int64_t next_id_ = 0;
  std::map<int, std::map<int64_t, int64_t>> runs_by_iteration_;
  std::map<int64_t, std::set<int64_t>> seen_;  // positions each survivor's races decided
  // The current race's order of positions: race_order_, then race_frontier_ + 1, + 2, ...
  std::vector<int64_t> race_order_;
  int64_t race_frontier_ = 0;
  std::map<int64_t, Config> planned_;
  std::vector<Decision> decisions_;
  bool waiting_ = false;
};

class RaceSampler : public Sampler {
 public:
  RaceSampler(RaceOptions options, uint64_t seed) : options_(options), seed_(seed) {}
  std::string_view name() const override { return "race"; }

  std::optional<Config> sample(const SampleContext& context) override {
    if (context.instances == nullptr) {
      throw Error("sampler 'race' races configurations over instances: add an [instances] "
                  "section with the training instances to the study file");
    }
    if (context.directions.size() != 1) {
      throw Error("sampler 'race' optimises one objective, the run cost; the study has " +
                  std::to_string(context.directions.size()));
    }
    std::span<const TrialNotes> notes = notes_.read(context.history);
    configuration::check_instances_unchanged(notes, InstanceStream(*context.instances, seed_));
    Replay replay(context, notes, options_, seed_);
    std::optional<NextRun> next = replay.next();
    if (!next) {
      if (context.waiting != nullptr) *context.waiting = replay.waiting();
      return std::nullopt;
    }
    if (context.trial_attrs != nullptr) {
      InstanceStream stream(*context.instances, seed_);
      auto& attrs = *context.trial_attrs;
      configuration::describe_run(stream, *context.instances, next->configuration,
                                  next->position, next->cap, attrs);
      attrs[std::string(kIterationAttr)] = std::to_string(next->iteration);
      configuration::record_new_decisions(notes_, replay.decisions(), attrs);
    }
    return *replay.config_of(next->configuration);
  }

  std::string closing_decisions(const SampleContext& context) override {
    if (context.instances == nullptr || context.directions.size() != 1) return "";
    std::span<const TrialNotes> notes = notes_.read(context.history);
    Replay replay(context, notes, options_, seed_);
    replay.next();  // decides what the finished runs allow on its way to the next run
    return configuration::unrecorded_decisions(notes_, replay.decisions());
  }

 private:
  RaceOptions options_;
  uint64_t seed_;
  configuration::TrialNotesCache notes_;
};

}  // namespace

std::unique_ptr<Sampler> create_race_sampler(const SamplerOptions& options, uint64_t seed) {
  SamplerOptionReader reader("race", options);
  RaceOptions race;
  race.confidence = reader.get_double("confidence", race.confidence);
  if (!(race.confidence > 0.5 && race.confidence < 1)) {
    throw Error("sampler 'race': confidence must be between 0.5 and 1 (exclusive)");
  }
  race.first_test = static_cast<int>(reader.get_int("first_test", race.first_test, 2));
  race.each_test = static_cast<int>(reader.get_int("each_test", race.each_test, 1));
  std::string test = reader.get_string("test", "auto");
  if (test == "friedman") {
    race.test = RaceOptions::Test::kFriedman;
  } else if (test == "t") {
    race.test = RaceOptions::Test::kT;
  } else if (test != "auto") {
    throw Error("sampler 'race': test '" + test + "' is not one of auto, friedman, t");
  }
  std::string dominance = reader.get_string("dominance", "after_first_test");
  if (dominance == "always") {
    race.dominance = RaceOptions::Dominance::kAlways;
  } else if (dominance == "after_first_test") {
    race.dominance = RaceOptions::Dominance::kAfterFirstTest;
  } else if (dominance == "off") {
    race.dominance = RaceOptions::Dominance::kOff;
  } else {
    throw Error("sampler 'race': dominance '" + dominance +
                "' is not one of off, after_first_test, always");
  }
  race.iterations = static_cast<int>(reader.get_int("iterations", 0, 0));
  race.survivors = static_cast<int>(reader.get_int("survivors", 0, 0));
  reader.finish();
  return std::make_unique<RaceSampler>(race, seed);
}

}  // namespace winnow
