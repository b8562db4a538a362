// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// irace's sampling model for iterated racing, checked by sampling from it.
#include "samplers/race_model.h"

#include <gtest/gtest.h>

#include <cmath>

namespace winnow {
namespace {

SearchSpace space() {
  SearchSpace s;
  s.add_float("x", 0, 1).add_categorical("mode", {std::string("a"), std::string("b"),
                                                  std::string("c")});
  s.validate();
  return s;
}

Config config(double x, const std::string& mode) { return {{"x", x}, {"mode", mode}}; }

struct Drawn {
  double share_a = 0, share_b = 0, deviation = 0;
};

// Many configurations sampled from `parent`'s model: how often each mode, and the spread of x.
Drawn draw(const RaceModel& model, int64_t parent, const Config& parent_config) {
  std::mt19937_64 rng(11);
  const int n = 4000;
  Drawn drawn;
  double sum = 0, squares = 0;
  for (int i = 0; i < n; ++i) {
    Config c = model.sample(parent, &parent_config, rng);
    const std::string& mode = std::get<std::string>(c.at("mode"));
    drawn.share_a += mode == "a" ? 1.0 / n : 0;
    drawn.share_b += mode == "b" ? 1.0 / n : 0;
    const double x = std::get<double>(c.at("x"));
    sum += x;
    squares += x * x;
  }
  drawn.deviation = std::sqrt(squares / n - (sum / n) * (sum / n));
  return drawn;
}

// One elite, configuration 7 (x = 0.5, mode a), with the initial model of a study planned for
// four iterations.
class OneElite : public ::testing::Test {
 protected:
  const SearchSpace s = space();
  RaceModel model{s, 4};
  const Config elite = config(0.5, "a");
  std::map<int64_t, Config> configs{{7, elite}};
  RaceModel::ConfigOf config_of = [this](int64_t id) { return &configs.at(id); };
  void SetUp() override { model.initialise({7}); }
};

TEST_F(OneElite, AnEliteThatKeepsWinningConcentratesItsModel) {
  Drawn start = draw(model, 7, elite);
  EXPECT_NEAR(start.share_a, 1.0 / 3, 0.03);
  EXPECT_NEAR(start.deviation, 0.27, 0.03);  // half the range, truncated to [0, 1]

  model.update(2, {7}, config_of, 16);
  Drawn second = draw(model, 7, elite);
  // irace: 1/3 * 3/4 + 1/4, held at 0.2^(1/2) and normalised again.
  EXPECT_NEAR(second.share_a, 0.447 / (0.447 + 0.5), 0.03);
  // The deviation shrinks by (1/16)^(1/2).
  EXPECT_NEAR(second.deviation, 0.125, 0.01);

  model.update(3, {7}, config_of, 16);
  Drawn third = draw(model, 7, elite);
  // The second update starts from the first's probabilities, not from uniform ones.
  EXPECT_NEAR(third.share_a, 0.629, 0.03);
  EXPECT_NEAR(third.deviation, 0.03125, 0.003);
  // The cap keeps the other values alive.
  model.update(4, {7}, config_of, 16);
  EXPECT_GT(1 - draw(model, 7, elite).share_a, 0.1);
}

TEST(RaceModel, ANewEliteInheritsItsParentsModelAndLeansToItsOwnValues) {
  const SearchSpace s = space();
  RaceModel model(s, 4);
  std::map<int64_t, Config> configs{{7, config(0.5, "a")}, {20, config(0.4, "b")}};
  auto config_of = [&](int64_t id) { return &configs.at(id); };
  model.initialise({7});
  model.update(2, {7}, config_of, 16);
  model.set_parent(20, 7);
  model.update(3, {20}, config_of, 16);
  Drawn child = draw(model, 20, configs.at(20));
  // The parent's deviation shrunk once before, the child's update shrinks it again.
  EXPECT_NEAR(child.deviation, 0.03125, 0.003);
  // From the parent's probabilities (a leaning), the child's update leans to b.
  EXPECT_GT(child.share_b, child.share_a);
  EXPECT_GT(child.share_a, 0.15);
}

TEST_F(OneElite, ASoftRestartWidensBackToTheSecondIteration) {
  for (int iteration = 2; iteration <= 4; ++iteration) model.update(iteration, {7}, config_of, 16);
  const Drawn narrow = draw(model, 7, elite);
  EXPECT_LT(narrow.deviation, 0.01);
  model.set_parent(30, 7);
  model.restart({30}, 16);  // a new configuration's restart widens its parent's model
  const Drawn wide = draw(model, 7, elite);
  EXPECT_NEAR(wide.deviation, 0.125, 0.01);
  EXPECT_LT(wide.share_a, narrow.share_a);
}

TEST(RaceModel, NearIdenticalConfigurationsAreFound) {
  const SearchSpace s = space();
  EXPECT_EQ(near_identical(s, {{1, config(0.5, "a")}, {2, config(0.50001, "a")},
                               {3, config(0.5, "b")}, {4, config(0.6, "a")}}),
            (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(near_identical(s, {{1, config(0.5, "a")}, {2, config(0.51, "a")}}).empty());
}

TEST(RaceModel, ConfigurationsToRaceFollowIraceBudgetRule) {
  // First iteration: the budget over (first test + one).
  EXPECT_EQ(configurations_to_race(100, 1, 5, 1, 0, 0), 16);
  // Later: the elites' results on the seen instances count as paid; each configuration is
  // planned to reach every seen instance and a new one.
  EXPECT_EQ(configurations_to_race(100, 2, 5, 1, 5, 10), (100 + 50) / 11);
  // Few instances seen: the first test sets the length.
  EXPECT_EQ(configurations_to_race(100, 3, 5, 1, 5, 2), (100 + 10) / 8);
  // Tests every two instances round the length up to a multiple of two.
  EXPECT_EQ(configurations_to_race(100, 9, 5, 2, 4, 20), (100 + 80) / 22);
}

}  // namespace
}  // namespace winnow
