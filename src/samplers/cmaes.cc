// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// CMA-ES sampler ("cmaes"): the (mu/mu_w, lambda)-CMA-ES of src/samplers/cma_state.h on the
// unit-cube encoding of the parameters that are always active and numeric (floats, ints,
// stepped floats, ordinals), with the margin of Hamano et al. (2022) on the discrete ones, IPOP
// restarts (Auger & Hansen 2005) and a warm start from trials it did not propose (Nomura et al.
// 2021, simplified). Categorical and conditional parameters are drawn uniformly at random for
// each candidate, as Optuna's CmaEsSampler does with its independent sampler; a space with no
// parameter CMA-ES can model is sampled exactly as "random" does.
//
// Options (`cmaes:key=value,...`):
//   sigma0      initial step size in the unit cube, in (0, 1]. Default 0.125: chosen on
//               bench/sampler_suite for budgets of a few hundred trials, where a wider start
//               (Optuna's range/6) spent too long exploring (docs/benchmarks.md). A warm start
//               estimates its own, within [0.05, 0.3]; IPOP restarts use max(sigma0, 0.3).
//   population  lambda of the first run; 0 = 4 + floor(3 ln n). Default 0. IPOP doubles it at
//               every restart.
//   restarts    "ipop" (restart with a doubled population from a random point when the run
//               stagnates) or "none". Default ipop.
//   warm_start  start from completed trials CMA-ES did not propose (an earlier phase, enqueued
//               configurations, the n_startup trials): mean at the best of them, step size and
//               covariance from the spread of the best 20%. Default true.
//   n_startup   random trials before CMA-ES starts (counted in completed trials). Default 0.
//   active      active covariance update: negative weights for the worse half of each
//               generation (Hansen 2016, eqs. 46-53; what cmaes and pycma do). Default true;
//               false gives the plain (mu/mu_w, lambda)-CMA-ES with positive weights only.
//
// State and resume. Every proposal leaves a note in the trial's user attributes under
// "winnow.cmaes":
//   {"restart": r, "generation": g, "index": k, "x": [raw unit-cube draw of the CMA
//    coordinates], "told": [trial numbers whose update produced generation g],
//    "warm_start": [trial numbers the first distribution was estimated from]}
// (told is absent in the very first generation, warm_start present only there and only when
// used). The sampler state is rebuilt from these notes alone: a fresh state, then one update per
// generation with the trials its successor's notes list in "told" -- exactly the trials the
// proposing worker used, whichever order trials finished in. At the frontier (no successor
// notes yet) a generation is updated with the first lambda completed trials tagged with it, in
// number order; failed and pruned trials are skipped, and while fewer than lambda are complete
// further candidates are drawn from the same generation, so asks may run ahead of tells. The
// state is kept between asks and only new trials are read. Candidate (r, g, k) draws its
// variates from a counter-based stream keyed by (seed, r, g, k), so a resumed sampler proposes
// what the uninterrupted one would have. When the caller keeps no notes (trial_attrs is null)
// the sampler remembers its own proposals by configuration, which serves one process but not a
// resume.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numbers>

#include "common/param_json.h"
#include "samplers/cma_state.h"
#include "samplers/registry.h"
#include "samplers/sampler_util.h"
#include "winnow/error.h"

