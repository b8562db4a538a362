// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The CMA-ES state (src/samplers/cma_state.h) and the "cmaes" sampler built on it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <numbers>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/param_json.h"
#include "samplers/cma_state.h"
#include "winnow/error.h"
#include "winnow/sampler.h"

namespace winnow {
namespace {

using Point = std::vector<double>;
using Objective = std::function<double(const Point&)>;

// Standard normal variates that are the same with every standard library (Box-Muller on
// mt19937_64, whose output the standard fixes; std::normal_distribution is not fixed).
class Normal {
 public:
  explicit Normal(uint64_t seed) : rng_(seed) {}
  double operator()() {
    auto uniform = [&] { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; };
    double radius = std::sqrt(-2.0 * std::log(1.0 - uniform()));
    return radius * std::cos(2.0 * std::numbers::pi * uniform());
  }

 private:
  std::mt19937_64 rng_;
};

// Runs the pure state for `evaluations` evaluations of `f` on the unit cube; returns the best.
double run_state(CmaState& state, const Objective& f, int evaluations, uint64_t seed) {
  Normal normal(seed);
  double best = INFINITY;
  while (evaluations > 0) {
    std::vector<CmaSolution> solutions;
    for (int k = 0; k < state.population_size(); ++k, --evaluations) {
      CmaCandidate c = state.sample([&] { return normal(); });
      double value = f(c.encoded);
      best = std::min(best, value);
      solutions.emplace_back(c.raw, value);
    }
    state.tell(solutions);
  }
  return best;
}

std::vector<CmaAxis> continuous_axes(int n) { return std::vector<CmaAxis>(n); }

CmaSettings with_active(bool active) {
  CmaSettings settings;
  settings.active = active;
  return settings;
}

TEST(CmaState, ConvergesOnTheSphere) {
  Objective sphere = [](const Point& x) {
    double f = 0;
    for (double v : x) f += (v - 0.3) * (v - 0.3);
    return f;
  };
  for (bool active : {false, true}) {
    CmaState state(continuous_axes(5), Point(5, 0.5), 0.3, {}, with_active(active));
    EXPECT_EQ(state.population_size(), 8);  // 4 + floor(3 ln 5)
    // cmaes 0.9.1 (active): median 2e-9 over 10 seeds.
    EXPECT_LT(run_state(state, sphere, 600, 1), 1e-6) << active;
    EXPECT_LT(state.sigma(), 1e-3) << active;
    EXPECT_EQ(state.stop_reason(), "") << active;
  }
}

TEST(CmaState, ConvergesOnRosenbrock) {
  // Rosenbrock on [-2, 2]^5, minimum 0 at (1, ..., 1) = 0.75 in the unit cube. The valley has
  // to be learnt by the covariance: without it this budget is far from enough.
  Objective rosenbrock = [](const Point& u) {
    Point x;
    for (double v : u) x.push_back(-2.0 + 4.0 * v);
    double f = 0;
    for (size_t i = 0; i + 1 < x.size(); ++i) {
      f += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(1 - x[i], 2);
    }
    return f;
  };
  for (bool active : {false, true}) {
    int solved = 0;
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      CmaState state(continuous_axes(5), Point(5, 0.5), 0.3, {}, with_active(active));
      solved += run_state(state, rosenbrock, 2500, seed) < 1e-4 ? 1 : 0;
    }
    // A run may end in the local minimum near (-1, 1, 1, 1, 1).
    EXPECT_GE(solved, 6) << active;
  }
}

TEST(CmaState, MarginKeepsBothNeighboursOfTheOptimumReachable) {
  // Two continuous coordinates and an integer with 11 values whose optimum 5 is interior.
  std::vector<CmaAxis> axes(3);
  for (int k = 1; k < 11; ++k) axes[2].boundaries.push_back(k / 11.0);
  auto f = [&axes](const Point& x) {
    int v = CmaState::cell_of(axes[2], x[2]);
    return std::pow(x[0] - 0.3, 2) + std::pow(x[1] - 0.6, 2) + 0.1 * std::pow(v - 5, 2);
  };
  // P(lo <= value <= hi) under the margin-scaled marginal N(m, (sigma A sqrt(C_jj))^2).
  auto probability = [](const CmaState& s, int lo, int hi) {
    const auto& b = s.axes()[2].boundaries;
    double m = s.mean()[2];
    double scale = s.sigma() * s.margin_scale()[2] * std::sqrt(s.covariance(2, 2));
    double from = lo == 0 ? -INFINITY : b[lo - 1];
    double to = hi == static_cast<int>(b.size()) ? INFINITY : b[hi];
    return normal_cdf((to - m) / scale) - normal_cdf((from - m) / scale);
  };
  for (bool margin : {true, false}) {
    CmaSettings settings;
    settings.active = true;
    settings.margin = margin ? -1.0 : 0.0;
    CmaState state(axes, Point(3, 0.5), 0.3, {}, settings);
    Normal normal(3);
    double alpha = 1.0 / (3 * state.population_size());
    double smallest_tail = 1.0, smallest_neighbour = 1.0;
    for (int g = 0; g < 150; ++g) {
      std::vector<CmaSolution> solutions;
      for (int k = 0; k < state.population_size(); ++k) {
        CmaCandidate c = state.sample([&] { return normal(); });
        solutions.emplace_back(c.raw, f(c.encoded));
      }
      state.tell(solutions);
      if (CmaState::cell_of(state.axes()[2], state.mean()[2]) != 5) continue;
      // [HA22] bounds the probability of each side of the mean's cell ({0..4} and {6..10});
      // once the distribution is narrow that mass sits on the neighbours 4 and 6.
      smallest_tail =
          std::min({smallest_tail, probability(state, 0, 4), probability(state, 6, 10)});
      smallest_neighbour =
          std::min({smallest_neighbour, probability(state, 4, 4), probability(state, 6, 6)});
    }
    ASSERT_EQ(CmaState::cell_of(state.axes()[2], state.mean()[2]), 5);
    EXPECT_LT(state.sigma() * std::sqrt(state.covariance(0, 0)), 1e-4);  // converged
    if (margin) {
      EXPECT_DOUBLE_EQ(state.margin(), alpha);
      EXPECT_GE(smallest_tail, alpha / 2 * (1 - 1e-9));
      EXPECT_GE(smallest_neighbour, alpha / 2 * 0.99);
    } else {
      EXPECT_LT(smallest_neighbour, 1e-6);  // without the margin the integer collapses
    }
  }
}

TEST(CmaState, WarmStartEstimate) {
  std::vector<CmaSolution> top = {{{0.8, 0.2}, 0.0}, {{0.7, 0.25}, 1.0}, {{0.75, 0.3}, 2.0}};
  CmaWarmStart ws = estimate_warm_start(top, 0.05, 0.3, 0.3);
  EXPECT_EQ(ws.mean, Point({0.8, 0.2}));  // the best point
  EXPECT_GT(ws.sigma, 0.05);              // from the spread of the points, not the fallback
  EXPECT_LT(ws.sigma, 0.1);
  const Point& c = ws.covariance;  // row-major 2 x 2, normalised to determinant 1
  EXPECT_NEAR(c[0] * c[3] - c[1] * c[2], 1.0, 1e-9);
  // The points spread along (-1, 1) more than along (1, 1).
  EXPECT_GT(c[0] + c[3] - c[1] - c[2], c[0] + c[3] + c[1] + c[2]);
  // A single point: its position and the fallback step size, clamped.
  CmaWarmStart one = estimate_warm_start(std::span(top).first(1), 0.05, 0.3, 0.9);
  EXPECT_EQ(one.sigma, 0.3);
  EXPECT_EQ(one.covariance, Point({1, 0, 0, 1}));
}

// ---- the sampler ----

struct FakeStudy {
  std::vector<FrozenTrial> history;
  std::vector<Direction> directions = {Direction::kMinimize};
};

// Asks `sampler` for `n` trials, completing each at once with `f` (sequential optimisation);
// the notes it leaves become the trials' user attributes, as the study stores them.
void optimise(Sampler& sampler, const SearchSpace& space, FakeStudy& run, int n,
              const std::function<double(const Config&)>& f) {
  for (int i = 0; i < n; ++i) {
    std::map<std::string, std::string> attrs;
    SampleContext context{space, run.history, run.directions,
                          static_cast<int64_t>(run.history.size()), &attrs};
    std::optional<Config> config = sampler.sample(context);
    ASSERT_TRUE(config);
    FrozenTrial t;
    t.number = static_cast<int64_t>(run.history.size());
    t.config = *config;
    t.user_attrs = attrs;
    t.state = TrialState::kComplete;
    t.values = {f(*config)};
    run.history.push_back(std::move(t));
  }
}

double best_value(const FakeStudy& run) {
  double best = INFINITY;
  for (const auto& t : run.history) best = std::min(best, t.values.at(0));
  return best;
}

nlohmann::json note_of(const FrozenTrial& t) {
  return nlohmann::json::parse(t.user_attrs.at("winnow.cmaes"));
}

SearchSpace quadratic_space() {
  SearchSpace space;
  space.add_float("a", -5.0, 5.0).add_float("b", 0.0, 1.0).add_float("c", 1e-4, 1.0).log()
      .add_float("d", -1.0, 1.0);
  space.validate();
  return space;
}

double quadratic(const Config& c) {
  double a = std::get<double>(c.at("a")), b = std::get<double>(c.at("b"));
  double lc = std::log10(std::get<double>(c.at("c"))), d = std::get<double>(c.at("d"));
  return std::pow(a - 1.5, 2) / 25 + std::pow(b - 0.2, 2) + std::pow(lc + 3, 2) / 16 +
         std::pow(d + 0.4, 2) / 4;
}

TEST(CmaEsSampler, BeatsRandomOnAQuadratic) {
  SearchSpace space = quadratic_space();
  int wins = 0;
  std::vector<double> cma_best, random_best;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    FakeStudy cma_run, random_run;
    auto cma = create_sampler(SamplerSpec::parse("cmaes"), seed);
    auto random = create_sampler(SamplerSpec::parse("random"), seed);
    optimise(*cma, space, cma_run, 120, quadratic);
    optimise(*random, space, random_run, 120, quadratic);
    cma_best.push_back(best_value(cma_run));
    random_best.push_back(best_value(random_run));
    wins += cma_best.back() < random_best.back() ? 1 : 0;
  }
  EXPECT_GE(wins, 4);
  std::sort(cma_best.begin(), cma_best.end());
  std::sort(random_best.begin(), random_best.end());
  EXPECT_LT(cma_best[2], random_best[2] / 5);  // medians (measured: 0.001 and 0.039)
}

