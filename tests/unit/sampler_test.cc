// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Contract suite every sampler passes: members of the space only (conditions and forbidden
// clauses respected, also on randomly generated spaces and with running and failed trials in the
// history), same seed gives the same sequence, and a sampler rebuilt from the stored trials
// continues exactly where the first one was.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "common/param_json.h"
#include "winnow/error.h"
#include "winnow/sampler.h"

namespace winnow {
namespace {

SearchSpace conditional_space() {
  SearchSpace space;
  space.add_categorical("model", {std::string("tree"), std::string("linear")})
      .add_int("depth", 1, 6).when("model == 'tree'")
      .add_float("l2", 1e-4, 1.0).log().when("model == 'linear'")
      .add_float("x", -1.0, 1.0).step(0.25)
      .forbid("model == 'tree' and depth > 4 and x > 0.5");
  space.validate();
  return space;
}

// A deterministic objective with structure a model can learn: a bowl in the unit cube.
double bowl(const SearchSpace& space, const Config& config) {
  UnitPoint point = space.encode(config);
  double value = 0.0;
  for (size_t i = 0; i < point.x.size(); ++i) {
    if (point.active[i]) value += (point.x[i] - 0.3) * (point.x[i] - 0.3) * (1.0 + i);
  }
  return value;
}

struct DrawOptions {
  int n = 0;
  // Every `fail_every`-th trial fails, and the last `running` trials stay running, so samplers
  // meet the states a real study has.
  int fail_every = 0;
  int running = 0;
};

// Asks `sampler` for configurations one at a time and records them as finished trials (with the
// notes the sampler left), as a study would.
std::vector<Config> draw(Sampler& sampler, const SearchSpace& space, DrawOptions options,
                         std::vector<FrozenTrial>* history_out = nullptr) {
  std::vector<FrozenTrial> history;
  std::vector<Direction> directions = {Direction::kMinimize};
  std::vector<Config> out;
  for (int i = 0; i < options.n; ++i) {
    std::map<std::string, std::string> attrs;
    SampleContext context{space, history, directions, static_cast<int64_t>(history.size()),
                          &attrs};
    std::optional<Config> config = sampler.sample(context);
    if (!config) break;
    FrozenTrial t;
    t.number = i;
    t.config = *config;
    t.user_attrs = attrs;
    if (i >= options.n - options.running) {
      t.state = TrialState::kRunning;
    } else if (options.fail_every > 0 && i % options.fail_every == options.fail_every - 1) {
      t.state = TrialState::kFailed;
    } else {
      t.state = TrialState::kComplete;
      t.values = {bowl(space, *config)};
    }
    history.push_back(t);
    out.push_back(*config);
  }
  if (history_out) *history_out = history;
  return out;
}

std::vector<Config> draw(Sampler& sampler, const SearchSpace& space, int n,
                         std::vector<FrozenTrial>* history_out = nullptr) {
  return draw(sampler, space, DrawOptions{.n = n}, history_out);
}

// A random space: 1-6 parameters of every kind, some conditional on an earlier categorical, and
// sometimes a forbidden clause.
SearchSpace random_space(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  SearchSpace space;
  int n_params = 1 + pick(6);
  std::vector<std::string> categoricals;
  for (int i = 0; i < n_params; ++i) {
    std::string name = "p" + std::to_string(i);
    switch (pick(6)) {
      case 0: space.add_float(name, -2.0, 3.0); break;
      case 1: space.add_float(name, 1e-3, 10.0).log(); break;
      case 2: space.add_int(name, -3, 7); break;
      case 3: space.add_int(name, 1, 1000).log(); break;
      case 4: space.add_ordinal(name, {int64_t{1}, int64_t{2}, int64_t{4}, int64_t{8}}); break;
      default:
        space.add_categorical(name, {std::string("a"), std::string("b"), std::string("c")});
        categoricals.push_back(name);
        continue;  // categoricals stay unconditional so later parameters can depend on them
    }
    if (!categoricals.empty() && pick(2) == 0) {
      space.when(categoricals[pick(static_cast<int>(categoricals.size()))] + " != 'b'");
    }
  }
  if (!categoricals.empty() && pick(2) == 0) space.forbid(categoricals[0] + " == 'c'");
  space.validate();
  return space;
}

// Every registered sampler: a new one cannot escape the contract. Samplers that decide runs
// on instances (race) need an algorithm-configuration study; configuration_test.cc holds theirs.
const std::vector<std::string> kAllSamplers = [] {
  std::vector<std::string> names;
  for (const std::string& name : sampler_names()) {
    if (!sampler_traits(name).configures_runs) names.push_back(name);
  }
  return names;
}();

class SamplerContract : public ::testing::TestWithParam<std::string> {};

TEST_P(SamplerContract, ProposesOnlyMembersOfTheSpace) {
  SearchSpace space = conditional_space();
  auto sampler = create_sampler(SamplerSpec::parse(GetParam()), 7);
  for (const Config& config : draw(*sampler, space, 60)) {
    EXPECT_NO_THROW(space.check(config)) << config_to_json(config).dump();
  }
}

TEST_P(SamplerContract, ProposesMembersOfRandomSpacesWithRunningAndFailedTrials) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SearchSpace space = random_space(seed);
    auto sampler = create_sampler(SamplerSpec::parse(GetParam()), seed);
    std::vector<Config> configs;
    try {
      configs = draw(*sampler, space, DrawOptions{.n = 30, .fail_every = 7, .running = 4});
    } catch (const Error& e) {
      // A grid over a wide int range is refused up front, with a clear message.
      ASSERT_EQ(GetParam(), "grid") << e.what();
      EXPECT_NE(std::string(e.what()).find("lower the resolution"), std::string::npos);
      continue;
    }
    for (const Config& config : configs) {
      EXPECT_NO_THROW(space.check(config))
          << GetParam() << " on space " << space.to_json() << ": "
          << config_to_json(config).dump();
    }
    if (GetParam() != "grid") EXPECT_EQ(configs.size(), 30u) << space.to_json();
  }
}

