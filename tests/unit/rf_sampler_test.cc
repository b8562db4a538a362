// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The "rf" sampler and its random-forest surrogate: the forest fits known functions (training
// and held-out points), its variance grows away from the data, categorical splits and log
// targets do what they claim; the sampler beats random search, proposes only new members of
// conditional and categorical spaces, is deterministic, and rejects several objectives and bad
// options. Budgets are small: the file must stay fast under ASan.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <set>

#include "samplers/rf_runs.h"
#include "samplers/rf_surrogate.h"
#include "winnow/error.h"
#include "winnow/sampler.h"

namespace winnow {
namespace {

using Objective = std::function<double(const Config&)>;

double number(const Config& config, const std::string& name) {
  return *as_number(config.at(name));
}

// ---- Surrogate -------------------------------------------------------------------------------

double smooth(double a, double b) { return std::sin(3.0 * a) + b * b; }

// n random rows in the unit square with their values of `smooth`.
void smooth_rows(int n, uint64_t seed, std::vector<double>& x, std::vector<double>& y) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < n; ++i) {
    double a = unit(engine), b = unit(engine);
    x.insert(x.end(), {a, b});
    y.push_back(smooth(a, b));
  }
}

double rmse(const RandomForestSurrogate& forest, const std::vector<double>& x,
            const std::vector<double>& y) {
  double squares = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    double error = forest.predict(std::span<const double>(&x[2 * i], 2)).first - y[i];
    squares += error * error;
  }
  return std::sqrt(squares / static_cast<double>(y.size()));
}

TEST(RandomForestSurrogate, FitsASmoothFunctionOnTrainingAndHeldOutPoints) {
  std::vector<double> x, y, test_x, test_y;
  smooth_rows(300, 1, x, y);
  smooth_rows(200, 2, test_x, test_y);
  RandomForestSurrogate forest;
  forest.fit(x, 2, y);
  // The function spans about 1.9; a constant model's error would be about 0.5.
  EXPECT_LT(rmse(forest, x, y), 0.05);
  EXPECT_LT(rmse(forest, test_x, test_y), 0.1);
}

TEST(RandomForestSurrogate, VarianceIsLargerInAGapThanAmongTheData) {
  // y = x on [0, 0.3] and [0.7, 1]: inside the data the trees' cuts fall between neighbouring
  // points and agree; in the gap each tree cuts somewhere else, so they disagree.
  std::vector<double> x, y;
  for (int i = 0; i <= 30; ++i) {
    for (double v : {0.01 * i, 0.7 + 0.01 * i}) {
      x.push_back(v);
      y.push_back(v);
    }
  }
  RandomForestSurrogate forest;
  forest.fit(x, 1, y, {.n_trees = 50});
  const double among = 0.155, gap = 0.5;
  auto [among_mean, among_variance] = forest.predict(std::span<const double>(&among, 1));
  auto [gap_mean, gap_variance] = forest.predict(std::span<const double>(&gap, 1));
  EXPECT_NEAR(among_mean, among, 0.02);
  EXPECT_NEAR(gap_mean, gap, 0.1);
  EXPECT_GT(gap_variance, 20 * among_variance);
}

TEST(RandomForestSurrogate, CategoricalSplitGroupsChoicesByTheirMean) {
  // Choices 0, 2 and 4 are low, 1 and 3 high: one subset split separates them; no single cut
  // on the choice index can.
  std::vector<double> x, y;
  for (int repeat = 0; repeat < 4; ++repeat) {
    for (int c = 0; c < 5; ++c) {
      x.push_back(c);
      y.push_back(c % 2 == 1 ? 10.0 : 0.0);
    }
  }
  RandomForestSurrogateOptions options{.n_trees = 1, .max_depth = 1, .bootstrap = false,
                                       .categories = {5}};
  RandomForestSurrogate forest;
  forest.fit(x, 1, y, options);
  for (int c = 0; c < 5; ++c) {
    double v = c;
    EXPECT_DOUBLE_EQ(forest.predict(std::span<const double>(&v, 1)).first, c % 2 ? 10.0 : 0.0)
        << "choice " << c;
  }
  options.categories = {};  // the same data as a numeric feature: one cut cannot fit it
  forest.fit(x, 1, y, options);
  double worst = 0;
  for (int c = 0; c < 5; ++c) {
    double v = c;
    worst = std::max(worst, std::abs(forest.predict(std::span<const double>(&v, 1)).first -
                                     (c % 2 ? 10.0 : 0.0)));
  }
  EXPECT_GT(worst, 2.0);
}