TEST(CmaEsSampler, MaximisesWhenAskedTo) {
  SearchSpace space = quadratic_space();
  FakeStudy run;
  run.directions = {Direction::kMaximize};
  auto cma = create_sampler(SamplerSpec::parse("cmaes"), 4);
  optimise(*cma, space, run, 120, [](const Config& c) { return -quadratic(c); });
  double best = -INFINITY;
  for (const auto& t : run.history) best = std::max(best, t.values[0]);
  EXPECT_GT(best, -1e-2);
}

SearchSpace mixed_space() {
  SearchSpace space;
  space.add_float("x", -2.0, 2.0)
      .add_int("n", 1, 64).log()
      .add_float("y", 0.0, 1.0).step(0.1)
      .add_categorical("kind", {std::string("p"), std::string("q")})
      .add_float("z", 0.0, 1.0).when("kind == 'q'")
      .add_ordinal("size", {std::string("s"), std::string("m"), std::string("l")})
      .forbid("kind == 'p' and x > 1.5");
  space.validate();
  return space;
}

double mixed(const Config& c) {
  double x = std::get<double>(c.at("x"));
  double n = static_cast<double>(std::get<int64_t>(c.at("n")));
  double y = std::get<double>(c.at("y"));
  double z = c.contains("z") ? std::get<double>(c.at("z")) : 0.5;
  return std::pow(x - 0.5, 2) + std::pow(std::log2(n) - 3, 2) + std::pow(y - 0.7, 2) +
         (std::get<std::string>(c.at("kind")) == "q" ? std::pow(z - 0.1, 2) : 0.3) +
         (std::get<std::string>(c.at("size")) == "m" ? 0.0 : 0.5);
}

