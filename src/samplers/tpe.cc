// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Tree-structured Parzen estimator (Bergstra et al., "Algorithms for Hyper-Parameter
// Optimization", NeurIPS 2011), as refined in Optuna's TPESampler (optuna/samplers/_tpe/
// sampler.py, v3.x/4.x) and analysed in Watanabe, "Tree-structured Parzen estimator:
// Understanding its algorithm components and their roles for better empirical performance", 2023.
//
// Each proposal: rank the finished trials, put the best gamma(n) in the "good" set and the rest in
// the "bad" set, fit a Parzen estimator l(x) to the good and g(x) to the bad configurations
// (parzen_estimator.h), draw n_candidates points from l and keep the one with the largest
// log l(x) - log g(x) (Bergstra et al. show the expected improvement to be a monotone function
// of l(x) / g(x); Optuna's c-TPE form of the acquisition has the same argmax without
// constraints).
//
// Options (`tpe:key=value,...`):
//   n_startup = 10          random proposals until this many trials are complete or pruned.
//   n_candidates = 24       candidates drawn from l(x) per group of parameters.
//   multivariate = true     one joint kernel over each group's parameters (Optuna: false).
//   group = true            model groups of parameters that were active in the same trials
//                           separately (Optuna's _GroupDecomposedSearchSpace; Optuna: false).
//                           Needs multivariate. With group = false the parameters active in
//                           every trial form one group and the others are modelled one by one.
//   constant_liar = true    running trials count as bad, so parallel workers spread out
//                           (Optuna: false).
//   gamma = 0.1             good set size min(ceil(gamma * n), 25) (Optuna's default_gamma).
//   prior_weight = 1.0      weight of the prior kernel (with EI weights, and with several
//                           objectives: times the mean weight of the good observations).
//   consider_endpoints = false   whether 0 and 1 count as neighbours in the neighbour rule.
//   bandwidth = neighbour   neighbour: Optuna's univariate rule (Hyperopt's), per coordinate;
//                           scott: Optuna's multivariate rule 0.2 n^(-1/(d+4)) (needs
//                           multivariate).
//   weights                 of the good observations: ei (Watanabe 2023's "EI": each weighs
//                           its improvement over the best bad trial) or optuna (Optuna's
//                           default_weights). Bad observations always get default_weights.
//   min_bandwidth, clip_exponent   the magic clip: sigma >= max(min_bandwidth,
//                           (n + 2)^-clip_exponent) in the unit cube (Optuna: 0.01 and 1).
//   constraint_model = true c-TPE's feasibility model (below); false leaves constraints to the
//                           ranking of the split alone.
//   reference_margin        several objectives: the reference point of the hypervolumes that
//                           choose and weigh the good set lies this fraction of each
//                           objective's spread beyond its worst value (tpe_split.h; default
//                           0.5 with two objectives, 0.1 with more).
//   normalized = true       false: continuous kernels are not divided by their bandwidth, as in
//                           Optuna < 3.5 (for comparisons; see below).
//   recombine               fraction of the candidates drawn coordinate by coordinate, each
//                           coordinate from its own randomly chosen kernel of l(x) (the
//                           product of l's marginals), then scored by the joint density ratio
//                           like the others; default 1 with several objectives and more than
//                           10 parameters in a group, else 0 (see below).
//   max_observations = 1000 most trials one Parzen estimator models; past it, g(x) (and c-TPE's
//                           l_c and g_c) model a stratified sample of their trials (below).
// The last three default to settings from Watanabe 2023's ablations in the multivariate mode,
// weights = ei, min_bandwidth = 0.03, clip_exponent = 2 (the values the paper's repository,
// github.com/nabenabe0928/tpe, runs, there with gamma = 0.15; 0.1 did better on our suite), and
// to Optuna's in the univariate mode,
// weights = optuna, min_bandwidth = 0.01, clip_exponent = 1, where `tpe:multivariate=false` is
// Optuna >= 3.5's default TPESampler (constant_liar aside, which only matters in parallel).
// Why not Optuna's multivariate defaults: on bench/sampler_suite they lost to Optuna 3.1's
// default TPE; with the neighbour bandwidth, EI weights and this clip they win on all but the
// conditional "mixed", where EI's strong pull towards the best trials keeps runs in the first
// good branch (docs/benchmarks.md). Optuna
// 3.1's continuous densities lack the 1/sigma factor (fixed in 3.5, PR 5110), which flattens
// its acquisition; ours are normalised as in current Optuna (normalized = false restores 3.1's:
// with multivariate = false that reproduced Optuna 3.1's multi-objective TPE on ZDT1-3, but lost
// on DTLZ2 and to our defaults at longer runs).
//
// Trials (tpe_split.h has the details): complete feasible trials are ranked by value (maximised
// objectives negated); pruned ones after them by (last step descending, value at it); infeasible
// ones (a constraint value > 0, FrozenTrial::constraints) last, by total violation, so the good
// set prefers feasible, then least-violating configurations (Optuna's TPESampler with a
// constraints_func); trials without constraint values are feasible. Failed and waiting trials
// are ignored; running ones go to the bad set when constant_liar is on.
//
// Constraints (c-TPE: Watanabe and Hutter, "c-TPE: Tree-structured Parzen estimator with
// inequality constraints for expensive hyperparameter optimization", IJCAI 2023): for each
// constraint that some finished trials satisfy and others violate, a Parzen estimator l_c(x)
// of the satisfying and g_c(x) of the violating configurations (same options and prior as l and
// g, default_weights), and the acquisition becomes the paper's eq. 6, the sum of
// log 1 / (gamma + (1 - gamma) g(x) / l(x)) over the objective (gamma: its share of good
// trials) and each constraint (gamma_c: its share of satisfying trials; tpe_split.h,
// log_probability_of_improvement). Ranking feasible trials first alone kept only 72% of the
// proposals feasible on a disc covering 20% of the square (TpeSampler.ProposesMostlyFeasible-
// ConfigurationsUnderConstraints): the rest were draws from l(x)'s prior kernel, which won
// on log l - log g far from every observation; the feasibility term scores them down (93%).
// Deviations: candidates come from l(x) only (the paper also draws from every l_c), which
// already gave 93%; the objective keeps its feasible-first split rather than the paper's
// "quantile of all trials, widened until it holds enough feasible ones"; a constraint is
// modelled per group of parameters, from the trials where the whole group was active, like
// the objective (in the univariate mode, one parameter at a time: 94% on the disc); and
// without a modelled constraint the plain log l - log g is kept (the same argmax).
//
// Several objectives (MOTPE: Ozaki, Tanigaki, Watanabe, Nomura, Onishi, "Multiobjective
// tree-structured Parzen estimator", JAIR 73, 2022, as in Optuna's TPESampler): the good set is
// filled by non-domination rank, the front that does not fit whole cut by greedy hypervolume
// subset selection, and l(x) weighs each good trial by its hypervolume contribution among them
// (relative to the largest, floored at 1e-3; `weights` applies to one objective only). The
// reference point is analysis/hypervolume.h's default_reference_point with a margin of half the
// spread (a tenth with three or more objectives), not Optuna's max(1.1 w, 0.9 w), which is not invariant to shifting an objective. `motpe` is registered as
// another name of this sampler: TPE handles several objectives with the same defaults (but
// recombination, below), since
// none of gamma = 0.15 or 0.25, a floor of 1e-12 (Optuna's) or 0.1, or Optuna's unscaled prior
// did better on ZDT1, ZDT2 and DTLZ2, where MOTPE's hypervolume also beat the earlier
// crowding-distance split at every budget measured (docs/benchmarks.md).
//
// Recombined candidates: with one joint kernel per good trial, a candidate is a perturbation of
// one good configuration; in many dimensions ten good trials span little. Drawing each coordinate
// from its own kernel mixes good trials the way univariate TPE does, while the joint score keeps
// what the multivariate model knows. On bench/mo_suite it raised the median hypervolume on
// ZDT1-3 (30 parameters) and DTLZ2 (12), but lowered it on the 6-parameter XGBoost trade-off,
// whose objectives hinge on pairs of parameters; hence the threshold of 10. With one objective
// it won about as often as it lost on bench/sampler_suite, so it is off there
// (docs/benchmarks.md has the figures).
//
// Other deviations from Optuna, on purpose:
//   * everything runs in Winnow's unit-cube encoding, so log scales and discrete cells are
//     handled once, in parzen_estimator.cc (log ints get the mass of their cell, as Optuna has
//     since PR 6258);
//   * ordinals are modelled as discrete values on their index rather than as categoricals;
//   * a parameter never active in a finished trial gets a uniform random value;
//   * with forbidden clauses, the candidates are tried in acquisition order (the k-th attempt
//     takes every group's k-th best candidate) and uniform random draws follow if all fail;
//   * past max_observations trials, an estimator models a stratified sample of at most that
//     many of them in trial-number order (tpe_history.h, stratified_sample): the newest, which
//     default_weights weighs the most, whole, and the older ones merged into stretches of equal
//     weight, each represented by one of its trials (drawn in proportion to weight) that weighs
//     what the stretch weighs. The mixture keeps its weight over the history and in expectation
//     its density, while its cost stops growing; Optuna models every trial, so its asks cost
//     time in proportion to the study. With the default gamma only the bad set gets that large
//     (the good set holds at most 25 trials); below the cap nothing changes. In a conditional
//     space the sample is drawn before a group keeps the trials where it was active, so a
//     group models the kept trials where it was active, with their stretches' weights and, for
//     c-TPE's gamma, their stretches' sizes (docs/benchmarks.md compares it with modelling
//     every trial).
//
// Cost: the sampler keeps a view of the history (tpe_history.h) that each ask brings up to date
// with the trials that are new or were unfinished, so nothing is encoded, classified or sorted
// twice; the split runs on the trials that can still be good (with several objectives, of the
// trials fewer than 25 others dominate, the fronts it reaches), and no estimator models more
// than max_observations trials. Past that, an ask costs about the same however large the study
// (docs/benchmarks.md has the figures); the first ask of a sampler reads the whole history
// once. The estimators' storage is reused between proposals.

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "samplers/parzen_estimator.h"
#include "common/math_constants.h"
#include "samplers/registry.h"
#include "samplers/sampler_util.h"
#include "samplers/tpe_history.h"
#include "samplers/tpe_options.h"
#include "samplers/tpe_split.h"
#include "winnow/error.h"

