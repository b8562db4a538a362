// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// NSGA-II sampler ("nsga2"): the elitist genetic algorithm of Deb, Pratap, Agarwal, Meyarivan,
// "A fast and elitist multiobjective genetic algorithm: NSGA-II", IEEE TEC 6(2), 2002, with the
// constrained domination of its section VI (Deb's feasibility rules). With one objective it is a
// plain elitist GA. Modelled on Optuna's NSGAIISampler, but with the paper's polynomial mutation.
//
// Options (`nsga2:key=value,...`):
//   population_size  N, the size of each generation and of the parent population. >= 2.
//                    Default 50.
//   crossover        how two parents' numeric parameters combine: "sbx" (simulated binary
//                    crossover), "uniform" (each parameter from either parent) or "blxalpha"
//                    (BLX-0.5). Default sbx.
//   crossover_prob   probability that a child is a crossover of two parents rather than a copy of
//                    one, in [0, 1]. Default 0.9.
//   swapping_prob    uniform crossover (categoricals always, numbers with crossover=uniform):
//                    probability of taking the second parent's value, in [0, 1]. Default 0.5.
//   mutation_prob    per-parameter mutation probability, in [0, 1]. Default 1 / n_params.
//   eta_c            distribution index of SBX, >= 0 (larger: children closer to their parents).
//                    Default 20.
//   eta_m            distribution index of polynomial mutation, >= 0. Default 20.
//   parents          where the parents come from: "generations" (the paper's, below) or "all"
//                    (steady state, below). Default generations.
//
// Generations. Every proposal notes its generation in the trial's user attributes,
// "winnow.nsga2": {"generation": g}. Generation 0 is uniform random. Generation g is full once
// N of its trials are finished (complete, failed or pruned); a trial asked before that belongs
// to g, so asks never wait for running trials and parallel workers may overfill a generation.
// The parents of generation g + 1 are the elite of the complete trials of generation g together
// with the parents of generation g (mu + lambda, section III-C): fronts of the constrained
// non-dominated sort in order, the front that does not fit cut by crowding distance (ties: lower
// trial number first). Trials without a note (enqueued, or proposed by another sampler) take no
// part, as in Optuna. Every proposal is a function of the history, and its random variates come
// from a counter-based stream keyed by (seed, trial count), so a resumed study proposes exactly
// what the uninterrupted one would. When the caller keeps no notes (trial_attrs is null) the
// sampler remembers its own proposals by configuration, which serves one process but not a
// resume. What it derives from the history is kept between asks, so an ask does not cost more
// as the study grows: each trial's generation is read once (history_reader.h), and the parents
// chosen after a generation whose trials have all finished are kept, since nothing can change
// them; each ask walks only the generations after the last such one.
//
// Steady state (parents=all), for a portfolio in which NSGA-II proposes only some of the trials
// (auto.cc): the parents are the elite of every complete trial, whichever sampler proposed it, as
// in the (mu + 1) steady-state NSGA-II: the trials are folded into the parent population one at
// a time in number order (the elite of the parents and the one trial), as far as the first trial
// still unfinished; complete trials past it join the parents of each ask without being folded,
// so every proposal is still a function of the history, and a resume proposes what the
// uninterrupted study would. Proposals carry no generation note.
//
// Making a child, all in the unit-cube encoding (winnow/space.h), where ints are widened by half
// a step and log ranges are in log space, so the operators act on each parameter's own scale:
//   1. parent 1 by binary tournament on (rank, crowding distance) (section III-C's crowded
//      comparison), using the values from the elite selection;
//   2. with probability crossover_prob, parent 2 by another tournament among the others, then
//      per parameter: categoricals by uniform crossover; numbers (floats, ints, ordinals) by
//      the chosen crossover. Otherwise the child copies parent 1.
//   3. per parameter with probability mutation_prob: numbers by polynomial mutation,
//      categoricals by a uniform redraw.
//   4. decode, which rounds ints and steps and drops parameters whose condition is false. A
//      child that a forbidden clause rules out is made again from a later stream (draw_allowed).
// A parameter that is inactive in a parent has no value there; the parent contributes a uniform
// random one instead (Optuna samples such parameters independently at random).
//
// Deliberate differences from Optuna's NSGAIISampler: failed and pruned trials count towards a
// full generation (Optuna waits for N complete ones); mutation is polynomial for numbers (Optuna
// redraws a mutated parameter uniformly); a copy (no crossover) takes a tournament winner
// rather than a uniformly chosen parent; BLX-alpha draws each gene uniformly from its interval
// clipped to the bounds (the distribution Optuna's rejection loop gives, without the loop);
// tournament ties and crowding ties are broken by trial number rather than at random.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "analysis/pareto.h"
#include "common/param_json.h"
#include "samplers/history_reader.h"
#include "samplers/registry.h"
#include "samplers/sampler_util.h"
#include "winnow/error.h"