TEST(CmaEsSampler, FreshSamplerGivenTheHistoryProposesWhatTheFirstWould) {
  SearchSpace space = mixed_space();
  for (const char* spec : {"cmaes", "cmaes:population=5,n_startup=3"}) {
    auto a = create_sampler(SamplerSpec::parse(spec), 21);
    FakeStudy run;
    optimise(*a, space, run, 25, mixed);
    for (const auto& t : run.history) EXPECT_NO_THROW(space.check(t.config));
    // The state has moved past its first generations.
    EXPECT_GE(note_of(run.history.back())["generation"].get<int>(), 2) << spec;

    auto b = create_sampler(SamplerSpec::parse(spec), 21);
    std::map<std::string, std::string> attrs_a, attrs_b;
    SampleContext ca{space, run.history, run.directions, 25, &attrs_a};
    SampleContext cb{space, run.history, run.directions, 25, &attrs_b};
    std::optional<Config> next_a = a->sample(ca);
    std::optional<Config> next_b = b->sample(cb);
    ASSERT_TRUE(next_a && next_b);
    EXPECT_EQ(*next_a, *next_b) << spec;
    EXPECT_EQ(attrs_a, attrs_b) << spec;
  }
}

TEST(CmaEsSampler, AsksRunningAheadOfTellsGiveDistinctMembers) {
  SearchSpace space = mixed_space();
  auto sampler = create_sampler(SamplerSpec::parse("cmaes:population=4"), 8);
  FakeStudy run;
  std::set<std::string> distinct;
  for (int i = 0; i < 8; ++i) {
    std::map<std::string, std::string> attrs;
    SampleContext context{space, run.history, run.directions,
                          static_cast<int64_t>(run.history.size()), &attrs};
    std::optional<Config> config = sampler->sample(context);
    ASSERT_TRUE(config);
    EXPECT_NO_THROW(space.check(*config));
    distinct.insert(config_to_json(*config).dump());
    FrozenTrial t;
    t.number = i;
    t.config = *config;
    t.user_attrs = attrs;
    t.state = TrialState::kRunning;
    run.history.push_back(t);
    nlohmann::json note = note_of(t);
    EXPECT_EQ(note["generation"], 0);  // nothing completed: still the first distribution
    EXPECT_EQ(note["index"], i);
  }
  EXPECT_EQ(distinct.size(), 8u);
  // Completing the running trials out of order, with one failure, updates generation 0 with
  // the first four completed ones in number order (0, 2, 3, 4: 1 failed).
  for (int i : {4, 3, 2, 0}) {
    run.history[i].state = TrialState::kComplete;
    run.history[i].values = {mixed(run.history[i].config)};
  }
  run.history[1].state = TrialState::kFailed;
  std::map<std::string, std::string> attrs;
  SampleContext context{space, run.history, run.directions, 8, &attrs};
  ASSERT_TRUE(sampler->sample(context));
  nlohmann::json note = nlohmann::json::parse(attrs.at("winnow.cmaes"));
  EXPECT_EQ(note["generation"], 1);
  EXPECT_EQ(note["told"], nlohmann::json({0, 2, 3, 4}));
}