namespace winnow {
namespace {

constexpr size_t kMaxGood = 25;  // Optuna's default_gamma cap

// A trial that takes part in the model.
struct Observed {
  int64_t number;
  // Complete feasible trials of a single-objective study: the value, minimised; else NaN.
  double loss;
  const double* x;  // unit-cube encoding (TpeHistory)
  const uint8_t* active;
  // With several objectives, a good trial's weight in l(x) (tpe_split.h); else NaN.
  double weight = std::numeric_limits<double>::quiet_NaN();
  // In a stratified sample (ObservationList::sampled): the summed default weight of the trials
  // it stands for, and how many they are.
  double stratum_weight = 1.0;
  size_t stratum_count = 1;
};

// The observations of one Parzen estimator, in trial-number order: all of them, weighed by
// default_weights over those of a group's trials where the group was active; or, past
// max_observations, a stratified sample (tpe_history.h, stratified_sample) whose members carry
// their strata's weights.
struct ObservationList {
  std::vector<Observed> members;
  bool sampled = false;
};

// c-TPE's data for one constraint (tpe_split.h, split_by_constraints): the finished trials that
// satisfy it and those that violate it.
struct ConstraintModel {
  ObservationList feasible, infeasible;
};

class TpeSampler : public Sampler {
 public:
  TpeSampler(std::string name, TpeOptions options, uint64_t seed)
      : name_(std::move(name)),
        options_(options),
        seed_(seed),
        history_(options.constant_liar, kMaxGood) {}
  std::string_view name() const override { return name_; }

