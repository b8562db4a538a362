// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Gaussian-process Bayesian optimisation ("gp") on spaces of up to ~30 parameters. With two or
// three objectives, or with constraints, proposals come from gp_multi_objective.cc (one GP per
// objective and constraint, log EHVI or ParEGO, times the probability of feasibility).
// docs/gp.md explains the model and the measured costs; for one objective, in short:
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
//   mo_acquisition=ehvi  several objectives: ehvi (one GP per objective, exact log EHVI) or
//                        parego (random augmented-Chebyshev scalarisation, one GP, log EI).
//   mo_reference_margin=0.1  EHVI's reference point: the front's nadir plus this times each
//                        objective's observed range.
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
#include "samplers/gp_common.h"
#include "samplers/gp_multi_objective.h"
#include "samplers/history_reader.h"
#include "samplers/registry.h"
#include "samplers/sampler_util.h"
#include "winnow/error.h"

namespace winnow {
namespace {

const std::string kKernelAttr(kGpKernelAttr);
constexpr int kAnchors = 5;
using gp::GpOptions;

// The complete trials the model sees, in history order, with values to minimise.
struct Observations {
  std::vector<const FrozenTrial*> trials;
  std::vector<double> values;
};

class GpSampler : public Sampler {
 public:
  GpSampler(GpOptions options, uint64_t seed) : options_(options), seed_(seed) {}
  std::string_view name() const override { return "gp"; }

  std::optional<Config> sample(const SampleContext& context) override {
    if (context.directions.size() > gp::kMaxObjectives) {
      throw Error("sampler 'gp' supports up to " + std::to_string(gp::kMaxObjectives) +
                  " objectives; this study has " + std::to_string(context.directions.size()) +
                  " (use tpe or nsga2)");
    }
    // Several objectives, or constraints: one GP per objective and per constraint, EHVI (EI
    // with one objective) times the probability that every constraint holds.
    if (context.directions.size() > 1 || reports_constraints(context)) {
      if (complete_count(context) < std::max<int64_t>(options_.n_startup, 2)) {
        return startup(context);
      }
      return gp::propose_multi_objective(context, options_, seed_, evaluated_configs(context));
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
  static bool reports_constraints(const SampleContext& context) {
    return std::any_of(context.history.begin(), context.history.end(),
                       [](const FrozenTrial& t) { return !t.constraints.empty(); });
  }

  // Complete trials with every objective a number: what the models would be fitted on.
  static int64_t complete_count(const SampleContext& context) {
    int64_t count = 0;
    for (const FrozenTrial& trial : context.history) {
      if (trial.number < 0 || trial.state != TrialState::kComplete ||
          trial.values.size() != context.directions.size()) {
        continue;
      }
      if (std::none_of(trial.values.begin(), trial.values.end(),
                       [](double v) { return std::isnan(v); })) {
        ++count;
      }
    }
    return count;
  }

  std::optional<Config> startup(const SampleContext& context) const {
    // A fresh Sobol sampler each time: its n-th point depends only on (seed, trial count).
    auto sobol = create_sampler(SamplerSpec{"sobol", {}}, mix_seed(seed_, 0x50B01));
    SampleContext plain{context.space, {}, context.directions, context.trial_count, nullptr};
    return sobol->sample(plain);
  }

  // The snapped encodings of every configuration in the history, evaluated or running, which
  // choose_scored() avoids proposing again. A trial's configuration never changes, so each ask
  // encodes only the trials new since the last one (history_reader.h): a set rebuilt from every
  // trial on every ask cost more than the model in a large study.
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
    gp::Random random(mix_seed(seed_, stream_position(context)));
    const size_t complete_count = observed.trials.size();
    gp::clip_infinities(observed.values);
    keep_subset(observed, random);
    if (running.size() > static_cast<size_t>(options_.max_points / 4)) {
      running.erase(running.begin(),
                    running.end() - static_cast<std::ptrdiff_t>(options_.max_points / 4));
    }

    gp::InputSpace inputs(space);
    const Eigen::Index d = static_cast<Eigen::Index>(space.size());
    const Eigen::Index n = static_cast<Eigen::Index>(observed.trials.size());
    Eigen::MatrixXd points = gp::encode_trials(space, inputs, observed.trials);
    Eigen::VectorXd y = gp::prepare_targets(observed.values, options_.power_transform);

    gp::ModelOptions model_options;
    model_options.deterministic = options_.deterministic;
    std::optional<Eigen::VectorXd> warm;
    if (std::optional<std::string> stored = gp::latest_attr(context.history, kKernelAttr)) {
      warm = gp::theta_from_json(*stored, gp::theta_size(space.size()));
    }
    gp::FitResult fit = gp::fit_for_proposal(inputs, points, y, observed.values, complete_count,
                                             warm, model_options, options_, random);

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
    Eigen::VectorXd believed = model.add_fantasies(gp::encode_trials(space, inputs, running));
    if (believed.size() > 0) incumbent = std::min(incumbent, believed.minCoeff());
    gp::LogExpectedImprovement acquisition(model, incumbent);
    gp::AcquisitionOptions acquisition_options;
    acquisition_options.candidates = static_cast<int>(options_.n_candidates);
    acquisition_options.local_searches = static_cast<int>(options_.n_local);
    std::vector<gp::ScoredPoint> scored =
        gp::maximize_acquisition(acquisition, inputs, anchors, random, acquisition_options);

    std::optional<Config> config = gp::choose_scored(
        space, inputs, scored, evaluated, options_.deterministic ? INFINITY : gp::nearly_as_good());
    if (!config) config = gp::uniform_allowed(space, random);  // every scored point forbidden
    if (context.trial_attrs != nullptr) {
      (*context.trial_attrs)[kKernelAttr] =
          nlohmann::json(std::vector<double>(fit.theta.data(), fit.theta.data() + fit.theta.size()))
              .dump();
    }
    return config;
  }

  // Past max_points complete trials the GP sees the best half and a seeded random sample of the
  // rest (coverage of the explored space, so the acquisition does not return to it).
  void keep_subset(Observations& observed, gp::Random& random) const {
    if (observed.trials.size() <= static_cast<size_t>(options_.max_points)) return;
    Observations kept;
    for (size_t i : gp::best_and_random(observed.values,
                                        static_cast<size_t>(options_.max_points), random)) {
      kept.trials.push_back(observed.trials[i]);
      kept.values.push_back(observed.values[i]);
    }
    observed = std::move(kept);
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
  parsed.mo_acquisition = reader.get_string("mo_acquisition", parsed.mo_acquisition);
  if (parsed.mo_acquisition != "ehvi" && parsed.mo_acquisition != "parego") {
    throw Error("sampler 'gp': option mo_acquisition must be ehvi or parego, not '" +
                parsed.mo_acquisition + "'");
  }
  parsed.mo_reference_margin = reader.get_double("mo_reference_margin", parsed.mo_reference_margin);
  if (!(parsed.mo_reference_margin >= 0.0)) {
    throw Error("sampler 'gp': option mo_reference_margin must be a number >= 0");
  }
  reader.finish();
  return std::make_unique<GpSampler>(parsed, seed);
}

}  // namespace winnow