TEST(CmaEsSampler, ReplayUsesTheTrialsTheUpdateWasMadeWith) {
  // Worker view: generation 0 is updated while trial 1 still runs, so with trials 0, 2, 3, 4.
  // Trial 1 completes later, best of all. A fresh sampler must not rebuild generation 0 from
  // "the first four completed" (0, 1, 2, 3) but from the trials the notes say were used.
  SearchSpace space = quadratic_space();
  auto live = create_sampler(SamplerSpec::parse("cmaes:population=4"), 12);
  FakeStudy run;
  auto ask = [&](Sampler& sampler, std::map<std::string, std::string>& attrs) {
    SampleContext context{space, run.history, run.directions,
                          static_cast<int64_t>(run.history.size()), &attrs};
    std::optional<Config> config = sampler.sample(context);
    EXPECT_TRUE(config);
    return *config;
  };
  for (int i = 0; i < 6; ++i) {
    std::map<std::string, std::string> attrs;
    FrozenTrial t;
    t.number = i;
    t.config = ask(*live, attrs);
    t.user_attrs = attrs;
    t.state = TrialState::kRunning;
    run.history.push_back(t);
  }
  for (int i : {0, 2, 3, 4}) {
    run.history[i].state = TrialState::kComplete;
    run.history[i].values = {quadratic(run.history[i].config)};
  }
  std::map<std::string, std::string> attrs;
  FrozenTrial t;
  t.number = 6;
  t.config = ask(*live, attrs);
  t.user_attrs = attrs;
  EXPECT_EQ(note_of(t)["told"], nlohmann::json({0, 2, 3, 4}));
  run.history.push_back(t);
  run.history[1].state = TrialState::kComplete;
  run.history[1].values = {-1.0};

  std::map<std::string, std::string> live_attrs, fresh_attrs;
  Config from_live = ask(*live, live_attrs);
  auto fresh = create_sampler(SamplerSpec::parse("cmaes:population=4"), 12);
  Config from_fresh = ask(*fresh, fresh_attrs);
  EXPECT_EQ(from_live, from_fresh);
  EXPECT_EQ(live_attrs, fresh_attrs);
  EXPECT_EQ(nlohmann::json::parse(live_attrs.at("winnow.cmaes"))["index"], 1);
}