namespace winnow {
namespace {

const std::string kNoteKey(kCmaesNoteAttr);
// Discrete parameters with more values than this are modelled as continuous: the margin keeps
// one value from absorbing the distribution, which does not matter at this resolution, and the
// boundary table would grow with the range.
constexpr uint64_t kMaxDiscreteValues = 1000;
constexpr double kWarmStartSigmaMin = 0.05;
constexpr double kWarmStartSigmaMax = 0.3;
constexpr double kWarmStartFraction = 0.2;
constexpr int kMaxRestartDoublings = 12;  // IPOP population stops growing at 4096 lambda_0
constexpr uint64_t kRestartStream = 0x7265737461727421ULL;
constexpr double kRestartSigmaMin = 0.3;

// Uniform and standard normal variates from SplitMix64 over (key, counter): cheap to create
// per candidate and identical on every platform (std::normal_distribution is not).
class VariateStream {
 public:
  explicit VariateStream(uint64_t key) : key_(key) {}
  double uniform() { return static_cast<double>(mix_seed(key_, counter_++) >> 11) * 0x1.0p-53; }
  double normal() {  // Box-Muller, both values used
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double radius = std::sqrt(-2.0 * std::log(1.0 - uniform()));
    double angle = 2.0 * std::numbers::pi * uniform();
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  uint64_t key_;
  uint64_t counter_ = 0;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

struct Note {
  int restart = 0;
  int generation = 0;
  int64_t index = 0;
  std::vector<double> x;
  std::vector<int64_t> told;
  std::vector<int64_t> warm_start;
};

std::string note_to_json(const Note& note) {
  nlohmann::json j = {{"restart", note.restart}, {"generation", note.generation},
                      {"index", note.index}};
  j["x"] = note.x;
  if (!note.told.empty()) j["told"] = note.told;
  if (!note.warm_start.empty()) j["warm_start"] = note.warm_start;
  return j.dump();
}

// nullopt for a note this sampler cannot use (another version, another space).
std::optional<Note> note_from_json(const std::string& text, size_t dimension) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto count = [&](const char* key) -> std::optional<int64_t> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() < 0) return std::nullopt;
    return it->get<int64_t>();
  };
  auto numbers = [&](const char* key, std::vector<int64_t>& out) {
    auto it = j.find(key);
    if (it == j.end()) return true;
    if (!it->is_array()) return false;
    for (const auto& v : *it) {
      if (!v.is_number_integer()) return false;
      out.push_back(v.get<int64_t>());
    }
    return true;
  };
  auto restart = count("restart"), generation = count("generation"), index = count("index");
  auto x = j.find("x");
  if (!restart || !generation || !index || x == j.end() || !x->is_array() ||
      x->size() != dimension || *restart > 1000000 || *generation > 1000000000) {
    return std::nullopt;
  }
  Note note;
  note.restart = static_cast<int>(*restart);
  note.generation = static_cast<int>(*generation);
  note.index = *index;
  for (size_t i = 0; i < dimension; ++i) {
    if (!(*x)[i].is_number()) return std::nullopt;
    note.x.push_back((*x)[i].get<double>());
  }
  if (!numbers("told", note.told) || !numbers("warm_start", note.warm_start)) return std::nullopt;
  return note;
}

struct CmaOptions {
  double sigma0 = 0.125;
  int population = 0;
  bool ipop = true;
  bool warm_start = true;
  int64_t n_startup = 0;
  bool active = true;
};

class CmaEsSampler : public Sampler {
 public:
  CmaEsSampler(CmaOptions options, uint64_t seed)
      : options_(options), seed_(seed), random_(create_random_sampler({}, seed)) {}
  std::string_view name() const override { return "cmaes"; }

  std::optional<Config> sample(const SampleContext& context) override {
    if (context.directions.size() != 1) {
      throw Error("sampler 'cmaes' optimises a single objective, but the study has " +
                  std::to_string(context.directions.size()) +
                  " directions; use a multi-objective sampler such as 'random'");
    }
    if (!set_up_) set_up(context.space);
    if (axes_.empty()) return random_->sample(context);
    ingest(context);
    if (!cma_ && !start(context)) return random_->sample(context);
    advance(context);
    return propose(context);
  }

 private:
  struct Bucket {
    std::vector<int64_t> numbers;  // trials tagged with this generation, ascending
    int64_t next_index = 0;        // one past the largest candidate index seen
  };
  using Generation = std::pair<int, int>;  // (restart, generation)

  void set_up(const SearchSpace& space);
  void ingest(const SampleContext& context);
  bool start(const SampleContext& context);
  void advance(const SampleContext& context);
  std::optional<std::vector<int64_t>> recorded_update(const SampleContext& context) const;
  Config propose(const SampleContext& context);

  const FrozenTrial* find(std::span<const FrozenTrial> history, int64_t number) const;
  // The minimised value of a complete trial, or nullopt.
  std::optional<double> objective(const SampleContext& context, int64_t number) const;
  std::vector<double> encode(const SearchSpace& space, const Config& config) const;
  CmaState fresh_state(std::vector<double> mean, double sigma, std::vector<double> covariance,
                       int population) const;

  CmaOptions options_;
  uint64_t seed_;
  std::unique_ptr<Sampler> random_;

  bool set_up_ = false;
  std::vector<size_t> params_;  // space.params() indices modelled by CMA-ES, in order
  std::vector<CmaAxis> axes_;

