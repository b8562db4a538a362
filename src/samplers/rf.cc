// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Bayesian optimisation with a random-forest surrogate ("rf"), as SMAC does it (Hutter, Hoos &
// Leyton-Brown, "Sequential model-based optimization for general algorithm configuration",
// LION 2011), with the defaults of SMAC3's hyperparameter-optimisation facade (v2.4). One
// objective. Options and guidance: docs/samplers.md.
//
// Each proposal:
//   * until n_startup trials are complete, scrambled Sobol points (SMAC3: a Sobol design);
//   * with probability random_fraction, a uniformly random configuration (SMAC3's
//     ProbabilityRandomDesign), so a misled model never owns the search;
//   * otherwise a forest (rf_surrogate.h) is fitted to the finished trials and expected
//     improvement is maximised as SMAC3's LocalAndSortedRandomSearch does: n_random random
//     configurations are scored, local searches start from the n_local best of them and from the
//     n_local finished configurations the forest predicts best, and the local optimum with the
//     largest acquisition that is allowed and neither evaluated nor running is proposed.
//
// Encoding (SMAC's _impute_inactive): a numeric parameter is its unit coordinate, snapped to its
// cell if discrete (ordinals by index), or -1 where inactive; a categorical one is its choice
// index, with one more category for "inactive", and the forest splits on subsets of choices.
// Targets: values to minimise (maximised objectives negated, infinities clipped to the finite
// range). Failed (not interrupted) and pruned trials, and infeasible ones while some trial is
// feasible, count as the worst complete value, as SMAC charges crashed runs its crash cost: the
// model learns where not to go. With log_y (SMAC3's RunHistoryLogScaledEncoder), values are
// scaled to (0, 1] from just below the minimum and logged, the forest averages leaves in cost
// space, and EI is that of the log-normal predictive (Hutter et al. 2009, "SPO and beyond");
// without it, plain EI (Jones et al. 1998). The incumbent is the lowest predicted mean at a
// finished configuration (SMAC3's predict_x_best). Both are computed as logarithms that stay
// finite where EI underflows.
//
// Local search (SMAC3's, on ConfigSpace's one-exchange neighbourhood): change one active
// parameter -- a numeric one by kNeighboursPerNumeric Gaussian steps in the unit cube, a discrete
// one also to its adjacent cells, a categorical one to every other choice -- and move to the first
// neighbour, in random order, that improves the acquisition and is allowed. Without one, draw the
// neighbourhood anew, moving to an equally good neighbour if there is one (SMAC's plateau walk),
// up to kPlateauSteps times. The step's sd starts at local_sd, doubles after kRescaleAfter
// improvements in a row and halves every kRescaleAfter plateau steps, as in SMAC3 2.4.
//
// Deviations from SMAC3, on purpose:
//   * the forest is refitted for every proposal (SMAC3 refits after every 8 and proposes the next
//     best challengers of one maximisation in between, to save Python time);
//   * the log scaling's margin below the minimum is at least kLogScaleMargin of the range
//     (SMAC3: an absolute 1e-10), so a tie at the minimum does not put the best values far
//     below the rest.
//
// Reproducibility: every draw comes from mix_seed(seed, trial_count) and the model is rebuilt
// from the history on every ask, so the same seed and history give the same proposal and a
// resumed study continues exactly where it stopped.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>
#include <set>

#include "samplers/gaussian_process.h"
#include "samplers/gp_acquisition.h"
#include "samplers/registry.h"
#include "samplers/rf_acquisition.h"
#include "samplers/rf_runs.h"
#include "samplers/rf_surrogate.h"
#include "samplers/sampler_util.h"
#include "winnow/error.h"

