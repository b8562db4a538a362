// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Constraints end to end inside the library: values an objective returns, limits a study declares
// on reported metrics, and how both reach the stored trial.
#include <gtest/gtest.h>

#include <cmath>

#include "runner/result_line.h"
#include "winnow/error.h"
#include "winnow/storage.h"
#include "winnow/study.h"
#include "winnow/study_file.h"

namespace winnow {
namespace {

SearchSpace line() {
  SearchSpace space;
  space.add_float("x", 0.0, 1.0);
  space.validate();
  return space;
}

TEST(Constraints, ResultLineCarriesConstraintValuesAndKeepsThemOutOfMetrics) {
  TrialOutcome outcome = parse_result_line(R"({"value": 1.5, "constraints": [-1, 0.5], "mb": 3})",
                                           1, {});
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  EXPECT_EQ(outcome.constraints, (std::vector<double>{-1, 0.5}));
  EXPECT_EQ(outcome.metrics.count("constraints"), 0u);
  EXPECT_EQ(outcome.metrics.at("mb"), 3);
  EXPECT_EQ(parse_result_line(R"({"value": 1, "constraints": 0.2})", 1, {}).constraints,
            std::vector<double>{0.2});
  TrialOutcome bad = parse_result_line(R"({"value": 1, "constraints": [1, "x"]})", 1, {});
  EXPECT_EQ(bad.state, TrialState::kFailed);
  EXPECT_NE(bad.failure_reason.find("item 2"), std::string::npos) << bad.failure_reason;
}

TEST(Constraints, StudyLimitsOnMetricsAndObjectivesBecomeConstraintValues) {
  StudyOptions options{.name = "c", .objective_names = {"error"}, .sampler = "random"};
  options.constraints = {"model_mb <= 50", "error >= 0.25"};
  Study study = Study::create(open_storage("memory"), line(), options);

  Trial fits = study.ask();
  study.tell(fits, TrialOutcome{.values = {0.5}, .metrics = {{"model_mb", 20}}});
  EXPECT_EQ(fits.record().constraints, (std::vector<double>{-30, -0.25}));
  EXPECT_TRUE(fits.record().feasible());

  Trial too_big = study.ask();
  study.tell(too_big,
             TrialOutcome{.values = {0.0625}, .metrics = {{"model_mb", 80}}, .constraints = {-1}});
  // The objective's own constraint values come first, then the study's limits.
  EXPECT_EQ(study.trials()[1].constraints, (std::vector<double>{-1, 30, 0.1875}));
  EXPECT_FALSE(study.trials()[1].feasible());
  EXPECT_DOUBLE_EQ(study.trials()[1].constraint_violation(), 30.1875);

  Trial silent = study.ask();
  study.tell(silent, TrialOutcome{.values = {0.3}});
  FrozenTrial failed = study.trials()[2];
  EXPECT_EQ(failed.state, TrialState::kFailed);
  EXPECT_NE(failed.failure_reason.find("reported no 'model_mb'"), std::string::npos)
      << failed.failure_reason;

  Trial nan = study.ask();
  study.tell(nan, TrialOutcome{.values = {0.3},
                               .metrics = {{"model_mb", 1}},
                               .constraints = {std::nan("")}});
  EXPECT_EQ(study.trials()[3].state, TrialState::kFailed);
}

TEST(Constraints, BadLimitsAreErrorsThatSayWhere) {
  StudyOptions options{.name = "c"};
  options.constraints = {"model_mb <= fifty"};
  EXPECT_THROW(Study::create(open_storage("memory"), line(), options), Error);
  const std::string text = R"([study]
constraints = ["model_mb <= 50", "latency ~ 3"]
[objective]
command = ["./run"]
[space]
x = {type = "float", low = 0, high = 1}
)";
  try {
    parse_study_file(text, StudyFileFormat::kToml, "c.toml");
    FAIL();
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("c.toml:2"), std::string::npos) << message;
    EXPECT_NE(message.find("latency ~ 3"), std::string::npos) << message;
  }
  StudyFile ok = parse_study_file(R"([study]
constraints = ["model_mb <= 50"]
[objective]
command = ["./run"]
[space]
x = {type = "float", low = 0, high = 1}
)",
                                  StudyFileFormat::kToml, "c.toml");
  EXPECT_EQ(ok.study.constraints, std::vector<std::string>{"model_mb <= 50"});
}

}  // namespace
}  // namespace winnow
