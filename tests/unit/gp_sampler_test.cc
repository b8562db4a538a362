// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The "gp" sampler: its model (kernel and marginal-likelihood gradients, interpolation), its
// acquisition (log EI where EI underflows), and its behaviour as a sampler (finds minima far
// better than random search, handles duplicates, running trials, mixed spaces, resumes).
// Trial counts are small: the whole file must stay fast under ASan.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <set>

#include "samplers/gaussian_process.h"
#include "samplers/gp_acquisition.h"
#include "winnow/error.h"
#include "winnow/sampler.h"

namespace winnow {
namespace {

using Objective = std::function<double(const Config&)>;

double number(const Config& config, const std::string& name) {
  return *as_number(config.at(name));
}

// Runs `sampler` for n trials as a study would: each proposal is told before the next, with the
// sampler's notes stored on the trial. Returns the history.
std::vector<FrozenTrial> run(Sampler& sampler, const SearchSpace& space, const Objective& f, int n,
                             std::vector<FrozenTrial> history = {}) {
  std::vector<Direction> directions = {Direction::kMinimize};
  for (int i = 0; i < n; ++i) {
    std::map<std::string, std::string> attrs;
    SampleContext context{space, history, directions, static_cast<int64_t>(history.size()), &attrs};
    std::optional<Config> config = sampler.sample(context);
    EXPECT_TRUE(config.has_value());
    if (!config) break;
    FrozenTrial trial;
    trial.number = static_cast<int64_t>(history.size());
    trial.state = TrialState::kComplete;
    trial.values = {f(*config)};
    trial.config = *config;
    trial.user_attrs = std::move(attrs);
    history.push_back(std::move(trial));
  }
  return history;
}

double best_value(const std::vector<FrozenTrial>& history) {
  double best = INFINITY;
  for (const FrozenTrial& t : history) best = std::min(best, t.values.at(0));
  return best;
}

SearchSpace box(int dims, double low, double high) {
  SearchSpace space;
  for (int j = 0; j < dims; ++j) space.add_float("x" + std::to_string(j), low, high);
  space.validate();
  return space;
}

double branin(const Config& c) {
  double x = number(c, "x0"), y = number(c, "x1");
  constexpr double kPi = 3.14159265358979323846;
  double b = 5.1 / (4 * kPi * kPi), cc = 5 / kPi, t = 1 / (8 * kPi);
  return std::pow(y - b * x * x + cc * x - 6, 2) + 10 * (1 - t) * std::cos(x) + 10;
}

// ---- Model ----------------------------------------------------------------------------------

SearchSpace mixed_space() {
  SearchSpace space;
  space.add_float("a", 0.0, 1.0)
      .add_int("b", 1, 6)
      .add_categorical("c", {std::string("p"), std::string("q"), std::string("r")})
      .add_float("d", 1e-3, 1.0).log();
  space.validate();
  return space;
}

Eigen::MatrixXd random_points(const gp::InputSpace& inputs, int n, uint64_t seed) {
  gp::Random random(seed);
  Eigen::MatrixXd points(static_cast<Eigen::Index>(inputs.dimensions()), n);
  for (int c = 0; c < n; ++c) {
    for (Eigen::Index j = 0; j < points.rows(); ++j) points(j, c) = random.uniform();
    inputs.snap({points.col(c).data(), inputs.dimensions()});
  }
  return points;
}

TEST(GpModel, MarginalLikelihoodGradientMatchesFiniteDifferences) {
  SearchSpace space = mixed_space();
  gp::InputSpace inputs(space);
  Eigen::MatrixXd points = random_points(inputs, 12, 3);
  Eigen::VectorXd y(12);
  for (int i = 0; i < 12; ++i) y[i] = std::sin(3 * points(0, i)) + points(1, i) - points(3, i);
  Eigen::VectorXd theta(6);
  theta << 0.3, -0.4, 0.2, 0.7, 0.1, std::log(0.05);
  gp::ModelOptions options;
  Eigen::VectorXd gradient;
  gp::negative_log_posterior(inputs, points, y, theta, options, &gradient);
  for (Eigen::Index p = 0; p < theta.size(); ++p) {
    const double h = 1e-5;
    Eigen::VectorXd plus = theta, minus = theta;
    plus[p] += h;
    minus[p] -= h;
    double numeric = (gp::negative_log_posterior(inputs, points, y, plus, options, nullptr) -
                      gp::negative_log_posterior(inputs, points, y, minus, options, nullptr)) /
                     (2 * h);
    EXPECT_NEAR(gradient[p], numeric, 1e-5 * std::max(1.0, std::abs(numeric))) << "theta " << p;
  }
}

TEST(GpModel, PosteriorAndLogEiGradientsMatchFiniteDifferences) {
  SearchSpace space = mixed_space();
  gp::InputSpace inputs(space);
  Eigen::MatrixXd points = random_points(inputs, 10, 5);
  Eigen::VectorXd y = Eigen::VectorXd::LinSpaced(10, -1.0, 1.0);
  Eigen::VectorXd theta(6);
  theta << 0.5, 0.0, 0.0, 0.4, 0.0, std::log(1e-3);
  gp::GaussianProcess model(inputs, points, y, theta, gp::ModelOptions{});
  gp::LogExpectedImprovement acquisition(model, -1.2);
  std::vector<double> x = {0.37, inputs.centre(1, 2), inputs.centre(2, 1), 0.61};
  double mean, variance;
  std::vector<double> dmean(4), dvariance(4), dlogei(4);
  model.predict_with_gradient(x.data(), &mean, &variance, dmean.data(), dvariance.data());
  acquisition.value_and_gradient(x.data(), dlogei.data());
  for (size_t j : {size_t{0}, size_t{3}}) {  // the continuous dimensions
    const double h = 1e-6;
    std::vector<double> plus = x, minus = x;
    plus[j] += h;
    minus[j] -= h;
    double m1, v1, m2, v2;
    model.predict(plus.data(), &m1, &v1);
    model.predict(minus.data(), &m2, &v2);
    EXPECT_NEAR(dmean[j], (m1 - m2) / (2 * h), 1e-5);
    EXPECT_NEAR(dvariance[j], (v1 - v2) / (2 * h), 1e-5);
    double numeric = (acquisition.value(plus.data()) - acquisition.value(minus.data())) / (2 * h);
    EXPECT_NEAR(dlogei[j], numeric, 1e-4 * std::max(1.0, std::abs(numeric)));
  }
  EXPECT_EQ(dmean[1], 0.0);  // discrete and categorical: piecewise constant
  EXPECT_EQ(dmean[2], 0.0);
}

TEST(GpModel, BatchPredictionMatchesPointwise) {
  SearchSpace space = mixed_space();
  gp::InputSpace inputs(space);
  Eigen::MatrixXd points = random_points(inputs, 20, 11);
  Eigen::VectorXd y = Eigen::VectorXd::LinSpaced(20, 1.0, -1.0);
  Eigen::VectorXd theta(6);
  theta << 1.0, -0.5, 0.3, 0.8, 0.2, std::log(1e-4);
  gp::GaussianProcess model(inputs, points, y, theta, gp::ModelOptions{});
  Eigen::MatrixXd queries = random_points(inputs, 30, 12);
  queries.col(0) = points.col(3);  // on top of an observation
  Eigen::VectorXd means, variances;
  model.predict_batch(queries, &means, &variances);
  for (Eigen::Index c = 0; c < queries.cols(); ++c) {
    double mean, variance;
    model.predict(queries.col(c).data(), &mean, &variance);
    EXPECT_NEAR(means[c], mean, 1e-9);
    EXPECT_NEAR(variances[c], variance, 1e-9);
  }
}

TEST(GpModel, PosteriorInterpolatesNoiseFreeData) {
  SearchSpace space = box(2, 0.0, 1.0);
  gp::InputSpace inputs(space);
  Eigen::MatrixXd points = random_points(inputs, 15, 9);
  Eigen::VectorXd y(15);
  for (int i = 0; i < 15; ++i) y[i] = std::cos(4 * points(0, i)) * points(1, i);
  gp::ModelOptions options;
  options.deterministic = true;
  std::vector<Eigen::VectorXd> starts = {gp::default_theta(2)};
  gp::FitResult fit = gp::fit_kernel(inputs, points, y, starts, options, 100);
  gp::GaussianProcess model(inputs, points, y, fit.theta, options);
  for (int i = 0; i < 15; ++i) {
    double mean, variance;
    model.predict(points.col(i).data(), &mean, &variance);
    EXPECT_NEAR(mean, y[i], 1e-3);
    EXPECT_LT(variance, 1e-4);
  }
}

TEST(GpModel, IntegersAreFlatWithinTheirCell) {
  SearchSpace space;
  space.add_int("n", 1, 4).add_int("m", 1, 1000).log();
  space.validate();
  gp::InputSpace inputs(space);
  EXPECT_EQ(inputs.kind(0), gp::DimensionKind::kDiscrete);
  EXPECT_EQ(inputs.cells(1), 1000u);
  // Every unit coordinate snaps to the encoding of the integer decode() gives it.
  for (double u : {0.0, 0.1, 0.249, 0.251, 0.6, 0.999, 1.0}) {
    for (size_t j = 0; j < 2; ++j) {
      std::vector<double> x = {u, u};
      inputs.snap(x);
      EXPECT_DOUBLE_EQ(x[j], space.encode_value(j, space.decode_value(j, u))) << u << " dim " << j;
    }
  }
}

// ---- log EI ---------------------------------------------------------------------------------

TEST(GpAcquisition, LogHIsLogOfExpectedImprovementWhereRepresentable) {
  // The direct formula in long double: phi + z Phi cancels for negative z, losing about z^2
  // ulps, which 64-bit long double mantissas absorb down to z = -30 (h ~ 1e-198).
  for (double z = -30.0; z <= 6.0; z += 0.25) {
    long double lz = z;
    long double phi = std::exp(-0.5L * lz * lz) / std::sqrt(2.0L * static_cast<long double>(M_PI));
    long double cdf = 0.5L * std::erfc(-lz / std::sqrt(2.0L));
    double reference = static_cast<double>(std::log(phi + lz * cdf));
    EXPECT_NEAR(gp::log_h(z), reference, 1e-10 * std::max(1.0, std::abs(reference))) << z;
  }
}

TEST(GpAcquisition, LogHStaysFiniteAndIncreasingWhereEiUnderflows) {
  // At z = -40, EI ~ phi(40)/1600 ~ 1e-351: below the smallest double.
  double phi = std::exp(-0.5 * 40.0 * 40.0);
  EXPECT_EQ(phi / 1600.0, 0.0);
  double previous = -INFINITY;
  for (double z = -45.0; z <= -35.0; z += 0.5) {
    double value = gp::log_h(z);
    ASSERT_TRUE(std::isfinite(value)) << z;
    EXPECT_GT(value, previous) << z;
    previous = value;
  }
  double asymptote = -800.0 - 0.5 * std::log(2 * M_PI) - 2 * std::log(40.0);
  // h(z) = phi(z) / z^2 (1 - 3/z^2 + 15/z^4 - 105/z^6 + ...) as z -> -inf.
  EXPECT_NEAR(gp::log_h(-40.0),
              asymptote + std::log1p(-3.0 / 1600.0 + 15.0 / 2.56e6 - 105.0 / 4.096e9), 1e-9);
  EXPECT_TRUE(std::isfinite(gp::log_h(-1e9)));
  EXPECT_GT(gp::log_h(-1e8), gp::log_h(-1e9));
  // Its slope Phi/h tends to |z|.
  EXPECT_NEAR(gp::log_h_derivative(-40.0),
              (gp::log_h(-40.0 + 1e-6) - gp::log_h(-40.0 - 1e-6)) / 2e-6, 1e-3);
  EXPECT_NEAR(gp::log_h_derivative(0.3), (gp::log_h(0.3 + 1e-6) - gp::log_h(0.3 - 1e-6)) / 2e-6,
              1e-6);
  EXPECT_NEAR(gp::erfcx(12.0), std::exp(144.0) * std::erfc(12.0), 1e-12);
}

// ---- Sampler --------------------------------------------------------------------------------

TEST(GpSampler, FindsMinimaFarBetterThanRandom) {
  SearchSpace square = box(2, -5.0, 5.0);
  Objective quadratic = [](const Config& c) {
    return std::pow(number(c, "x0") - 1.3, 2) + 2 * std::pow(number(c, "x1") + 0.7, 2);
  };
  SearchSpace branin_space;
  branin_space.add_float("x0", -5.0, 10.0).add_float("x1", 0.0, 15.0);
  branin_space.validate();
  constexpr double kBraninMinimum = 0.397887;
  for (uint64_t seed : {1, 2}) {
    auto gp = create_sampler(SamplerSpec::parse("gp:n_candidates=512"), seed);
    auto random = create_sampler(SamplerSpec::parse("random"), seed);
    double gp_best = best_value(run(*gp, square, quadratic, 25));
    double random_best = best_value(run(*random, square, quadratic, 25));
    EXPECT_LT(gp_best, 1e-3) << "seed " << seed;
    EXPECT_LT(gp_best, random_best / 100) << "seed " << seed;

    gp = create_sampler(SamplerSpec::parse("gp:n_candidates=512"), seed);
    random = create_sampler(SamplerSpec::parse("random"), seed);
    double gp_regret = best_value(run(*gp, branin_space, branin, 35)) - kBraninMinimum;
    double random_regret = best_value(run(*random, branin_space, branin, 35)) - kBraninMinimum;
    EXPECT_LT(gp_regret, 0.05) << "seed " << seed;
    EXPECT_LT(gp_regret, random_regret / 10) << "seed " << seed;
  }
}

TEST(GpSampler, MaximisesWhenAskedTo) {
  SearchSpace space = box(1, -2.0, 2.0);
  auto gp = create_sampler(SamplerSpec::parse("gp:n_startup=4,n_candidates=256"), 3);
  std::vector<FrozenTrial> history;
  std::vector<Direction> directions = {Direction::kMaximize};
  for (int i = 0; i < 14; ++i) {
    SampleContext context{space, history, directions, static_cast<int64_t>(history.size())};
    Config config = *gp->sample(context);
    FrozenTrial t;
    t.number = i;
    t.state = TrialState::kComplete;
    t.values = {-std::pow(number(config, "x0") - 0.5, 2)};
    t.config = config;
    history.push_back(t);
  }
  double best = -INFINITY;
  for (const FrozenTrial& t : history) best = std::max(best, t.values[0]);
  EXPECT_GT(best, -1e-3);
}

TEST(GpSampler, DuplicatesFailuresAndInfinitiesInHistoryAreHarmless) {
  SearchSpace space = box(2, 0.0, 1.0);
  std::vector<FrozenTrial> history;
  for (int i = 0; i < 14; ++i) {
    FrozenTrial t;
    t.number = i;
    t.state = i == 3 ? TrialState::kFailed : i == 4 ? TrialState::kPruned : TrialState::kComplete;
    t.config = {{"x0", 0.25}, {"x1", i % 2 == 0 ? 0.5 : 0.75}};  // two points, seven times each
    if (t.state == TrialState::kComplete) t.values = {i == 5 ? INFINITY : i % 2 == 0 ? 1.0 : 2.0};
    history.push_back(t);
  }
  auto gp = create_sampler(SamplerSpec::parse("gp:n_candidates=256"), 1);
  std::vector<Direction> directions = {Direction::kMinimize};
  SampleContext context{space, history, directions, 14};
  std::optional<Config> config;
  ASSERT_NO_THROW(config = gp->sample(context));
  ASSERT_TRUE(config);
  EXPECT_NO_THROW(space.check(*config));
  EXPECT_FALSE(number(*config, "x0") == 0.25 &&
               (number(*config, "x1") == 0.5 || number(*config, "x1") == 0.75));
}

TEST(GpSampler, RunningTrialsPushTheNextProposalAway) {
  SearchSpace space = box(2, -3.0, 3.0);
  Objective bowl = [](const Config& c) {
    return std::pow(number(c, "x0") - 0.4, 2) + std::pow(number(c, "x1") + 0.3, 2);
  };
  // Early in a run, when several workers ask at once: the model is still uncertain, so where
  // the first proposal goes matters to the second.
  auto gp = create_sampler(SamplerSpec::parse("gp:n_startup=5,n_candidates=512"), 4);
  std::vector<FrozenTrial> history = run(*gp, space, bowl, 6);
  std::vector<Direction> directions = {Direction::kMinimize};
  SampleContext context{space, history, directions, 6};
  Config first = *gp->sample(context);
  // Ask again with the first proposal running. Without the fantasy the model would be the same
  // and its EI maximiser the same point.
  FrozenTrial pending;
  pending.number = 6;
  pending.state = TrialState::kRunning;
  pending.config = first;
  history.push_back(pending);
  SampleContext with_running{space, history, directions, 6};
  Config second = *gp->sample(with_running);
  history.pop_back();
  Config again = *gp->sample(context);
  double moved = std::hypot(number(second, "x0") - number(first, "x0"),
                            number(second, "x1") - number(first, "x1"));
  double repeated = std::hypot(number(again, "x0") - number(first, "x0"),
                               number(again, "x1") - number(first, "x1"));
  EXPECT_GT(moved, 0.05);
  EXPECT_LT(repeated, 1e-9);  // the same context gives the same proposal
}

TEST(GpSampler, ProposalsInMixedAndConditionalSpacesAreMembers) {
  SearchSpace space;
  space.add_float("lr", 1e-5, 1e-1).log()
      .add_int("layers", 1, 8)
      .add_int("width", 16, 1024).log()
      .add_float("dropout", 0.0, 0.5).step(0.1)
      .add_categorical("optimizer", {std::string("adam"), std::string("sgd"), std::string("rms")})
      .add_ordinal("batch", {int64_t{32}, int64_t{64}, int64_t{128}})
      .add_float("momentum", 0.0, 0.99).when("optimizer == 'sgd'")
      .forbid("optimizer == 'sgd' and lr > 0.01");
  space.validate();
  Objective f = [](const Config& c) {
    double v = std::pow(std::log10(number(c, "lr")) + 3, 2) + std::abs(number(c, "layers") - 3) +
               number(c, "dropout") + (std::get<std::string>(c.at("optimizer")) == "adam" ? 0 : 1);
    if (c.contains("momentum")) v += number(c, "momentum");
    return v;
  };
  auto gp = create_sampler(SamplerSpec::parse("gp:n_startup=5,n_candidates=256"), 8);
  std::vector<FrozenTrial> history = run(*gp, space, f, 16);
  for (const FrozenTrial& t : history) EXPECT_NO_THROW(space.check(t.config));
}

TEST(GpSampler, DeterministicObjectiveVisitsEveryConfigurationBeforeRepeating) {
  SearchSpace space;
  space.add_int("a", 0, 2).add_categorical("b", {std::string("u"), std::string("v")});
  space.validate();
  Objective f = [](const Config& c) {
    return number(c, "a") + (std::get<std::string>(c.at("b")) == "u" ? 0.0 : 0.5);
  };
  // A deterministic objective: repeating a configuration teaches nothing, so every one of the
  // six is visited before any repeats; then the sampler goes on proposing members.
  auto gp =
      create_sampler(SamplerSpec::parse("gp:n_startup=3,n_candidates=64,deterministic=true"), 2);
  std::vector<FrozenTrial> history = run(*gp, space, f, 9);
  std::set<Config> distinct;
  for (size_t i = 0; i < 6; ++i) distinct.insert(history[i].config);
  // The Sobol start may itself repeat a configuration; the model never does.
  EXPECT_GE(distinct.size(), 5u);
  for (size_t i = 3; i < 6; ++i) {
    for (size_t k = 0; k < i; ++k) EXPECT_NE(history[i].config, history[k].config) << i << " " << k;
  }
  for (const FrozenTrial& t : history) EXPECT_NO_THROW(space.check(t.config));
}

TEST(GpSampler, ADifferentHistoryIsReadWhole) {
  // The sampler keeps the configurations of the history it saw between asks; given a history
  // that does not extend that one, it must avoid that history's configurations, as a fresh
  // sampler does, not the old ones.
  SearchSpace space;
  space.add_int("a", 0, 3).add_categorical("b", {std::string("u"), std::string("v")});
  space.validate();
  Objective f = [](const Config& c) {
    return number(c, "a") + (std::get<std::string>(c.at("b")) == "u" ? 0.0 : 0.5);
  };
  const std::string spec = "gp:n_startup=3,n_candidates=64,deterministic=true";
  std::vector<FrozenTrial> first = run(*create_sampler(SamplerSpec::parse(spec), 3), space, f, 5);
  std::vector<FrozenTrial> second = run(*create_sampler(SamplerSpec::parse(spec), 4), space, f, 5);
  // Distinct trials, as a storage numbers them (the same number, another id).
  for (FrozenTrial& t : first) t.id = t.number;
  for (FrozenTrial& t : second) t.id = 100 + t.number;
  auto warm = create_sampler(SamplerSpec::parse(spec), 5);
  run(*warm, space, f, 1, first);
  std::vector<Direction> directions = {Direction::kMinimize};
  SampleContext context{space, second, directions, 5};
  EXPECT_EQ(*warm->sample(context), *create_sampler(SamplerSpec::parse(spec), 5)->sample(context));
  for (const FrozenTrial& t : second) EXPECT_NE(*warm->sample(context), t.config);
}

TEST(GpSampler, AtMostThreeObjectives) {
  SearchSpace space = box(1, 0.0, 1.0);
  auto gp = create_sampler(SamplerSpec::parse("gp"), 1);
  std::vector<Direction> directions(4, Direction::kMinimize);
  SampleContext context{space, {}, directions, 0};
  try {
    gp->sample(context);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sampler 'gp' supports up to 3 objectives; this study "
                                         "has 4"),
              std::string::npos)
        << e.what();
  }
}

