// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The TPE sampler: its Parzen estimator against reference values computed with Optuna 3.1's
// _ParzenEstimator, and the sampler's behaviour (it finds good regions, handles ints,
// categoricals, conditions, running, pruned, multi-objective and constrained trials, and is
// reproducible). The good/bad and constraint splits are tested in tpe_split_test.cc.
// Sampler comparisons use medians over several seeds so that they cannot flake.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <numeric>
#include <random>

#include "analysis/hypervolume.h"
#include "samplers/parzen_estimator.h"
#include "winnow/error.h"
#include "winnow/sampler.h"
#include "winnow/storage.h"
#include "winnow/study.h"

namespace winnow {
namespace {

double number(const Config& config, const std::string& name) {
  return as_number(config.at(name)).value();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

using Objective = std::function<std::vector<double>(const Config&)>;

// A sequential study: ask, evaluate, record as complete.
std::vector<FrozenTrial> optimize(const std::string& spec, const SearchSpace& space,
                                  const Objective& objective, int n_trials, uint64_t seed,
                                  std::vector<Direction> directions = {Direction::kMinimize}) {
  auto sampler = create_sampler(SamplerSpec::parse(spec), seed);
  std::vector<FrozenTrial> history;
  for (int i = 0; i < n_trials; ++i) {
    SampleContext context{space, history, directions, static_cast<int64_t>(history.size())};
    Config config = sampler->sample(context).value();
    FrozenTrial trial;
    trial.id = i;
    trial.number = i;
    trial.state = TrialState::kComplete;
    trial.values = objective(config);
    trial.config = std::move(config);
    history.push_back(std::move(trial));
  }
  return history;
}

double best_value(const std::vector<FrozenTrial>& history) {
  double best = INFINITY;
  for (const FrozenTrial& t : history) best = std::min(best, t.values[0]);
  return best;
}

// ---- Parzen estimator ----------------------------------------------------------------------

// Observations and query points of the reference values, produced with Optuna 3.1:
//   _ParzenEstimator({name: obs}, {name: dist}, _ParzenEstimatorParameters(True, 1.0, True, False,
//                    default_weights, multivariate)).log_pdf({name: query})
// with x ~ FloatDistribution(0, 1), k ~ IntDistribution(0, 9), c ~ Categorical(a, b, c, d), and
// 3.1's _truncnorm.logpdf patched to subtract log(scale) as Optuna 3.2 and later do (3.1's
// continuous densities are not normalised).
const std::vector<double> kObsX = {0.05, 0.1,  0.12, 0.3,  0.31, 0.5,
                                   0.66, 0.8, 0.95, 0.97, 0.2,  0.44};
const std::vector<int> kObsK = {0, 3, 3, 7, 9, 1, 2, 2, 5, 8, 4, 6};
const std::vector<int> kObsC = {0, 1, 1, 2, 0, 0, 3, 1, 1, 2, 0, 1};
const std::vector<double> kQueryX = {0.0, 0.07, 0.33, 0.9, 1.0};
const std::vector<int> kQueryK = {0, 3, 9, 4, 6};
const std::vector<int> kQueryC = {1, 0, 3, 2, 1};

SearchSpace reference_space() {
  SearchSpace space;
  space.add_float("x", 0.0, 1.0)
      .add_int("k", 0, 9)
      .add_categorical("c", {std::string("a"), std::string("b"), std::string("c"),
                             std::string("d")});
  space.validate();
  return space;
}

// Unit-cube coordinates of column `column` (x, k or c) for the given values.
std::vector<double> encoded(const SearchSpace& space, size_t column, const std::vector<double>& x,
                            const std::vector<int>& k, const std::vector<int>& c) {
  std::vector<double> out;
  if (column == 0) {
    for (double v : x) out.push_back(space.encode_value(0, v));
  } else if (column == 1) {
    for (int v : k) out.push_back(space.encode_value(1, int64_t{v}));
  } else {
    for (int v : c) out.push_back(space.encode_value(2, space.params()[2].choices[v]));
  }
  return out;
}

// Optuna's settings: multivariate = the Scott-like bandwidth, else the neighbour rule; the magic
// clip 1 / min(100, n + 2) (ParzenOptions' defaults).
ParzenOptions optuna_options(bool multivariate) {
  return ParzenOptions{.bandwidth = multivariate ? ParzenOptions::Bandwidth::kScott
                                                 : ParzenOptions::Bandwidth::kNeighbour};
}

std::vector<double> parzen_log_pdf(bool multivariate, std::vector<size_t> columns) {
  SearchSpace space = reference_space();
  std::vector<ParzenDimension> dims;
  for (size_t c : columns) dims.push_back(ParzenDimension::from_spec(space.params()[c]));
  std::vector<std::vector<double>> obs, query;
  for (size_t c : columns) {
    obs.push_back(encoded(space, c, kObsX, kObsK, kObsC));
    query.push_back(encoded(space, c, kQueryX, kQueryK, kQueryC));
  }
  auto row_major = [&](const std::vector<std::vector<double>>& cols) {
    std::vector<double> out;
    for (size_t i = 0; i < cols[0].size(); ++i) {
      for (const auto& col : cols) out.push_back(col[i]);
    }
    return out;
  };
  ParzenEstimator estimator(dims, row_major(obs), default_weights(kObsX.size()),
                            optuna_options(multivariate));
  return estimator.log_pdf(row_major(query));
}

void expect_near_all(const std::vector<double>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-9) << i;
}

TEST(ParzenEstimator, MatchesOptunaMultivariate) {
  expect_near_all(parzen_log_pdf(true, {0}), {-0.07797600403017513, 0.236481149639457,
                                              0.1335855774089083, 0.01013838057135774,
                                              -0.09902851871876894});
  expect_near_all(parzen_log_pdf(true, {1}), {-2.509472981981861, -2.044639520645787,
                                              -2.617939769401577, -2.2050950443882362,
                                              -2.4282435956903328});
  expect_near_all(parzen_log_pdf(true, {2}), {-1.000631880307906, -1.1749852674526837,
                                              -2.0222831278398874, -1.65455834771457,
                                              -1.000631880307906});
  expect_near_all(parzen_log_pdf(true, {0, 1, 2}), {-3.8866797922975564, -2.9515542683060794,
                                                    -4.690178958370807, -4.671629823681498,
                                                    -2.7696106972721393});
}

TEST(ParzenEstimator, MatchesOptunaUnivariate) {
  expect_near_all(parzen_log_pdf(false, {0}), {-0.12354258123245743, 0.4627575909377355,
                                               -0.0260346963501159, 0.02566260151367661,
                                               0.08078227061097709});
  expect_near_all(parzen_log_pdf(false, {1}), {-2.524683929068779, -2.012440778646461,
                                               -2.591157319481825, -2.2229172955397347,
                                               -2.4538009359773105});
}

TEST(ParzenEstimator, UnnormalizedMatchesOptuna31AsShipped) {
  // The same observations through Optuna 3.1's unpatched _truncnorm.logpdf, whose continuous
  // kernels are not divided by sigma (ParzenOptions::normalized = false). Without the 1/sigma
  // the density does not depend on the scale, so the unit cube agrees with Optuna's own units.
  SearchSpace space = reference_space();
  std::vector<ParzenDimension> dims = {ParzenDimension::from_spec(space.params()[0])};
  for (bool multivariate : {false, true}) {
    ParzenOptions options = optuna_options(multivariate);
    options.normalized = false;
    ParzenEstimator estimator(dims, encoded(space, 0, kObsX, kObsK, kObsC),
                              default_weights(kObsX.size()), options);
    std::vector<double> expected =
        multivariate ? std::vector<double>{-1.7448882560040593, -1.5218521912352474,
                                           -1.5680936567685944, -1.671895236277249,
                                           -1.7584026429591346}
                     : std::vector<double>{-2.024075177365927, -1.6529788084015364,
                                           -1.7095479902109767, -1.6825730102433605,
                                           -1.7355376299593326};
    expect_near_all(estimator.log_pdf(encoded(space, 0, kQueryX, kQueryK, kQueryC)), expected);
  }
}

TEST(ParzenEstimator, MatchesOptunaWithRampedWeights) {
  // 30 observations: the 5 oldest are down-weighted by default_weights.
  std::vector<double> obs;
  for (int i = 0; i < 30; ++i) obs.push_back(std::fmod(i * 0.37, 1.0));
  ParzenDimension dim;  // continuous on [0, 1]
  ParzenEstimator estimator(std::span(&dim, 1), obs, default_weights(30),
                            optuna_options(false));
  expect_near_all(estimator.log_pdf(kQueryX), {-0.7175506714803557, -0.08607875870585358,
                                               0.06913423002333197, -0.00770782240657142,
                                               0.01450148448512506});
}

TEST(ParzenEstimator, DensitiesAndMassesAreNormalised) {
  SearchSpace space;
  space.add_float("x", 0.0, 1.0).add_int("n", 1, 1000).log().add_ordinal(
      "o", {int64_t{1}, int64_t{2}, int64_t{4}, int64_t{8}, int64_t{16}});
  space.validate();
  for (bool multivariate : {true, false}) {
    for (size_t column = 0; column < 3; ++column) {
      ParzenDimension dim = ParzenDimension::from_spec(space.params()[column]);
      std::vector<double> obs = {0.02, 0.5, 0.51, 0.97};
      if (dim.kind != ParzenDimension::Kind::kContinuous) {
        for (double& o : obs) o = dim.cell_center(dim.cell_of(o));
      }
      ParzenEstimator estimator(std::span(&dim, 1), obs, default_weights(obs.size()),
                                optuna_options(multivariate));
      double total = 0.0;
      if (dim.kind == ParzenDimension::Kind::kContinuous) {
        // Trapezoid rule over [0, 1].
        std::vector<double> grid;
        for (int i = 0; i <= 4000; ++i) grid.push_back(i / 4000.0);
        std::vector<double> log_pdf = estimator.log_pdf(grid);
        for (size_t i = 0; i < grid.size(); ++i) {
          total += std::exp(log_pdf[i]) * ((i == 0 || i + 1 == grid.size()) ? 0.5 : 1.0) / 4000.0;
        }
      } else {
        std::vector<double> centers;
        for (uint64_t k = 0; k < dim.cells; ++k) centers.push_back(dim.cell_center(k));
        for (double lp : estimator.log_pdf(centers)) total += std::exp(lp);
      }
      EXPECT_NEAR(total, 1.0, 1e-4) << "column " << column << " multivariate " << multivariate;
    }
  }
}

TEST(ParzenEstimator, RecombinedDrawsTakeEachCoordinateFromItsOwnKernel) {
  // Twenty observations at (0.1, 0.1) and twenty at (0.9, 0.9), no prior: nearly all kernels are
  // narrow (the bandwidth floor). Joint draws stay next to one of the two points; recombined
  // draws pick a kernel per coordinate, so about half are off the diagonal.
  SearchSpace space;
  space.add_float("a", 0.0, 1.0).add_float("b", 0.0, 1.0);
  space.validate();
  std::vector<ParzenDimension> dims = {ParzenDimension::from_spec(space.params()[0]),
                                       ParzenDimension::from_spec(space.params()[1])};
  ParzenOptions options{.prior_weight = 0.0, .min_bandwidth = 0.01};
  std::vector<double> observations;
  for (int i = 0; i < 20; ++i) observations.insert(observations.end(), {0.1, 0.1, 0.9, 0.9});
  ParzenEstimator estimator(dims, observations, std::vector<double>(40, 1.0), options);
  auto off_diagonal = [&](double recombine) {
    UnitStream rng(7);
    std::vector<double> drawn;
    estimator.sample(rng, 2000, drawn, recombine);
    int off = 0;
    for (size_t i = 0; i < drawn.size(); i += 2) off += (drawn[i] < 0.5) != (drawn[i + 1] < 0.5);
    return off;
  };
  const int joint = off_diagonal(0.0);
  EXPECT_LT(joint, 100);  // the widest kernels, at the ends of each cluster, reach across
  EXPECT_NEAR(off_diagonal(1.0), 1000, 120);
  // A fraction: the last quarter of the draws is recombined.
  EXPECT_NEAR(off_diagonal(0.25), 250 + joint * 0.75, 70);
}

TEST(ParzenEstimator, LogIntCellsAgreeWithTheEncoding) {
  SearchSpace space;
  space.add_int("n", 1, 1000).log();
  space.validate();
  ParzenDimension dim = ParzenDimension::from_spec(space.params()[0]);
  for (int64_t v : {int64_t{1}, int64_t{2}, int64_t{37}, int64_t{999}, int64_t{1000}}) {
    double u = space.encode_value(0, v);
    uint64_t cell = dim.cell_of(u);
    EXPECT_EQ(cell, static_cast<uint64_t>(v - 1));
    EXPECT_NEAR(dim.cell_center(cell), u, 1e-12);
    auto [lo, hi] = dim.cell_edges(cell);
    EXPECT_EQ(std::get<int64_t>(space.decode_value(0, lo + 1e-9)), v);
    EXPECT_EQ(std::get<int64_t>(space.decode_value(0, hi - 1e-9)), v);
  }
}

// ---- The sampler ---------------------------------------------------------------------------

SearchSpace cube(int dims, double low = -5.0, double high = 5.0) {
  SearchSpace space;
  for (int i = 0; i < dims; ++i) space.add_float("x" + std::to_string(i), low, high);
  space.validate();
  return space;
}

Objective shifted_sphere(int dims) {
  return [dims](const Config& c) {
    double sum = 0.0;
    for (int i = 0; i < dims; ++i) {
      double d = number(c, "x" + std::to_string(i)) - (1.3 - 0.4 * i);
      sum += d * d;
    }
    return std::vector<double>{sum};
  };
}

// Median over seeds of the best value after 60 trials.
double median_best(const std::string& spec, int dims) {
  SearchSpace space = cube(dims);
  std::vector<double> bests;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    bests.push_back(best_value(optimize(spec, space, shifted_sphere(dims), 60, seed)));
  }
  return median(bests);
}

TEST(TpeSampler, BeatsRandomOnQuadratics) {
  for (int dims : {1, 5}) {
    double tpe = median_best("tpe", dims);
    double random = median_best("random", dims);
    EXPECT_LT(tpe, 0.25 * random) << dims << " dimensions: tpe " << tpe << ", random " << random;
    double univariate = median_best("tpe:multivariate=false", dims);
    EXPECT_LT(univariate, 0.5 * random) << dims << " dimensions, univariate: " << univariate;
  }
}

TEST(TpeSampler, LearnsIntsOrdinalsAndCategoricals) {
  SearchSpace space;
  space.add_categorical("colour", {std::string("red"), std::string("green"), std::string("blue"),
                                   std::string("grey")})
      .add_int("n", 1, 20)
      .add_int("size", 1, 1000).log()
      .add_ordinal("batch", {int64_t{16}, int64_t{32}, int64_t{64}, int64_t{128}, int64_t{256}});
  space.validate();
  auto objective = [](const Config& c) {
    double colour = std::get<std::string>(c.at("colour")) == "green" ? 0.0 : 1.0;
    double n = (number(c, "n") - 14) / 20;
    double size = std::log(number(c, "size") / 30.0) / 7.0;
    double batch = number(c, "batch") == 64 ? 0.0 : 0.3;
    return std::vector<double>{colour + n * n + size * size + batch};
  };
  int green = 0, batch64 = 0, proposals = 0;
  std::vector<double> ns, sizes;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    std::vector<FrozenTrial> history = optimize("tpe", space, objective, 60, seed);
    for (size_t i = 30; i < history.size(); ++i) {
      const Config& c = history[i].config;
      green += std::get<std::string>(c.at("colour")) == "green";
      batch64 += number(c, "batch") == 64;
      ns.push_back(number(c, "n"));
      sizes.push_back(number(c, "size"));
      ++proposals;
    }
  }
  // Uniform choice would give 25% green and 20% batch 64.
  EXPECT_GT(green, proposals / 2) << green << " of " << proposals;
  EXPECT_GT(batch64, proposals * 4 / 10) << batch64 << " of " << proposals;
  EXPECT_NEAR(median(ns), 14.0, 3.0);
  EXPECT_GT(median(sizes), 8.0);
  EXPECT_LT(median(sizes), 120.0);
}