  // What has been read from the history (notes never change once written, so once suffices).
  std::vector<uint8_t> seen_;
  size_t scan_from_ = 0;
  std::map<int64_t, Note> notes_;
  std::map<Generation, Bucket> buckets_;
  std::vector<int64_t> foreign_;  // trials CMA-ES did not propose: warm-start material
  std::map<std::string, Note> unrecorded_;  // own proposals when the caller keeps no notes

  std::optional<CmaState> cma_;
  int restart_ = 0;
  int population_ = 0;                 // lambda of the current run
  std::vector<int64_t> last_told_;     // the update that produced the current generation
  std::vector<int64_t> warm_start_;    // trials the first distribution came from
  int64_t next_index_ = 0;             // next candidate index in the current generation
};

void CmaEsSampler::set_up(const SearchSpace& space) {
  set_up_ = true;
  const auto& params = space.params();
  for (size_t i = 0; i < params.size(); ++i) {
    const ParamSpec& p = params[i];
    if (!p.condition.empty() || p.kind == ParamKind::kCategorical) continue;
    std::optional<uint64_t> values = space.cardinality(i);
    if (values && *values < 2) continue;  // a constant: decode() supplies it
    CmaAxis axis;
    if (values && *values <= kMaxDiscreteValues) {
      // Boundaries between consecutive values, where decode() switches from one to the next:
      // equal cells for ordinals and linear ranges; for a log range the half-way points
      // v + step/2, placed on the log scale as the encoding does.
      uint64_t n = *values;
      for (uint64_t k = 0; k + 1 < n; ++k) {
        double u = static_cast<double>(k + 1) / static_cast<double>(n);
        if (p.kind != ParamKind::kOrdinal && p.log) {
          double step = p.step.value_or(1.0);
          double lo = std::log(p.low - 0.5 * step), hi = std::log(p.high + 0.5 * step);
          u = (std::log(p.low + (static_cast<double>(k) + 0.5) * step) - lo) / (hi - lo);
        }
        axis.boundaries.push_back(u);
      }
      bool usable = true;
      for (size_t k = 0; k < axis.boundaries.size(); ++k) {
        double b = axis.boundaries[k];
        usable = usable && std::isfinite(b) && b > 0 && b < 1 &&
                 (k == 0 || b > axis.boundaries[k - 1]);
      }
      if (!usable) axis.boundaries.clear();  // model it as continuous rather than misplace cells
    }
    params_.push_back(i);
    axes_.push_back(std::move(axis));
  }
}

const FrozenTrial* CmaEsSampler::find(std::span<const FrozenTrial> history,
                                      int64_t number) const {
  if (number >= 0 && static_cast<size_t>(number) < history.size() &&
      history[static_cast<size_t>(number)].number == number) {
    return &history[static_cast<size_t>(number)];
  }
  for (const FrozenTrial& t : history) {
    if (t.number == number) return &t;
  }
  return nullptr;
}

std::optional<double> CmaEsSampler::objective(const SampleContext& context,
                                              int64_t number) const {
  const FrozenTrial* t = find(context.history, number);
  if (t == nullptr || t->state != TrialState::kComplete || t->values.empty()) return std::nullopt;
  double v = t->values[0];
  if (std::isnan(v)) return std::nullopt;
  return context.directions[0] == Direction::kMaximize ? -v : v;
}

std::vector<double> CmaEsSampler::encode(const SearchSpace& space, const Config& config) const {
  UnitPoint point = space.encode(config);
  std::vector<double> x;
  for (size_t i : params_) x.push_back(point.x[i]);
  return x;
}

void CmaEsSampler::ingest(const SampleContext& context) {
  const auto& history = context.history;
  if (seen_.size() < history.size()) seen_.resize(history.size(), 0);
  for (size_t pos = scan_from_; pos < history.size(); ++pos) {
    const FrozenTrial& t = history[pos];
    // Placeholders (number < 0) are looked at again next time.
    if (seen_[pos] || t.number < 0) continue;
    seen_[pos] = 1;
    std::optional<Note> note;
    auto attr = t.user_attrs.find(kNoteKey);
    if (attr != t.user_attrs.end()) {
      note = note_from_json(attr->second, axes_.size());
      if (!note) continue;  // proposed by CMA-ES, but by an incompatible one: ignore it
    } else if (!unrecorded_.empty()) {
      auto own = unrecorded_.find(config_to_json(t.config).dump());
      if (own != unrecorded_.end()) {
        note = std::move(own->second);
        unrecorded_.erase(own);
      }
    }
    if (!note) {
      foreign_.push_back(t.number);
      continue;
    }
    Bucket& bucket = buckets_[{note->restart, note->generation}];
    bucket.numbers.insert(std::lower_bound(bucket.numbers.begin(), bucket.numbers.end(), t.number),
                          t.number);
    bucket.next_index = std::max(bucket.next_index, note->index + 1);
    notes_[t.number] = std::move(*note);
  }
  while (scan_from_ < seen_.size() && seen_[scan_from_]) ++scan_from_;
}

CmaState CmaEsSampler::fresh_state(std::vector<double> mean, double sigma,
                                   std::vector<double> covariance, int population) const {
  CmaSettings settings;
  settings.population = population;
  settings.active = options_.active;
  return CmaState(axes_, std::move(mean), sigma, std::move(covariance), settings);
}

bool CmaEsSampler::start(const SampleContext& context) {
  // The first generation's notes say how the run began; without any, decide now.
  auto first = buckets_.find({0, 0});
  if (first != buckets_.end()) {
    warm_start_ = notes_.at(first->second.numbers.front()).warm_start;
  } else if (buckets_.empty()) {
    int64_t complete = 0;
    for (const FrozenTrial& t : context.history) {
      complete += t.number >= 0 && t.state == TrialState::kComplete ? 1 : 0;
    }
    if (complete < options_.n_startup) return false;
    if (options_.warm_start) {
      std::vector<std::pair<double, int64_t>> ranked;
      for (int64_t number : foreign_) {
        std::optional<double> value = objective(context, number);
        const FrozenTrial* t = find(context.history, number);
        if (t == nullptr) continue;
        bool has_all = std::all_of(params_.begin(), params_.end(), [&](size_t i) {
          return t->config.contains(context.space.params()[i].name);
        });
        if (value && std::isfinite(*value) && has_all) ranked.emplace_back(*value, number);
      }
      std::sort(ranked.begin(), ranked.end());
      size_t top = static_cast<size_t>(std::ceil(kWarmStartFraction * ranked.size()));
      top = std::clamp<size_t>(top, std::min<size_t>(ranked.size(), 2), ranked.size());
      for (size_t i = 0; i < top; ++i) warm_start_.push_back(ranked[i].second);
    }
  }
  population_ = options_.population;
  std::vector<CmaSolution> top;
  for (int64_t number : warm_start_) {
    const FrozenTrial* t = find(context.history, number);
    std::optional<double> value = objective(context, number);
    if (t != nullptr && value) top.emplace_back(encode(context.space, t->config), *value);
  }
  if (!top.empty()) {
    CmaWarmStart ws = estimate_warm_start(top, kWarmStartSigmaMin, kWarmStartSigmaMax,
                                          options_.sigma0);
    cma_.emplace(fresh_state(ws.mean, ws.sigma, ws.covariance, population_));
  } else {
    warm_start_.clear();
    std::vector<double> mean = encode(context.space, context.space.default_config());
    cma_.emplace(fresh_state(mean, options_.sigma0, {}, population_));
  }
  population_ = cma_->population_size();
  return true;
}

std::optional<std::vector<int64_t>> CmaEsSampler::recorded_update(
    const SampleContext& context) const {
  // The successor is (r, g + 1), or (r + 1, 0) when the update ended the run; the notes of its
  // lowest-numbered trial name the trials that made it. They are used only if they are exactly
  // lambda completed trials of the current generation (anything else is a note from a run this
  // sampler does not reproduce).
  const Generation current{restart_, cma_->generation()};
  for (Generation next : {Generation{restart_, current.second + 1}, Generation{restart_ + 1, 0}}) {
    auto it = buckets_.find(next);
    if (it == buckets_.end()) continue;
    const std::vector<int64_t>& told = notes_.at(it->second.numbers.front()).told;
    if (static_cast<int>(told.size()) != population_) return std::nullopt;
    for (int64_t number : told) {
      auto note = notes_.find(number);
      if (note == notes_.end() || Generation{note->second.restart, note->second.generation} !=
                                      current || !objective(context, number)) {
        return std::nullopt;
      }
    }
    return told;
  }
  return std::nullopt;
}

void CmaEsSampler::advance(const SampleContext& context) {
  while (true) {
    std::optional<std::vector<int64_t>> told = recorded_update(context);
    if (!told) {
      auto it = buckets_.find({restart_, cma_->generation()});
      if (it == buckets_.end()) return;
      told.emplace();
      for (int64_t number : it->second.numbers) {
        if (objective(context, number)) told->push_back(number);
        if (static_cast<int>(told->size()) == population_) break;
      }
      if (static_cast<int>(told->size()) < population_) return;
    }
    std::vector<CmaSolution> solutions;
    for (int64_t number : *told) {
      solutions.emplace_back(notes_.at(number).x, *objective(context, number));
    }
    cma_->tell(solutions);
    last_told_ = std::move(*told);
    warm_start_.clear();
    next_index_ = 0;
    if (options_.ipop && cma_->should_stop()) {
      // IPOP (Auger & Hansen 2005): a new run from a uniformly random point with twice the
      // population. It is there to find another basin, so it starts at least as wide as 0.3
      // even when the first run's sigma0 is small.
      ++restart_;
      VariateStream stream(mix_seed(mix_seed(seed_, static_cast<uint64_t>(restart_)),
                                    kRestartStream));
      std::vector<double> mean(axes_.size());
      for (double& m : mean) m = stream.uniform();
      int population = population_;
      if (restart_ <= kMaxRestartDoublings) population *= 2;
      cma_.emplace(fresh_state(mean, std::max(options_.sigma0, kRestartSigmaMin), {}, population));
      population_ = cma_->population_size();
    }
  }
}

Config CmaEsSampler::propose(const SampleContext& context) {
  const Generation current{restart_, cma_->generation()};
  auto bucket = buckets_.find(current);
  int64_t index = std::max(next_index_, bucket == buckets_.end() ? 0 : bucket->second.next_index);
  next_index_ = index + 1;
  uint64_t key = mix_seed(mix_seed(mix_seed(seed_, static_cast<uint64_t>(current.first)),
                                   static_cast<uint64_t>(current.second)),
                          static_cast<uint64_t>(index));
  const size_t n_params = context.space.size();
  std::vector<double> raw;
  Config config = draw_allowed(context.space, [&](int attempt) {
    // A candidate a forbidden clause rules out is replaced by another draw of the same
    // distribution (the stream of a later attempt).
    VariateStream stream(mix_seed(key, static_cast<uint64_t>(attempt)));
    CmaCandidate candidate = cma_->sample([&] { return stream.normal(); });
    std::vector<double> x(n_params);
    for (double& v : x) v = stream.uniform();  // categorical and conditional parameters
    for (size_t j = 0; j < params_.size(); ++j) {
      x[params_[j]] = candidate.encoded[j];
    }
    raw = std::move(candidate.raw);
    return context.space.decode(x);
  });
  Note note;
  note.restart = current.first;
  note.generation = current.second;
  note.index = index;
  note.x = raw;
  note.told = last_told_;
  note.warm_start = warm_start_;
  if (context.trial_attrs != nullptr) {
    (*context.trial_attrs)[kNoteKey] = note_to_json(note);
  } else {
    unrecorded_[config_to_json(config).dump()] = std::move(note);
  }
  return config;
}

}  // namespace

