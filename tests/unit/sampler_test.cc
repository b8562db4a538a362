// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Contract suite every sampler passes: members of the space only (conditions and forbidden
// clauses respected), same seed gives the same sequence, and a resumed sampler continues.
#include <gtest/gtest.h>

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

std::vector<Config> draw(Sampler& sampler, const SearchSpace& space, int n,
                         std::vector<FrozenTrial>* history_out = nullptr) {
  std::vector<FrozenTrial> history;
  std::vector<Direction> directions = {Direction::kMinimize};
  std::vector<Config> out;
  for (int i = 0; i < n; ++i) {
    SampleContext context{space, history, directions, static_cast<int64_t>(history.size())};
    std::optional<Config> config = sampler.sample(context);
    if (!config) break;
    FrozenTrial t;
    t.number = i;
    t.config = *config;
    t.state = TrialState::kComplete;
    t.values = {0.0};
    history.push_back(t);
    out.push_back(*config);
  }
  if (history_out) *history_out = history;
  return out;
}

class SamplerContract : public ::testing::TestWithParam<std::string> {};

TEST_P(SamplerContract, ProposesOnlyMembersOfTheSpace) {
  SearchSpace space = conditional_space();
  auto sampler = create_sampler(SamplerSpec::parse(GetParam()), 7);
  for (const Config& config : draw(*sampler, space, 200)) {
    EXPECT_NO_THROW(space.check(config)) << config_to_json(config).dump();
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
  auto whole = create_sampler(SamplerSpec::parse(GetParam()), 5);
  std::vector<Config> all = draw(*whole, space, 20);
  // A fresh sampler given the first 10 trials proposes what the 11th would have been.
  auto first_part = create_sampler(SamplerSpec::parse(GetParam()), 5);
  std::vector<FrozenTrial> history;
  draw(*first_part, space, 10, &history);
  auto resumed = create_sampler(SamplerSpec::parse(GetParam()), 5);
  std::vector<Direction> directions = {Direction::kMinimize};
  SampleContext context{space, history, directions, 10};
  std::optional<Config> next = resumed->sample(context);
  ASSERT_TRUE(next);
  if (GetParam() != "grid") {
    EXPECT_EQ(*next, all[10]);
  }
  std::set<std::string> seen;
  for (const auto& t : history) seen.insert(config_to_json(t.config).dump());
  if (GetParam() == "grid") EXPECT_FALSE(seen.contains(config_to_json(*next).dump()));
}

INSTANTIATE_TEST_SUITE_P(AllSamplers, SamplerContract,
                         ::testing::Values("random", "sobol", "grid"));

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