TEST(CmaEsSampler, WarmStartsFromTrialsItDidNotPropose) {
  SearchSpace space;
  space.add_float("u", 0.0, 1.0).add_float("v", 0.0, 1.0).add_float("w", 0.0, 1.0);
  space.validate();
  auto f = [](const Config& c) {
    return std::pow(std::get<double>(c.at("u")) - 0.7, 2) +
           std::pow(std::get<double>(c.at("v")) - 0.3, 2) +
           std::pow(std::get<double>(c.at("w")) - 0.7, 2);
  };
  // 30 configurations from an earlier phase (no notes).
  FakeStudy run;
  auto sobol = create_sampler(SamplerSpec::parse("sobol"), 2);
  optimise(*sobol, space, run, 30, f);
  size_t best = 0;
  for (size_t i = 0; i < run.history.size(); ++i) {
    if (run.history[i].values[0] < run.history[best].values[0]) best = i;
  }
  UnitPoint best_x = space.encode(run.history[best].config);

  // 60 asks with none completed are all drawn from the first distribution: their mean
  // estimates its mean.
  auto cma = create_sampler(SamplerSpec::parse("cmaes"), 5);
  Point sum(3, 0.0);
  const int asks = 60;
  for (int i = 0; i < asks; ++i) {
    std::map<std::string, std::string> attrs;
    SampleContext context{space, run.history, run.directions, 30 + i, &attrs};
    ASSERT_TRUE(cma->sample(context));
    nlohmann::json note = nlohmann::json::parse(attrs.at("winnow.cmaes"));
    ASSERT_EQ(note["generation"], 0);
    ASSERT_TRUE(note.contains("warm_start"));
    EXPECT_EQ(note["warm_start"][0], static_cast<int64_t>(best));  // best first
    EXPECT_EQ(note["warm_start"].size(), 6u);                      // the best 20%
    for (int j = 0; j < 3; ++j) sum[j] += note["x"][j].get<double>();
  }
  double to_best = 0, to_centre = 0;
  for (int j = 0; j < 3; ++j) {
    to_best += std::pow(sum[j] / asks - best_x.x[j], 2);
    to_centre += std::pow(sum[j] / asks - 0.5, 2);
  }
  EXPECT_LT(std::sqrt(to_best), 0.1);
  EXPECT_LT(to_best, to_centre);

  // Without the warm start the run begins at the centre.
  auto cold = create_sampler(SamplerSpec::parse("cmaes:warm_start=false"), 5);
  std::map<std::string, std::string> attrs;
  SampleContext context{space, run.history, run.directions, 30, &attrs};
  ASSERT_TRUE(cold->sample(context));
  EXPECT_FALSE(nlohmann::json::parse(attrs.at("winnow.cmaes")).contains("warm_start"));
}

