// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Define-by-run studies (Trial::suggest): the space grows in storage as trials ask for
// parameters, every process sees the additions, a trial stores only what it asked for, and a
// parameter keeps one definition.
#include <gtest/gtest.h>

#include <set>

#include "space/space_json.h"
#include "storage/forwarding_storage.h"
#include "unit/storage_test_support.h"
#include "winnow/error.h"
#include "winnow/storage.h"
#include "winnow/study.h"

namespace winnow {
namespace {

ParamSpec float_spec(std::string name, double low, double high, bool log = false) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kFloat;
  spec.low = low;
  spec.high = high;
  spec.log = log;
  return spec;
}

ParamSpec choice_spec(std::string name, std::vector<ParamValue> choices) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kCategorical;
  spec.choices = std::move(choices);
  return spec;
}

Study dbr_study(std::shared_ptr<Storage> storage, std::string sampler = "random") {
  return Study::create(std::move(storage), SearchSpace().define_by_run(),
                       StudyOptions{.name = "dbr", .sampler = sampler, .seed = 5});
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DefineByRun, TrialsStoreOnlyTheParametersTheyAskedForAndTheSpaceGrows) {
  std::shared_ptr<Storage> storage = open_storage("memory");
  Study study = dbr_study(storage, "tpe");
  for (int i = 0; i < 30; ++i) {
    Trial trial = study.ask();
    ParamValue branch = trial.suggest(choice_spec("branch", {std::string("a"), std::string("b")}));
    double x = std::get<double>(
        trial.suggest(float_spec(branch == ParamValue(std::string("a")) ? "x_a" : "x_b", 0, 1)));
    study.tell(trial, x);
  }
  EXPECT_EQ(study.space_size(), 3u);
  SearchSpace stored = space_from_json(study.record().space_json);
  EXPECT_TRUE(stored.is_define_by_run());
  EXPECT_NE(stored.find("x_b"), nullptr);
  for (const FrozenTrial& trial : study.trials()) {
    EXPECT_EQ(trial.config.size(), 2u) << trial.number;
    EXPECT_EQ(trial.config.count("x_a") + trial.config.count("x_b"), 1u) << trial.number;
  }
}

// Records the configuration each finish carries.
class FinishRecordingStorage : public ForwardingStorage {
 public:
  using ForwardingStorage::ForwardingStorage;
  void finish_trial(int64_t trial_id, const TrialOutcome& outcome) override {
    carried_config.push_back(outcome.config.has_value());
    ForwardingStorage::finish_trial(trial_id, outcome);
  }
  std::vector<bool> carried_config;
};

TEST(DefineByRun, AFinishRewritesTheParametersOnlyWhenTheTrialAskedForOthersThanItsProposal) {
  auto storage = std::make_shared<FinishRecordingStorage>(open_storage("memory"));
  Study study = dbr_study(storage);
  // Trial 0 draws both anew (the space was empty); trial 1 asks for its whole proposal; trial 2
  // leaves y out, which must then be removed from what is stored.
  for (int i = 0; i < 3; ++i) {
    Trial trial = study.ask();
    double x = std::get<double>(trial.suggest(float_spec("x", 0, 1)));
    if (i < 2) x += std::get<double>(trial.suggest(float_spec("y", 0, 1)));
    study.tell(trial, x);
  }
  EXPECT_EQ(storage->carried_config, (std::vector<bool>{true, false, true}));
  std::vector<FrozenTrial> trials = study.trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_EQ(trials[0].config.size(), 2u);
  EXPECT_EQ(trials[1].config.size(), 2u);
  EXPECT_EQ(trials[2].config.size(), 1u);
  EXPECT_EQ(trials[2].config.count("y"), 0u);
}

TEST(DeclaredSpace, AnOutcomeCannotRewriteTheParametersATrialRan) {
  SearchSpace space;
  space.add_float("x", 0, 1);
  space.validate();
  auto storage = std::make_shared<FinishRecordingStorage>(open_storage("memory"));
  Study study = Study::create(storage, space, {.name = "declared", .seed = 2});
  Trial trial = study.ask();
  const Config ran = trial.config();
  study.tell(trial, TrialOutcome{.values = {0.5}, .config = Config{{"x", 0.123}}});
  EXPECT_EQ(storage->carried_config, std::vector<bool>{false});
  EXPECT_EQ(study.trials().at(0).config, ran);
}

TEST(DefineByRun, AParameterKeepsOneDefinitionAndBothAreNamed) {
  Study study = dbr_study(open_storage("memory"));
  Trial trial = study.ask();
  trial.suggest(float_spec("lr", 1e-5, 1e-1, true));
  std::string message = error_of([&] { trial.suggest(float_spec("lr", 1e-4, 1, true)); });
  EXPECT_NE(message.find("'lr'"), std::string::npos) << message;
  EXPECT_NE(message.find("[1e-04, 1], log"), std::string::npos) << message;
  EXPECT_NE(message.find("[1e-05, 0.1], log"), std::string::npos) << message;
  message = error_of([&] { trial.suggest(float_spec("bad", 1, 0)); });
  EXPECT_NE(message.find("parameter 'bad'"), std::string::npos) << message;
  EXPECT_EQ(study.space_size(), 1u);  // the invalid one never joined the space
}

