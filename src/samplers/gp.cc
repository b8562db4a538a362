// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Gaussian-process Bayesian optimisation ("gp"), for one objective on spaces of up to ~30
// parameters. docs/gp.md explains the model and the measured costs; in short:
//   * the first `n_startup` proposals come from a scrambled Sobol sequence;
//   * then a GP (Matérn-5/2 ARD on the unit-cube encoding, ints snapped to their cells,
//     categoricals by Hamming distance; samplers/gaussian_process.h) is fitted to the complete
//     trials' values (maximised objectives negated; failed and pruned trials ignored),
//     standardised and Yeo-Johnson transformed, by MAP with L-BFGS;
//   * running trials enter as kriging-believer fantasies, so parallel workers spread out;
//   * the proposal maximises log expected improvement over the best observed value
//     (samplers/gp_acquisition.h), skipping forbidden configurations and, when another is
//     nearly as good, configurations already evaluated or running.
//
// Options (gp:key=value,...):
//   n_startup=10         Sobol proposals until this many trials are complete (at least 2).
//   n_candidates=512     starting points scored by the acquisition for each proposal.
//   n_local=10           best starting points refined by local search.
//   max_points=500       most complete trials the GP conditions on: past it, the best half plus
//                        a seeded random sample of the rest (running trials come on top, at
//                        most max_points/4 of them, the most recent).
//   full_fit_until=100   up to this many complete trials every proposal refits the kernel in
//                        full (from the last fit and from the default, up to 100 evaluations
//                        each).
//   refit_every=10       past full_fit_until, a full refit when the number of complete trials
//                        is a multiple of this; in between, a short fit (15 evaluations) warm-
//                        started from the last fit.
//   fit_points=128       most points the kernel hyperparameters are fitted on (best half plus
//                        a seeded random sample of the rest); the posterior then conditions on
//                        all max_points. Bounds the fit's cubic cost, the largest of an ask.
//   deterministic=false  the objective is noise-free: noise variance pinned at the floor.
//   power_transform=true Yeo-Johnson-transform the standardised values before fitting, so a
//                        few huge values do not flatten the region that matters.
//
// Reproducibility: every random draw comes from mix_seed(seed, trial_count), and the only state
// carried from one proposal to the next -- the fitted kernel that warm-starts the next fit -- is
// stored with the proposed trial (user attribute "winnow.gp.kernel") and read back from the
// history, never kept in memory. So the same seed and history give the same proposal, and a
// fresh sampler on a stored study continues exactly where the old one would have. (What it
// does keep, the encodings of the configurations already in the history, only saves work.)
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "samplers/gaussian_process.h"
#include "samplers/gp_acquisition.h"
#include "samplers/history_reader.h"
#include "samplers/registry.h"
#include "samplers/sampler_util.h"
#include "winnow/error.h"

namespace winnow {
namespace {

const std::string kKernelAttr(kGpKernelAttr);
constexpr int kFullFitEvaluations = 100;
constexpr int kShortFitEvaluations = 15;
constexpr int kAnchors = 5;
// A configuration already evaluated (or running) is proposed again only if no new one has an
// expected improvement within this factor of it (log scale), and never for a deterministic
// objective while a new one exists. With a noise model, EI at an evaluated point is the value
// of measuring it again; a new configuration a thousand times less promising is predicted to be
// poor indeed, but anything closer is worth the information.
const double kNearlyAsGood = std::log(1000.0);

struct GpOptions {
  int64_t n_startup = 10;
  int64_t n_candidates = 512;
  int64_t n_local = 10;
  int64_t max_points = 500;
  int64_t full_fit_until = 100;
  int64_t refit_every = 10;
  int64_t fit_points = 128;
  bool deterministic = false;
  bool power_transform = true;
};

// The complete trials the model sees, in history order, with values to minimise.
struct Observations {
  std::vector<const FrozenTrial*> trials;
  std::vector<double> values;
};

std::string other_samplers_for_many_objectives() {
  std::vector<std::string> names;
  for (const std::string& name : sampler_names()) {
    if (sampler_traits(name).multi_objective) names.push_back(name);
  }
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  }
  return text.empty() ? "" : " (use " + text + ")";
}

// Infinite values (an objective that overflowed) are clipped to the finite range, as Optuna's
// GPSampler does, so one of them does not flatten every other difference.
void clip_infinities(std::vector<double>& values) {
  double low = INFINITY, high = -INFINITY;
  for (double v : values) {
    if (std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
  }
  if (!std::isfinite(low)) low = high = 0.0;
  for (double& v : values) v = std::clamp(v, low, high);
}

// Indices of `count` of the values (count < size): the lowest count/2 and a seeded random
// sample of the others, in ascending index order.
std::vector<size_t> best_and_random(const std::vector<double>& values, size_t count,
                                    gp::Random& random) {
  const size_t n = values.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a] < values[b]; });
  for (size_t i = count / 2; i < count; ++i) {  // partial Fisher-Yates over the rest
    size_t pick = i + static_cast<size_t>(random.below(n - i));
    std::swap(order[i], order[pick]);
  }
  order.resize(count);
  std::sort(order.begin(), order.end());
  return order;
}