SearchSpace branching_space() {
  SearchSpace space;
  space.add_categorical("branch", {std::string("a"), std::string("b")})
      .add_float("xa", 0.0, 1.0).when("branch == 'a'")
      .add_float("xb", 0.0, 1.0).when("branch == 'b'");
  space.validate();
  return space;
}

TEST(TpeSampler, ModelsConditionalParametersOnlyFromTrialsWhereActive) {
  // Branch a is always better, so the proposals take branch a. Trials of branch b, where xa is
  // inactive, must not change the model of xa: adding nine more of them (bad ones, so that the
  // good set and gamma stay the same) leaves the proposal unchanged. Were the inactive xa
  // modelled (as its placeholder 0.5, next to xa's optimum 0.45), the bad set's model of xa
  // and with it the choice of xa would change.
  SearchSpace space = branching_space();
  auto objective = [](const Config& c) {
    double v = c.contains("xa") ? number(c, "xa") - 0.45 : 1.0 + number(c, "xb");
    return std::vector<double>{v * v};
  };
  std::vector<Direction> directions = {Direction::kMinimize};
  for (const char* spec : {"tpe", "tpe:group=false", "tpe:multivariate=false"}) {
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      std::vector<FrozenTrial> history = optimize("random", space, objective, 41, seed);
      auto propose = [&]() {
        auto sampler = create_sampler(SamplerSpec::parse(spec), seed);
        return sampler->sample(SampleContext{space, history, directions, 50}).value();
      };
      Config before = propose();
      ASSERT_TRUE(before.contains("xa")) << spec << " seed " << seed;
      for (int i = 0; i < 9; ++i) {
        FrozenTrial t;
        t.number = static_cast<int64_t>(history.size());
        t.state = TrialState::kComplete;
        t.config = {{"branch", std::string("b")}, {"xb", 0.1 * i}};
        t.values = {100.0};
        history.push_back(t);
      }
      EXPECT_EQ(propose(), before) << spec << " seed " << seed;
    }
  }
}