std::unique_ptr<Sampler> create_cmaes_sampler(const SamplerOptions& options, uint64_t seed) {
  SamplerOptionReader reader("cmaes", options);
  CmaOptions o;
  o.sigma0 = reader.get_double("sigma0", o.sigma0);
  if (!(o.sigma0 > 0.0 && o.sigma0 <= 1.0)) {
    throw Error("sampler 'cmaes': option sigma0 = '" + options.at("sigma0") +
                "' must be in (0, 1] (a step size in the unit cube)");
  }
  int64_t population = reader.get_int("population", 0, 0);
  if (population == 1 || population > 100000) {
    throw Error("sampler 'cmaes': option population = '" + options.at("population") +
                "' must be 0 (automatic) or between 2 and 100000");
  }
  o.population = static_cast<int>(population);
  std::string restarts = reader.get_string("restarts", "ipop");
  if (restarts != "ipop" && restarts != "none") {
    throw Error("sampler 'cmaes': option restarts = '" + restarts + "' must be ipop or none");
  }
  o.ipop = restarts == "ipop";
  o.warm_start = reader.get_bool("warm_start", o.warm_start);
  o.n_startup = reader.get_int("n_startup", o.n_startup, 0);
  o.active = reader.get_bool("active", o.active);
  reader.finish();
  return std::make_unique<CmaEsSampler>(o, seed);
}

}  // namespace winnow