TEST(RandomForestSurrogate, LogTargetsAverageInTheOriginalSpace) {
  // One leaf holding log 1 and log 3 predicts log 2 with log_y, the mean of the logs without.
  std::vector<double> x = {0.0, 1.0}, y = {0.0, std::log(3.0)};
  RandomForestSurrogateOptions options{.n_trees = 1, .min_samples_split = 3, .bootstrap = false};
  RandomForestSurrogate forest;
  const double at = 0.5;
  forest.fit(x, 1, y, options);
  EXPECT_NEAR(forest.predict(std::span<const double>(&at, 1)).first, 0.5 * std::log(3.0), 1e-12);
  options.log_y = true;
  forest.fit(x, 1, y, options);
  EXPECT_NEAR(forest.predict(std::span<const double>(&at, 1)).first, std::log(2.0), 1e-12);
}

TEST(RandomForestSurrogate, MarginalPredictionAveragesEachTreeOverTheRows) {
  std::vector<double> x, y;
  smooth_rows(200, 11, x, y);
  const std::vector<double> rows = {0.2, 0.1, 0.2, 0.5, 0.2, 0.9};  // a = 0.2, three b's
  // Without log_y: the mean over the rows of the ordinary predictions.
  RandomForestSurrogate forest;
  forest.fit(x, 2, y, {.seed = 5});
  double sum = 0;
  for (size_t r = 0; r < 3; ++r) sum += forest.predict(std::span(rows).subspan(2 * r, 2)).first;
  EXPECT_NEAR(forest.predict_marginal(rows).first, sum / 3, 1e-12);
  // One row: predict() itself.
  auto one = forest.predict(std::span(rows).subspan(0, 2));
  auto marginal = forest.predict_marginal(std::span(rows).subspan(0, 2));
  EXPECT_DOUBLE_EQ(marginal.first, one.first);
  EXPECT_DOUBLE_EQ(marginal.second, one.second);
  // With log_y and one tree: the log of the mean of the exponentials, a mean cost.
  forest.fit(x, 2, y, {.n_trees = 1, .log_y = true, .seed = 5});
  double costs = 0;
  for (size_t r = 0; r < 3; ++r) {
    costs += std::exp(forest.predict(std::span(rows).subspan(2 * r, 2)).first);
  }
  EXPECT_NEAR(forest.predict_marginal(rows).first, std::log(costs / 3), 1e-12);
}

// ---- Runs of algorithm configuration (rf_runs.h) -----------------------------------------------

TEST(RfRuns, TruncatedNormalMeanMatchesClosedFormsAndStaysFiniteInTheTails) {
  const double pdf1 = std::exp(-0.5) / std::sqrt(2 * M_PI), pdf2 = std::exp(-2.0) / std::sqrt(2 * M_PI);
  const double cdf1 = 0.5 * std::erfc(-1 / std::sqrt(2.0)), cdf2 = 0.5 * std::erfc(-2 / std::sqrt(2.0));
  EXPECT_NEAR(truncated_normal_mean(0, 1, 0, HUGE_VAL), std::sqrt(2 / M_PI), 1e-12);
  EXPECT_NEAR(truncated_normal_mean(0, 1, 1, 2), (pdf1 - pdf2) / (cdf2 - cdf1), 1e-12);
  EXPECT_NEAR(truncated_normal_mean(0, 1, -2, -1), -(pdf1 - pdf2) / (cdf2 - cdf1), 1e-12);
  EXPECT_NEAR(truncated_normal_mean(3, 4, 1, 5), 3, 1e-12);  // symmetric about the mean
  // Scaled: N(10, 4) on [12, 14] is 10 + 2 x the standard [1, 2].
  EXPECT_NEAR(truncated_normal_mean(10, 4, 12, 14), 10 + 2 * (pdf1 - pdf2) / (cdf2 - cdf1), 1e-12);
  // Forty standard deviations out the mean sits just above the bound (a + 1/a to first order).
  double far = truncated_normal_mean(0, 1, 40, 50);
  EXPECT_GT(far, 40);
  EXPECT_NEAR(far, 40 + 1.0 / 40, 1e-3);
  EXPECT_NEAR(truncated_normal_mean(0, 1, -50, -40), -40 - 1.0 / 40, 1e-3);
  EXPECT_DOUBLE_EQ(truncated_normal_mean(0, 1, 2, 1), 2);  // an empty interval: the bound
}