TEST(TpeSampler, FindsTheGoodValuesOfEachBranch) {
  // The same optimum for both branches, but the child parameters' good values differ.
  SearchSpace space;
  space.add_categorical("branch", {std::string("a"), std::string("b")})
      .add_float("xa", 0.0, 1.0).when("branch == 'a'")
      .add_float("xb", 0.0, 1.0).when("branch == 'b'");
  space.validate();
  auto objective = [](const Config& c) {
    double v = c.contains("xa") ? number(c, "xa") - 0.1 : number(c, "xb") - 0.9;
    return std::vector<double>{v * v};
  };
  for (const char* spec : {"tpe", "tpe:group=false", "tpe:multivariate=false"}) {
    int near = 0, middle = 0, proposals = 0;
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      std::vector<FrozenTrial> history = optimize(spec, space, objective, 60, seed);
      for (size_t i = 20; i < history.size(); ++i) {
        const Config& c = history[i].config;
        double x = c.contains("xa") ? number(c, "xa") : number(c, "xb");
        double target = c.contains("xa") ? 0.1 : 0.9;
        near += std::abs(x - target) < 0.1;
        middle += std::abs(x - 0.5) < 0.1;
        ++proposals;
      }
    }
    EXPECT_GT(near, proposals / 2) << spec << ": " << near << " of " << proposals;
    EXPECT_LT(middle, proposals / 10) << spec << ": " << middle << " of " << proposals;
  }
}