TEST_P(SamplerContract, SameSeedSameSequence) {
  SearchSpace space = conditional_space();
  auto a = create_sampler(SamplerSpec::parse(GetParam()), 11);
  auto b = create_sampler(SamplerSpec::parse(GetParam()), 11);
  auto c = create_sampler(SamplerSpec::parse(GetParam()), 12);
  std::vector<Config> first = draw(*a, space, 30), second = draw(*b, space, 30), third = draw(*c, space, 30);
  EXPECT_EQ(first, second);
  EXPECT_NE(first, third);
}

TEST_P(SamplerContract, ResumedSamplerContinuesTheSequence) {
  SearchSpace space = conditional_space();
  // Past the start-up phase of the model-based samplers, so their models are rebuilt too.
  constexpr int kBefore = 24;
  auto whole = create_sampler(SamplerSpec::parse(GetParam()), 5);
  std::vector<Config> all = draw(*whole, space, kBefore + 6);
  // A fresh sampler given the first trials proposes what the next would have been.
  auto first_part = create_sampler(SamplerSpec::parse(GetParam()), 5);
  std::vector<FrozenTrial> history;
  draw(*first_part, space, kBefore, &history);
  auto resumed = create_sampler(SamplerSpec::parse(GetParam()), 5);
  std::vector<Direction> directions = {Direction::kMinimize};
  std::vector<Config> continued;
  for (int i = 0; i < 6; ++i) {
    std::map<std::string, std::string> attrs;
    SampleContext context{space, history, directions, static_cast<int64_t>(history.size()),
                          &attrs};
    std::optional<Config> next = resumed->sample(context);
    ASSERT_TRUE(next);
    FrozenTrial t;
    t.number = static_cast<int64_t>(history.size());
    t.config = *next;
    t.user_attrs = attrs;
    t.state = TrialState::kComplete;
    t.values = {bowl(space, *next)};
    history.push_back(t);
    continued.push_back(*next);
  }
  if (GetParam() == "grid") {
    std::set<std::string> seen;
    for (int i = 0; i < kBefore; ++i) seen.insert(config_to_json(history[i].config).dump());
    EXPECT_FALSE(seen.contains(config_to_json(continued[0]).dump()));
  } else {
    EXPECT_EQ(continued, std::vector<Config>(all.begin() + kBefore, all.end()));
  }
}

INSTANTIATE_TEST_SUITE_P(AllSamplers, SamplerContract, ::testing::ValuesIn(kAllSamplers),
                         [](const auto& info) { return info.param; });

TEST(GridSampler, VisitsEveryPointOnceThenIsExhausted) {
  SearchSpace space;
  space.add_categorical("a", {std::string("p"), std::string("q"), std::string("r")})
      .add_float("b", 0.0, 1.0)
      .add_int("c", 1, 2).when("a == 'p'");
  space.validate();
  auto sampler = create_sampler(SamplerSpec::parse("grid:resolution.b=3"), 1);
  std::vector<Config> all = draw(*sampler, space, 100);
  // a=p: 3 b x 2 c = 6; a=q,r: 3 b each = 6.
  EXPECT_EQ(all.size(), 12u);
  std::set<std::string> distinct;
  for (const auto& c : all) distinct.insert(config_to_json(c).dump());
  EXPECT_EQ(distinct.size(), 12u);
}

TEST(SobolSampler, FillsTheSquareEvenly) {
  SearchSpace space;
  space.add_float("x", 0, 1).add_float("y", 0, 1);
  space.validate();
  auto sampler = create_sampler(SamplerSpec::parse("sobol"), 3);
  std::vector<Config> points = draw(*sampler, space, 256);
  // A (0,m,2) net in base 2: every 1/16 x 1/16 cell holds exactly one of 256 points.
  std::set<std::pair<int, int>> cells;
  for (const Config& c : points) {
    cells.insert({static_cast<int>(std::get<double>(c.at("x")) * 16),
                  static_cast<int>(std::get<double>(c.at("y")) * 16)});
  }
  EXPECT_EQ(cells.size(), 256u);
}

TEST(SamplerRegistry, TraitsAreDeclaredWithTheRegistration) {
  EXPECT_TRUE(sampler_traits("tpe").takes_n_startup);
  EXPECT_TRUE(sampler_traits("tpe").multi_objective);
  EXPECT_TRUE(sampler_traits("gp").multi_objective);
  EXPECT_FALSE(sampler_traits("cmaes").multi_objective);
  EXPECT_FALSE(sampler_traits("cmaes").learns_from_any_trials);
  EXPECT_FALSE(sampler_traits("grid").learns_from_any_trials);
  EXPECT_TRUE(sampler_traits("random").learns_from_any_trials);
  EXPECT_THROW(sampler_traits("tpee"), Error);
}

TEST(SamplerRegistry, UnknownNamesAndOptionsAreClearErrors) {
  try {
    create_sampler(SamplerSpec::parse("sobl"), 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'sobol'"), std::string::npos) << e.what();
  }
  try {
    create_sampler(SamplerSpec::parse("grid:resolutoin=3"), 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'resolution'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SamplerSpec::parse("grid:resolution"), Error);
  EXPECT_EQ(SamplerSpec::parse("grid: resolution = 4 ").options.at("resolution"), "4");
}

}  // namespace
}  // namespace winnow