  std::optional<Config> sample(const SampleContext& context) override {
    const SearchSpace& space = context.space;
    prepare(space);
    // The n-th proposal depends only on (seed, n) and the history; the first draws of this
    // stream are the random sampler's, so the start-up phase matches `random` with the same seed.
    UnitStream rng(mix_seed(seed_, stream_position(context)));
    std::vector<double> x(space.size());
    auto random_draw = [&](int) {
      for (double& v : x) v = rng.uniform();
      return space.decode(x);
    };

    history_.sync(space, context.history, context.directions);
    size_t n = history_.finished_count();
    if (static_cast<int64_t>(n) < options_.n_startup) return draw_allowed(space, random_draw);

    std::vector<Observed> good;
    ObservationList bad;
    // The best loss in the bad set, for the EI weights of the good set (single objective).
    double ei_threshold = kInfinity;
    split(context, good, bad, ei_threshold);

    // Parameters outside every modelled group keep these uniform draws.
    for (double& v : x) v = rng.uniform();
    std::vector<std::vector<size_t>> groups = make_groups();
    std::vector<ConstraintModel> constraints;
    if (options_.constraint_model) constraints = constraint_models();

    // Each group's candidates, best first.
    const size_t n_candidates = static_cast<size_t>(options_.n_candidates);
    std::vector<std::vector<double>> candidates(groups.size());
    if (estimators_.size() < 2 * groups.size()) estimators_.resize(2 * groups.size());
    for (size_t g = 0; g < groups.size(); ++g) {
      const double recombine = recombine_fraction(context.directions.size(), groups[g].size());
      candidates[g] = ranked_candidates(groups[g], good, bad, constraints, ei_threshold, recombine,
                                        rng, estimators_[2 * g], estimators_[2 * g + 1]);
    }
    for (size_t attempt = 0; attempt < n_candidates; ++attempt) {
      for (size_t g = 0; g < groups.size(); ++g) {
        const double* row = &candidates[g][attempt * groups[g].size()];
        for (size_t j = 0; j < groups[g].size(); ++j) x[groups[g][j]] = row[j];
      }
      Config config = space.decode(x);
      if (!space.is_forbidden(config)) return config;
      if (groups.empty()) break;  // nothing modelled: every attempt would be the same
    }
    return draw_allowed(space, random_draw);
  }