TEST(RfRuns, CensoredTargetsAreImputedFromTheirNeighboursWithinTheirBounds) {
  // y = 10 x on [0, 1]; the runs at x >= 0.8 were stopped at a cap of 2: their truth is 8-10.
  std::vector<double> x, y;
  std::vector<uint8_t> censored;
  for (int i = 0; i < 60; ++i) {
    double at = (i + 0.5) / 60;
    x.push_back(at);
    censored.push_back(at >= 0.8);
    y.push_back(at >= 0.8 ? 2.0 : 10 * at);
  }
  std::vector<double> imputed = y;
  impute_censored(x, 1, imputed, censored, 9.0, {.seed = 3});
  for (size_t i = 0; i < y.size(); ++i) {
    if (!censored[i]) {
      EXPECT_EQ(imputed[i], y[i]);  // observed runs keep their cost
    } else {
      EXPECT_GE(imputed[i], 2.0);
      EXPECT_LE(imputed[i], 9.0);
      EXPECT_GT(imputed[i], 6.0) << "at x = " << x[i];  // near the largest uncensored costs
    }
  }
  // Fewer than two uncensored runs: nothing to learn from, the bounds stay.
  std::vector<uint8_t> all(y.size(), 1);
  std::vector<double> untouched = y;
  impute_censored(x, 1, untouched, all, 9.0, {.seed = 3});
  EXPECT_EQ(untouched, y);
}

// A configuration whose runs were all cut at a tiny cap looks like the best one by its capped
// costs; imputed from its neighbours, it is as bad as they are, and the search stays away.
TEST(RfRuns, RunsCutAtTheirCapDoNotLureTheSearch) {
  SearchSpace space;
  space.add_float("x", 0, 1);
  space.validate();
  InstanceSet instances;
  for (int i = 0; i < 4; ++i) instances.train.push_back({"i" + std::to_string(i), "/i", {}});
  instances.cost = RunCostKind::kRuntime;
  instances.cutoff_seconds = 10;
  std::vector<FrozenTrial> summary;
  std::vector<ConfigurationRun> runs;
  auto cost = [](double at) { return 1 + 8 * (at - 0.3) * (at - 0.3); };  // best at 0.3
  for (int j = 0; j < 24; ++j) {
    FrozenTrial trial;
    trial.number = j;
    const double at = j == 0 ? 0.97 : (j + 0.5) / 24.0;
    trial.config = {{"x", at}};
    trial.state = TrialState::kComplete;
    trial.values = {j == 0 ? 0.05 : cost(at)};
    summary.push_back(trial);
    for (size_t i = 0; i < instances.train.size(); ++i) {
      runs.push_back({static_cast<size_t>(j), i, j == 0 ? 0.05 : cost(at), j == 0});
    }
  }
  const std::vector<Direction> minimize = {Direction::kMinimize};
  auto sampler = create_sampler(SamplerSpec::parse("rf:random_fraction=0,n_startup=5"), 7);
  auto* model = dynamic_cast<RunModelSampler*>(sampler.get());
  ASSERT_NE(model, nullptr);
  int near_trap = 0, near_best = 0;
  for (int64_t count = 24; count < 34; ++count) {
    SampleContext context{space, summary, minimize, count, nullptr};
    std::optional<Config> proposal = model->sample_over_runs(context, instances, runs);
    ASSERT_TRUE(proposal);
    const double at = number(*proposal, "x");
    near_trap += at > 0.85;
    near_best += std::abs(at - 0.3) < 0.2;
  }
  EXPECT_EQ(near_trap, 0);
  EXPECT_GE(near_best, 7);
}