namespace winnow {
namespace {

using rf::Acquisition;
using rf::Encoder;
using rf::Point;

constexpr int kNeighboursPerNumeric = 8;  // one-exchange draws per numeric parameter (SMAC)
constexpr int kPlateauSteps = 10;         // SMAC's n_steps_plateau_walk
constexpr int kMaxLocalSteps = 500;       // a bound for pathological plateaus, never reached
constexpr int kRescaleAfter = 3;          // SMAC3's upscale_thresh and downscale_interval
constexpr double kMaxStepFactor = 8.0;    // largest step: 8 x local_sd (SMAC3: 0.05 -> 0.4)
constexpr double kMinStep = 0.005;        // smallest step (SMAC3's stdev_min)
constexpr double kLogScaleMargin = 1e-6;  // least margin below the minimum, times the range
constexpr int kRandomRetries = 20;        // draws to find a random configuration not yet seen
constexpr size_t kMarginalInstances = 32;  // instances a run model's prediction averages over

// How a finished trial enters the model: with its value, or charged the worst value (failed
// and pruned trials always, infeasible ones while some trial is feasible).
enum class RowKind : uint8_t { kValue, kInfeasible, kCharged };

struct RfOptions {
  int64_t n_startup = 10;
  double random_fraction = 0.2;
  int64_t n_random = 10000;
  int64_t n_local = 10;
  double local_sd = 0.05;
  bool log_y = true;
  RandomForestSurrogateOptions forest;
  // The forest of runs in algorithm configuration: SMAC3's algorithm-configuration facade
  // (5/6 of the features per split, leaves of at least 3 runs, depth 20), the forest options
  // a user gives override it.
  RandomForestSurrogateOptions run_forest{.ratio_features = 5.0 / 6.0, .min_samples_split = 3,
                                          .min_samples_leaf = 3, .max_depth = 20};
};

// The 5th percentile as numpy computes it (linear interpolation).
double percentile5(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  double position = 0.05 * static_cast<double>(values.size() - 1);
  size_t below = static_cast<size_t>(position);
  size_t above = std::min(below + 1, values.size() - 1);
  return values[below] + (position - static_cast<double>(below)) * (values[above] - values[below]);
}

// SMAC3's RunHistoryLogScaledEncoder: log((y - floor) / (max - floor)), the floor as far below
// the minimum as the 5th percentile is above it (at least kLogScaleMargin of the range).
void log_scale(std::vector<double>& y) {
  auto [low_it, high_it] = std::minmax_element(y.begin(), y.end());
  double low = *low_it, high = *high_it;
  if (!(high > low)) {
    std::fill(y.begin(), y.end(), 0.0);
    return;
  }
  double floor = low - std::max(percentile5(y) - low, kLogScaleMargin * (high - low));
  for (double& v : y) v = std::log((v - floor) / (high - floor));
}

class RfSampler : public Sampler, public RunModelSampler {
 public:
  RfSampler(RfOptions options, uint64_t seed) : options_(std::move(options)), seed_(seed) {}
  std::string_view name() const override { return "rf"; }

  std::optional<Config> sample(const SampleContext& context) override {
    if (context.directions.size() > 1) {
      throw Error("sampler 'rf' optimises one objective, but this study has " +
                  std::to_string(context.directions.size()) +
                  " (use tpe, gp or nsga2 for several objectives)");
    }
    const SearchSpace& space = context.space;
    const bool maximize =
        !context.directions.empty() && context.directions[0] == Direction::kMaximize;
    Encoder encoder(space);
    std::vector<Point> rows;
    std::vector<double> y;
    std::vector<RowKind> kinds;
    std::set<std::vector<double>> seen;  // every configuration evaluated or running
    bool some_feasible = false;
    size_t complete = 0;
    for (const FrozenTrial& trial : context.history) {
      if (trial.number < 0 || trial.config.empty()) continue;
      Point point = encoder.from_config(trial.config);
      seen.insert(point.x);
      bool has_value = trial.state == TrialState::kComplete && trial.values.size() == 1 &&
                       !std::isnan(trial.values[0]);
      bool charged = (trial.state == TrialState::kFailed && !trial.interrupted) ||
                     trial.state == TrialState::kPruned ||
                     (trial.state == TrialState::kComplete && !has_value);
      if (!has_value && !charged) continue;
      complete += has_value;
      some_feasible = some_feasible || (has_value && trial.feasible());
      rows.push_back(std::move(point));
      y.push_back(has_value ? (maximize ? -trial.values[0] : trial.values[0]) : 0.0);
      kinds.push_back(!has_value         ? RowKind::kCharged
                      : trial.feasible() ? RowKind::kValue
                                         : RowKind::kInfeasible);
    }
    const auto needed = static_cast<size_t>(std::max<int64_t>(options_.n_startup, 1));
    if (space.size() == 0 || complete < needed) {
      return startup(context);
    }

    gp::Random random(mix_seed(seed_, stream_position(context)));
    if (random.uniform() < options_.random_fraction) {
      if (std::optional<Config> config = random_new(space, encoder, seen, random)) return config;
    }
    prepare_targets(y, kinds, some_feasible);

    RandomForestSurrogate forest;
    RandomForestSurrogateOptions forest_options = options_.forest;
    forest_options.categories = encoder.categories();
    forest_options.seed = mix_seed(seed_ ^ 0xF02E57, stream_position(context));
    forest_options.log_y = options_.log_y;
    const size_t d = space.size();
    std::vector<double> matrix(rows.size() * d);
    for (size_t i = 0; i < rows.size(); ++i) encoder.features(rows[i], &matrix[i * d]);
    forest.fit(matrix, d, y, forest_options);

    // The incumbent: the lowest predicted mean at a finished configuration (SMAC3).
    std::vector<double> predicted(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      predicted[i] = forest.predict(std::span<const double>(&matrix[i * d], d)).first;
    }
    double best = *std::min_element(predicted.begin(), predicted.end());
    Acquisition acquisition(forest, encoder, best, options_.log_y);
    return maximise(space, encoder, acquisition, rows, predicted, seen, random);
  }