TEST(CmaEsSampler, IpopRestartsWithADoubledPopulationOnAFlatFunction) {
  SearchSpace space;
  space.add_float("u", 0.0, 1.0).add_float("v", 0.0, 1.0);
  space.validate();
  auto flat = [](const Config&) { return 1.0; };
  for (const char* spec : {"cmaes", "cmaes:restarts=none"}) {
    auto sampler = create_sampler(SamplerSpec::parse(spec), 3);
    FakeStudy run;
    optimise(*sampler, space, run, 80, flat);
    std::map<std::pair<int, int>, int> per_generation;
    for (const auto& t : run.history) {
      nlohmann::json note = note_of(t);
      ++per_generation[{note["restart"].get<int>(), note["generation"].get<int>()}];
    }
    if (std::string(spec) == "cmaes") {
      ASSERT_TRUE(per_generation.contains({1, 0})) << "no restart";
      EXPECT_EQ(per_generation[std::make_pair(0, 0)], 6);   // 4 + floor(3 ln 2)
      EXPECT_EQ(per_generation[std::make_pair(1, 0)], 12);  // doubled
    } else {
      EXPECT_FALSE(per_generation.contains({1, 0}));
    }
  }
}

TEST(CmaEsSampler, SpaceWithoutNumericParametersIsSampledAsRandomDoes) {
  SearchSpace space;
  space.add_categorical("a", {std::string("x"), std::string("y"), std::string("z")})
      .add_float("b", 0.0, 1.0).when("a == 'x'");
  space.validate();
  auto cma = create_sampler(SamplerSpec::parse("cmaes"), 9);
  auto random = create_sampler(SamplerSpec::parse("random"), 9);
  FakeStudy cma_run, random_run;
  auto f = [](const Config& c) { return c.contains("b") ? std::get<double>(c.at("b")) : 1.0; };
  optimise(*cma, space, cma_run, 20, f);
  optimise(*random, space, random_run, 20, f);
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(cma_run.history[i].config, random_run.history[i].config);
  }
}

TEST(CmaEsSampler, RejectsBadOptionsAndSeveralObjectives) {
  auto message = [](const std::string& spec) {
    try {
      create_sampler(SamplerSpec::parse(spec), 1);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto contains = [](const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  };
  EXPECT_TRUE(contains(message("cmaes:sigma0=0"), "sigma0 = '0'")) << message("cmaes:sigma0=0");
  EXPECT_TRUE(contains(message("cmaes:sigma0=abc"), "sigma0 = 'abc'"));
  EXPECT_TRUE(contains(message("cmaes:sigma0=1.5"), "(0, 1]"));
  EXPECT_TRUE(contains(message("cmaes:population=1"), "population = '1'"));
  EXPECT_TRUE(contains(message("cmaes:population=-4"), "population = '-4'"));
  EXPECT_TRUE(contains(message("cmaes:restarts=bipop"), "restarts = 'bipop'"));
  EXPECT_TRUE(contains(message("cmaes:warm_start=maybe"), "warm_start = 'maybe'"));
  EXPECT_TRUE(contains(message("cmaes:n_startup=-1"), "n_startup = '-1'"));
  EXPECT_TRUE(contains(message("cmaes:sigma=0.2"), "did you mean 'sigma0'"))
      << message("cmaes:sigma=0.2");
  EXPECT_EQ(message("cmaes:sigma0=0.2,population=10,restarts=none,warm_start=false,n_startup=5"),
            "no error");

  SearchSpace space = quadratic_space();
  std::vector<FrozenTrial> history;
  std::vector<Direction> two = {Direction::kMinimize, Direction::kMaximize};
  auto sampler = create_sampler(SamplerSpec::parse("cmaes"), 1);
  SampleContext context{space, history, two, 0};
  try {
    sampler->sample(context);
    FAIL() << "several objectives accepted";
  } catch (const Error& e) {
    EXPECT_TRUE(contains(e.what(), "'cmaes'")) << e.what();
  }
}

}  // namespace
}  // namespace winnow
