// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Parameter importance on objectives whose importances are known in closed form: for f a sum of
// independent terms over uniform inputs, a term's share of the variance is its variance over the
// sum of them (a*U has variance a^2/12), and a pure interaction has no main effect at all.
#include "winnow/importance.h"

#include <cmath>
#include <functional>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "winnow/error.h"

namespace winnow {
namespace {

const std::vector<Direction> kMinimize = {Direction::kMinimize};

// `n` complete trials of configurations drawn uniformly from `space`'s unit cube, scored by `f`.
std::vector<FrozenTrial> sample_trials(const SearchSpace& space, int n,
                                       const std::function<double(const Config&)>& f,
                                       uint64_t seed = 1) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<FrozenTrial> trials;
  for (int i = 0; i < n; ++i) {
    std::vector<double> x(space.size());
    for (double& u : x) u = unit(engine);
    FrozenTrial trial;
    trial.number = i;
    trial.state = TrialState::kComplete;
    trial.config = space.decode(x);
    trial.values = {f(trial.config)};
    trials.push_back(std::move(trial));
  }
  return trials;
}

double number(const Config& config, const char* name) {
  auto found = config.find(name);
  return found == config.end() ? 0.0 : *as_number(found->second);
}

std::map<std::string, ParamImportance> by_name(const ImportanceReport& report) {
  std::map<std::string, ParamImportance> out;
  for (const ParamImportance& item : report.importances) out[item.param] = item;
  return out;
}

SearchSpace four_floats() {
  SearchSpace space;
  space.add_float("x0", 0, 1).add_float("x1", 0, 1).add_float("x2", 0, 1).add_float("x3", 0, 1);
  space.validate();
  return space;
}

TEST(Importance, FanovaRecoversTheSharesOfAnAdditiveFunction) {
  SearchSpace space = four_floats();
  auto trials = sample_trials(space, 2000, [](const Config& c) {
    return 4 * number(c, "x0") + 2 * number(c, "x1") + number(c, "x2");
  });
  ImportanceReport report = parameter_importance(space, trials, kMinimize);
  ASSERT_EQ(report.importances.size(), 4u);
  EXPECT_EQ(report.importances[0].param, "x0");
  EXPECT_EQ(report.importances[1].param, "x1");
  EXPECT_EQ(report.importances[2].param, "x2");
  EXPECT_EQ(report.importances[3].param, "x3");
  auto shares = by_name(report);
  // 16 : 4 : 1 : 0 over 21.
  EXPECT_NEAR(shares["x0"].importance, 16.0 / 21, 0.05);
  EXPECT_NEAR(shares["x1"].importance, 4.0 / 21, 0.05);
  EXPECT_NEAR(shares["x2"].importance, 1.0 / 21, 0.03);
  EXPECT_LT(shares["x3"].importance, 0.02);
  EXPECT_GT(shares["x0"].std, 0.0);
  EXPECT_EQ(report.n_trials, 2000);
  EXPECT_EQ(shares["x0"].n_trials, 2000);
}

TEST(Importance, AnInteractionIsNotCountedAsAMainEffect) {
  SearchSpace space = four_floats();
  auto trials = sample_trials(space, 3000, [](const Config& c) {
    return 2 * number(c, "x0") + 4 * (number(c, "x1") - 0.5) * (number(c, "x2") - 0.5);
  });
  ImportanceOptions raw;
  raw.normalize = false;
  auto shares = by_name(parameter_importance(space, trials, kMinimize, raw));
  // Main effect of x0: 4/12; interaction: 16/144; so x0 explains 3/4 of the variance and x1,
  // x2 on their own nothing.
  EXPECT_NEAR(shares["x0"].importance, 0.75, 0.07);
  EXPECT_LT(shares["x1"].importance, 0.05);
  EXPECT_LT(shares["x2"].importance, 0.05);
  EXPECT_LT(shares["x3"].importance, 0.02);
}

TEST(Importance, LogScaledAndCategoricalParametersAreMeasuredOnTheirOwnScale) {
  SearchSpace space;
  space.add_float("lr", 1e-5, 1e-1).log().add_categorical("opt", {"a", "b", "c"})
      .add_int("layers", 1, 8);
  space.validate();
  auto trials = sample_trials(space, 2000, [](const Config& c) {
    // log10(lr) is uniform on [-5, -1]: variance 16/12. The choice: 0, 1 or 5, variance 14/3.
    const std::string opt = std::get<std::string>(c.at("opt"));
    return std::log10(number(c, "lr")) + (opt == "a" ? 0.0 : opt == "b" ? 1.0 : 5.0);
  });
  auto shares = by_name(parameter_importance(space, trials, kMinimize));
  const double lr = 16.0 / 12, opt = 14.0 / 3;
  EXPECT_NEAR(shares["opt"].importance, opt / (lr + opt), 0.05);
  EXPECT_NEAR(shares["lr"].importance, lr / (lr + opt), 0.05);
  EXPECT_LT(shares["layers"].importance, 0.02);
}

TEST(Importance, PedAnovaRanksAnAdditiveFunctionRight) {
  SearchSpace space = four_floats();
  auto trials = sample_trials(space, 2000, [](const Config& c) {
    return 4 * number(c, "x0") + 2 * number(c, "x1") + number(c, "x2");
  });
  ImportanceOptions options;
  options.method = ImportanceMethod::kPedAnova;
  ImportanceReport report = parameter_importance(space, trials, kMinimize, options);
  ASSERT_EQ(report.importances.size(), 4u);
  EXPECT_EQ(report.importances[0].param, "x0");
  EXPECT_EQ(report.importances[1].param, "x1");
  EXPECT_EQ(report.importances[2].param, "x2");
  EXPECT_EQ(report.importances[3].param, "x3");
  EXPECT_LT(report.importances[3].importance, 0.05);
  double sum = 0;
  for (const ParamImportance& item : report.importances) sum += item.importance;
  EXPECT_NEAR(sum, 1.0, 1e-9);
  // Maximising the same function wants the opposite corner: the ranking is the same.
  const std::vector<Direction> maximize = {Direction::kMaximize};
  EXPECT_EQ(parameter_importance(space, trials, maximize, options).importances[0].param, "x0");
}

TEST(Importance, AConditionalParameterIsRatedWhereItIsActive) {
  SearchSpace space;
  space.add_categorical("opt", {"adam", "sgd"}).add_float("momentum", 0, 1)
      .when("opt == 'sgd'").add_float("noise", 0, 1);
  space.validate();
  auto trials = sample_trials(space, 2000, [](const Config& c) {
    return (c.count("momentum") ? 3 * number(c, "momentum") : 1.0) + 0.1 * number(c, "noise");
  });
  int64_t sgd = 0;
  for (const FrozenTrial& t : trials) sgd += t.config.count("momentum");
  for (ImportanceMethod method : {ImportanceMethod::kFanova, ImportanceMethod::kPedAnova}) {
    ImportanceOptions options;
    options.method = method;
    auto shares = by_name(parameter_importance(space, trials, kMinimize, options));
    EXPECT_EQ(shares["momentum"].n_trials, sgd);
    EXPECT_EQ(shares["opt"].n_trials, 2000);
    EXPECT_GT(shares["momentum"].importance, shares["noise"].importance) << to_string(method);
  }
}

TEST(Importance, TheSameSeedGivesTheSameAnswerOnAnyNumberOfThreads) {
  SearchSpace space = four_floats();
  auto trials = sample_trials(space, 500, [](const Config& c) {
    return std::sin(6 * number(c, "x0")) + number(c, "x1") * number(c, "x3");
  });
  ImportanceOptions one, two;
  one.threads = 1;
  two.threads = 2;
  ImportanceReport a = parameter_importance(space, trials, kMinimize, one);
  ImportanceReport b = parameter_importance(space, trials, kMinimize, two);
  ASSERT_EQ(a.importances.size(), b.importances.size());
  for (size_t i = 0; i < a.importances.size(); ++i) {
    EXPECT_EQ(a.importances[i].param, b.importances[i].param);
    EXPECT_DOUBLE_EQ(a.importances[i].importance, b.importances[i].importance);
  }
  ImportanceOptions other = one;
  other.seed = 7;
  EXPECT_NE(parameter_importance(space, trials, kMinimize, other).importances[0].importance,
            a.importances[0].importance);
}

TEST(Importance, FanovaOnASampleOfALargeStudyKeepsTheShares) {
  SearchSpace space = four_floats();
  auto trials = sample_trials(space, 3000, [](const Config& c) {
    return 4 * number(c, "x0") + 2 * number(c, "x1") + number(c, "x2");
  });
  ImportanceOptions sampled;
  sampled.max_trials = 1000;
  ImportanceReport report = parameter_importance(space, trials, kMinimize, sampled);
  EXPECT_EQ(report.n_trials, 1000);
  auto shares = by_name(report);
  EXPECT_NEAR(shares["x0"].importance, 16.0 / 21, 0.06);
  EXPECT_NEAR(shares["x1"].importance, 4.0 / 21, 0.06);
  // PED-ANOVA is fast on any number: it always uses every trial.
  ImportanceOptions ped = sampled;
  ped.method = ImportanceMethod::kPedAnova;
  EXPECT_EQ(parameter_importance(space, trials, kMinimize, ped).n_trials, 3000);
}

TEST(Importance, SkipsTrialsThatAreNotCompleteOrNotFinite) {
  SearchSpace space = four_floats();
  auto trials = sample_trials(space, 50, [](const Config& c) { return number(c, "x0"); });
  trials[3].state = TrialState::kPruned;
  trials[4].state = TrialState::kFailed;
  trials[5].values = {std::nan("")};
  trials[6].values = {INFINITY};
  EXPECT_EQ(parameter_importance(space, trials, kMinimize).n_trials, 46);
}

TEST(Importance, ConstantObjectiveGivesZeroNotNaN) {
  SearchSpace space = four_floats();
  auto trials = sample_trials(space, 30, [](const Config&) { return 1.0; });
  for (ImportanceMethod method : {ImportanceMethod::kFanova, ImportanceMethod::kPedAnova}) {
    ImportanceOptions options;
    options.method = method;
    for (const ParamImportance& item :
         parameter_importance(space, trials, kMinimize, options).importances) {
      EXPECT_TRUE(std::isfinite(item.importance)) << item.param;
    }
  }
}

TEST(Importance, BadRequestsSayWhatIsWrong) {
  SearchSpace space = four_floats();
  auto trials = sample_trials(space, 20, [](const Config& c) { return number(c, "x0"); });
  ImportanceOptions unknown;
  unknown.params = {"x9"};
  try {
    parameter_importance(space, trials, kMinimize, unknown);
    FAIL() << "an unknown parameter was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'x9'"), std::string::npos) << e.what();
  }
  ImportanceOptions objective;
  objective.objective = 1;
  EXPECT_THROW(parameter_importance(space, trials, kMinimize, objective), Error);
  ImportanceOptions trees;
  trees.n_trees = 0;
  EXPECT_THROW(parameter_importance(space, trials, kMinimize, trees), Error);
  std::vector<FrozenTrial> one(trials.begin(), trials.begin() + 1);
  EXPECT_THROW(parameter_importance(space, one, kMinimize), Error);
  // Only the parameters asked for are rated.
  ImportanceOptions two;
  two.params = {"x3", "x0"};
  ImportanceReport report = parameter_importance(space, trials, kMinimize, two);
  ASSERT_EQ(report.importances.size(), 2u);
  EXPECT_EQ(report.importances[0].param, "x0");
}

}  // namespace
}  // namespace winnow