TEST(GpSampler, OptionsAreChecked) {
  EXPECT_THROW(create_sampler(SamplerSpec::parse("gp:n_startp=3"), 1), Error);
  EXPECT_THROW(create_sampler(SamplerSpec::parse("gp:max_points=1"), 1), Error);
  EXPECT_THROW(create_sampler(SamplerSpec::parse("gp:mo_acquisition=nehvi"), 1), Error);
  EXPECT_THROW(create_sampler(SamplerSpec::parse("gp:mo_reference_margin=-1"), 1), Error);
  EXPECT_NO_THROW(create_sampler(
      SamplerSpec::parse("gp:n_startup=3,n_candidates=64,n_local=2,max_points=50,fit_points=40,"
                         "full_fit_until=20,refit_every=5,deterministic=true,"
                         "mo_acquisition=parego,mo_reference_margin=0.5"),
      1));
}

TEST(GpSampler, SameSeedAndHistorySameProposalAndResumeContinues) {
  SearchSpace space = box(3, -2.0, 2.0);
  Objective f = [](const Config& c) {
    return std::pow(number(c, "x0"), 2) + std::abs(number(c, "x1") - 0.5) + number(c, "x2");
  };
  // Short warm-started fits from the third trial on, so the stored kernel matters.
  const std::string spec = "gp:n_startup=5,n_candidates=256,full_fit_until=0,refit_every=4";
  auto whole = create_sampler(SamplerSpec::parse(spec), 21);
  std::vector<FrozenTrial> all = run(*whole, space, f, 14);
  // A fresh sampler given the first 13 trials proposes the 14th.
  auto resumed = create_sampler(SamplerSpec::parse(spec), 21);
  std::vector<FrozenTrial> first(all.begin(), all.begin() + 13);
  std::vector<Direction> directions = {Direction::kMinimize};
  std::map<std::string, std::string> attrs;
  SampleContext context{space, first, directions, 13, &attrs};
  EXPECT_EQ(*resumed->sample(context), all[13].config);
  EXPECT_EQ(attrs, all[13].user_attrs);
  EXPECT_TRUE(attrs.contains("winnow.gp.kernel"));
  // Another seed proposes something else.
  auto other = create_sampler(SamplerSpec::parse(spec), 22);
  EXPECT_NE(*other->sample(context), all[13].config);
}

}  // namespace
}  // namespace winnow