void standardise(Eigen::VectorXd& y) {
  double mean = y.mean();
  double sd = std::sqrt((y.array() - mean).square().mean());
  y = (y.array() - mean) / (sd > 0.0 ? sd : 1.0);
}

// Yeo & Johnson (2000), "A new family of power transformations to improve normality or
// symmetry", eq. (2.1).
double yeo_johnson(double y, double lambda) {
  if (y >= 0.0) {
    return std::abs(lambda) < 1e-12 ? std::log1p(y) : (std::pow(y + 1.0, lambda) - 1.0) / lambda;
  }
  double mirrored = 2.0 - lambda;
  return std::abs(mirrored) < 1e-12 ? -std::log1p(-y)
                                    : -(std::pow(1.0 - y, mirrored) - 1.0) / mirrored;
}

// Applies the Yeo-Johnson transform to standardised values, with lambda in [-2, 2] maximising
// the Gaussian profile log-likelihood (sklearn's PowerTransformer; HEBO, Cowen-Rivers et al.
// 2022, fits its GP on values warped this way). A few huge values -- Rosenbrock far from its
// valley, a diverged training run -- otherwise dominate the fit and flatten everything the
// optimiser cares about; for values that already look Gaussian lambda stays near 1, the
// identity.
void power_transform(Eigen::VectorXd& y) {
  const double n = static_cast<double>(y.size());
  double log_jacobian_sum = 0.0;  // sum of sign(y) log(|y| + 1), d psi / dy = (|y|+1)^(+-(l-1))
  for (double v : y) log_jacobian_sum += std::copysign(std::log1p(std::abs(v)), v);
  auto log_likelihood = [&](double lambda) {
    Eigen::VectorXd t = y.unaryExpr([&](double v) { return yeo_johnson(v, lambda); });
    double variance = (t.array() - t.mean()).square().mean();
    if (!(variance > 0.0) || !std::isfinite(variance)) return -HUGE_VAL;
    return -0.5 * n * std::log(variance) + (lambda - 1.0) * log_jacobian_sum;
  };
  // Golden-section search: the profile likelihood is unimodal in lambda for practical data.
  const double ratio = 0.5 * (std::sqrt(5.0) - 1.0);
  double a = -2.0, b = 2.0;
  double c = b - ratio * (b - a), e = a + ratio * (b - a);
  double fc = log_likelihood(c), fe = log_likelihood(e);
  for (int i = 0; i < 50; ++i) {
    if (fc > fe) {
      b = e, e = c, fe = fc;
      c = b - ratio * (b - a), fc = log_likelihood(c);
    } else {
      a = c, c = e, fc = fe;
      e = a + ratio * (b - a), fe = log_likelihood(e);
    }
  }
  double lambda = 0.5 * (a + b);
  if (!std::isfinite(log_likelihood(lambda))) return;
  y = y.unaryExpr([&](double v) { return yeo_johnson(v, lambda); });
}

