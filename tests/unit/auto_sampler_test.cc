// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The auto sampler's policy: which sampler it picks for which space and phase of a run, and that
// every trial records the choice and the reason (through a real study and storage).
#include <gtest/gtest.h>

#include <cmath>

#include "winnow/error.h"
#include "winnow/sampler.h"
#include "winnow/storage.h"
#include "winnow/study.h"

namespace winnow {
namespace {

std::string unquote(const std::string& json_text) {
  EXPECT_GE(json_text.size(), 2u);
  return json_text.substr(1, json_text.size() - 2);
}

// Runs `n` trials of a bowl through a study and returns which sampler proposed each.
std::vector<std::string> chosen_samplers(const SearchSpace& space, const std::string& spec, int n,
                                         size_t objectives = 1) {
  std::shared_ptr<Storage> storage = open_storage("memory");
  StudyOptions options{.name = "auto", .sampler = spec, .seed = 3};
  options.directions.assign(objectives, Direction::kMinimize);
  Study study = Study::create(storage, space, options);
  for (int i = 0; i < n; ++i) {
    Trial trial = study.ask();
    double value = 0.0;
    for (const auto& [name, v] : trial.config()) {
      if (const double* x = std::get_if<double>(&v)) value += (*x - 0.2) * (*x - 0.2);
    }
    study.tell(trial, std::vector<double>(objectives, value));
  }
  std::vector<std::string> out;
  for (const FrozenTrial& trial : study.trials()) {
    EXPECT_TRUE(trial.user_attrs.contains("winnow.sampler_reason")) << trial.number;
    out.push_back(unquote(trial.user_attrs.at("winnow.sampler")));
  }
  return out;
}

SearchSpace continuous_space(int dims) {
  SearchSpace space;
  for (int i = 0; i < dims; ++i) space.add_float("x" + std::to_string(i), -1.0, 1.0);
  space.validate();
  return space;
}

TEST(AutoSampler, SobolThenGaussianProcessThenCmaEsOnContinuousSpaces) {
  std::vector<std::string> chosen =
      chosen_samplers(continuous_space(3), "auto:n_startup=5,gp_max_trials=12", 16);
  ASSERT_EQ(chosen.size(), 16u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(chosen[i], "sobol") << i;
  for (int i = 5; i < 12; ++i) EXPECT_EQ(chosen[i], "gp") << i;
  for (int i = 12; i < 16; ++i) EXPECT_EQ(chosen[i], "cmaes") << i;
}

TEST(AutoSampler, TpeForConditionalCategoricalAndWideSpaces) {
  SearchSpace conditional;
  conditional.add_categorical("kind", {std::string("a"), std::string("b")})
      .add_float("x", 0.0, 1.0).when("kind == 'a'")
      .add_float("y", 0.0, 1.0);
  conditional.validate();
  EXPECT_EQ(chosen_samplers(conditional, "auto:n_startup=4", 6).back(), "tpe");

  SearchSpace categorical;
  categorical.add_categorical("a", {std::string("p"), std::string("q")})
      .add_categorical("b", {std::string("p"), std::string("q")})
      .add_float("x", 0.0, 1.0);
  categorical.validate();
  EXPECT_EQ(chosen_samplers(categorical, "auto:n_startup=4", 6).back(), "tpe");

  EXPECT_EQ(chosen_samplers(continuous_space(6), "auto:n_startup=4,gp_max_dims=5", 6).back(),
            "tpe");
  // Several objectives: MOTPE alone past mo_gp_max_trials, on conditional spaces, and with more
  // objectives than mo_gp_max_objectives.
  EXPECT_EQ(chosen_samplers(continuous_space(2), "auto:n_startup=4,mo_gp_max_trials=4", 6, 2),
            std::vector<std::string>({"sobol", "sobol", "sobol", "sobol", "tpe", "tpe"}));
  EXPECT_EQ(chosen_samplers(conditional, "auto:n_startup=4", 8, 2).back(), "tpe");
  EXPECT_EQ(chosen_samplers(continuous_space(2), "auto:n_startup=4,mo_gp_max_objectives=2", 6, 3)
                .back(),
            "tpe");
}

TEST(AutoSampler, ReasonNamesTheRule) {
  std::shared_ptr<Storage> storage = open_storage("memory");
  Study study = Study::create(storage, continuous_space(2),
                              {.name = "reason", .sampler = "auto:n_startup=1", .seed = 1});
  for (int i = 0; i < 2; ++i) {
    Trial trial = study.ask();
    study.tell(trial, 1.0 + i);
  }
  std::vector<FrozenTrial> trials = study.trials();
  EXPECT_NE(trials[0].user_attrs.at("winnow.sampler_reason").find("space-filling"),
            std::string::npos);
  EXPECT_NE(trials[1].user_attrs.at("winnow.sampler_reason").find("Gaussian process"),
            std::string::npos);
}

TEST(AutoSampler, SobolThenAPortfolioOfGpAndMotpeForSeveralObjectives) {
  std::shared_ptr<Storage> storage = open_storage("memory");
  StudyOptions options{.name = "two", .sampler = "auto:n_startup=3,mo_gp_max_tpe_run=3",
                       .seed = 2};
  options.directions = {Direction::kMinimize, Direction::kMaximize};
  Study study = Study::create(storage, continuous_space(3), options);
  for (int i = 0; i < 16; ++i) {
    Trial trial = study.ask();
    double x = trial.float_param("x0"), y = trial.float_param("x1");
    study.tell(trial, std::vector<double>{x * x + y * y, x});
  }
  std::vector<FrozenTrial> trials = study.trials();
  int gp = 0, tpe = 0, run = 0;
  std::string previous;
  for (const FrozenTrial& trial : trials) {
    std::string chosen = unquote(trial.user_attrs.at("winnow.sampler"));
    if (trial.number < 3) {
      EXPECT_EQ(chosen, "sobol") << trial.number;
      continue;
    }
    gp += chosen == "gp", tpe += chosen == "tpe";
    run = chosen == previous ? run + 1 : 1;
    previous = chosen;
    EXPECT_LE(run, chosen == "gp" ? 1 : 3) << "the GP never takes two turns in a row, MOTPE "
                                              "at most three; trial " << trial.number;
  }
  EXPECT_EQ(gp + tpe, 13);
  EXPECT_GE(gp, 3);
  EXPECT_GE(tpe, 3);
  const std::string reason = unquote(trials.back().user_attrs.at("winnow.sampler_reason"));
  EXPECT_NE(reason.find("2 objectives, 3 parameters, 15 trials (< mo_gp_max_trials=50): a "
                        "portfolio of Gaussian processes and MOTPE"),
            std::string::npos)
      << reason;
}

// A history of 2-objective trials, each proposed by `by` ("" for none), with the given values.
FrozenTrial proposed(int64_t number, const std::string& by, double f1, double f2) {
  FrozenTrial t;
  t.id = t.number = number;
  t.state = TrialState::kComplete;
  t.values = {f1, f2};
  t.config = {{"x0", 0.01 * static_cast<double>(number)}, {"x1", 0.5}};
  if (!by.empty()) t.user_attrs["winnow.sampler"] = "\"" + by + "\"";
  return t;
}

TEST(AutoSampler, ThePortfolioGivesTheTurnToWhatAddedHypervolume) {
  SearchSpace space = continuous_space(2);
  std::vector<Direction> directions(2, Direction::kMinimize);
  // Start-up points, then alternating proposals: one sampler's trials extend the front (f1 + f2
  // falls along it), the other's are dominated.
  auto history_where = [](const std::string& winner, const std::string& loser) {
    std::vector<FrozenTrial> history;
    for (int64_t i = 0; i < 6; ++i) history.push_back(proposed(i, "", 0.9 - 0.1 * i, 0.9));
    for (int64_t k = 0; k < 8; ++k) {
      double f1 = 0.3 - 0.03 * static_cast<double>(k);
      history.push_back(proposed(6 + 2 * k, winner, f1, 0.8 - 0.05 * static_cast<double>(k)));
      history.push_back(proposed(7 + 2 * k, loser, 0.95, 0.95));
    }
    return history;
  };
  for (auto [winner, loser] : {std::pair<std::string, std::string>{"gp", "tpe"}, {"tpe", "gp"}}) {
    std::vector<FrozenTrial> history = history_where(winner, loser);
    // The last proposal is MOTPE's either way, so the credit decides (after one of the GP's,
    // MOTPE's turn comes whatever the credit).
    if (winner == "tpe") history.push_back(proposed(22, "tpe", 0.05, 0.35));
    auto sampler = create_sampler(SamplerSpec::parse("auto:n_startup=6,mo_gp_max_tpe_run=3"), 1);
    std::map<std::string, std::string> attrs;
    SampleContext context{space, history, directions, static_cast<int64_t>(history.size()),
                          &attrs};
    ASSERT_TRUE(sampler->sample(context).has_value());
    EXPECT_EQ(unquote(attrs.at("winnow.sampler")), winner) << attrs.at("winnow.sampler_reason");
    EXPECT_NE(attrs.at("winnow.sampler_reason").find("hypervolume added per proposal"),
              std::string::npos);
    // The winner's turns in a row: one for the GP, three for MOTPE, then the other's turn.
    while (true) {
      int64_t number = static_cast<int64_t>(history.size());
      history.push_back(proposed(number, winner, 0.99, 0.99));
      if (winner == "gp" || history.size() >= 25) break;
    }
    attrs.clear();
    SampleContext waited{space, history, directions, static_cast<int64_t>(history.size()),
                         &attrs};
    ASSERT_TRUE(sampler->sample(waited).has_value());
    EXPECT_EQ(unquote(attrs.at("winnow.sampler")), loser) << attrs.at("winnow.sampler_reason");
  }
}

// By default MOTPE's turns have no limit beside the GP: the GP proposes only while its last
// proposals added more than MOTPE's, so where it adds nothing it stops proposing (its forced
// turns cost MOTPE's lead on problems such as WFG8 in the broad suite, docs/benchmarks.md).
TEST(AutoSampler, ByDefaultTheGpProposesOnlyWhileItsCreditLeads) {
  SearchSpace space = continuous_space(2);
  std::vector<Direction> directions(2, Direction::kMinimize);
  std::vector<FrozenTrial> history;
  for (int64_t i = 0; i < 6; ++i) history.push_back(proposed(i, "", 0.9 - 0.1 * i, 0.9));
  history.push_back(proposed(6, "gp", 0.95, 0.95));  // the GP's one turn added nothing
  for (int64_t k = 0; k < 12; ++k) {  // MOTPE's twelve turns each extend the front
    double f1 = 0.3 - 0.02 * static_cast<double>(k);
    history.push_back(proposed(7 + k, "tpe", f1, 0.8 - 0.05 * static_cast<double>(k)));
  }
  for (const std::string spec : {"auto:n_startup=6", "auto:n_startup=6,mo_gp_max_tpe_run=3"}) {
    std::map<std::string, std::string> attrs;
    SampleContext context{space, history, directions, static_cast<int64_t>(history.size()),
                          &attrs};
    ASSERT_TRUE(create_sampler(SamplerSpec::parse(spec), 1)->sample(context).has_value());
    EXPECT_EQ(unquote(attrs.at("winnow.sampler")), spec.ends_with("=3") ? "gp" : "tpe")
        << spec << ": " << attrs.at("winnow.sampler_reason");
  }
}

// Later in a run with several objectives, steady-state NSGA-II shares MOTPE's turns by the same
// credit: never two turns in a row, MOTPE at most three, both used; on a conditional space too,
// where the GP never takes part.
TEST(AutoSampler, ThenAPortfolioOfMotpeAndSteadyStateNsga2) {
  SearchSpace flat = [] {
    SearchSpace space;
    space.add_float("x0", 0.0, 1.0).add_float("x1", 0.0, 1.0);
    space.validate();
    return space;
  }();
  SearchSpace conditional = [] {
    SearchSpace space;
    space.add_categorical("kind", {std::string("a"), std::string("b")})
        .add_float("x0", 0.0, 1.0)
        .add_float("x1", 0.0, 1.0).when("kind == 'a'");
    space.validate();
    return space;
  }();
  for (const SearchSpace* space : {&flat, &conditional}) {
    StudyOptions options{.name = "late", .sampler = "auto:n_startup=3,mo_gp_max_trials=6,"
                                                    "mo_nsga2_after=6",
                         .seed = 4};
    options.directions = {Direction::kMinimize, Direction::kMinimize};
    Study study = Study::create(open_storage("memory"), *space, options);
    for (int i = 0; i < 40; ++i) {
      Trial trial = study.ask();
      double x = trial.float_param("x0");
      double y = trial.config().contains("x1") ? trial.float_param("x1") : 0.5;
      study.tell(trial, std::vector<double>{x * x + y * y, (1 - x) * (1 - x) + y * y});
    }
    int nsga2 = 0, tpe = 0, run = 0;
    std::string previous;
    for (const FrozenTrial& trial : study.trials()) {
      std::string chosen = unquote(trial.user_attrs.at("winnow.sampler"));
      if (trial.number < 6) {
        EXPECT_NE(chosen, "nsga2") << trial.number;
        continue;
      }
      ASSERT_TRUE(chosen == "nsga2" || chosen == "tpe") << chosen << " at " << trial.number;
      nsga2 += chosen == "nsga2", tpe += chosen == "tpe";
      run = chosen == previous ? run + 1 : 1;
      previous = chosen;
      EXPECT_LE(run, chosen == "nsga2" ? 1 : 3) << trial.number;
      // Steady state: NSGA-II keeps no generation notes.
      EXPECT_FALSE(trial.user_attrs.contains("winnow.nsga2")) << trial.number;
    }
    EXPECT_GE(nsga2, 6);
    EXPECT_GE(tpe, 6);
    const std::string reason =
        unquote(study.trials().back().user_attrs.at("winnow.sampler_reason"));
    EXPECT_NE(reason.find("a portfolio of MOTPE and steady-state NSGA-II"), std::string::npos)
        << reason;
  }
}

TEST(AutoSampler, TpeOnceATrialReportsConstraints) {
  // GP and CMA-ES ignore constraints; TPE models where they hold (c-TPE, tpe.cc). Trials 0-5
  // report none, later ones do, so the ask after trial 6 is told switches to TPE for good.
  std::shared_ptr<Storage> storage = open_storage("memory");
  Study study = Study::create(storage, continuous_space(2),
                              {.name = "constrained", .sampler = "auto:n_startup=3", .seed = 4});
  for (int i = 0; i < 10; ++i) {
    Trial trial = study.ask();
    double x = trial.float_param("x0"), y = trial.float_param("x1");
    TrialOutcome outcome{.values = {x * x + y * y}};
    if (i >= 6) outcome.constraints = {0.25 - x};
    study.tell(trial, outcome);
  }
  std::vector<FrozenTrial> trials = study.trials();
  for (const FrozenTrial& trial : trials) {
    const std::string expected = trial.number < 3 ? "sobol" : trial.number <= 6 ? "gp" : "tpe";
    EXPECT_EQ(unquote(trial.user_attrs.at("winnow.sampler")), expected) << trial.number;
  }
  EXPECT_EQ(unquote(trials.back().user_attrs.at("winnow.sampler_reason")),
            "constraints: tpe models where they hold");

  // Several objectives with constraints stay with MOTPE (TPE, with the same constraint model).
  StudyOptions two{.name = "two", .sampler = "auto:n_startup=2", .seed = 5};
  two.directions = {Direction::kMinimize, Direction::kMinimize};
  Study moo = Study::create(storage, continuous_space(2), two);
  for (int i = 0; i < 4; ++i) {
    Trial trial = moo.ask();
    double x = trial.float_param("x0");
    moo.tell(trial, TrialOutcome{.values = {x, 1 - x}, .constraints = {x - 0.5}});
  }
  const std::string reason = unquote(moo.trials().back().user_attrs.at("winnow.sampler_reason"));
  EXPECT_NE(reason.find("2 objectives, constraints: MOTPE"), std::string::npos) << reason;
}

TEST(AutoSampler, NoticesConstraintsOfATrialThatFinishedSinceTheLastAsk) {
  // The sampler reads each finished trial once; one that was running at the last ask is read
  // again, and a history that is not the last one extended is read whole.
  SearchSpace space = continuous_space(2);
  auto sampler = create_sampler(SamplerSpec::parse("auto:n_startup=2"), 1);
  std::vector<Direction> directions = {Direction::kMinimize};
  std::vector<FrozenTrial> history;
  for (int64_t i = 0; i < 4; ++i) {
    FrozenTrial t;
    t.id = t.number = i;
    t.state = TrialState::kComplete;
    t.config = {{"x0", 0.1 * static_cast<double>(i)}, {"x1", 0.0}};
    t.values = {0.1 * static_cast<double>(i)};
    history.push_back(t);
  }
  history[3].state = TrialState::kRunning;
  history[3].values.clear();
  auto choice = [&](const std::vector<FrozenTrial>& trials) {
    std::map<std::string, std::string> attrs;
    SampleContext context{space, trials, directions, static_cast<int64_t>(trials.size()), &attrs};
    sampler->sample(context);
    return unquote(attrs.at("winnow.sampler"));
  };
  EXPECT_EQ(choice(history), "gp");
  history[3].state = TrialState::kComplete;
  history[3].values = {0.3};
  history[3].constraints = {1.0};
  EXPECT_EQ(choice(history), "tpe");
  std::vector<FrozenTrial> other(history.begin(), history.begin() + 3);
  EXPECT_EQ(choice(other), "gp");
}

TEST(AutoSampler, IsTheDefaultAndRejectsUnknownOptions) {
  EXPECT_EQ(StudyOptions{}.sampler, "auto");
  EXPECT_THROW(create_sampler(SamplerSpec::parse("auto:n_startp=3"), 1), Error);
  EXPECT_THROW(create_sampler(SamplerSpec::parse("auto:n_startup=-1"), 1), Error);
  EXPECT_THROW(create_sampler(SamplerSpec::parse("auto:mo_portfolio=greedy"), 1), Error);
  EXPECT_THROW(create_sampler(SamplerSpec::parse("auto:mo_gp_acquisition=nehvi"), 1), Error);
  EXPECT_THROW(create_sampler(SamplerSpec::parse("auto:mo_nsga2_after=-2"), 1), Error);
  EXPECT_NO_THROW(create_sampler(
      SamplerSpec::parse("auto:mo_portfolio=alternate,mo_gp_acquisition=parego,"
                         "mo_gp_max_trials=20,mo_gp_max_objectives=2,mo_gp_max_dims=8"),
      1));
}

}  // namespace
}  // namespace winnow