  // SMAC's model of runs (samplers/rf_runs.h): one row per run, [configuration | instance
  // features], runtimes as logarithms with censored runs imputed, predictions averaged over
  // the training instances.
  std::optional<Config> sample_over_runs(const SampleContext& summary,
                                         const InstanceSet& instances,
                                         std::span<const ConfigurationRun> runs) override {
    const SearchSpace& space = summary.space;
    Encoder encoder(space);
    std::vector<Point> configurations;
    std::set<std::vector<double>> seen;
    for (const FrozenTrial& trial : summary.history) {
      configurations.push_back(encoder.from_config(trial.config));
      seen.insert(configurations.back().x);
    }
    std::vector<uint8_t> has_run(configurations.size(), 0);
    for (const ConfigurationRun& run : runs) has_run[run.configuration] = 1;
    const auto evaluated = static_cast<int64_t>(std::count(has_run.begin(), has_run.end(), 1));
    if (space.size() == 0 || evaluated < std::max<int64_t>(options_.n_startup, 1)) {
      return startup(summary);
    }
    gp::Random random(mix_seed(seed_, static_cast<uint64_t>(summary.trial_count)));
    if (random.uniform() < options_.random_fraction) {
      if (std::optional<Config> config = random_new(space, encoder, seen, random)) return config;
    }
    const bool runtime = instances.cost == RunCostKind::kRuntime;
    const size_t d = space.size(), f = instances.feature_names.size();
    const size_t width = d + f;
    std::vector<double> matrix(runs.size() * width), y;
    std::vector<uint8_t> censored;
    for (size_t i = 0; i < runs.size(); ++i) {
      const ConfigurationRun& run = runs[i];
      encoder.features(configurations[run.configuration], &matrix[i * width]);
      const std::vector<double>& features = instances.train[run.instance].features;
      std::copy(features.begin(), features.end(), matrix.begin() + static_cast<ptrdiff_t>(i * width + d));
      y.push_back(run.cost);
      censored.push_back(runtime && run.censored);
    }
    RandomForestSurrogateOptions forest_options = options_.run_forest;
    forest_options.categories = encoder.categories();
    forest_options.categories.resize(width, 0);
    forest_options.seed = mix_seed(seed_ ^ 0xF02E57, static_cast<uint64_t>(summary.trial_count));
    bool log_normal = options_.log_y;
    if (runtime) {
      // Log runtimes (SMAC's log_y for runtime): seconds from a floor well below any timing
      // noise, so a run of "zero" seconds stays finite.
      const double floor = std::max(1e-6, 1e-4 * instances.cutoff_seconds);
      for (double& v : y) v = std::log(std::max(v, floor));
      log_normal = true;
      forest_options.log_y = true;
      impute_censored(matrix, width, y, censored,
                      std::log(instances.par_factor * instances.cutoff_seconds), forest_options);
    } else {
      std::vector<RowKind> kinds;
      for (double v : y) kinds.push_back(std::isfinite(v) ? RowKind::kValue : RowKind::kCharged);
      prepare_targets(y, kinds, true);
      forest_options.log_y = options_.log_y;
    }
    RandomForestSurrogate forest;
    forest.fit(matrix, width, y, forest_options);

    // Predictions are averaged over the training instances (a seeded sample of at most
    // kMarginalInstances of them when there are more).
    std::vector<double> instance_rows;
    if (f > 0) {
      std::vector<size_t> chosen(instances.train.size());
      std::iota(chosen.begin(), chosen.end(), size_t{0});
      gp::Random pick(mix_seed(seed_, 0x1A57A9CE));
      for (size_t i = chosen.size(); i > 1; --i) {
        std::swap(chosen[i - 1], chosen[static_cast<size_t>(pick.below(i))]);
      }
      chosen.resize(std::min(chosen.size(), kMarginalInstances));
      for (size_t i : chosen) {
        const std::vector<double>& features = instances.train[i].features;
        instance_rows.insert(instance_rows.end(), features.begin(), features.end());
      }
    }
    Acquisition acquisition(forest, encoder, 0.0, log_normal, instance_rows, f);
    std::vector<Point> rows;
    std::vector<double> predicted;
    for (size_t j = 0; j < configurations.size(); ++j) {
      if (!has_run[j]) continue;
      rows.push_back(configurations[j]);
      predicted.push_back(acquisition.predict(configurations[j]).first);
    }
    acquisition.set_best(*std::min_element(predicted.begin(), predicted.end()));
    return maximise(space, encoder, acquisition, rows, predicted, seen, random);
  }