std::optional<Eigen::VectorXd> stored_kernel(std::span<const FrozenTrial> history, size_t size) {
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    auto attr = it->user_attrs.find(kKernelAttr);
    if (attr == it->user_attrs.end()) continue;
    nlohmann::json json = nlohmann::json::parse(attr->second, nullptr, false);
    if (!json.is_array() || json.size() != size) return std::nullopt;  // another space's fit
    Eigen::VectorXd theta(static_cast<Eigen::Index>(size));
    for (size_t i = 0; i < size; ++i) {
      if (!json[i].is_number() || !std::isfinite(json[i].get<double>())) return std::nullopt;
      theta[static_cast<Eigen::Index>(i)] = json[i].get<double>();
    }
    return theta;
  }
  return std::nullopt;
}

class GpSampler : public Sampler {
 public:
  GpSampler(GpOptions options, uint64_t seed) : options_(options), seed_(seed) {}
  std::string_view name() const override { return "gp"; }

  std::optional<Config> sample(const SampleContext& context) override {
    if (context.directions.size() > 1) {
      throw Error("sampler 'gp' supports one objective; this study has " +
                  std::to_string(context.directions.size()) + other_samplers_for_many_objectives());
    }
    bool maximize = !context.directions.empty() && context.directions[0] == Direction::kMaximize;
    Observations observed;
    std::vector<const FrozenTrial*> running;
    for (const FrozenTrial& trial : context.history) {
      if (trial.number < 0) continue;
      if (trial.state == TrialState::kComplete && !trial.values.empty() &&
          !std::isnan(trial.values[0])) {
        observed.trials.push_back(&trial);
        observed.values.push_back(maximize ? -trial.values[0] : trial.values[0]);
      } else if (trial.state == TrialState::kRunning && !trial.config.empty()) {
        running.push_back(&trial);
      }
    }
    if (static_cast<int64_t>(observed.trials.size()) < std::max<int64_t>(options_.n_startup, 2)) {
      return startup(context);
    }
    return propose(context, observed, running, evaluated_configs(context));
  }

 private:
  std::optional<Config> startup(const SampleContext& context) const {
    // A fresh Sobol sampler each time: its n-th point depends only on (seed, trial count).
    auto sobol = create_sampler(SamplerSpec{"sobol", {}}, mix_seed(seed_, 0x50B01));
    SampleContext plain{context.space, {}, context.directions, context.trial_count, nullptr};
    return sobol->sample(plain);
  }

  // The snapped encodings of every configuration in the history, evaluated or running, which
  // choose() avoids proposing again. A trial's configuration never changes, so each ask encodes
  // only the trials new since the last one (history_reader.h): a set rebuilt from every trial
  // on every ask cost more than the model in a large study.
  const std::set<std::vector<double>>& evaluated_configs(const SampleContext& context) {
    if (evaluated_space_ != &context.space) {
      evaluated_space_ = &context.space;
      evaluated_reader_.reset();
    }
    if (!evaluated_reader_.next(context.history, positions_)) evaluated_.clear();
    gp::InputSpace inputs(context.space);
    for (size_t position : positions_) {
      const FrozenTrial& trial = context.history[position];
      if (trial.number < 0 || trial.config.empty()) {
        // A gap of the study's history, filled later; or a trial without a configuration yet.
        if (trial.number < 0 || !is_finished(trial.state)) evaluated_reader_.revisit(position);
        continue;
      }
      std::vector<double> x = context.space.encode(trial.config).x;
      inputs.snap(x);
      evaluated_.insert(std::move(x));
    }
    return evaluated_;
  }

