// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The output side of the command protocol: report lines and the result line.
#include "runner/result_line.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace winnow {
namespace {

using Report = std::optional<std::pair<int64_t, double>>;

TEST(ReportLineTest, ReadsWellFormedLines) {
  EXPECT_EQ(parse_report_line("winnow: step=3 value=0.412"), (Report{{3, 0.412}}));
  EXPECT_EQ(parse_report_line("winnow:step=3 value=0.412"), (Report{{3, 0.412}}));
  EXPECT_EQ(parse_report_line("  winnow:   step = 7\tvalue =  -1.5e-3  \r"), (Report{{7, -1.5e-3}}));
  EXPECT_EQ(parse_report_line("winnow: value=2 step=0"), (Report{{0, 2.0}}));
  EXPECT_EQ(parse_report_line("winnow: step=1 value=+4"), (Report{{1, 4.0}}));
  Report infinite = parse_report_line("winnow: step=1 value=inf");
  ASSERT_TRUE(infinite);
  EXPECT_TRUE(std::isinf(infinite->second));
  Report diverged = parse_report_line("winnow: step=3 value=nan");  // for the pruners to stop
  ASSERT_TRUE(diverged);
  EXPECT_TRUE(std::isnan(diverged->second));
}

TEST(ReportLineTest, IgnoresIllFormedLines) {
  for (const char* line : {
           "winnow: step=3",                       // no value
           "winnow: value=0.4",                    // no step
           "winnow: step=3 value=abc",             // value not a number
           "winnow: step=-1 value=0.4",            // negative step
           "winnow: step=1.5 value=0.4",           // fractional step
           "winnow: step=3 value=0.4 extra=1",     // unknown key
           "winnow: step=3 step=4 value=0.4",      // repeated key
           "winnow: step 3 value 0.4",             // no "="
           "winnow: step= value=0.4",              // empty step
           "winnow: step=3 value=0.4x",            // trailing junk in the value
           "winnow step=3 value=0.4",              // no colon
           "WINNOW: step=3 value=0.4",             // the prefix is lower case
           "0.412",                                // a result, not a report
           "",
       }) {
    EXPECT_EQ(parse_report_line(line), std::nullopt) << line;
  }
}

TEST(ReportLineTest, ProblemSaysWhatIsWrong) {
  EXPECT_EQ(report_line_problem("winnow: step=3 value=0.4"), "");
  EXPECT_EQ(report_line_problem("0.4"), "");  // not a report line at all
  EXPECT_EQ(report_line_problem("winnow: step=3"), "no value=<number>");
  EXPECT_EQ(report_line_problem("winnow: value=1"), "no step=<int>");
  EXPECT_EQ(report_line_problem("winnow: this is garbage"), "'this' is not followed by '='");
  EXPECT_EQ(report_line_problem("winnow:"), "no step=<int> and no value=<number>");
  EXPECT_EQ(report_line_problem("winnow: step=x value=1"), "step 'x' is not a whole number >= 0");
  EXPECT_EQ(report_line_problem("winnow: step=-1 value=1"),
            "step '-1' is not a whole number >= 0");
  EXPECT_EQ(report_line_problem("winnow: step=1 value=abc"), "value 'abc' is not a number");
  // A diverged run reports NaN: kept, for the pruners to stop it.
  EXPECT_EQ(report_line_problem("winnow: step=1 value=nan"), "");
  EXPECT_EQ(report_line_problem("winnow: step=1 value=2 epoch=3"), "unknown key 'epoch'");
  EXPECT_EQ(report_line_problem("winnow: step=1 step=2 value=2"), "'step' is given twice");
  EXPECT_EQ(kReportLineForm, "winnow: step=<int> value=<number>");
}

TEST(ReportLineTest, RecognisesReportLinesEvenIllFormed) {
  EXPECT_TRUE(is_report_line("winnow: step=3 value=0.4"));
  EXPECT_TRUE(is_report_line("  winnow: garbage"));
  EXPECT_FALSE(is_report_line("0.4"));
  EXPECT_FALSE(is_report_line("{\"winnow:\": 1}"));
  EXPECT_FALSE(is_report_line(""));
}

TrialOutcome single(std::string_view line) { return parse_result_line(line, 1, {}); }

void expect_failed(const TrialOutcome& outcome, const std::string& needle) {
  EXPECT_EQ(outcome.state, TrialState::kFailed);
  EXPECT_NE(outcome.failure_reason.find(needle), std::string::npos)
      << "reason: " << outcome.failure_reason << "\nexpected to contain: " << needle;
  EXPECT_FALSE(outcome.interrupted);
}

TEST(ResultLineTest, ReadsANumber) {
  for (auto [line, value] : std::vector<std::pair<const char*, double>>{
           {"0.412", 0.412}, {"  -3\r", -3.0}, {"+2.5", 2.5}, {"1e-3", 1e-3}, {"7", 7.0}}) {
    TrialOutcome outcome = single(line);
    EXPECT_EQ(outcome.state, TrialState::kComplete) << line << ": " << outcome.failure_reason;
    EXPECT_EQ(outcome.values, std::vector<double>{value}) << line;
    EXPECT_TRUE(outcome.metrics.empty());
  }
}

TEST(ResultLineTest, InfinityIsAValueNanFails) {
  TrialOutcome outcome = single("inf");
  EXPECT_EQ(outcome.state, TrialState::kComplete);
  ASSERT_EQ(outcome.values.size(), 1u);
  EXPECT_EQ(outcome.values[0], std::numeric_limits<double>::infinity());
  outcome = single("-inf");
  ASSERT_EQ(outcome.values.size(), 1u);
  EXPECT_EQ(outcome.values[0], -std::numeric_limits<double>::infinity());

  expect_failed(single("nan"), "NaN: 'nan'");
  expect_failed(single("NaN"), "NaN");

  // Beyond what a double holds is infinite (or zero), as "inf" is: it used to fail the trial.
  outcome = single("1e999");
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  EXPECT_EQ(outcome.values[0], std::numeric_limits<double>::infinity());
  outcome = single("-1e999");
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  EXPECT_EQ(outcome.values[0], -std::numeric_limits<double>::infinity());
  outcome = single("1e-400");
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  EXPECT_EQ(outcome.values[0], 0.0);
  Report report = parse_report_line("winnow: step=2 value=1e999");
  ASSERT_TRUE(report);
  EXPECT_TRUE(std::isinf(report->second));
}

TEST(ResultLineTest, JsonFromPythonWithNanAndInfinityIsRead) {
  // Python's json.dumps writes NaN, Infinity and -Infinity, which JSON lacks: one such metric
  // used to fail the whole trial as "not valid JSON".
  TrialOutcome outcome = single(
      R"({"value": 0.5, "grad_norm": NaN, "best": Infinity, "worst": -Infinity, "big": 1e999,)"
      R"( "text": "NaN Infinity 1e999"})");
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  EXPECT_EQ(outcome.values, std::vector<double>{0.5});
  ASSERT_EQ(outcome.metrics.size(), 4u);
  EXPECT_TRUE(std::isnan(outcome.metrics["grad_norm"]));
  EXPECT_EQ(outcome.metrics["best"], std::numeric_limits<double>::infinity());
  EXPECT_EQ(outcome.metrics["worst"], -std::numeric_limits<double>::infinity());
  EXPECT_EQ(outcome.metrics["big"], std::numeric_limits<double>::infinity());

  outcome = single(R"({"value": Infinity})");
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  EXPECT_EQ(outcome.values[0], std::numeric_limits<double>::infinity());
  expect_failed(single(R"({"value": NaN, "accuracy": 0.5})"), "the objective value is NaN");
  expect_failed(parse_result_line(R"({"values": [1, NaN]})", 2, {}), "NaN (\"values\"[1])");
  expect_failed(single(R"({"value": 1, "constraints": [0, NaN]})"), "item 2 is NaN");
  // Messages show the values as written, and only JSON's grammar gets the special readings.
  expect_failed(single(R"({"value": [NaN, -Infinity]})"), "(got [NaN,-Infinity])");
  expect_failed(single(R"({"value": 1, "x": -inf})"), "not valid JSON");
  outcome = single(R"({"value": -1E+999, "n": [1e-400, 2]})");
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  EXPECT_EQ(outcome.values[0], -std::numeric_limits<double>::infinity());
}

TEST(ResultLineTest, ReadsJsonValueAndMetrics) {
  TrialOutcome outcome =
      single(R"({"value": 0.25, "accuracy": 0.9, "epochs": 12, "note": "ok", "ok": true})");
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  EXPECT_EQ(outcome.values, std::vector<double>{0.25});
  // Numbers only: strings and booleans are not metrics.
  EXPECT_EQ(outcome.metrics, (std::map<std::string, double>{{"accuracy", 0.9}, {"epochs", 12}}));
}

TEST(ResultLineTest, ReadsJsonValues) {
  TrialOutcome outcome = parse_result_line(R"({"values": [0.5, 13], "gpu_hours": 2})", 2, {});
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  EXPECT_EQ(outcome.values, (std::vector<double>{0.5, 13.0}));
  EXPECT_EQ(outcome.metrics, (std::map<std::string, double>{{"gpu_hours", 2}}));
}

TEST(ResultLineTest, ReadsObjectivesByName) {
  const std::vector<std::string> names = {"loss", "latency"};
  TrialOutcome outcome =
      parse_result_line(R"({"latency": 13, "loss": 0.5, "accuracy": 0.8})", 2, names);
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  EXPECT_EQ(outcome.values, (std::vector<double>{0.5, 13.0}));  // in the order of the names
  EXPECT_EQ(outcome.metrics, (std::map<std::string, double>{{"accuracy", 0.8}}));

  expect_failed(parse_result_line(R"({"loss": 0.5})", 2, names),
                "the JSON result lacks objective \"latency\"");
  expect_failed(parse_result_line(R"({"loss": 0.5, "latency": "fast"})", 2, names),
                "objective \"latency\" is not a number (got \"fast\")");
}

TEST(ResultLineTest, WrongNumberOfValuesFails) {
  expect_failed(parse_result_line("0.5", 2, {}),
                "expected 2 objective values, the result line holds a single number");
  expect_failed(parse_result_line(R"({"values": [1, 2, 3]})", 2, {}),
                "expected 2 objective values, \"values\" holds 3");
  expect_failed(parse_result_line(R"({"values": [1, 2]})", 1, {}),
                "expected 1 objective value, \"values\" holds 2");
  expect_failed(parse_result_line(R"({"value": 1})", 2, {}),
                "expected 2 objective values, the JSON result gives one \"value\"");
}

TEST(ResultLineTest, NonNumericValuesFail) {
  expect_failed(single(R"({"value": "0.5"})"), "\"value\" is not a number (got \"0.5\")");
  expect_failed(single(R"({"value": null})"), "\"value\" is not a number (got null)");
  expect_failed(parse_result_line(R"({"values": [1, "x"]})", 2, {}),
                "\"values\"[1] is not a number (got \"x\")");
  expect_failed(single(R"({"values": 3})"), "\"values\" is not an array of numbers (got 3)");
  expect_failed(single(R"({"value": 1, "values": [1]})"), "both \"value\" and \"values\"");
  expect_failed(single(R"({"accuracy": 0.9})"), "has neither \"value\" nor \"values\"");
}

TEST(ResultLineTest, GarbageFailsQuotingTheLine) {
  expect_failed(single("Epoch 3 done"),
                "the result line is neither a number nor a JSON object: 'Epoch 3 done'");
  expect_failed(single("0.5 0.6"), "neither a number nor a JSON object: '0.5 0.6'");
  expect_failed(single("[0.5]"), "neither a number nor a JSON object");
  expect_failed(single("{\"value\": 0.5"), "the result line is not valid JSON (parse error");
  expect_failed(single("{\"value\": 0.5"), "'{\"value\": 0.5'");
}

TEST(ResultLineTest, LongLinesAreQuotedShort) {
  const std::string line = "x" + std::string(5000, 'y');
  TrialOutcome outcome = single(line);
  ASSERT_EQ(outcome.state, TrialState::kFailed);
  EXPECT_LT(outcome.failure_reason.size(), 400u);
  EXPECT_NE(outcome.failure_reason.find("...' (5001 characters)"), std::string::npos)
      << outcome.failure_reason;
}

}  // namespace
}  // namespace winnow