namespace winnow {
namespace {

const std::string kNoteKey(kNsga2NoteAttr);
constexpr double kBlxAlpha = 0.5;
// Parents closer than this in a coordinate are treated as equal by SBX (as in Deb's code).
constexpr double kSbxMinimumGap = 1e-14;

enum class CrossoverKind { kSbx, kUniform, kBlxAlpha };

struct Nsga2Options {
  int64_t population_size = 50;
  CrossoverKind crossover = CrossoverKind::kSbx;
  double crossover_prob = 0.9;
  double swapping_prob = 0.5;
  std::optional<double> mutation_prob;  // nullopt: 1 / n_params
  double eta_c = 20.0;
  double eta_m = 20.0;
  bool steady_state = false;  // parents=all
};

// Uniform variates from SplitMix64 over (key, counter): cheap per proposal and identical on
// every platform.
class VariateStream {
 public:
  explicit VariateStream(uint64_t key) : key_(key) {}
  double uniform() { return static_cast<double>(mix_seed(key_, counter_++) >> 11) * 0x1.0p-53; }
  size_t index(size_t n) {  // uniform in [0, n), n > 0
    return std::min(n - 1, static_cast<size_t>(uniform() * static_cast<double>(n)));
  }

 private:
  uint64_t key_;
  uint64_t counter_ = 0;
};

// A member of a parent population, with its place in the crowded comparison.
struct Parent {
  const FrozenTrial* trial = nullptr;
  UnitPoint point;
  size_t rank = 0;
  double crowding = 0.0;
};

std::optional<int64_t> generation_from_json(const std::string& text) {
  // Every ask reads every note, so the form this sampler writes is parsed without a JSON parser.
  constexpr std::string_view kPrefix = "{\"generation\":";
  if (text.size() > kPrefix.size() + 1 && text.size() < kPrefix.size() + 12 &&
      text.starts_with(kPrefix) && text.back() == '}') {
    int64_t g = 0;
    auto [end, error] =
        std::from_chars(text.data() + kPrefix.size(), text.data() + text.size() - 1, g);
    if (error == std::errc() && end == text.data() + text.size() - 1 && g >= 0) return g;
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto it = j.find("generation");
  if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() < 0) return std::nullopt;
  return it->get<int64_t>();
}

// Simulated binary crossover of one coordinate in [0, 1] (Deb & Agrawal, "Simulated binary
// crossover for continuous search space", Complex Systems 9, 1995), in the bounded form of Deb's
// NSGA-II code: each coordinate crosses with probability 1/2, the spread factor's distribution
// is truncated so both children stay inside the bounds, and the child takes one of the two
// offspring at random.
double sbx(double x1, double x2, double eta, VariateStream& stream) {
  if (stream.uniform() >= 0.5 || std::abs(x1 - x2) <= kSbxMinimumGap) {
    return stream.uniform() < 0.5 ? x1 : x2;
  }
  double y1 = std::min(x1, x2), y2 = std::max(x1, x2), gap = y2 - y1;
  double u = stream.uniform();
  auto spread = [&](double beta) {  // beta_q for the side whose distance to its bound gives beta
    double alpha = 2.0 - std::pow(beta, -(eta + 1.0));
    return u <= 1.0 / alpha ? std::pow(u * alpha, 1.0 / (eta + 1.0))
                            : std::pow(1.0 / (2.0 - u * alpha), 1.0 / (eta + 1.0));
  };
  double c1 = 0.5 * ((y1 + y2) - spread(1.0 + 2.0 * y1 / gap) * gap);
  double c2 = 0.5 * ((y1 + y2) + spread(1.0 + 2.0 * (1.0 - y2) / gap) * gap);
  return std::clamp(stream.uniform() < 0.5 ? c1 : c2, 0.0, 1.0);
}

// BLX-alpha (Eshelman & Schaffer 1993): uniform on [min - alpha d, max + alpha d], d = |x1 - x2|,
// here restricted to [0, 1].
double blx_alpha(double x1, double x2, VariateStream& stream) {
  double d = std::abs(x1 - x2);
  double low = std::max(0.0, std::min(x1, x2) - kBlxAlpha * d);
  double high = std::min(1.0, std::max(x1, x2) + kBlxAlpha * d);
  return low + (high - low) * stream.uniform();
}

// Polynomial mutation of a coordinate in [0, 1] (Deb & Goyal, "A combined genetic adaptive
// search (GeneAS) for engineering design", 1996), the bounded form of Deb's NSGA-II code: the
// perturbation's distribution shrinks towards the nearer bound so the result stays inside.
double polynomial_mutation(double x, double eta, VariateStream& stream) {
  double u = stream.uniform();
  double power = 1.0 / (eta + 1.0);
  double delta;
  if (u < 0.5) {
    double value = 2.0 * u + (1.0 - 2.0 * u) * std::pow(1.0 - x, eta + 1.0);
    delta = std::pow(value, power) - 1.0;
  } else {
    double value = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * std::pow(x, eta + 1.0);
    delta = 1.0 - std::pow(value, power);
  }
  return std::clamp(x + delta, 0.0, 1.0);
}

class Nsga2Sampler : public Sampler {
 public:
  Nsga2Sampler(Nsga2Options options, uint64_t seed) : options_(options), seed_(seed) {}
  std::string_view name() const override { return "nsga2"; }

