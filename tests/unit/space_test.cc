// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "space/expression.h"
#include "winnow/error.h"
#include "winnow/space.h"

namespace winnow {
namespace {

SearchSpace quickstart_space() {
  SearchSpace space;
  space.add_float("lr", 1e-5, 0.1).log()
      .add_int("layers", 1, 8)
      .add_categorical("optimizer", {std::string("adam"), std::string("sgd")})
      .add_float("momentum", 0.0, 0.99).when("optimizer == 'sgd'");
  space.validate();
  return space;
}

std::string validate_error(SearchSpace space) {
  try {
    space.validate();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SearchSpace, EncodeDecodeRoundTrip) {
  SearchSpace space = quickstart_space();
  Config config = {{"lr", 1e-3}, {"layers", int64_t{3}}, {"optimizer", std::string("sgd")},
                   {"momentum", 0.5}};
  UnitPoint point = space.encode(config);
  ASSERT_EQ(point.x.size(), 4u);
  for (double u : point.x) EXPECT_TRUE(u >= 0 && u <= 1);
  Config back = space.decode(point.x);
  EXPECT_NEAR(std::get<double>(back.at("lr")), 1e-3, 1e-12);
  EXPECT_EQ(std::get<int64_t>(back.at("layers")), 3);
  EXPECT_EQ(std::get<std::string>(back.at("optimizer")), "sgd");
  EXPECT_NEAR(std::get<double>(back.at("momentum")), 0.5, 1e-12);
}

TEST(SearchSpace, InactiveParametersAreMaskedAndNeverDecoded) {
  SearchSpace space = quickstart_space();
  Config adam = {{"lr", 1e-3}, {"layers", int64_t{3}}, {"optimizer", std::string("adam")}};
  UnitPoint point = space.encode(adam);
  int momentum = space.index_of("momentum");
  EXPECT_EQ(point.active[momentum], 0);
  EXPECT_FALSE(space.decode(point.x).contains("momentum"));
  EXPECT_NO_THROW(space.check(adam));
  Config with_momentum = adam;
  with_momentum["momentum"] = 0.3;
  EXPECT_THROW(space.check(with_momentum), Error);
}

TEST(SearchSpace, IntegersOwnEqualCellsOfTheUnitInterval) {
  SearchSpace space;
  space.add_int("k", 1, 4);
  space.validate();
  std::vector<int> counts(5, 0);
  for (int i = 0; i < 4000; ++i) {
    double u = (i + 0.5) / 4000.0;
    counts[std::get<int64_t>(space.decode_value(0, u))]++;
  }
  for (int k = 1; k <= 4; ++k) EXPECT_EQ(counts[k], 1000) << k;
}

TEST(SearchSpace, LogIntAndSteppedFloat) {
  SearchSpace space;
  space.add_int("units", 1, 1024).log().add_float("dropout", 0.0, 0.5).step(0.1);
  space.validate();
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> uniform(0, 1);
  for (int i = 0; i < 1000; ++i) {
    std::vector<double> x = {uniform(rng), uniform(rng)};
    Config c = space.decode(x);
    int64_t units = std::get<int64_t>(c.at("units"));
    EXPECT_GE(units, 1);
    EXPECT_LE(units, 1024);
    double d = std::get<double>(c.at("dropout"));
    EXPECT_NEAR(d * 10, std::round(d * 10), 1e-9);
    EXPECT_NO_THROW(space.check(c));
  }
  EXPECT_EQ(space.cardinality(1), 6u);
}

TEST(SearchSpace, RangesBeyondWhatDoublesHoldAreRefused) {
  // low + u * (high - low) would be infinite or NaN.
  EXPECT_NE(validate_error(SearchSpace().add_float("w", -1.7e308, 1.7e308))
                .find("parameter 'w': high - low is beyond the largest double"),
            std::string::npos);
  // Ints are computed in doubles: past 2^53 they would round outside their bounds.
  constexpr int64_t kTwo62 = int64_t{1} << 62;
  EXPECT_NE(validate_error(SearchSpace().add_int("n", -kTwo62, kTwo62))
                .find("parameter 'n': low and high of an int parameter must lie strictly between"),
            std::string::npos);
  EXPECT_NE(validate_error(SearchSpace().add_int("n", 1, std::numeric_limits<int64_t>::max()).log()).find("2^53"),
            std::string::npos);
  EXPECT_EQ(validate_error(SearchSpace().add_int("n", -(int64_t{1} << 52), int64_t{1} << 52)), "");
  EXPECT_EQ(validate_error(SearchSpace().add_float("w", -1e307, 1e307)), "");
}

TEST(SearchSpace, ChoicesHoldNoNulCharacter) {
  // A program's argument would end at the NUL and run another value than the one stored.
  EXPECT_NE(validate_error(SearchSpace().add_categorical("c", {std::string("a\0b", 3), std::string("d")}))
                .find("parameter 'c': choice 1 holds a NUL character"),
            std::string::npos);
}

TEST(SearchSpace, ValidationErrorsNameTheParameterAndRule) {
  EXPECT_NE(validate_error(SearchSpace().add_float("lr", 0.1, 0.01)).find("parameter 'lr': low (0.1) must be less than high (0.01)"), std::string::npos);
  EXPECT_NE(validate_error(SearchSpace().add_float("lr", 0.0, 1.0).log()).find("greater than 0 on a log scale"), std::string::npos);
  EXPECT_NE(validate_error(SearchSpace().add_categorical("c", {})).find("choices must not be empty"), std::string::npos);
  EXPECT_NE(validate_error(SearchSpace().add_int("a", 0, 3).add_int("a", 0, 2)).find("defined twice"), std::string::npos);
  EXPECT_NE(validate_error(SearchSpace().add_int("a", 0, 3).add_int("b", 0, 2).when("c == 1")).find("unknown parameter 'c'"), std::string::npos);
  EXPECT_NE(validate_error(SearchSpace().add_int("a", 0, 3).when("b > 1").add_int("b", 0, 2).when("a > 1")).find("cyclic condition"), std::string::npos);
  EXPECT_NE(validate_error(SearchSpace().add_int("a", 0, 3).forbid("a >= 0")).find("forbids every configuration"), std::string::npos);
  EXPECT_NE(validate_error(SearchSpace().add_categorical("o", {std::string("adam"), std::string("sgd")}).add_float("m", 0, 1).when("o == 'sdg'")).find("did you mean 'sgd'"), std::string::npos);
  EXPECT_NE(validate_error(SearchSpace().add_float("x", 0.0, 1.0).step(0.3)).find("multiple of step"), std::string::npos);
  EXPECT_NE(validate_error(SearchSpace().add_int("x", 0, 3).default_value(int64_t{7})).find("default"), std::string::npos);
  EXPECT_NE(validate_error(SearchSpace().add_int("x", 0, 3).when("x ==")).find("syntax error"), std::string::npos);
}

TEST(SearchSpace, NestedAndOrConditions) {
  SearchSpace space;
  space.add_categorical("model", {std::string("tree"), std::string("linear"), std::string("net")})
      .add_int("depth", 1, 10).when("model == 'tree'")
      .add_int("leaves", 2, 64).when("model == 'tree' and depth > 5")
      .add_float("l2", 1e-6, 1.0).log().when("model in ['linear', 'net'] or (model == 'tree' and depth <= 2)");
  space.validate();
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> uniform(0, 1);
  for (int i = 0; i < 2000; ++i) {
    std::vector<double> x(space.size());
    for (double& v : x) v = uniform(rng);
    Config c = space.decode(x);
    const std::string& model = std::get<std::string>(c.at("model"));
    EXPECT_EQ(c.contains("depth"), model == "tree");
    bool deep = model == "tree" && std::get<int64_t>(c.at("depth")) > 5;
    EXPECT_EQ(c.contains("leaves"), deep);
    bool shallow = model == "tree" && std::get<int64_t>(c.at("depth")) <= 2;
    EXPECT_EQ(c.contains("l2"), model != "tree" || shallow);
    EXPECT_NO_THROW(space.check(c));
  }
}

TEST(SearchSpace, ParentsAreOrderedBeforeChildren) {
  SearchSpace space;
  space.add_float("child", 0, 1).when("parent == true").add_categorical("parent", {true, false});
  space.validate();
  EXPECT_LT(space.index_of("parent"), space.index_of("child"));
}

TEST(SearchSpace, ForbiddenClausesAndOrdinalComparison) {
  SearchSpace space;
  space.add_ordinal("size", {std::string("small"), std::string("medium"), std::string("large")})
      .add_int("batch", 8, 512).log()
      .forbid("size >= 'medium' and batch > 256");
  space.validate();
  EXPECT_TRUE(space.is_forbidden({{"size", std::string("large")}, {"batch", int64_t{300}}}));
  EXPECT_FALSE(space.is_forbidden({{"size", std::string("small")}, {"batch", int64_t{300}}}));
  EXPECT_THROW(space.check({{"size", std::string("large")}, {"batch", int64_t{300}}}), Error);
}

TEST(SearchSpace, CoerceAcceptsTextAndNumbers) {
  SearchSpace space = quickstart_space();
  EXPECT_EQ(std::get<int64_t>(space.coerce("layers", 3.0)), 3);
  EXPECT_THROW(space.coerce("layers", 3.5), Error);
  EXPECT_THROW(space.coerce("layers", 9.0), Error);
  EXPECT_EQ(std::get<std::string>(space.coerce("optimizer", std::string("sgd"))), "sgd");
  EXPECT_THROW(space.coerce("optimizer", std::string("rmsprop")), Error);
  EXPECT_THROW(space.coerce("lrr", 1.0), Error);
}

TEST(Expression, SyntaxErrorsSayWhere) {
  try {
    Expression::parse("a == 1 and (b > 2");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("column"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Expression::parse("a = 1"), Error);
  EXPECT_THROW(Expression::parse("a == sgd"), Error);
  EXPECT_THROW(Expression::parse(""), Error);
  auto e = Expression::parse("not (a in [1, 2]) && b != 'x'");
  EXPECT_TRUE(e->evaluate({{"a", int64_t{3}}, {"b", std::string("y")}}, nullptr));
  EXPECT_FALSE(e->evaluate({{"a", 2.0}, {"b", std::string("y")}}, nullptr));
  // A comparison on an inactive parameter is false, so its negation is true.
  EXPECT_TRUE(e->evaluate({{"b", std::string("y")}}, nullptr));
}

TEST(SearchSpace, DefaultConfigAndJson) {
  SearchSpace space;
  space.add_float("lr", 1e-4, 1e-2).log().add_int("n", 1, 9).default_value(int64_t{2})
      .add_categorical("c", {std::string("x"), std::string("y")});
  space.validate();
  Config d = space.default_config();
  EXPECT_NEAR(std::get<double>(d.at("lr")), 1e-3, 1e-12);
  EXPECT_EQ(std::get<int64_t>(d.at("n")), 2);
  EXPECT_EQ(std::get<std::string>(d.at("c")), "x");
  EXPECT_EQ(space.to_json(), SearchSpace(space).to_json());
}

}  // namespace
}  // namespace winnow
