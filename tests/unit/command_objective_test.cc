// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The command objective: templates, durations and sizes, and real programs run as trials of a
// real study (memory storage), from parameters in to outcome, reports and logs out.
#include "winnow/command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "winnow/error.h"
#include "winnow/storage.h"
#include "winnow/study.h"

namespace winnow {
namespace {

namespace fs = std::filesystem;

// Runs `body` and returns the message of the winnow::Error it throws ("" if none).
template <typename Body>
std::string error_of(Body body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ParseDurationTest, ReadsUnits) {
  EXPECT_DOUBLE_EQ(parse_duration("90", "timeout"), 90);
  EXPECT_DOUBLE_EQ(parse_duration("1.5s", "timeout"), 1.5);
  EXPECT_DOUBLE_EQ(parse_duration("500ms", "timeout"), 0.5);
  EXPECT_DOUBLE_EQ(parse_duration("2m", "timeout"), 120);
  EXPECT_DOUBLE_EQ(parse_duration("1h", "timeout"), 3600);
  EXPECT_DOUBLE_EQ(parse_duration(" 10 min ", "timeout"), 600);
  EXPECT_DOUBLE_EQ(parse_duration("0", "timeout"), 0);
}

TEST(ParseDurationTest, ErrorsNameWhatAndShowExamples) {
  for (const char* text : {"", "abc", "5 parsecs", "1.5.2s", "s", "inf", "nan", "1e3"}) {
    std::string message = error_of([&] { parse_duration(text, "--timeout"); });
    EXPECT_NE(message.find("--timeout: '" + std::string(text) + "' is not a duration"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("500ms"), std::string::npos) << message;
  }
  EXPECT_EQ(error_of([] { parse_duration("-5s", "timeout"); }),
            "timeout: '-5s' must not be negative");
}

TEST(ParseByteSizeTest, ReadsUnits) {
  EXPECT_EQ(parse_byte_size("1000000", "memory"), 1'000'000);
  EXPECT_EQ(parse_byte_size("512MB", "memory"), 512'000'000);
  EXPECT_EQ(parse_byte_size("512mb", "memory"), 512'000'000);
  EXPECT_EQ(parse_byte_size("2GiB", "memory"), int64_t{2} << 30);
  EXPECT_EQ(parse_byte_size("1.5GB", "memory"), 1'500'000'000);
  EXPECT_EQ(parse_byte_size("2G", "memory"), int64_t{2} << 30);
  EXPECT_EQ(parse_byte_size("64 KiB", "memory"), 65536);
  EXPECT_EQ(parse_byte_size("100B", "memory"), 100);
}

TEST(ParseByteSizeTest, ErrorsNameWhat) {
  for (const char* text : {"", "lots", "12 parsecs", "MB", "1e9"}) {
    std::string message = error_of([&] { parse_byte_size(text, "memory_limit"); });
    EXPECT_NE(message.find("memory_limit: '" + std::string(text) + "' is not a size in bytes"),
              std::string::npos)
        << message;
  }
  EXPECT_EQ(error_of([] { parse_byte_size("-1MB", "memory_limit"); }),
            "memory_limit: '-1MB' must not be negative");
  EXPECT_NE(error_of([] { parse_byte_size("10000000TB", "memory_limit"); }).find("too large"),
            std::string::npos);
}

TEST(ExpandCommandTest, ReplacesPlaceholders) {
  Config config = {{"lr", ParamValue(0.5)}, {"layers", ParamValue(int64_t{3})},
                   {"optimizer", ParamValue(std::string("adam"))}};
  std::vector<std::string> argv = expand_command(
      {"train", "--lr={lr}", "--layers", "{layers}", "{optimizer}-{layers}", "--trial={trial}",
       "--id={trial_id}", "--dir={trial_dir}", "--params={params_file}", "plain"},
      config, 7, "/runs/7", "/runs/7/params.json", 42);
  EXPECT_EQ(argv, (std::vector<std::string>{
                      "train", "--lr=" + to_string(ParamValue(0.5)), "--layers", "3", "adam-3",
                      "--trial=7", "--id=42", "--dir=/runs/7", "--params=/runs/7/params.json",
                      "plain"}));
}

TEST(ExpandCommandTest, LeavesOutArgumentsOfInactiveParameters) {
  Config config = {{"optimizer", ParamValue(std::string("adam"))}};
  EXPECT_EQ(expand_command({"train", "--momentum={momentum}", "--opt={optimizer}"}, config, 0,
                           "/d", "/d/p.json"),
            (std::vector<std::string>{"train", "--opt=adam"}));
  // Without a trial id, {trial_id} has no value either.
  EXPECT_EQ(expand_command({"train", "--id={trial_id}"}, config, 0, "/d", "/d/p.json"),
            (std::vector<std::string>{"train"}));
}

TEST(ExpandCommandTest, DoubledBracesAreLiteral) {
  Config config = {{"x", ParamValue(int64_t{1})}};
  EXPECT_EQ(expand_command({"{{\"x\": {x}}}", "{{}}", "{{x}}"}, config, 0, "/d", "/d/p"),
            (std::vector<std::string>{"{\"x\": 1}", "{}", "{x}"}));
}

TEST(ExpandCommandTest, ValuesAreNeverReparsed) {
  // A value that looks like a placeholder or shell syntax stays as it is.
  Config config = {{"a", ParamValue(std::string("{b} $(rm -rf /) ; x"))},
                   {"b", ParamValue(std::string("B"))}};
  EXPECT_EQ(expand_command({"--a={a}"}, config, 0, "/d", "/d/p"),
            (std::vector<std::string>{"--a={b} $(rm -rf /) ; x"}));
}

TEST(ExpandCommandTest, UnbalancedBracesThrow) {
  Config config;
  EXPECT_NE(error_of([&] { expand_command({"prog", "--x={x"}, config, 0, "/d", "/d/p"); })
                .find("command argument 2 '--x={x': unbalanced '{'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { expand_command({"x}"}, config, 0, "/d", "/d/p"); })
                .find("unbalanced '}'"),
            std::string::npos);
}

SearchSpace demo_space() {
  SearchSpace space;
  space.add_float("learning_rate", 1e-4, 0.1)
      .log()
      .add_categorical("optimizer", {std::string("adam"), std::string("sgd")})
      .add_float("momentum", 0.0, 0.99)
      .when("optimizer == 'sgd'");
  space.validate();
  return space;
}

CommandObjectiveOptions with_command(std::vector<std::string> command) {
  CommandObjectiveOptions options;
  options.command = std::move(command);
  return options;
}

TEST(CheckCommandTemplateTest, AcceptsParametersAndBuiltIns) {
  EXPECT_NO_THROW(check_command_template(
      with_command({"train", "--lr={learning_rate}", "{optimizer}", "--m={momentum}", "{trial}",
                    "{trial_id}", "{trial_dir}", "{params_file}", "{{literal}}"}),
      demo_space()));
}

TEST(CheckCommandTemplateTest, UnknownPlaceholderSuggestsAName) {
  std::string message = error_of([] {
    check_command_template(with_command({"train", "--lr={learning_rat}"}), demo_space());
  });
  EXPECT_NE(message.find("command argument 2 '--lr={learning_rat}': unknown placeholder "
                         "{learning_rat} (did you mean 'learning_rate'?)"),
            std::string::npos)
      << message;
  message = error_of(
      [] { check_command_template(with_command({"train", "{trail_dir}"}), demo_space()); });
  EXPECT_NE(message.find("(did you mean 'trial_dir'?)"), std::string::npos) << message;
  // There is no {study}.
  message =
      error_of([] { check_command_template(with_command({"train", "{study}"}), demo_space()); });
  EXPECT_NE(message.find("unknown placeholder {study}"), std::string::npos) << message;
}

TEST(CheckCommandTemplateTest, UnbalancedAndEmpty) {
  EXPECT_NE(error_of([] {
              check_command_template(with_command({"train", "{optimizer"}), demo_space());
            }).find("unbalanced '{'"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              check_command_template(with_command({"train", "{}"}), demo_space());
            }).find("empty placeholder"),
            std::string::npos);
  EXPECT_NE(error_of([] { check_command_template(with_command({}), demo_space()); })
                .find("the command is empty"),
            std::string::npos);
}

TEST(MakeCommandObjectiveTest, RejectsInvalidOptionsNamingTheField) {
  EXPECT_NE(error_of([] { make_command_objective(with_command({})); }).find("command is empty"),
            std::string::npos);
  CommandObjectiveOptions options = with_command({"/bin/true"});
  options.timeout_seconds = -1;
  EXPECT_EQ(error_of([&] { make_command_objective(options); }),
            "CommandObjectiveOptions.timeout_seconds = -1. Violated constraint: >= 0");
  options = with_command({"/bin/true"});
  options.n_objectives = 2;
  options.objective_names = {"loss"};
  EXPECT_NE(error_of([&] { make_command_objective(options); }).find("objective_names"),
            std::string::npos);
  EXPECT_NE(error_of([] { make_command_objective(with_command({"{x"})); }).find("unbalanced"),
            std::string::npos);
}

// A study on memory storage whose trials run programs under a temporary runs directory.
class CommandObjectiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    runs_ = fs::temp_directory_path() /
            ("winnow_command_test_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(runs_);
    StudyOptions options;
    options.name = "command-test";
    study_ = std::make_unique<Study>(
        Study::create(std::shared_ptr<Storage>(open_storage("memory")), demo_space(), options));
  }
  void TearDown() override { fs::remove_all(runs_); }

  CommandObjectiveOptions options_for(const std::string& script) {
    CommandObjectiveOptions options;
    // sh -c SCRIPT NAME ARGS...: the arguments after the name are $1, $2, ...
    options.command = {"/bin/sh", "-c", script, "objective", "--lr={learning_rate}",
                       "--optimizer={optimizer}", "--momentum={momentum}"};
    options.runs_dir = runs_.string();
    return options;
  }

  // Runs one trial of `options` on a fixed configuration (adam: momentum inactive).
  TrialOutcome run_trial(const CommandObjectiveOptions& options, Trial** asked = nullptr) {
    study_->enqueue({{"learning_rate", ParamValue(0.01)},
                     {"optimizer", ParamValue(std::string("adam"))}});
    trial_ = std::make_unique<Trial>(study_->ask());
    if (asked != nullptr) *asked = trial_.get();
    return make_command_objective(options)(*trial_);
  }

  static std::string read_file(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  static void expect_contains(const std::string& text, const std::string& needle) {
    EXPECT_NE(text.find(needle), std::string::npos)
        << "text: " << text << "\nexpected to contain: " << needle;
  }

  fs::path runs_;
  std::unique_ptr<Study> study_;
  std::unique_ptr<Trial> trial_;
};

TEST_F(CommandObjectiveTest, CompletesWithValueMetricsReportsAndFiles) {
  CommandObjectiveOptions options = options_for(
      "echo 'winnow: step=1 value=0.5'\n"
      "echo 'winnow: step=2 value=0.25'\n"
      "echo 'winnow: this is garbage'\n"
      "echo \"args: $*\"\n"
      "echo \"env: $WINNOW_TRIAL $WINNOW_TRIAL_ID $WINNOW_PARAM_LEARNING_RATE "
      "$WINNOW_PARAM_OPTIMIZER $EXTRA $PYTHONUNBUFFERED\"\n"
      "echo \"dir: $WINNOW_TRIAL_DIR $WINNOW_PARAMS_FILE\" >&2\n"
      "echo '{{\"value\": 0.125, \"accuracy\": 0.9}}'\n"  // braces doubled: a template
      "echo 'winnow: step=3 value=0.1'\n");
  options.env = {{"EXTRA", "extra-value"}};
  Trial* trial = nullptr;
  TrialOutcome outcome = run_trial(options, &trial);
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  EXPECT_EQ(outcome.values, std::vector<double>{0.125});
  EXPECT_EQ(outcome.metrics, (std::map<std::string, double>{{"accuracy", 0.9}}));

  // Reports went to storage, the ill-formed one was ignored.
  std::optional<FrozenTrial> stored = study_->storage().trial(trial->id());
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->intermediate, (std::map<int64_t, double>{{1, 0.5}, {2, 0.25}, {3, 0.1}}));

  const fs::path dir = fs::absolute(runs_ / std::to_string(trial->number()));
  const std::string lr = to_string(ParamValue(0.01));
  std::string log = read_file(dir / "output.log");
  expect_contains(log, "args: --lr=" + lr + " --optimizer=adam\n");  // no --momentum
  expect_contains(log, "env: " + std::to_string(trial->number()) + " " +
                           std::to_string(trial->id()) + " " + lr + " adam extra-value " +
                           (getenv("PYTHONUNBUFFERED") ? getenv("PYTHONUNBUFFERED") : "1") +
                           "\n");
  expect_contains(log, "dir: " + dir.string() + " " + (dir / "params.json").string() + "\n");

  nlohmann::json params = nlohmann::json::parse(read_file(dir / "params.json"));
  EXPECT_EQ(params["trial"], trial->number());
  EXPECT_EQ(params["params"]["optimizer"], "adam");
  EXPECT_DOUBLE_EQ(params["params"]["learning_rate"].get<double>(), 0.01);
  EXPECT_FALSE(params["params"].contains("momentum"));
}

TEST_F(CommandObjectiveTest, NonZeroExitFailsWithTheTailOfTheLog) {
  CommandObjectiveOptions options =
      options_for("i=1; while [ $i -le 30 ]; do echo line-$i; i=$((i+1)); done; exit 3");
  options.log_tail_lines = 5;
  TrialOutcome outcome = run_trial(options);
  ASSERT_EQ(outcome.state, TrialState::kFailed);
  EXPECT_FALSE(outcome.interrupted);
  EXPECT_EQ(outcome.failure_reason.rfind("exited with status 3\n--- last lines of ", 0), 0u)
      << outcome.failure_reason;
  expect_contains(outcome.failure_reason,
                  "output.log ---\nline-26\nline-27\nline-28\nline-29\nline-30");
  EXPECT_EQ(outcome.failure_reason.back(), '0');

  // Standard error is in the log too. (Not in one test with stdout: how the two streams
  // interleave is up to timing, as stdout passes through a pipe and stderr does not.)
  outcome = run_trial(options_for("echo 'Traceback: boom' >&2; exit 1"));
  ASSERT_EQ(outcome.state, TrialState::kFailed);
  expect_contains(outcome.failure_reason, "exited with status 1\n--- last lines of ");
  expect_contains(outcome.failure_reason, "output.log ---\nTraceback: boom");
}

TEST_F(CommandObjectiveTest, SpawnFailureNamesTheProgram) {
  CommandObjectiveOptions options = options_for("");
  options.command = {"/nonexistent/train", "{learning_rate}"};
  TrialOutcome outcome = run_trial(options);
  ASSERT_EQ(outcome.state, TrialState::kFailed);
  EXPECT_EQ(outcome.failure_reason,
            "could not start '/nonexistent/train': No such file or directory");
}

TEST_F(CommandObjectiveTest, TimeoutFails) {
  CommandObjectiveOptions options = options_for("echo working; exec sleep 100");
  options.timeout_seconds = 0.2;
  TrialOutcome outcome = run_trial(options);
  ASSERT_EQ(outcome.state, TrialState::kFailed);
  EXPECT_EQ(outcome.failure_reason.rfind("timed out after 0.2 s", 0), 0u)
      << outcome.failure_reason;
  expect_contains(outcome.failure_reason, "\nworking");
}

TEST_F(CommandObjectiveTest, SignalFailsMentioningAMemoryLimit) {
  CommandObjectiveOptions options = options_for("kill -KILL $$");
  TrialOutcome outcome = run_trial(options);
  ASSERT_EQ(outcome.state, TrialState::kFailed);
  EXPECT_EQ(outcome.failure_reason, "killed by signal 9 (SIGKILL)");

  options.memory_limit_bytes = 200'000'000;
  outcome = run_trial(options);
  EXPECT_EQ(outcome.failure_reason,
            "killed by signal 9 (SIGKILL); it may have exceeded the memory limit of 200 MB");
}

TEST_F(CommandObjectiveTest, MemoryHogFails) {
  CommandObjectiveOptions options = options_for("");
  options.command = {"/usr/bin/python3", "-c", "x = bytearray(2 * 10**9); print(0.5)"};
  options.memory_limit_bytes = 200'000'000;
  TrialOutcome outcome = run_trial(options);
  ASSERT_EQ(outcome.state, TrialState::kFailed);
  expect_contains(outcome.failure_reason, "MemoryError");
}

TEST_F(CommandObjectiveTest, MissingOrBadResultFails) {
  TrialOutcome outcome = run_trial(options_for("echo 'winnow: step=1 value=2'"));
  ASSERT_EQ(outcome.state, TrialState::kFailed);
  EXPECT_EQ(outcome.failure_reason.rfind("printed no result", 0), 0u) << outcome.failure_reason;

  outcome = run_trial(options_for("echo 0.5; echo 'all done'"));
  ASSERT_EQ(outcome.state, TrialState::kFailed);
  expect_contains(outcome.failure_reason, "neither a number nor a JSON object: 'all done'");
  expect_contains(outcome.failure_reason, "--- last lines of ");

  outcome = run_trial(options_for("echo nan"));
  ASSERT_EQ(outcome.state, TrialState::kFailed);
  expect_contains(outcome.failure_reason, "NaN");
}

TEST_F(CommandObjectiveTest, StopInterruptsARunningProgram) {
  // The program announces itself through a FIFO; the test then stops the study.
  fs::create_directories(runs_);
  const std::string fifo = (runs_ / "started").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  CommandObjectiveOptions options = options_for("echo started > '" + fifo + "'; exec sleep 100");
  StopSignal stop;
  std::thread stopper([&] {
    std::ifstream(fifo).get();  // blocks until the program has started
    stop.request();
  });
  OptimizeOptions optimize;
  optimize.n_trials = 1;
  optimize.stop = &stop;
  study_->optimize(make_command_objective(options), optimize);
  stopper.join();
  std::vector<FrozenTrial> trials = study_->trials();
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].state, TrialState::kFailed);
  EXPECT_TRUE(trials[0].interrupted);
  EXPECT_EQ(trials[0].failure_reason, "interrupted: winnow was stopped");
  EXPECT_LT(trials[0].duration_seconds(), 10.0);
}

TEST_F(CommandObjectiveTest, ConcurrentTrialsKeepTheirOwnOutput) {
  CommandObjectiveOptions options = options_for("");
  options.command = {"/bin/echo", "{{\"value\": {trial}, \"id\": {trial_id}}}"};
  OptimizeOptions optimize;
  optimize.n_trials = 12;
  optimize.n_jobs = 4;
  study_->optimize(make_command_objective(options), optimize);
  std::vector<FrozenTrial> trials = study_->trials();
  ASSERT_EQ(trials.size(), 12u);
  for (const FrozenTrial& trial : trials) {
    ASSERT_EQ(trial.state, TrialState::kComplete) << trial.failure_reason;
    EXPECT_EQ(trial.values, std::vector<double>{static_cast<double>(trial.number)});
    EXPECT_EQ(trial.metrics.at("id"), static_cast<double>(trial.id));
  }
}

}  // namespace
}  // namespace winnow