 private:
  // Per-space data, rebuilt when the sampler meets a different space.
  void prepare(const SearchSpace& space) {
    if (space_ == &space && dims_.size() == space.size()) return;
    space_ = &space;
    dims_.clear();
    for (const ParamSpec& spec : space.params()) dims_.push_back(ParzenDimension::from_spec(spec));
    history_.reset();
  }

  Observed observed(int64_t number) const {
    return {number, history_.loss(number), history_.x(number), history_.active(number)};
  }

  // The trials `numbers` (increasing) but those in `skip` (increasing, a subset of them) as one
  // estimator's observations: all of them up to max_observations, else a stratified sample.
  ObservationList observations(const std::vector<int64_t>& numbers,
                               std::span<const int64_t> skip) const {
    ObservationList list;
    const size_t n = numbers.size() - skip.size();
    const auto cap = static_cast<size_t>(options_.max_observations);
    if (n <= cap) {
      list.members.reserve(n);
      size_t k = 0;
      for (int64_t number : numbers) {
        if (k < skip.size() && skip[k] == number) {
          ++k;
          continue;
        }
        list.members.push_back(observed(number));
      }
      return list;
    }
    list.sampled = true;
    list.members.reserve(cap);
    for (const KeptTrial& kept : stratified_trials(numbers, skip, cap)) {
      Observed o = observed(kept.number);
      o.stratum_weight = kept.weight;
      o.stratum_count = kept.count;
      list.members.push_back(o);
    }
    return list;
  }