// A history of `n` random complete trials of the 2-D sphere, for tests that need one.
std::vector<FrozenTrial> sphere_history(const SearchSpace& space, int n, uint64_t seed) {
  return optimize("random", space, shifted_sphere(2), n, seed);
}

TEST(TpeSampler, ConstantLiarAvoidsWhatRunningTrialsEvaluate) {
  SearchSpace space = cube(2);
  std::vector<Direction> directions = {Direction::kMinimize};
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    std::vector<FrozenTrial> history = sphere_history(space, 30, seed);
    auto propose = [&](const std::string& spec) {
      auto sampler = create_sampler(SamplerSpec::parse(spec), seed);
      // The same trial count every time, so only the history differs.
      SampleContext context{space, history, directions, 30};
      return sampler->sample(context).value();
    };
    Config best = propose("tpe");
    // Four workers are evaluating that very point.
    for (int i = 0; i < 4; ++i) {
      FrozenTrial running;
      running.number = static_cast<int64_t>(history.size());
      running.state = TrialState::kRunning;
      running.config = best;
      history.push_back(running);
    }
    EXPECT_EQ(propose("tpe:constant_liar=false"), best) << "seed " << seed;
    EXPECT_NE(propose("tpe"), best) << "seed " << seed;
  }
}

TEST(TpeSampler, RanksPrunedTrialsAfterCompleteOnes) {
  // Five complete trials near x = 4 and many pruned ones near x = -4 that reported excellent
  // intermediate values. gamma(50) = 5, so the good set is the complete trials only.
  SearchSpace space = cube(1);
  std::vector<Direction> directions = {Direction::kMinimize};
  std::vector<FrozenTrial> history;
  for (int i = 0; i < 50; ++i) {
    FrozenTrial t;
    t.number = i;
    bool complete = i % 10 == 0;
    double x = complete ? 4.0 - 0.1 * i / 10 : -4.0 + 0.02 * i;
    t.config = {{"x0", x}};
    t.state = complete ? TrialState::kComplete : TrialState::kPruned;
    if (complete) {
      t.values = {10.0 + i};
    } else {
      t.intermediate = {{1, -100.0}, {2, -50.0 - i}};
    }
    history.push_back(t);
  }
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    auto sampler = create_sampler(SamplerSpec::parse("tpe"), seed);
    SampleContext context{space, history, directions, 50};
    EXPECT_GT(number(sampler->sample(context).value(), "x0"), 0.0) << "seed " << seed;
  }
}