 private:
  // Expected improvement maximised by SMAC's local and sorted random search, from n_random
  // random points and the n_local evaluated ones (`rows`, with their predicted means) the
  // model likes best; the best new allowed configuration found.
  Config maximise(const SearchSpace& space, const Encoder& encoder,
                  const Acquisition& acquisition, std::vector<Point>& rows,
                  const std::vector<double>& predicted,
                  const std::set<std::vector<double>>& seen, gp::Random& random) const {
    std::vector<Point> starts = best_random(space, encoder, acquisition, random);
    for (size_t i : best_predicted(predicted, random)) {
      rows[i].value = acquisition(rows[i]);
      starts.push_back(rows[i]);
    }
    std::vector<Point> found;
    for (const Point& start : starts) found.push_back(local_search(start, space, encoder,
                                                                   acquisition, random));
    std::stable_sort(found.begin(), found.end(),
                     [](const Point& a, const Point& b) { return a.value > b.value; });
    for (const Point& point : found) {
      Config config = space.decode(point.x);
      if (space.is_forbidden(config)) continue;
      if (!seen.contains(encoder.from_config(config).x)) return config;
    }
    // Every local optimum was evaluated already: a random configuration, new if one is found.
    if (std::optional<Config> config = random_new(space, encoder, seen, random)) return *config;
    return uniform(space, random);
  }

  std::optional<Config> startup(const SampleContext& context) const {
    // A fresh Sobol sampler each time: its n-th point depends only on (seed, trial count).
    auto sobol = create_sampler(SamplerSpec{"sobol", {}}, mix_seed(seed_, 0x50B01));
    SampleContext plain{context.space, {}, context.directions, context.trial_count, nullptr};
    return sobol->sample(plain);
  }

  static Config uniform(const SearchSpace& space, gp::Random& random) {
    std::vector<double> x(space.size());
    return draw_allowed(space, [&](int) {
      for (double& v : x) v = random.uniform();
      return space.decode(x);
    });
  }

  static std::optional<Config> random_new(const SearchSpace& space, const Encoder& encoder,
                                          const std::set<std::vector<double>>& seen,
                                          gp::Random& random) {
    for (int attempt = 0; attempt < kRandomRetries; ++attempt) {
      Config config = uniform(space, random);
      if (!seen.contains(encoder.from_config(config).x)) return config;
    }
    return std::nullopt;
  }

  // Minimised values, infinities clipped to the finite range, every charged row at the worst
  // value of the others; then log-scaled if asked.
  void prepare_targets(std::vector<double>& y, const std::vector<RowKind>& kinds,
                       bool some_feasible) const {
    auto charged = [&](size_t i) {
      return kinds[i] == RowKind::kCharged || (kinds[i] == RowKind::kInfeasible && some_feasible);
    };
    double low = HUGE_VAL, high = -HUGE_VAL;
    for (size_t i = 0; i < y.size(); ++i) {
      if (charged(i) || !std::isfinite(y[i])) continue;
      low = std::min(low, y[i]);
      high = std::max(high, y[i]);
    }
    if (!(low <= high)) low = high = 0.0;  // no finite value at all
    for (size_t i = 0; i < y.size(); ++i) y[i] = charged(i) ? high : std::clamp(y[i], low, high);
    if (options_.log_y) log_scale(y);
  }