TEST(RandomForestSurrogate, TotalVarianceAddsTheNoiseInTheLeaves) {
  // Identical inputs with different targets: every tree has one leaf, so the trees' means
  // differ only through their bootstrap samples; the leaves carry the noise.
  std::vector<double> x(40, 0.5), y;
  for (int i = 0; i < 40; ++i) y.push_back(i % 2 ? 1.0 : -1.0);
  RandomForestSurrogate across, total;
  across.fit(x, 1, y, {.n_trees = 20});
  total.fit(x, 1, y, {.n_trees = 20, .total_variance = true});
  const double at = 0.5;
  double v_across = across.predict(std::span<const double>(&at, 1)).second;
  double v_total = total.predict(std::span<const double>(&at, 1)).second;
  EXPECT_LT(v_across, 0.1);
  EXPECT_NEAR(v_total - v_across, 1.0, 0.1);
}

TEST(RandomForestSurrogate, SameSeedSameForestAndOptionsAreChecked) {
  std::vector<double> x, y;
  smooth_rows(60, 3, x, y);
  RandomForestSurrogate a, b, c;
  a.fit(x, 2, y, {.seed = 7});
  b.fit(x, 2, y, {.seed = 7});
  c.fit(x, 2, y, {.seed = 8});
  std::vector<double> at = {0.31, 0.77};
  EXPECT_EQ(a.predict(at), b.predict(at));
  EXPECT_NE(a.predict(at), c.predict(at));
  try {
    a.fit(x, 2, y, {.n_trees = 0});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n_trees = 0"), std::string::npos) << e.what();
  }
  EXPECT_THROW(a.fit(x, 2, y, {.ratio_features = 0.0}), Error);
  EXPECT_THROW(a.fit(x, 2, y, {.min_samples_leaf = 0}), Error);
  EXPECT_THROW(a.fit(x, 2, y, {.categories = {3}}), Error);
}

// ---- Sampler ---------------------------------------------------------------------------------

// Runs `sampler` for n trials as a study would, each proposal told before the next. Trials whose
// number is in `fail` fail; the last `running` stay running.
std::vector<FrozenTrial> run(Sampler& sampler, const SearchSpace& space, const Objective& f, int n,
                             Direction direction = Direction::kMinimize,
                             const std::set<int>& fail = {}, int running = 0) {
  std::vector<FrozenTrial> history;
  std::vector<Direction> directions = {direction};
  for (int i = 0; i < n; ++i) {
    SampleContext context{space, history, directions, static_cast<int64_t>(history.size())};
    std::optional<Config> config = sampler.sample(context);
    EXPECT_TRUE(config.has_value());
    if (!config) break;
    FrozenTrial trial;
    trial.number = i;
    trial.config = *config;
    if (i >= n - running) {
      trial.state = TrialState::kRunning;
    } else if (fail.contains(i)) {
      trial.state = TrialState::kFailed;
    } else {
      trial.state = TrialState::kComplete;
      trial.values = {f(*config)};
    }
    history.push_back(std::move(trial));
  }
  return history;
}