TEST(TpeSampler, MaximisesAndSplitsSeveralObjectivesByDominance) {
  SearchSpace space = cube(1, -2.0, 3.0);
  auto peak = [](const Config& c) {
    double d = number(c, "x0") - 0.7;
    return std::vector<double>{-d * d};
  };
  std::vector<double> xs;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    for (const FrozenTrial& t : optimize("tpe", space, peak, 40, seed, {Direction::kMaximize})) {
      if (t.number >= 20) xs.push_back(number(t.config, "x0"));
    }
  }
  EXPECT_NEAR(median(xs), 0.7, 0.2);

  // Pareto set of (x^2, (x - 1)^2) is [0, 1], a fifth of the range.
  auto two = [](const Config& c) {
    double x = number(c, "x0");
    return std::vector<double>{x * x, (x - 1) * (x - 1)};
  };
  int pareto = 0, proposals = 0;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    for (const FrozenTrial& t :
         optimize("tpe", space, two, 40, seed, {Direction::kMinimize, Direction::kMinimize})) {
      if (t.number < 20) continue;
      double x = number(t.config, "x0");
      pareto += x >= 0.0 && x <= 1.0;
      ++proposals;
    }
  }
  EXPECT_GT(pareto, proposals / 2) << pareto << " of " << proposals;
}

// ---- Several objectives and constraints (the split itself: tpe_split_test.cc) -------------

// ZDT1 (Zitzler, Deb, Thiele 2000) in `dims` dimensions: both objectives minimised, the Pareto
// front f2 = 1 - sqrt(f1) where x1.. are 0.
std::vector<double> zdt1(const Config& c, int dims) {
  double sum = 0.0;
  for (int i = 1; i < dims; ++i) sum += number(c, "x" + std::to_string(i));
  double g = 1.0 + 9.0 * sum / (dims - 1), f1 = number(c, "x0");
  return {f1, g * (1.0 - std::sqrt(f1 / g))};
}

TEST(TpeSampler, MotpeBeatsRandomSearchOnZdt1) {
  // 10 parameters, 200 trials, hypervolume w.r.t. (1.1, 10) (the Pareto front's is 32/3).
  const int dims = 10;
  SearchSpace space = cube(dims, 0.0, 1.0);
  std::vector<Direction> directions = {Direction::kMinimize, Direction::kMinimize};
  auto front_volume = [&](const std::string& spec, uint64_t seed) {
    std::vector<double> points;
    for (const FrozenTrial& t : optimize(
             spec, space, [&](const Config& c) { return zdt1(c, dims); }, 200, seed, directions)) {
      points.insert(points.end(), t.values.begin(), t.values.end());
    }
    return exact_hypervolume(points, 2, std::vector<double>{1.1, 10.0});
  };
  std::vector<double> motpe, random;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    motpe.push_back(front_volume("motpe", seed));
    random.push_back(front_volume("random", seed));
  }
  // Measured: medians 9.82 and 8.27.
  RecordProperty("motpe_median_hypervolume", std::to_string(median(motpe)));
  RecordProperty("random_median_hypervolume", std::to_string(median(random)));
  EXPECT_GT(*std::min_element(motpe.begin(), motpe.end()),
            *std::max_element(random.begin(), random.end()));
  EXPECT_GT(median(motpe), median(random) + 1.0)
      << "motpe " << median(motpe) << ", random " << median(random);
}