  // The n_local best of n_random uniform points.
  std::vector<Point> best_random(const SearchSpace& space, const Encoder& encoder,
                                 const Acquisition& acquisition, gp::Random& random) const {
    const size_t keep = static_cast<size_t>(options_.n_local);
    std::vector<Point> best;
    std::vector<double> x(space.size());
    for (int64_t i = 0; i < options_.n_random; ++i) {
      for (double& v : x) v = random.uniform();
      Point point = encoder.canonical(x);
      point.value = acquisition(point);
      if (best.size() == keep && !(point.value > best.back().value)) continue;
      auto at = std::upper_bound(best.begin(), best.end(), point.value,
                                 [](double v, const Point& p) { return v > p.value; });
      best.insert(at, std::move(point));
      if (best.size() > keep) best.pop_back();
    }
    return best;
  }

  // Indices of the n_local finished configurations with the lowest predicted mean, ties in a
  // random order (SMAC3 sorts with a random tie-breaker).
  std::vector<size_t> best_predicted(const std::vector<double>& predicted,
                                     gp::Random& random) const {
    std::vector<size_t> order(predicted.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::vector<double> tie(order.size());
    for (double& t : tie) t = random.uniform();
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return predicted[a] < predicted[b] || (predicted[a] == predicted[b] && tie[a] < tie[b]);
    });
    order.resize(std::min(order.size(), static_cast<size_t>(options_.n_local)));
    return order;
  }

  // One-exchange neighbours of `point` (see the top of the file), unscored.
  std::vector<std::vector<double>> neighbours(const Point& point, const Encoder& encoder,
                                              double sd, gp::Random& random) const {
    const gp::InputSpace& inputs = encoder.inputs();
    std::vector<std::vector<double>> out;
    auto with = [&](size_t j, double u) {
      out.push_back(point.x);
      out.back()[j] = u;
    };
    auto step = [&](double u) {
      double moved = u + sd * random.normal();
      for (int retry = 0; retry < 10 && (moved < 0.0 || moved > 1.0); ++retry) {
        moved = u + sd * random.normal();
      }
      return std::clamp(moved, 0.0, 1.0);
    };
    for (size_t j = 0; j < point.x.size(); ++j) {
      if (!point.active[j]) continue;
      switch (inputs.kind(j)) {
        case gp::DimensionKind::kContinuous:
          for (int k = 0; k < kNeighboursPerNumeric; ++k) with(j, step(point.x[j]));
          break;
        case gp::DimensionKind::kDiscrete: {
          const uint64_t cells = inputs.cells(j), here = inputs.cell_of(j, point.x[j]);
          std::set<uint64_t> chosen;
          if (here > 0) chosen.insert(here - 1);
          if (here + 1 < cells) chosen.insert(here + 1);
          for (int k = 0; k < kNeighboursPerNumeric; ++k) {
            chosen.insert(inputs.cell_of(j, step(point.x[j])));
          }
          chosen.erase(here);
          for (uint64_t cell : chosen) with(j, inputs.centre(j, cell));
          break;
        }
        case gp::DimensionKind::kCategorical:
          for (uint64_t cell = 0; cell < inputs.cells(j); ++cell) {
            if (cell != inputs.cell_of(j, point.x[j])) with(j, inputs.centre(j, cell));
          }
          break;
      }
    }
    return out;
  }