  // Splits into the good and bad sets as Optuna's _split_trials (tpe_split.h): the best complete
  // feasible trials, topped up with the best pruned ones, then the least infeasible ones, if
  // there are too few; running trials are bad. The split runs on the history's candidates of
  // the good set, which give the same good set as all finished trials (tpe_history.h). Both
  // sets come out in trial-number order (the order default_weights assumes).
  void split(const SampleContext& context, std::vector<Observed>& good, ObservationList& bad,
             double& ei_threshold) const {
    // ceil(0.1 * n) in doubles, as Optuna computes it (so 0.1 * 30 rounds up to 4).
    size_t n_good = std::min(static_cast<size_t>(std::ceil(
                                 options_.gamma * static_cast<double>(history_.finished_count()))),
                             kMaxGood);
    std::vector<const FrozenTrial*> candidates = history_.good_candidates(n_good);
    TpeSplit chosen = split_finished_trials(candidates, context.directions, n_good,
                                            options_.reference_margin);
    std::vector<int64_t> good_numbers;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (!chosen.good[i]) continue;
      Observed o = observed(candidates[i]->number);
      if (!chosen.weights.empty()) o.weight = chosen.weights[i];
      good.push_back(o);
      good_numbers.push_back(o.number);
    }
    auto by_number = [](const Observed& a, const Observed& b) { return a.number < b.number; };
    std::sort(good.begin(), good.end(), by_number);
    std::sort(good_numbers.begin(), good_numbers.end());
    bad = observations(history_.modelled(), good_numbers);
    ei_threshold = history_.best_loss_outside(good_numbers);
  }

  // The constraints that have both feasible and infeasible finished trials, with those trials.
  std::vector<ConstraintModel> constraint_models() const {
    std::vector<ConstraintModel> models;
    for (size_t c = 0; c < history_.constraint_count(); ++c) {
      if (history_.satisfying(c).empty() || history_.violating(c).empty()) continue;
      ConstraintModel& model = models.emplace_back();
      model.feasible = observations(history_.satisfying(c), {});
      model.infeasible = observations(history_.violating(c), {});
    }
    return models;
  }

  // The groups of parameters modelled jointly, from which parameters were active in which
  // finished trials. Parameters with a single value, or never active yet, are left out.
  std::vector<std::vector<size_t>> make_groups() const {
    const size_t d = dims_.size();
    std::vector<std::vector<size_t>> groups;
    std::vector<size_t> joint;  // group = false: the parameters active in every trial
    for (size_t p = 0; p < d; ++p) {
      if (!history_.ever_active(p) || dims_[p].cells == 1) continue;
      if (!options_.multivariate) {
        groups.push_back({p});
      } else if (!options_.group) {
        if (history_.always_active(p)) {
          joint.push_back(p);
        } else {
          groups.push_back({p});
        }
      } else {
        // Optuna's _SearchSpaceGroup splits groups by "in this trial or not" for every trial,
        // which leaves exactly the parameters with equal activity patterns together.
        auto same = std::find_if(groups.begin(), groups.end(), [&](const std::vector<size_t>& g) {
          return history_.activity_class(g.front()) == history_.activity_class(p);
        });
        if (same == groups.end()) {
          groups.push_back({p});
        } else {
          same->push_back(p);
        }
      }
    }
    if (!joint.empty()) groups.insert(groups.begin(), std::move(joint));
    return groups;
  }