double best_of(const std::vector<FrozenTrial>& history) {
  double best = INFINITY;
  for (const FrozenTrial& t : history) {
    if (t.state == TrialState::kComplete) best = std::min(best, t.values.at(0));
  }
  return best;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Median best value after n trials over seeds 1..seeds.
double median_best(const std::string& spec, const SearchSpace& space, const Objective& f, int n,
                   int seeds) {
  std::vector<double> best;
  for (int seed = 1; seed <= seeds; ++seed) {
    auto sampler = create_sampler(SamplerSpec::parse(spec), static_cast<uint64_t>(seed));
    best.push_back(best_of(run(*sampler, space, f, n)));
  }
  return median(best);
}

SearchSpace box(int dims, double low, double high) {
  SearchSpace space;
  for (int j = 0; j < dims; ++j) space.add_float("x" + std::to_string(j), low, high);
  space.validate();
  return space;
}

TEST(RfSampler, BeatsRandomSearchOnAShiftedSphere) {
  SearchSpace space = box(3, -5.0, 5.0);
  Objective sphere = [](const Config& c) {
    double v = 0;
    for (int j = 0; j < 3; ++j) v += std::pow(number(c, "x" + std::to_string(j)) - 1.5 + j, 2);
    return v;
  };
  double rf = median_best("rf", space, sphere, 40, 5);
  double random = median_best("random", space, sphere, 40, 5);
  // A model no better than chance lands near random search; a working forest far below it.
  EXPECT_LT(rf, random / 8) << "rf " << rf << ", random " << random;
}

// A categorical choice picks a branch with its own parameters (an int in one, a log-scaled
// float in the others); the optimum, 0, is in branch c.
SearchSpace branch_space() {
  SearchSpace space;
  space.add_categorical("kind", {std::string("a"), std::string("b"), std::string("c")})
      .add_float("shared", 0.0, 1.0)
      .add_int("depth", 1, 12).when("kind == 'a'")
      .add_float("rate", 1e-4, 1.0).log().when("kind != 'a'");
  space.validate();
  return space;
}

double branch_objective(const Config& c) {
  const std::string& kind = std::get<std::string>(c.at("kind"));
  double v = 4 * std::pow(number(c, "shared") - 0.7, 2);
  if (kind == "a") return v + 0.6 + 0.02 * std::pow(number(c, "depth") - 8, 2);
  double r = std::log10(number(c, "rate"));
  return v + (kind == "b" ? 0.8 + 0.05 * std::pow(r + 2, 2) : 0.5 * std::pow(r + 1, 2));
}

TEST(RfSampler, BeatsRandomSearchOnAConditionalCategoricalFunction) {
  SearchSpace space = branch_space();
  double rf = median_best("rf", space, branch_objective, 40, 5);
  double random = median_best("random", space, branch_objective, 40, 5);
  // The forest has to find branch c and then tune its rate: chance alone does neither.
  EXPECT_LT(rf, random / 2) << "rf " << rf << ", random " << random;
}

TEST(RfSampler, MaximisingAFunctionIsMinimisingItsNegative) {
  SearchSpace space = box(2, -2.0, 2.0);
  Objective hill = [](const Config& c) {
    return -std::pow(number(c, "x0") - 0.5, 2) - std::pow(number(c, "x1") + 1.0, 2);
  };
  Objective valley = [&](const Config& c) { return -hill(c); };
  auto up = run(*create_sampler(SamplerSpec::parse("rf:n_startup=5"), 4), space, hill, 20,
                Direction::kMaximize);
  auto down = run(*create_sampler(SamplerSpec::parse("rf:n_startup=5"), 4), space, valley, 20);
  for (size_t i = 0; i < up.size(); ++i) EXPECT_EQ(up[i].config, down[i].config) << i;
}

TEST(RfSampler, ProposesMembersOfConditionalSpacesWithFailedAndRunningTrials) {
  SearchSpace space = branch_space();
  space.forbid("kind == 'b' and shared > 0.8");
  space.validate();
  auto rf = create_sampler(SamplerSpec::parse("rf:n_startup=5"), 9);
  std::vector<FrozenTrial> history =
      run(*rf, space, branch_objective, 30, Direction::kMinimize, {3, 8, 14, 20}, 3);
  std::set<std::string> kinds;
  for (const FrozenTrial& t : history) {
    EXPECT_NO_THROW(space.check(t.config)) << t.number;
    kinds.insert(std::get<std::string>(t.config.at("kind")));
  }
  EXPECT_EQ(kinds.size(), 3u);
}

TEST(RfSampler, NeverProposesAConfigurationThatIsRunningOrDone) {
  // Nine configurations in all; eight are in the history (two running), so the model's
  // proposal must be the ninth, however good the others look.
  SearchSpace space;
  space.add_int("a", 0, 2).add_categorical("b", {std::string("u"), std::string("v"),
                                                 std::string("w")});
  space.validate();
  std::vector<FrozenTrial> history;
  int number = 0;
  for (int64_t a = 0; a < 3; ++a) {
    for (const char* b : {"u", "v", "w"}) {
      if (a == 2 && std::string(b) == "w") continue;
      FrozenTrial t;
      t.number = number++;
      t.config = {{"a", a}, {"b", std::string(b)}};
      t.state = number > 6 ? TrialState::kRunning : TrialState::kComplete;
      if (t.state == TrialState::kComplete) t.values = {static_cast<double>(a)};
      history.push_back(t);
    }
  }
  std::vector<Direction> directions = {Direction::kMinimize};
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    auto rf = create_sampler(SamplerSpec::parse("rf:n_startup=2,random_fraction=0"), seed);
    SampleContext context{space, history, directions, 8};
    Config config = *rf->sample(context);
    EXPECT_EQ(config, (Config{{"a", int64_t{2}}, {"b", std::string("w")}})) << "seed " << seed;
  }
}