  std::optional<Config> sample(const SampleContext& context) override;

 private:
  // From the trial's note, or without notes from the proposals remembered; `seen` counts the
  // trials met so far per configuration.
  std::optional<int64_t> generation_of(const FrozenTrial& trial,
                                       std::map<std::string, size_t>& seen) const;
  // The best population_size of `members` (complete trials, ascending numbers) by the crowded
  // comparison, each with its rank and crowding distance among `members`.
  std::vector<Parent> select_elite(const SampleContext& context,
                                   std::vector<const FrozenTrial*> members) const;
  size_t tournament(const std::vector<Parent>& parents, size_t excluded,
                    VariateStream& stream) const;
  Config make_child(const SampleContext& context, const std::vector<Parent>& parents,
                    VariateStream& stream) const;
  // Brings the generations up to date with the history and walks the full ones, carrying the
  // parent population forward. Returns the generation the next proposal belongs to, and its
  // parents (without their encodings).
  int64_t walk_generations(const SampleContext& context, std::vector<Parent>& parents);
  void forget_generations();
  // parents=all: the elite of every complete trial (see the comment at the top).
  std::vector<Parent> steady_state_parents(const SampleContext& context);

  // A member of a kept parent population, by its position in the history.
  struct KeptParent {
    size_t position;
    size_t rank;
    double crowding;
  };