  std::optional<Config> propose(const SampleContext& context, Observations observed,
                                std::vector<const FrozenTrial*> running,
                                const std::set<std::vector<double>>& evaluated) const {
    const SearchSpace& space = context.space;
    gp::Random random(mix_seed(seed_, static_cast<uint64_t>(context.trial_count)));
    const size_t complete_count = observed.trials.size();
    clip_infinities(observed.values);
    keep_subset(observed, random);
    if (running.size() > static_cast<size_t>(options_.max_points / 4)) {
      running.erase(running.begin(),
                    running.end() - static_cast<std::ptrdiff_t>(options_.max_points / 4));
    }

    gp::InputSpace inputs(space);
    const Eigen::Index d = static_cast<Eigen::Index>(space.size());
    const Eigen::Index n = static_cast<Eigen::Index>(observed.trials.size());
    Eigen::MatrixXd points = encode(space, inputs, observed.trials);
    Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(observed.values.data(), n);
    standardise(y);
    if (options_.power_transform) {
      power_transform(y);
      standardise(y);
    }

    gp::ModelOptions model_options;
    model_options.deterministic = options_.deterministic;
    gp::FitResult fit = fit_kernel(context, inputs, points, y, observed.values, complete_count,
                                   model_options, random);

    // Anchors for the acquisition's perturbed starting points: the best observed points.
    std::vector<Eigen::Index> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](Eigen::Index a, Eigen::Index b) { return y[a] < y[b]; });
    Eigen::Index anchors_count = std::min<Eigen::Index>(kAnchors, n);
    Eigen::MatrixXd anchors(d, anchors_count);
    for (Eigen::Index i = 0; i < anchors_count; ++i) anchors.col(i) = points.col(order[i]);
    double incumbent = y[order[0]];

    gp::GaussianProcess model(inputs, std::move(points), std::move(y), fit.theta, model_options);
    Eigen::VectorXd believed = model.add_fantasies(encode(space, inputs, running));
    if (believed.size() > 0) incumbent = std::min(incumbent, believed.minCoeff());
    gp::LogExpectedImprovement acquisition(model, incumbent);
    gp::AcquisitionOptions acquisition_options;
    acquisition_options.candidates = static_cast<int>(options_.n_candidates);
    acquisition_options.local_searches = static_cast<int>(options_.n_local);
    std::vector<gp::ScoredPoint> scored =
        gp::maximize_acquisition(acquisition, inputs, anchors, random, acquisition_options);

    std::optional<Config> config = choose(context, inputs, scored, evaluated,
                                          options_.deterministic ? INFINITY : kNearlyAsGood);
    if (!config) {
      // Every scored point is forbidden: fall back to seeded uniform draws.
      std::vector<double> x(static_cast<size_t>(d));
      config = draw_allowed(space, [&](int) {
        for (double& v : x) v = random.uniform();
        return space.decode(x);
      });
    }
    if (context.trial_attrs != nullptr) {
      (*context.trial_attrs)[kKernelAttr] =
          nlohmann::json(std::vector<double>(fit.theta.data(), fit.theta.data() + fit.theta.size()))
              .dump();
    }
    return config;
  }

  // Fits the kernel hyperparameters: in full (from the stored fit, if any, and from the default)
  // up to full_fit_until complete trials and every refit_every after; otherwise a short fit
  // from the stored one. On at most fit_points of the points: the best half and a seeded
  // random sample of the rest.
  gp::FitResult fit_kernel(const SampleContext& context, const gp::InputSpace& inputs,
                           const Eigen::MatrixXd& points, const Eigen::VectorXd& y,
                           const std::vector<double>& values, size_t complete_count,
                           const gp::ModelOptions& model_options, gp::Random& random) const {
    const size_t d = inputs.dimensions();
    std::optional<Eigen::VectorXd> warm = stored_kernel(context.history, gp::theta_size(d));
    const auto count = static_cast<int64_t>(complete_count);
    bool full = !warm || count <= options_.full_fit_until || count % options_.refit_every == 0;
    std::vector<Eigen::VectorXd> starts;
    if (warm) starts.push_back(*warm);
    if (full) starts.push_back(gp::default_theta(d));
    int evaluations = full ? kFullFitEvaluations : kShortFitEvaluations;
    if (points.cols() <= options_.fit_points) {
      return gp::fit_kernel(inputs, points, y, starts, model_options, evaluations);
    }
    std::vector<size_t> rows =
        best_and_random(values, static_cast<size_t>(options_.fit_points), random);
    Eigen::MatrixXd fit_points(points.rows(), static_cast<Eigen::Index>(rows.size()));
    Eigen::VectorXd fit_y(static_cast<Eigen::Index>(rows.size()));
    for (size_t i = 0; i < rows.size(); ++i) {
      auto column = static_cast<Eigen::Index>(i), row = static_cast<Eigen::Index>(rows[i]);
      fit_points.col(column) = points.col(row);
      fit_y[column] = y[row];
    }
    return gp::fit_kernel(inputs, fit_points, fit_y, starts, model_options, evaluations);
  }

  // Past max_points complete trials the GP sees the best half and a seeded random sample of the
  // rest (coverage of the explored space, so the acquisition does not return to it).
  void keep_subset(Observations& observed, gp::Random& random) const {
    if (observed.trials.size() <= static_cast<size_t>(options_.max_points)) return;
    Observations kept;
    for (size_t i :
         best_and_random(observed.values, static_cast<size_t>(options_.max_points), random)) {
      kept.trials.push_back(observed.trials[i]);
      kept.values.push_back(observed.values[i]);
    }
    observed = std::move(kept);
  }

  static Eigen::MatrixXd encode(const SearchSpace& space, const gp::InputSpace& inputs,
                                const std::vector<const FrozenTrial*>& trials) {
    Eigen::MatrixXd points(static_cast<Eigen::Index>(space.size()),
                           static_cast<Eigen::Index>(trials.size()));
    for (size_t i = 0; i < trials.size(); ++i) {
      std::vector<double> x = space.encode(trials[i]->config).x;
      inputs.snap(x);
      points.col(static_cast<Eigen::Index>(i)) =
          Eigen::Map<Eigen::VectorXd>(x.data(), points.rows());
    }
    return points;
  }

  // The best scored point whose configuration is allowed and new; a configuration that was
  // already evaluated (or is running) only when nothing new is within `tolerance` of it.
  static std::optional<Config> choose(const SampleContext& context, const gp::InputSpace& inputs,
                                      const std::vector<gp::ScoredPoint>& scored,
                                      const std::set<std::vector<double>>& seen,
                                      double tolerance) {
    const SearchSpace& space = context.space;
    std::optional<Config> duplicate;
    double duplicate_value = 0.0;
    for (const gp::ScoredPoint& point : scored) {
      if (duplicate && point.value < duplicate_value - tolerance) break;
      Config config = space.decode(point.x);
      if (space.is_forbidden(config)) continue;
      std::vector<double> x = space.encode(config).x;
      inputs.snap(x);
      if (!seen.contains(x)) return config;
      if (!duplicate) {
        duplicate = std::move(config);
        duplicate_value = point.value;
      }
    }
    return duplicate;
  }

  GpOptions options_;
  uint64_t seed_;
  const SearchSpace* evaluated_space_ = nullptr;
  HistoryReader evaluated_reader_;
  std::vector<size_t> positions_;
  std::set<std::vector<double>> evaluated_;
};

}  // namespace

std::unique_ptr<Sampler> create_gp_sampler(const SamplerOptions& options, uint64_t seed) {
  SamplerOptionReader reader("gp", options);
  GpOptions parsed;
  parsed.n_startup = reader.get_int("n_startup", parsed.n_startup, 0);
  parsed.n_candidates = reader.get_int("n_candidates", parsed.n_candidates, 1);
  parsed.n_local = reader.get_int("n_local", parsed.n_local, 0);
  parsed.max_points = reader.get_int("max_points", parsed.max_points, 4);
  parsed.full_fit_until = reader.get_int("full_fit_until", parsed.full_fit_until, 0);
  parsed.refit_every = reader.get_int("refit_every", parsed.refit_every, 1);
  parsed.fit_points = reader.get_int("fit_points", parsed.fit_points, 4);
  parsed.deterministic = reader.get_bool("deterministic", parsed.deterministic);
  parsed.power_transform = reader.get_bool("power_transform", parsed.power_transform);
  reader.finish();
  return std::make_unique<GpSampler>(parsed, seed);
}

}  // namespace winnow