TEST(TpeSampler, SeveralObjectivesInManyDimensionsRecombineCandidateCoordinates) {
  // ZDT1 in 30 dimensions, 100 trials, hypervolume w.r.t. (1.1, 11) as in bench/mo_suite. Above
  // 10 parameters MOTPE draws each candidate coordinate from its own kernel of l(x); drawing
  // whole kernels (recombine=0) covers less of the front (bench, 30 seeds: 9.39 against 9.05;
  // here, 7 seeds: 9.31 against 9.18).
  const int dims = 30;
  SearchSpace space = cube(dims, 0.0, 1.0);
  std::vector<Direction> directions = {Direction::kMinimize, Direction::kMinimize};
  auto front_volume = [&](const std::string& spec, uint64_t seed) {
    std::vector<double> points;
    for (const FrozenTrial& t : optimize(
             spec, space, [&](const Config& c) { return zdt1(c, dims); }, 100, seed, directions)) {
      points.insert(points.end(), t.values.begin(), t.values.end());
    }
    return exact_hypervolume(points, 2, std::vector<double>{1.1, 11.0});
  };
  std::vector<double> recombined, joint;
  for (uint64_t seed = 1; seed <= 7; ++seed) {
    recombined.push_back(front_volume("motpe", seed));
    joint.push_back(front_volume("motpe:recombine=0", seed));
  }
  RecordProperty("recombined_median_hypervolume", std::to_string(median(recombined)));
  RecordProperty("joint_median_hypervolume", std::to_string(median(joint)));
  EXPECT_GT(median(recombined), median(joint) + 0.1)
      << "recombined " << median(recombined) << ", joint " << median(joint);
}

// A constrained problem on [0, 1]^2: the objective values and one constraint value at (x, y).
using Constrained = std::function<std::pair<std::vector<double>, double>(double, double)>;

// Per seed (1 to 5), through a study of 100 trials: the share of the trials after the first 10
// (TPE's start-up) that are feasible, and the best feasible first objective value.
// With `report` false the constraint is not reported (but still counted).
void constrained_runs(const std::string& sampler, std::vector<Direction> directions,
                      const Constrained& problem, std::vector<double>& shares,
                      std::vector<double>* bests = nullptr, bool report = true) {
  const double sign = directions[0] == Direction::kMaximize ? -1.0 : 1.0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    StudyOptions options{.name = "constrained", .sampler = sampler, .seed = seed};
    options.directions = directions;
    Study study = Study::create(open_storage("memory"), cube(2, 0.0, 1.0), options);
    int feasible = 0;
    double best = INFINITY;
    for (int i = 0; i < 100; ++i) {
      Trial trial = study.ask();
      auto [values, constraint] = problem(trial.float_param("x0"), trial.float_param("x1"));
      if (constraint <= 0) best = std::min(best, sign * values[0]);
      TrialOutcome outcome{.values = values};
      if (report) outcome.constraints = {constraint};
      study.tell(trial, outcome);
      if (i >= 10 && constraint <= 0) ++feasible;
    }
    shares.push_back(feasible / 90.0);
    if (bests != nullptr) bests->push_back(sign * best);
  }
}

double mean(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}
std::string joined(const std::vector<double>& v) {
  std::string out;
  for (double x : v) out += (out.empty() ? "" : " ") + std::to_string(x).substr(0, 4);
  return out;
}

TEST(TpeSampler, ProposesMostlyFeasibleConfigurationsUnderConstraints) {
  // The bar: at least 90% of the trials after start-up feasible where 20% of the space
  // is, the disc of area 0.2 around (0.3, 0.5). The objectives' unconstrained optimum lies
  // outside it, at x = 0.85, and a local one inside, at x = 0.3. c-TPE's feasibility model
  // (tpe.cc) scores down the candidates that l(x)'s prior draws outside the disc, which
  // ranking feasible trials first alone (constraint_model=false) does not touch.
  // Measured (seeds 1-5): c-TPE 0.96 0.91 0.88 0.93 0.93 (mean 0.93) with one objective,
  // 0.95 0.93 0.92 0.93 0.94 (0.93) with two; ranking only 0.72 and 0.75; unreported 0.09, 0.10.
  for (size_t objectives : {1, 2}) {
    Constrained problem = [objectives](double x, double y) {
      double base = std::min((x - 0.85) * (x - 0.85), 0.02 + (x - 0.3) * (x - 0.3));
      std::vector<double> values = {base + (y - 0.5) * (y - 0.5)};
      if (objectives == 2) values = {base + (y - 0.4) * (y - 0.4), base + (y - 0.6) * (y - 0.6)};
      double constraint = (x - 0.3) * (x - 0.3) + (y - 0.5) * (y - 0.5) - 0.2 / std::numbers::pi;
      return std::make_pair(values, constraint);
    };
    std::vector<Direction> directions(objectives, Direction::kMinimize);
    std::vector<double> with, ranked_only, without;
    constrained_runs("tpe", directions, problem, with);
    constrained_runs("tpe:constraint_model=false", directions, problem, ranked_only);
    constrained_runs("tpe", directions, problem, without, nullptr, false);
    const std::string suffix = "_" + std::to_string(objectives);
    RecordProperty("feasible_shares" + suffix, joined(with));
    RecordProperty("ranked_only_shares" + suffix, joined(ranked_only));
    RecordProperty("unconstrained_shares" + suffix, joined(without));
    EXPECT_GE(mean(with), 0.9) << objectives << " objectives: " << joined(with);
    EXPECT_GT(mean(with), mean(ranked_only) + 0.1) << joined(ranked_only);
    EXPECT_LT(mean(without), 0.3) << joined(without);
  }
}