TEST(DefineByRun, ProcessesSeeEachOthersParametersThroughTheStoredSpace) {
  storage_test::TempDir folder;
  std::string url = folder.path() + "/s.db";
  Study first = dbr_study(open_storage(url), "tpe");
  Study second = dbr_study(open_storage(url), "tpe");
  Trial a = first.ask();
  double x = std::get<double>(a.suggest(float_spec("x", 0, 1)));
  first.tell(a, x);
  Trial b = second.ask();
  double y = std::get<double>(b.suggest(float_spec("y", 0, 1)));
  second.tell(b, y);
  // The second process added y to the space the first had grown: neither is lost.
  SearchSpace stored = space_from_json(first.record().space_json);
  EXPECT_NE(stored.find("x"), nullptr);
  EXPECT_NE(stored.find("y"), nullptr);
  // The first process learns of y from the trials it syncs before its next proposal.
  for (int i = 0; i < 12; ++i) {
    Trial t = first.ask();
    first.tell(t, std::get<double>(t.suggest(float_spec("x", 0, 1))));
  }
  EXPECT_EQ(first.space_size(), 2u);
  ParamSpec other = float_spec("y", 0, 5);
  Trial c = first.ask();
  EXPECT_NE(error_of([&] { c.suggest(other); }).find("'y'"), std::string::npos);
}

TEST(DefineByRun, EnqueuedValuesAreUsedWhenTheyFitTheAskedRange) {
  Study study = dbr_study(open_storage("memory"));
  study.enqueue({{"x", 0.25}, {"later", std::string("b")}});
  study.enqueue({{"x", 7.0}});
  Trial first = study.ask();
  EXPECT_EQ(std::get<double>(first.suggest(float_spec("x", 0, 1))), 0.25);
  EXPECT_EQ(first.suggest(choice_spec("later", {std::string("a"), std::string("b")})),
            ParamValue(std::string("b")));
  study.tell(first, 0.0);
  Trial second = study.ask();
  double x = std::get<double>(second.suggest(float_spec("x", 0, 1)));
  EXPECT_GE(x, 0.0);
  EXPECT_LE(x, 1.0);  // 7 is outside the range asked for: drawn instead
}

TEST(DefineByRun, SameSeedGivesTheSameSequence) {
  auto run = [] {
    Study study = dbr_study(open_storage("memory"), "tpe");
    std::vector<double> seen;
    for (int i = 0; i < 20; ++i) {
      Trial trial = study.ask();
      double x = std::get<double>(trial.suggest(float_spec("x", -2, 2)));
      double y = std::get<double>(trial.suggest(float_spec("y", -2, 2)));
      seen.push_back(x);
      study.tell(trial, x * x + y * y);
    }
    return seen;
  };
  EXPECT_EQ(run(), run());
}

TEST(DefineByRun, BudgetSchedulersNeedADeclaredSpace) {
  StudyOptions options{.name = "b", .scheduler = "asha", .budget = BudgetSpec{.min = 1, .max = 9}};
  std::string message = error_of(
      [&] { Study::create(open_storage("memory"), SearchSpace().define_by_run(), options); });
  EXPECT_NE(message.find("declared space"), std::string::npos) << message;
}

TEST(DeclaredSpace, SuggestReturnsTheTrialsValueAndRefusesUnknownOrInactiveParameters) {
  SearchSpace space;
  space.add_categorical("opt", {std::string("adam"), std::string("sgd")})
      .add_float("momentum", 0, 0.9)
      .when("opt == 'sgd'");
  Study study = Study::create(open_storage("memory"), space,
                              StudyOptions{.name = "d", .sampler = "random", .seed = 1});
  study.enqueue({{"opt", std::string("adam")}});
  Trial trial = study.ask();
  EXPECT_EQ(trial.suggest(choice_spec("opt", {std::string("adam"), std::string("sgd")})),
            ParamValue(std::string("adam")));
  EXPECT_NE(error_of([&] { trial.suggest(float_spec("momentum", 0, 0.9)); }).find("inactive"),
            std::string::npos);
  EXPECT_NE(error_of([&] { trial.suggest(float_spec("momentun", 0, 0.9)); })
                .find("did you mean 'momentum'"),
            std::string::npos);
}

TEST(SpaceJson, RoundTripsEveryKindOfParameter) {
  SearchSpace space;
  space.add_float("lr", 1e-5, 0.1).log().add_int("layers", 1, 9).step(2)
      .add_ordinal("size", {int64_t{1}, int64_t{2}, int64_t{4}})
      .add_categorical("opt", {std::string("adam"), std::string("sgd")})
      .add_float("momentum", 0, 0.9).when("opt == 'sgd'").default_value(0.5)
      .forbid("opt == 'sgd' and lr > 0.05");
  space.validate();
  EXPECT_EQ(space_from_json(space.to_json()).to_json(), space.to_json());
  EXPECT_THROW(space_from_json("{\"params\": 3}"), Error);
}

}  // namespace
}  // namespace winnow