  Point local_search(Point current, const SearchSpace& space, const Encoder& encoder,
                     const Acquisition& acquisition, gp::Random& random) const {
    const bool has_forbidden = !space.forbidden_clauses().empty();
    auto allowed = [&](const Point& p) {
      return !has_forbidden || !space.is_forbidden(space.decode(p.x));
    };
    // SMAC3's step size schedule: doubled after kRescaleAfter improvements in a row while the
    // search has not met a plateau, halved every kRescaleAfter plateau steps.
    double sd = options_.local_sd;
    int plateau = 0, improvements = 0;
    for (int steps = 0; steps < kMaxLocalSteps; ++steps) {
      std::vector<std::vector<double>> around = neighbours(current, encoder, sd, random);
      for (size_t i = around.size(); i > 1; --i) {  // a random order (Fisher-Yates)
        std::swap(around[i - 1], around[static_cast<size_t>(random.below(i))]);
      }
      std::optional<Point> level;  // the first allowed neighbour as good as the current point
      bool moved = false;
      for (std::vector<double>& x : around) {
        Point next = encoder.canonical(std::move(x));
        next.value = acquisition(next);
        if (next.value > current.value && allowed(next)) {
          current = std::move(next);
          moved = true;
          break;
        }
        if (!level && next.value == current.value && next.x != current.x && allowed(next)) {
          level = std::move(next);
        }
      }
      if (moved) {
        if (++improvements >= kRescaleAfter && plateau == 0) {
          sd = std::min(2 * sd, kMaxStepFactor * options_.local_sd);
          improvements = 0;
        }
        continue;
      }
      improvements = 0;
      if (plateau >= kPlateauSteps) break;
      if (++plateau % kRescaleAfter == 0) sd = std::max(0.5 * sd, kMinStep);
      if (!level) continue;  // SMAC3 looks again, with fresh draws, until its plateau budget ends
      current = std::move(*level);
    }
    return current;
  }

  RfOptions options_;
  uint64_t seed_;
};

}  // namespace

std::unique_ptr<Sampler> create_rf_sampler(const SamplerOptions& options, uint64_t seed) {
  SamplerOptionReader reader("rf", options);
  RfOptions parsed;
  RandomForestSurrogateOptions& forest = parsed.forest;
  parsed.n_startup = reader.get_int("n_startup", parsed.n_startup, 0);
  parsed.random_fraction = reader.get_double("random_fraction", parsed.random_fraction);
  if (!(parsed.random_fraction >= 0.0 && parsed.random_fraction <= 1.0)) {
    throw Error("sampler 'rf': option random_fraction must be a number in [0, 1]");
  }
  parsed.n_random = reader.get_int("n_random", parsed.n_random, 0);
  parsed.n_local = reader.get_int("n_local", parsed.n_local, 1);
  parsed.local_sd = reader.get_double("local_sd", parsed.local_sd);
  if (!(parsed.local_sd > 0.0 && parsed.local_sd <= 1.0)) {
    throw Error("sampler 'rf': option local_sd must be a number in (0, 1]");
  }
  parsed.log_y = reader.get_bool("log_y", parsed.log_y);
  auto get_small = [&](const std::string& key, int fallback, int min_value) {
    return static_cast<int>(std::min<int64_t>(reader.get_int(key, fallback, min_value), 1 << 30));
  };
  forest.n_trees = get_small("n_trees", forest.n_trees, 1);
  forest.ratio_features = reader.get_double("ratio_features", forest.ratio_features);
  if (!(forest.ratio_features > 0.0 && forest.ratio_features <= 1.0)) {
    throw Error("sampler 'rf': option ratio_features must be a number in (0, 1]");
  }
  forest.min_samples_split = get_small("min_samples_split", forest.min_samples_split, 2);
  forest.min_samples_leaf = get_small("min_samples_leaf", forest.min_samples_leaf, 1);
  forest.max_depth = get_small("max_depth", forest.max_depth, 0);
  forest.bootstrap = reader.get_bool("bootstrap", forest.bootstrap);
  forest.total_variance = reader.get_bool("total_variance", forest.total_variance);
  reader.finish();
  RandomForestSurrogateOptions& runs = parsed.run_forest;
  runs.n_trees = forest.n_trees;
  runs.bootstrap = forest.bootstrap;
  runs.total_variance = forest.total_variance;
  if (options.contains("ratio_features")) runs.ratio_features = forest.ratio_features;
  if (options.contains("min_samples_split")) runs.min_samples_split = forest.min_samples_split;
  if (options.contains("min_samples_leaf")) runs.min_samples_leaf = forest.min_samples_leaf;
  if (options.contains("max_depth")) runs.max_depth = forest.max_depth;
  return std::make_unique<RfSampler>(std::move(parsed), seed);
}

}  // namespace winnow