TEST(TpeSampler, FindsAnOptimumOnTheConstraintBoundary) {
  // Maximise x + y subject to x^2 + y^2 <= 0.5 (39% of the square): the optimum, 1, lies on
  // the arc at (0.5, 0.5) and everything better is infeasible, so the good set sits against
  // the boundary and many proposals land just outside it. Measured (seeds 1-5): feasible
  // 0.75 0.80 0.74 0.80 0.72 (mean 0.76; constraint_model=false: 0.58), best 0.99 for each.
  Constrained problem = [](double x, double y) {
    return std::make_pair(std::vector<double>{x + y}, x * x + y * y - 0.5);
  };
  std::vector<double> shares, bests;
  constrained_runs("tpe", {Direction::kMaximize}, problem, shares, &bests);
  RecordProperty("feasible_shares", joined(shares));
  RecordProperty("best_values", joined(bests));
  EXPECT_GE(mean(shares), 0.65) << joined(shares);
  EXPECT_GT(median(bests), 0.97) << joined(bests);
}

TEST(TpeSampler, RespectsForbiddenClausesNearTheOptimum) {
  SearchSpace space;
  space.add_float("x", 0.0, 1.0).add_float("y", 0.0, 1.0).forbid("x > 0.6 and y > 0.6");
  space.validate();
  auto objective = [](const Config& c) {
    double dx = number(c, "x") - 0.7, dy = number(c, "y") - 0.7;
    return std::vector<double>{dx * dx + dy * dy};
  };
  std::vector<FrozenTrial> history = optimize("tpe", space, objective, 50, 3);
  for (const FrozenTrial& t : history) EXPECT_FALSE(space.is_forbidden(t.config));
  EXPECT_LT(best_value(history), 0.03);
}

TEST(TpeSampler, SameSeedAndHistoryGiveTheSameProposal) {
  SearchSpace space = cube(2);
  std::vector<FrozenTrial> history = sphere_history(space, 25, 9);
  history[3].state = TrialState::kFailed;
  history[4].state = TrialState::kPruned;
  history[4].intermediate = {{1, 3.0}};
  history[24].state = TrialState::kRunning;
  std::vector<Direction> directions = {Direction::kMinimize};
  SampleContext context{space, history, directions, 25};
  auto fresh = [&](uint64_t seed) {
    return create_sampler(SamplerSpec::parse("tpe"), seed)->sample(context).value();
  };
  // A sampler that has already cached encodings from another ask answers as a fresh one does.
  auto warm = create_sampler(SamplerSpec::parse("tpe"), 4);
  std::span<const FrozenTrial> shorter(history.data(), 20);
  warm->sample(SampleContext{space, shorter, directions, 20});
  EXPECT_EQ(warm->sample(context).value(), fresh(4));
  EXPECT_EQ(fresh(4), fresh(4));
  EXPECT_NE(fresh(4), fresh(5));
}

TEST(TpeSampler, AWarmSamplerProposesWhatAFreshOneDoes) {
  // The sampler keeps its view of the history between proposals (tpe_history.h) and brings it
  // up to date with what changed. Whatever happened in between -- trials started, finished out
  // of order, pruned, failed, with constraints -- it must propose what a sampler seeing the
  // history for the first time proposes. max_observations = 40 also takes the stratified path.
  SearchSpace space = cube(3);
  for (const char* spec : {"tpe:n_startup=5", "tpe:n_startup=5,max_observations=40",
                           "tpe:n_startup=5,multivariate=false,max_observations=40"}) {
    for (size_t objectives : {1, 2}) {
      std::vector<Direction> directions(objectives, Direction::kMinimize);
      auto warm = create_sampler(SamplerSpec::parse(spec), 11);
      std::vector<FrozenTrial> history;
      std::vector<size_t> running;
      std::mt19937_64 rng(objectives);
      std::uniform_real_distribution<double> u(0.0, 1.0);
      for (int step = 0; step < 160; ++step) {
        if (running.size() < 4 && u(rng) < 0.7) {
          SampleContext context{space, history, directions, static_cast<int64_t>(history.size())};
          Config proposed = warm->sample(context).value();
          Config fresh = create_sampler(SamplerSpec::parse(spec), 11)->sample(context).value();
          ASSERT_EQ(proposed, fresh) << spec << ", " << objectives << " objectives, step " << step;
          FrozenTrial t;
          t.id = t.number = static_cast<int64_t>(history.size());
          t.config = std::move(proposed);
          running.push_back(history.size());
          history.push_back(std::move(t));
        } else if (!running.empty()) {
          const size_t k = static_cast<size_t>(u(rng) * static_cast<double>(running.size()));
          FrozenTrial& t = history[running[k]];
          running.erase(running.begin() + static_cast<ptrdiff_t>(k));
          const double r = u(rng);
          std::vector<double> values = shifted_sphere(3)(t.config);
          if (objectives == 2) values.push_back(number(t.config, "x0") * number(t.config, "x0"));
          if (r < 0.7) {
            t.state = TrialState::kComplete;
            t.values = values;
            t.constraints = {number(t.config, "x1") - 2.0};
          } else if (r < 0.9) {
            t.state = TrialState::kPruned;
            t.intermediate = {{1, values[0]}};
          } else {
            t.state = TrialState::kFailed;
          }
        }
      }
    }
  }
}