  // Draws the group's candidates from l(x) and returns them (n_candidates x group size,
  // row-major) sorted by log l(x) - log g(x), best first.
  // `l` and `g` are refitted here (their storage is reused from earlier proposals).
  std::vector<double> ranked_candidates(const std::vector<size_t>& group,
                                        const std::vector<Observed>& good,
                                        const ObservationList& bad,
                                        const std::vector<ConstraintModel>& constraints,
                                        double ei_threshold, double recombine, UnitStream& rng,
                                        ParzenEstimator& l, ParzenEstimator& g) {
    std::vector<ParzenDimension> dims;
    for (size_t p : group) dims.push_back(dims_[p]);
    ParzenOptions parzen{.prior_weight = options_.prior_weight,
                         .bandwidth = options_.bandwidth,
                         .consider_endpoints = options_.consider_endpoints,
                         .min_bandwidth = options_.min_bandwidth,
                         .clip_exponent = options_.clip_exponent,
                         .normalized = options_.normalized};
    // A group is modelled only from the trials in which all its parameters were active.
    std::vector<double> values, losses, weights, stratum_weights;
    size_t represented = 0;  // trials the gathered observations stand for
    auto gather = [&](const std::vector<Observed>& trials) {
      values.clear();
      losses.clear();
      weights.clear();
      stratum_weights.clear();
      represented = 0;
      for (const Observed& o : trials) {
        if (!std::all_of(group.begin(), group.end(), [&](size_t p) { return o.active[p] != 0; })) {
          continue;
        }
        for (size_t p : group) values.push_back(o.x[p]);
        losses.push_back(o.loss);
        weights.push_back(o.weight);
        stratum_weights.push_back(o.stratum_weight);
        represented += o.stratum_count;
      }
      return losses.size();
    };
    // Weights of a list's gathered observations: Optuna's default_weights over them, or in a
    // stratified sample the strata's (whose active members' share the gathered ones estimate).
    auto list_weights = [&](const ObservationList& list, size_t count) {
      return list.sampled ? stratum_weights : default_weights(count);
    };

    size_t count = gather(good);
    if (count > 0 && !std::isnan(weights[0])) {
      // Several objectives: MOTPE's hypervolume-contribution weights (tpe_split.h), the prior
      // weighing prior_weight times their mean, as with the EI weights below (Optuna: just
      // prior_weight). The two did equally well on ZDT1, ZDT2 and DTLZ2; with constraints the
      // stronger prior explores more and proposed fewer feasible configurations (as
      // TpeSampler.ProposesMostlyFeasibleConfigurationsUnderConstraints measures).
      double mean = std::accumulate(weights.begin(), weights.end(), 0.0) /
                    static_cast<double>(count);
      ParzenOptions weighted = parzen;
      weighted.prior_weight = options_.prior_weight * mean;
      l.fit(dims, values, weights, weighted);
    } else if (options_.ei_weights && std::isfinite(ei_threshold) && count > 0) {
      // Watanabe 2023's "EI" weighting (the improvement in the expected improvement's
      // integrand): a good observation weighs its improvement over the best bad one, and the
      // prior the mean of those (times prior_weight), as in the paper's implementation
      // (OptunaHub tpe_tutorial). The threshold is finite only when some bad trial is complete
      // and feasible, and then every good trial is (pruned and infeasible ones join only when
      // those run out).
      weights.resize(count);
      double mean = 0.0;
      for (size_t i = 0; i < count; ++i) {
        weights[i] = std::max(1e-12, ei_threshold - losses[i]);
        mean += weights[i] / static_cast<double>(count);
      }
      ParzenOptions weighted = parzen;
      weighted.prior_weight = options_.prior_weight * mean;
      l.fit(dims, values, weights, weighted);
    } else {
      l.fit(dims, values, default_weights(count), parzen);
    }
    const size_t n_good = count;
    count = gather(bad.members);
    g.fit(dims, values, list_weights(bad, count), parzen);
    const size_t n_bad = represented;

    const size_t n_candidates = static_cast<size_t>(options_.n_candidates);
    std::vector<double> drawn;
    drawn.reserve(n_candidates * group.size());
    l.sample(rng, n_candidates, drawn, recombine);
    std::vector<double> log_l = l.log_pdf(drawn), log_g = g.log_pdf(drawn);
    std::vector<double> score(n_candidates);
    for (size_t i = 0; i < n_candidates; ++i) {
      score[i] = log_l[i] - log_g[i];
      if (std::isnan(score[i])) score[i] = -kInfinity;
    }
    // c-TPE (Watanabe and Hutter 2023, eq. 6): the sum of the log probabilities of improvement
    // of the objective and of every constraint that this group's trials observe on both sides.
    // Without such a constraint the plain log l(x) - log g(x) stays: it has the same argmax.
    bool constrained = false;
    for (const ConstraintModel& model : constraints) {
      if (gather(model.feasible.members) == 0) continue;
      feasible_.fit(dims, values, list_weights(model.feasible, losses.size()), parzen);
      const size_t n_feasible = represented;
      if (gather(model.infeasible.members) == 0) continue;
      infeasible_.fit(dims, values, list_weights(model.infeasible, losses.size()), parzen);
      const size_t n_infeasible = represented;
      if (!constrained) {
        // The objective's gamma is this group's share of good trials (at least one counted,
        // so that a group no good trial reaches keeps a finite term).
        const double gamma = std::min(
            1.0, static_cast<double>(std::max<size_t>(n_good, 1)) /
                     static_cast<double>(std::max<size_t>(n_good + n_bad, 1)));
        for (double& v : score) v = log_probability_of_improvement(gamma, v);
        constrained = true;
      }
      const double gamma = static_cast<double>(n_feasible) /
                           static_cast<double>(n_feasible + n_infeasible);
      std::vector<double> log_lc = feasible_.log_pdf(drawn), log_gc = infeasible_.log_pdf(drawn);
      for (size_t i = 0; i < n_candidates; ++i) {
        score[i] += log_probability_of_improvement(gamma, log_lc[i] - log_gc[i]);
      }
    }
    std::vector<size_t> order(n_candidates);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return score[a] > score[b]; });
    std::vector<double> ranked;
    ranked.reserve(drawn.size());
    for (size_t i : order) {
      ranked.insert(ranked.end(), drawn.begin() + static_cast<ptrdiff_t>(i * group.size()),
                    drawn.begin() + static_cast<ptrdiff_t>((i + 1) * group.size()));
    }
    return ranked;
  }

  // With several objectives and more than kRecombineAbove parameters in a group, candidates are
  // drawn from the product of l(x)'s marginals (each coordinate from its own randomly chosen
  // kernel) and still scored by the joint log l(x) - log g(x); see the top of this file.
  static constexpr size_t kRecombineAbove = 10;
  double recombine_fraction(size_t n_objectives, size_t group_size) const {
    if (options_.recombine) return *options_.recombine;
    return n_objectives > 1 && group_size > kRecombineAbove ? 1.0 : 0.0;
  }

  std::string name_;
  TpeOptions options_;
  uint64_t seed_;
  const SearchSpace* space_ = nullptr;
  std::vector<ParzenDimension> dims_;
  // Two estimators (good, bad) per group, kept so that their storage is reused.
  std::vector<ParzenEstimator> estimators_;
  // One constraint's l_c (feasible) and g_c (infeasible), refitted for each constraint.
  ParzenEstimator feasible_, infeasible_;
  // The history as of the last proposal, brought up to date by each one.
  TpeHistory history_;
};

// `name` is what the user asked for ("tpe" or "motpe"), for the messages.
std::unique_ptr<Sampler> create_named_tpe_sampler(const std::string& name,
                                                  const SamplerOptions& options, uint64_t seed) {
  return std::make_unique<TpeSampler>(name, parse_tpe_options(name, options), seed);
}

}  // namespace

std::unique_ptr<Sampler> create_tpe_sampler(const SamplerOptions& options, uint64_t seed) {
  return create_named_tpe_sampler("tpe", options, seed);
}

std::unique_ptr<Sampler> create_motpe_sampler(const SamplerOptions& options, uint64_t seed) {
  return create_named_tpe_sampler("motpe", options, seed);
}

}  // namespace winnow