TEST(RfSampler, SameSeedSameSequenceAnotherSeedAnother) {
  SearchSpace space = branch_space();
  auto first = run(*create_sampler(SamplerSpec::parse("rf:n_startup=4"), 5), space,
                   branch_objective, 15);
  auto second = run(*create_sampler(SamplerSpec::parse("rf:n_startup=4"), 5), space,
                    branch_objective, 15);
  auto other = run(*create_sampler(SamplerSpec::parse("rf:n_startup=4"), 6), space,
                   branch_objective, 15);
  int differ = 0;
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].config, second[i].config) << i;
    differ += first[i].config != other[i].config;
  }
  EXPECT_GT(differ, 10);
}

TEST(RfSampler, SeveralObjectivesAreAnError) {
  SearchSpace space = box(1, 0.0, 1.0);
  auto rf = create_sampler(SamplerSpec::parse("rf"), 1);
  std::vector<Direction> directions(2, Direction::kMinimize);
  SampleContext context{space, {}, directions, 0};
  try {
    rf->sample(context);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sampler 'rf' optimises one objective, but this study "
                                         "has 2"),
              std::string::npos)
        << e.what();
  }
}

TEST(RfSampler, OptionsAreParsedAndChecked) {
  EXPECT_NO_THROW(create_sampler(
      SamplerSpec::parse("rf:n_trees=5,n_startup=3,random_fraction=0.1,log_y=false,n_random=100,"
                         "n_local=4,local_sd=0.1,ratio_features=0.8,min_samples_split=3,"
                         "min_samples_leaf=3,max_depth=20,bootstrap=false,total_variance=true"),
      1));
  auto message = [](const std::string& spec) {
    try {
      create_sampler(SamplerSpec::parse(spec), 1);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("rf:n_tres=5").find("has no option 'n_tres' (did you mean 'n_trees'?)"),
            std::string::npos)
      << message("rf:n_tres=5");
  EXPECT_NE(message("rf:n_trees=0").find("n_trees"), std::string::npos);
  EXPECT_NE(message("rf:random_fraction=1.5").find("random_fraction"), std::string::npos);
  EXPECT_NE(message("rf:ratio_features=0").find("ratio_features"), std::string::npos);
  EXPECT_NE(message("rf:log_y=maybe").find("log_y"), std::string::npos);
  EXPECT_NE(message("rf:local_sd=-1").find("local_sd"), std::string::npos);
  EXPECT_NE(message("rf:min_samples_split=1").find("min_samples_split"), std::string::npos);
  EXPECT_TRUE(sampler_traits("rf").takes_n_startup);
  EXPECT_FALSE(sampler_traits("rf").multi_objective);
}

}  // namespace
}  // namespace winnow