TEST(TpeSampler, MaxObservationsChangesNothingBelowIt) {
  // 200 trials with n_startup = 10: the bad set never exceeds 200 - 20 = 180 trials, so a cap
  // of 180 leaves every proposal as the full model makes it; a cap of 60 does not.
  SearchSpace space = cube(3);
  auto run = [&](const std::string& spec) {
    std::vector<Config> configs;
    for (const FrozenTrial& t : optimize(spec, space, shifted_sphere(3), 200, 5)) {
      configs.push_back(t.config);
    }
    return configs;
  };
  std::vector<Config> full = run("tpe:max_observations=100000");
  EXPECT_EQ(run("tpe:max_observations=180"), full);
  EXPECT_NE(run("tpe:max_observations=60"), full);
}

TEST(TpeSampler, StillFindsGoodRegionsPastMaxObservations) {
  // With g(x) modelled from a stratified sample of 20 of the bad trials (tpe_history.h), the
  // sampler still closes in on the optimum.
  SearchSpace space = cube(5);
  std::vector<double> capped, random;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    capped.push_back(best_value(
        optimize("tpe:max_observations=20", space, shifted_sphere(5), 150, seed)));
    random.push_back(best_value(optimize("random", space, shifted_sphere(5), 150, seed)));
  }
  EXPECT_LT(median(capped), 0.25 * median(random))
      << "capped " << median(capped) << ", random " << median(random);
}

TEST(TpeSampler, OptionMistakesAreClearErrors) {
  auto message = [](const std::string& spec) -> std::string {
    try {
      create_sampler(SamplerSpec::parse(spec), 1);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message("tpe:n_startp=5").find("did you mean 'n_startup'"), std::string::npos);
  EXPECT_NE(message("tpe:n_candidates=0").find("n_candidates = '0'"), std::string::npos);
  EXPECT_NE(message("tpe:n_startup=-1").find("n_startup = '-1'"), std::string::npos);
  EXPECT_NE(message("tpe:gamma=0").find("gamma = '0'"), std::string::npos);
  EXPECT_NE(message("tpe:gamma=1.5").find("gamma = '1.5'"), std::string::npos);
  EXPECT_NE(message("tpe:prior_weight=-1").find("prior_weight = '-1'"), std::string::npos);
  EXPECT_NE(message("tpe:multivariate=maybe").find("multivariate = 'maybe'"), std::string::npos);
  EXPECT_NE(message("tpe:multivariate=false,group=true").find("group = 'true'"), std::string::npos);
  EXPECT_NE(message("tpe:bandwidth=wide").find("bandwidth = 'wide'"), std::string::npos);
  EXPECT_NE(message("tpe:multivariate=false,bandwidth=scott").find("bandwidth = 'scott'"),
            std::string::npos);
  EXPECT_NE(message("tpe:weights=linear").find("weights = 'linear'"), std::string::npos);
  EXPECT_NE(message("tpe:min_bandwidth=0").find("min_bandwidth = '0'"), std::string::npos);
  EXPECT_NE(message("tpe:clip_exponent=-1").find("clip_exponent = '-1'"), std::string::npos);
  EXPECT_NE(message("tpe:max_observations=0").find("max_observations = '0'"),
            std::string::npos);
  EXPECT_NE(message("motpe:reference_margin=0").find("reference_margin = '0'"),
            std::string::npos);
  EXPECT_NE(message("motpe:normalized=2").find("normalized = '2'"), std::string::npos);
  EXPECT_NE(message("motpe:recombine=1.5").find("recombine = '1.5'"), std::string::npos);
  EXPECT_NE(message("motpe:gamma=0").find("sampler 'motpe': option gamma = '0'"),
            std::string::npos);
  EXPECT_EQ(message("tpe:multivariate=false"), "no error");
  EXPECT_EQ(message("tpe:bandwidth=scott,weights=optuna,min_bandwidth=0.01,clip_exponent=1"),
            "no error");
  EXPECT_EQ(message("tpe:n_startup=0,n_candidates=1,gamma=0.25,prior_weight=0.5,"
                    "constant_liar=false,consider_endpoints=true,group=false,normalized=false,"
                    "reference_margin=0.1,recombine=0.5"),
            "no error");
}

}  // namespace
}  // namespace winnow