  Nsga2Options options_;
  uint64_t seed_;
  HistoryReader reader_;
  std::vector<size_t> positions_;
  std::map<std::string, size_t> seen_;  // generation_of's count of each configuration so far
  // Positions of each generation's trials, increasing (the history is in number order).
  std::map<int64_t, std::vector<size_t>> generations_;
  // The parents chosen after generations 0, 1, ..., each once all its trials had finished.
  std::vector<std::vector<KeptParent>> settled_parents_;
  // Own proposals when the caller keeps no notes: configuration -> generation of each proposal of
  // it, in order (the k-th trial with that configuration in the history is the k-th proposal).
  std::map<std::string, std::vector<int64_t>> unrecorded_;
  // parents=all: the parents after folding every trial before position fold_end_.
  std::vector<KeptParent> folded_parents_;
  size_t fold_end_ = 0;
};

std::optional<int64_t> Nsga2Sampler::generation_of(const FrozenTrial& trial,
                                                   std::map<std::string, size_t>& seen) const {
  auto note = trial.user_attrs.find(kNoteKey);
  if (note != trial.user_attrs.end()) return generation_from_json(note->second);
  if (unrecorded_.empty()) return std::nullopt;
  std::string key = config_to_json(trial.config).dump();
  auto own = unrecorded_.find(key);
  if (own == unrecorded_.end()) return std::nullopt;
  size_t occurrence = seen[key]++;
  if (occurrence >= own->second.size()) return std::nullopt;
  return own->second[occurrence];
}

std::vector<Parent> Nsga2Sampler::select_elite(const SampleContext& context,
                                               std::vector<const FrozenTrial*> members) const {
  const size_t m = context.directions.size();
  std::vector<std::vector<double>> values;
  bool constrained = false;
  for (const FrozenTrial* t : members) {
    values.push_back(t->values);
    constrained = constrained || !t->constraints.empty();
  }
  std::vector<double> points = to_minimization(values, context.directions);
  // Deb's rules through pareto.h: violation 0 = feasible; once any member reports constraints,
  // one that reports none has unknown constraints (NaN), as in Optuna.
  std::vector<double> violations;
  if (constrained) {
    for (const FrozenTrial* t : members) {
      violations.push_back(t->constraints.empty() ? std::nan("") : t->constraint_violation());
    }
  }
  std::vector<Parent> ranked(members.size());
  std::vector<std::vector<size_t>> fronts = non_dominated_fronts(points, m, violations);
  for (size_t r = 0; r < fronts.size(); ++r) {
    std::vector<double> crowding = crowding_distances(points, m, fronts[r]);
    for (size_t k = 0; k < fronts[r].size(); ++k) {
      Parent& p = ranked[fronts[r][k]];
      p.trial = members[fronts[r][k]];
      p.rank = r;
      p.crowding = crowding[k];
    }
  }
  // Whole fronts in rank order, the last one by decreasing crowding distance; members are in
  // number order, so a stable sort breaks the remaining ties by trial number.
  std::stable_sort(ranked.begin(), ranked.end(), [](const Parent& a, const Parent& b) {
    if (a.rank != b.rank) return a.rank < b.rank;
    return a.crowding > b.crowding;
  });
  if (ranked.size() > static_cast<size_t>(options_.population_size)) {
    ranked.resize(static_cast<size_t>(options_.population_size));
  }
  return ranked;
}

size_t Nsga2Sampler::tournament(const std::vector<Parent>& parents, size_t excluded,
                                VariateStream& stream) const {
  // Two candidates drawn with replacement from the population without `excluded` (so the two
  // parents of a crossover differ, as in Optuna); the crowded comparison picks the winner.
  size_t n = parents.size() - (excluded < parents.size() ? 1 : 0);
  auto draw = [&] {
    size_t k = stream.index(n);
    return excluded < parents.size() && k >= excluded ? k + 1 : k;
  };
  size_t a = draw(), b = draw();
  const Parent& pa = parents[a];
  const Parent& pb = parents[b];
  if (pa.rank != pb.rank) return pa.rank < pb.rank ? a : b;
  if (pa.crowding != pb.crowding) return pa.crowding > pb.crowding ? a : b;
  return pa.trial->number <= pb.trial->number ? a : b;
}

Config Nsga2Sampler::make_child(const SampleContext& context, const std::vector<Parent>& parents,
                                VariateStream& stream) const {
  const std::vector<ParamSpec>& params = context.space.params();
  const size_t n = params.size();
  // A parent's coordinates, with a uniform random value where the parameter is inactive.
  auto genes = [&](const Parent& parent) {
    std::vector<double> x = parent.point.x;
    for (size_t i = 0; i < n; ++i) {
      if (!parent.point.active[i]) x[i] = stream.uniform();
    }
    return x;
  };
  size_t first = tournament(parents, parents.size(), stream);
  std::vector<double> x = genes(parents[first]);
  if (stream.uniform() < options_.crossover_prob) {
    size_t second = parents.size() > 1 ? tournament(parents, first, stream) : first;
    std::vector<double> other = genes(parents[second]);
    for (size_t i = 0; i < n; ++i) {
      if (params[i].kind == ParamKind::kCategorical ||
          options_.crossover == CrossoverKind::kUniform) {
        if (stream.uniform() < options_.swapping_prob) x[i] = other[i];
      } else if (options_.crossover == CrossoverKind::kSbx) {
        x[i] = sbx(x[i], other[i], options_.eta_c, stream);
      } else {
        x[i] = blx_alpha(x[i], other[i], stream);
      }
    }
  }
  double mutation_prob =
      options_.mutation_prob.value_or(1.0 / static_cast<double>(std::max<size_t>(n, 1)));
  for (size_t i = 0; i < n; ++i) {
    if (stream.uniform() >= mutation_prob) continue;
    x[i] = params[i].kind == ParamKind::kCategorical
               ? stream.uniform()
               : polynomial_mutation(x[i], options_.eta_m, stream);
  }
  return context.space.decode(x);
}

void Nsga2Sampler::forget_generations() {
  seen_.clear();
  generations_.clear();
  settled_parents_.clear();
}

int64_t Nsga2Sampler::walk_generations(const SampleContext& context,
                                       std::vector<Parent>& parents) {
  const std::span<const FrozenTrial> history = context.history;
  if (!reader_.next(history, positions_)) forget_generations();
  for (size_t position : positions_) {
    const FrozenTrial& t = history[position];
    if (t.number < 0) {  // a placeholder of the history cache, filled later
      reader_.revisit(position);
      continue;
    }
    // A trial's note never changes, so its generation is read once. (A placeholder filled after
    // later trials were read is counted after them by generation_of, which matters only for
    // repeated configurations without notes, a caller that keeps no notes and a study's
    // placeholders never meeting.)
    if (std::optional<int64_t> g = generation_of(t, seen_)) {
      std::vector<size_t>& members = generations_[*g];
      members.insert(std::upper_bound(members.begin(), members.end(), position), position);
    }
  }
  // Walk the full generations from the first whose parents may still change.
  const size_t population = static_cast<size_t>(options_.population_size);
  auto generation = static_cast<int64_t>(settled_parents_.size());
  parents.clear();
  if (!settled_parents_.empty()) {
    for (const KeptParent& kept : settled_parents_.back()) {
      parents.push_back({&history[kept.position], {}, kept.rank, kept.crowding});
    }
  }
  for (auto it = generations_.find(generation); it != generations_.end();
       it = generations_.find(++generation)) {
    size_t finished = 0;
    std::vector<const FrozenTrial*> members;
    for (size_t position : it->second) {
      const FrozenTrial* t = &history[position];
      finished += is_finished(t->state) ? 1 : 0;
      if (t->state == TrialState::kComplete && t->values.size() == context.directions.size()) {
        members.push_back(t);
      }
    }
    if (finished < population) break;
    for (const Parent& p : parents) members.push_back(p.trial);
    std::sort(members.begin(), members.end(),
              [](const FrozenTrial* a, const FrozenTrial* b) { return a->number < b->number; });
    parents = select_elite(context, std::move(members));
    // No trial joins a full generation, so once all of its trials have finished (and the
    // parents before it were settled), these parents are final.
    if (finished == it->second.size() &&
        static_cast<size_t>(generation) == settled_parents_.size()) {
      std::vector<KeptParent>& kept = settled_parents_.emplace_back();
      for (const Parent& p : parents) {
        kept.push_back({static_cast<size_t>(p.trial - history.data()), p.rank, p.crowding});
      }
    }
  }
  return generation;
}

std::vector<Parent> Nsga2Sampler::steady_state_parents(const SampleContext& context) {
  const std::span<const FrozenTrial> history = context.history;
  if (!reader_.next(history, positions_)) {
    folded_parents_.clear();
    fold_end_ = 0;
  }
  auto usable = [&](const FrozenTrial& t) {
    return t.state == TrialState::kComplete && t.values.size() == context.directions.size();
  };
  auto by_number = [](const FrozenTrial* a, const FrozenTrial* b) { return a->number < b->number; };
  auto kept_parents = [&] {
    std::vector<const FrozenTrial*> members;
    for (const KeptParent& kept : folded_parents_) members.push_back(&history[kept.position]);
    std::sort(members.begin(), members.end(), by_number);
    return members;
  };
  const size_t population = static_cast<size_t>(options_.population_size);
  for (; fold_end_ < history.size(); ++fold_end_) {
    const FrozenTrial& t = history[fold_end_];
    if (t.number < 0 || !is_finished(t.state)) break;
    if (!usable(t)) continue;
    // Until the population is full nothing is dropped, so the ranks can wait for a full one.
    if (folded_parents_.size() < population) {
      folded_parents_.push_back({fold_end_, 0, 0.0});
      continue;
    }
    std::vector<const FrozenTrial*> members = kept_parents();
    members.push_back(&t);
    folded_parents_.clear();
    for (const Parent& p : select_elite(context, std::move(members))) {
      folded_parents_.push_back({static_cast<size_t>(p.trial - history.data()), p.rank,
                                 p.crowding});
    }
  }
  std::vector<const FrozenTrial*> members = kept_parents();
  for (size_t position = fold_end_; position < history.size(); ++position) {
    if (history[position].number >= 0 && usable(history[position])) {
      members.push_back(&history[position]);
    }
  }
  std::sort(members.begin(), members.end(), by_number);
  return select_elite(context, std::move(members));
}

std::optional<Config> Nsga2Sampler::sample(const SampleContext& context) {
  std::vector<Parent> parents;
  int64_t generation = 1;  // the steady state's parents are never a random first generation's
  if (options_.steady_state) {
    parents = steady_state_parents(context);
  } else {
    generation = walk_generations(context, parents);
  }
  for (Parent& p : parents) p.point = context.space.encode(p.trial->config);

  uint64_t key = mix_seed(seed_, static_cast<uint64_t>(context.trial_count));
  Config config = draw_allowed(context.space, [&](int attempt) {
    VariateStream stream(mix_seed(key, static_cast<uint64_t>(attempt)));
    if (generation == 0 || parents.empty()) {  // the random first generation (or no survivor)
      std::vector<double> x(context.space.size());
      for (double& v : x) v = stream.uniform();
      return context.space.decode(x);
    }
    return make_child(context, parents, stream);
  });
  if (options_.steady_state) {
    // No note: the steady state's parents do not depend on who proposed a trial.
  } else if (context.trial_attrs != nullptr) {
    (*context.trial_attrs)[kNoteKey] = nlohmann::json{{"generation", generation}}.dump();
  } else {
    unrecorded_[config_to_json(config).dump()].push_back(generation);
  }
  return config;
}

}  // namespace

std::unique_ptr<Sampler> create_nsga2_sampler(const SamplerOptions& options, uint64_t seed) {
  SamplerOptionReader reader("nsga2", options);
  auto require = [&](bool ok, const std::string& key, const std::string& rule) {
    if (!ok) {
      throw Error("sampler 'nsga2': option " + key + " = '" + options.at(key) + "' must be " +
                  rule);
    }
  };
  auto probability = [&](const std::string& key, double fallback) {
    double value = reader.get_double(key, fallback);
    require(value >= 0.0 && value <= 1.0, key, "a probability in [0, 1]");
    return value;
  };
  auto eta = [&](const std::string& key, double fallback) {
    double value = reader.get_double(key, fallback);
    require(value >= 0.0 && std::isfinite(value), key, "a finite number >= 0");
    return value;
  };
  Nsga2Options o;
  o.population_size = reader.get_int("population_size", o.population_size, 2);
  require(o.population_size <= 1000000, "population_size", "at most 1000000");
  std::string crossover = reader.get_string("crossover", "sbx");
  if (crossover == "sbx") {
    o.crossover = CrossoverKind::kSbx;
  } else if (crossover == "uniform") {
    o.crossover = CrossoverKind::kUniform;
  } else if (crossover == "blxalpha") {
    o.crossover = CrossoverKind::kBlxAlpha;
  } else {
    require(false, "crossover", "sbx, uniform or blxalpha");
  }
  o.crossover_prob = probability("crossover_prob", o.crossover_prob);
  o.swapping_prob = probability("swapping_prob", o.swapping_prob);
  double mutation_prob = probability("mutation_prob", 0.0);  // read even when absent: known key
  if (options.contains("mutation_prob")) o.mutation_prob = mutation_prob;
  o.eta_c = eta("eta_c", o.eta_c);
  o.eta_m = eta("eta_m", o.eta_m);
  std::string parents = reader.get_string("parents", "generations");
  require(parents == "generations" || parents == "all", "parents", "generations or all");
  o.steady_state = parents == "all";
  reader.finish();
  return std::make_unique<Nsga2Sampler>(o, seed);
}

}  // namespace winnow
