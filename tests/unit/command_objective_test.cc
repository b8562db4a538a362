// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The command objective: templates, durations and sizes, and real programs run as trials of a
// real study (memory storage), from parameters in to outcome, reports and logs out.
#include "winnow/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "winnow/error.h"
#include "winnow/scheduler.h"
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

CommandPlaceholders placeholders_of(int64_t trial, std::optional<int64_t> trial_id = std::nullopt) {
  CommandPlaceholders placeholders;
  placeholders.trial = trial;
  placeholders.trial_id = trial_id;
  placeholders.trial_dir = "/runs/" + std::to_string(trial);
  placeholders.params_file = placeholders.trial_dir + "/params.json";
  placeholders.checkpoint_dir = "/runs/checkpoints/" + std::to_string(trial);
  return placeholders;
}

TEST(ExpandCommandTest, ReplacesPlaceholders) {
  Config config = {{"lr", ParamValue(0.5)}, {"layers", ParamValue(int64_t{3})},
                   {"optimizer", ParamValue(std::string("adam"))}};
  std::vector<std::string> argv = expand_command(
      {"train", "--lr={lr}", "--layers", "{layers}", "{optimizer}-{layers}", "--trial={trial}",
       "--id={trial_id}", "--dir={trial_dir}", "--params={params_file}",
       "--ckpt={checkpoint_dir}", "plain"},
      config, placeholders_of(7, 42));
  EXPECT_EQ(argv, (std::vector<std::string>{
                      "train", "--lr=" + to_string(ParamValue(0.5)), "--layers", "3", "adam-3",
                      "--trial=7", "--id=42", "--dir=/runs/7", "--params=/runs/7/params.json",
                      "--ckpt=/runs/checkpoints/7", "plain"}));
}

TEST(ExpandCommandTest, ReplacesBudgets) {
  CommandPlaceholders placeholders = placeholders_of(7);
  placeholders.budget = "27";
  placeholders.previous_budget = "9";
  EXPECT_EQ(expand_command({"train", "--epochs={budget}", "--from={previous_budget}",
                            "{budget}/{previous_budget}"},
                           {}, placeholders),
            (std::vector<std::string>{"train", "--epochs=27", "--from=9", "27/9"}));
  // Without a budget the arguments are left out (check_command_template does not allow that).
  EXPECT_EQ(expand_command({"train", "--epochs={budget}", "--from={previous_budget}"}, {},
                           placeholders_of(7)),
            (std::vector<std::string>{"train"}));
}

TEST(ExpandCommandTest, LeavesOutArgumentsOfInactiveParameters) {
  Config config = {{"optimizer", ParamValue(std::string("adam"))}};
  EXPECT_EQ(expand_command({"train", "--momentum={momentum}", "--opt={optimizer}"}, config,
                           placeholders_of(0)),
            (std::vector<std::string>{"train", "--opt=adam"}));
  // Without a trial id, {trial_id} has no value either.
  EXPECT_EQ(expand_command({"train", "--id={trial_id}"}, config, placeholders_of(0)),
            (std::vector<std::string>{"train"}));
}

TEST(ExpandCommandTest, DoubledBracesAreLiteral) {
  Config config = {{"x", ParamValue(int64_t{1})}};
  EXPECT_EQ(expand_command({"{{\"x\": {x}}}", "{{}}", "{{x}}"}, config, placeholders_of(0)),
            (std::vector<std::string>{"{\"x\": 1}", "{}", "{x}"}));
}

TEST(ExpandCommandTest, ValuesAreNeverReparsed) {
  // A value that looks like a placeholder or shell syntax stays as it is.
  Config config = {{"a", ParamValue(std::string("{b} $(rm -rf /) ; x"))},
                   {"b", ParamValue(std::string("B"))}};
  EXPECT_EQ(expand_command({"--a={a}"}, config, placeholders_of(0)),
            (std::vector<std::string>{"--a={b} $(rm -rf /) ; x"}));
}

TEST(ExpandCommandTest, UnbalancedBracesThrow) {
  Config config;
  EXPECT_NE(error_of([&] { expand_command({"prog", "--x={x"}, config, placeholders_of(0)); })
                .find("command argument 2 '--x={x': unbalanced '{'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { expand_command({"x}"}, config, placeholders_of(0)); })
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
                    "{trial_id}", "{trial_dir}", "{params_file}", "{checkpoint_dir}",
                    "{{literal}}"}),
      demo_space()));
  CommandObjectiveOptions options =
      with_command({"train", "--epochs={budget}", "--from={previous_budget}"});
  options.budget = BudgetSpec{.min = 1, .max = 27};
  EXPECT_NO_THROW(check_command_template(options, demo_space()));
}

TEST(CheckCommandTemplateTest, BudgetPlaceholdersNeedABudget) {
  CommandObjectiveOptions options =
      with_command({"train", "--lr={learning_rate}", "--epochs", "{budget}"});
  const std::string expected =
      "command argument 4 '{budget}': the study has no [budget] section; add [budget] min/max "
      "or remove {budget}";
  EXPECT_EQ(error_of([&] { check_command_template(options, demo_space()); }), expected);
  // make_command_objective checks it too: the argument would silently be left out.
  EXPECT_EQ(error_of([&] { make_command_objective(options); }), expected);
  EXPECT_EQ(error_of([] {
              check_command_template(with_command({"train", "--from={previous_budget}"}),
                                     demo_space());
            }),
            "command argument 2 '--from={previous_budget}': the study has no [budget] section; "
            "add [budget] min/max or remove {previous_budget}");
  std::string message =
      error_of([] { check_command_template(with_command({"train", "{budgte}"}), demo_space()); });
  EXPECT_NE(message.find("unknown placeholder {budgte} (did you mean 'budget'?)"),
            std::string::npos)
      << message;
}

TEST(CheckCommandTemplateTest, ParameterNamedLikeABuiltInIsAmbiguous) {
  SearchSpace space;
  space.add_int("budget", 1, 10);
  space.validate();
  CommandObjectiveOptions options = with_command({"train", "--budget={budget}"});
  options.budget = BudgetSpec{.min = 1, .max = 27};
  std::string message = error_of([&] { check_command_template(options, space); });
  EXPECT_NE(message.find("command argument 2 '--budget={budget}': {budget} is ambiguous: the "
                         "space has a parameter 'budget'"),
            std::string::npos)
      << message;
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
  options = with_command({"/bin/true"});
  options.budget = BudgetSpec{.min = 0, .max = 27};
  EXPECT_EQ(error_of([&] { make_command_objective(options); }),
            "CommandObjectiveOptions.budget: budget.min = 0. Violated constraint: a finite number "
            "> 0");
}

// A study on memory storage whose trials run programs under a temporary runs directory.
class CommandObjectiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    runs_ = fs::temp_directory_path() /
            ("winnow_command_test_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(runs_);
    make_study({});
  }
  void TearDown() override { fs::remove_all(runs_); }

  // Replaces the study with a fresh one on memory storage.
  void make_study(StudyOptions options) {
    options.name = "command-test";
    study_ = std::make_unique<Study>(
        Study::create(std::shared_ptr<Storage>(open_storage("memory")), demo_space(), options));
  }

  CommandObjectiveOptions options_for(const std::string& script) {
    CommandObjectiveOptions options;
    // sh -c SCRIPT NAME ARGS...: the arguments after the name are $1, $2, ...
    options.command = {"/bin/sh", "-c", script, "objective", "--lr={learning_rate}",
                       "--optimizer={optimizer}", "--momentum={momentum}"};
    options.runs_dir = runs_.string();
    return options;
  }

  // Runs one trial of `options` on a fixed configuration (adam: momentum inactive), after
  // storing `attrs` with it (what a budget scheduler would have stored).
  TrialOutcome run_trial(const CommandObjectiveOptions& options, Trial** asked = nullptr,
                         const std::map<std::string_view, std::string>& attrs = {}) {
    // Engine attributes are out of reach of Trial::set_user_attr: the trial is created with
    // them, as the study does.
    std::map<std::string, std::string> system_attrs;
    for (const auto& [key, value] : attrs) system_attrs[std::string(key)] = value;
    std::optional<FrozenTrial> created = study_->storage().create_trial(
        study_->id(), {{"learning_rate", ParamValue(0.01)}, {"optimizer", ParamValue(std::string("adam"))}},
        TrialState::kRunning, "", 0, std::nullopt, system_attrs);
    trial_ = std::make_unique<Trial>(*study_->running_trial(created->number));
    if (asked != nullptr) *asked = trial_.get();
    return make_command_objective(options)(*trial_);
  }

  // Runs one trial of `options` through Study::optimize (so it is told and stored) and returns
  // it as stored.
  FrozenTrial optimize_one(const CommandObjectiveOptions& options) {
    study_->enqueue({{"learning_rate", ParamValue(0.01)},
                     {"optimizer", ParamValue(std::string("adam"))}});
    OptimizeOptions optimize;
    optimize.n_trials = 1;
    study_->optimize(make_command_objective(options), optimize);
    std::vector<FrozenTrial> trials = study_->trials();
    EXPECT_FALSE(trials.empty());
    return trials.empty() ? FrozenTrial{} : trials.back();
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
  std::vector<std::string> warnings;
  options.on_warning = [&](const std::string& message) { warnings.push_back(message); };
  Trial* trial = nullptr;
  TrialOutcome outcome = run_trial(options, &trial);
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  EXPECT_EQ(outcome.values, std::vector<double>{0.125});
  EXPECT_EQ(outcome.metrics, (std::map<std::string, double>{{"accuracy", 0.9}}));

  // Reports went to storage, the ill-formed one was ignored with a warning.
  std::optional<FrozenTrial> stored = study_->storage().trial(trial->id());
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->intermediate, (std::map<int64_t, double>{{1, 0.5}, {2, 0.25}, {3, 0.1}}));
  EXPECT_EQ(warnings.size(), 1u);

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
  // Without a budget: a checkpoint directory, but no budgets.
  const fs::path checkpoints = fs::absolute(runs_ / "checkpoints" /
                                            std::to_string(trial->number()));
  EXPECT_EQ(params["checkpoint_dir"], checkpoints.string());
  EXPECT_TRUE(fs::is_directory(checkpoints));
  EXPECT_FALSE(params.contains("budget"));
  EXPECT_FALSE(params.contains("previous_budget"));
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

  // Cut at 1 MiB, a long JSON line was reported as JSON that ends too soon.
  outcome = run_trial(options_for(
      "python3 -c 'q = chr(34); print(chr(123) + q + \"x\" + q + \": \" + q + \"a\" * 2000000 + q + "
      "chr(125))'"));
  ASSERT_EQ(outcome.state, TrialState::kFailed);
  expect_contains(outcome.failure_reason, "the result line is longer than 1 MiB");
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

TEST_F(CommandObjectiveTest, BudgetsAndCheckpointDirectoryReachTheProgram) {
  const BudgetSpec budget{.name = "epochs", .min = 1, .max = 27, .eta = 3};
  StudyOptions study_options;
  study_options.budget = budget;
  make_study(study_options);
  // The program "trains" to {budget} epochs, resuming from its checkpoint when there is one.
  CommandObjectiveOptions options = options_for(
      "echo \"args: $*\"\n"
      "echo \"env: $WINNOW_BUDGET $WINNOW_PREVIOUS_BUDGET $WINNOW_RESUMING "
      "$WINNOW_CHECKPOINT_DIR\"\n"
      "if [ -f \"$WINNOW_CHECKPOINT_DIR/state\" ]; then echo \"resumed from $(cat "
      "\"$WINNOW_CHECKPOINT_DIR/state\")\"; fi\n"
      "echo \"$WINNOW_BUDGET\" > \"$WINNOW_CHECKPOINT_DIR/state\"\n"
      "echo 0.5\n");
  options.command = {"/bin/sh", "-c", options.command[2], "objective", "--epochs={budget}",
                     "--from={previous_budget}", "--ckpt={checkpoint_dir}"};
  options.budget = budget;

  // A new configuration at a budget of 9 (as a budget scheduler would assign it).
  Trial* first = nullptr;
  TrialOutcome outcome = run_trial(options, &first, {{kBudgetAttr, "9"}});
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  const int64_t first_number = first->number();
  const fs::path checkpoints = fs::absolute(runs_ / "checkpoints" / std::to_string(first_number));
  const fs::path first_dir = fs::absolute(runs_ / std::to_string(first_number));
  std::string log = read_file(first_dir / "output.log");
  expect_contains(log, "args: --epochs=9 --from=0 --ckpt=" + checkpoints.string() + "\n");
  expect_contains(log, "env: 9 0 0 " + checkpoints.string() + "\n");
  EXPECT_EQ(log.find("resumed"), std::string::npos) << log;
  nlohmann::json params = nlohmann::json::parse(read_file(first_dir / "params.json"));
  EXPECT_EQ(params["budget"], 9);
  EXPECT_EQ(params["previous_budget"], 0);
  EXPECT_EQ(params["checkpoint_dir"], checkpoints.string());

  // Its continuation at 27 shares the checkpoint directory and finds what the first one left.
  Trial* second = nullptr;
  outcome = run_trial(options, &second,
                      {{kBudgetAttr, "27"},
                       {kPreviousBudgetAttr, "9"},
                       {kContinuesAttr, std::to_string(first_number)},
                       {kLineageAttr, std::to_string(first_number)}});
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  ASSERT_NE(second->number(), first_number);
  const fs::path second_dir = fs::absolute(runs_ / std::to_string(second->number()));
  log = read_file(second_dir / "output.log");
  expect_contains(log, "args: --epochs=27 --from=9 --ckpt=" + checkpoints.string() + "\n");
  expect_contains(log, "env: 27 9 1 " + checkpoints.string() + "\n");
  expect_contains(log, "resumed from 9\n");
  params = nlohmann::json::parse(read_file(second_dir / "params.json"));
  EXPECT_EQ(params["budget"], 27);
  EXPECT_EQ(params["previous_budget"], 9);
  EXPECT_EQ(params["checkpoint_dir"], checkpoints.string());
  // Winnow never deletes a checkpoint.
  EXPECT_EQ(read_file(checkpoints / "state"), "27\n");
}

TEST_F(CommandObjectiveTest, TrialWithoutABudgetOfItsOwnRunsAtTheMaximum) {
  // The objective has a budget, the study (and so the trial) none: budget.max, formatted as a
  // fractional budget.
  CommandObjectiveOptions options = options_for("echo \"$1 $WINNOW_BUDGET\"; echo 0.5");
  options.command = {"/bin/sh", "-c", options.command[2], "objective", "{budget}"};
  options.budget = BudgetSpec{.min = 0.125, .max = 0.5, .eta = 2, .integer = false};
  Trial* trial = nullptr;
  ASSERT_EQ(run_trial(options, &trial).state, TrialState::kComplete);
  const fs::path dir = fs::absolute(runs_ / std::to_string(trial->number()));
  expect_contains(read_file(dir / "output.log"), "0.5 0.5\n");
  nlohmann::json params = nlohmann::json::parse(read_file(dir / "params.json"));
  EXPECT_EQ(params["budget"], 0.5);
  EXPECT_EQ(params["previous_budget"], 0);
}

TEST_F(CommandObjectiveTest, WithoutABudgetNoBudgetVariablesReachTheProgram) {
  // Not even ones this process has, as a winnow run inside another one's objective would.
  ASSERT_EQ(::setenv("WINNOW_BUDGET", "999", 1), 0);
  CommandObjectiveOptions options = options_for(  // braces doubled: a template
      "echo \"env: ${{WINNOW_BUDGET-unset}} ${{WINNOW_PREVIOUS_BUDGET-unset}} $WINNOW_RESUMING\"; "
      "echo 0.5");
  Trial* trial = nullptr;
  TrialOutcome outcome = run_trial(options, &trial);
  ::unsetenv("WINNOW_BUDGET");
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  expect_contains(read_file(runs_ / std::to_string(trial->number()) / "output.log"),
                  "env: unset unset 0\n");
}

TEST_F(CommandObjectiveTest, IllFormedReportLinesAreIgnoredWithAFewWarnings) {
  CommandObjectiveOptions options = options_for(
      "echo 'winnow: step=x'\n"
      "echo 'winnow: value=1'\n"
      "echo 'some ordinary output'\n"
      "echo 'winnow: step=1'\n"
      "echo 'winnow: step=2 value=0.3 epoch=2'\n"
      "echo 'winnow: step=3 value=oops'\n"
      "echo 'winnow: step=4 value=0.25'\n"
      "echo 0.2\n");
  std::vector<std::string> warnings;
  options.on_warning = [&](const std::string& message) { warnings.push_back(message); };
  Trial* trial = nullptr;
  TrialOutcome outcome = run_trial(options, &trial);
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  EXPECT_EQ(outcome.values, std::vector<double>{0.2});
  // The well-formed report after them is still stored.
  std::optional<FrozenTrial> stored = study_->storage().trial(trial->id());
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->intermediate, (std::map<int64_t, double>{{4, 0.25}}));

  const std::string prefix = "trial " + std::to_string(trial->number()) + ": ";
  const std::string expected = "; expected \"winnow: step=<int> value=<number>\")";
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          prefix + "ignored ill-formed report line 1 of standard output: "
                                   "\"winnow: step=x\" (step 'x' is not a whole number >= 0" +
                              expected,
                          prefix + "ignored ill-formed report line 2 of standard output: "
                                   "\"winnow: value=1\" (no step=<int>" +
                              expected,
                          prefix + "ignored ill-formed report line 4 of standard output: "
                                   "\"winnow: step=1\" (no value=<number>" +
                              expected,
                          prefix + "ignored 5 ill-formed report lines in all (the first 3 are "
                                   "named above)"}));
}

TEST_F(CommandObjectiveTest, WarningsGoToStandardErrorByDefault) {
  ::testing::internal::CaptureStderr();
  Trial* trial = nullptr;
  TrialOutcome outcome = run_trial(options_for("echo 'winnow: step=1 value='; echo 0.5"), &trial);
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(outcome.state, TrialState::kComplete) << outcome.failure_reason;
  EXPECT_EQ(err, "winnow: trial " + std::to_string(trial->number()) +
                     ": ignored ill-formed report line 1 of standard output: \"winnow: step=1 "
                     "value=\" (value '' is not a number; expected \"winnow: step=<int> "
                     "value=<number>\")\n");
}

// Makes this test process the reaper of its orphaned descendants while alive, so a background
// process of a killed objective is reparented here and its pid stays ours to check and reap.
class ChildSubreaper {
 public:
  ChildSubreaper() { EXPECT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0); }
  ~ChildSubreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
};

// Waits up to 10 s for process `pid` (our child, or an orphan reparented to us) to end, reaps
// it, and tells whether it is gone. False if it is still running after 10 s.
bool process_ends(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) {
    pollfd entry{fd, POLLIN, 0};
    const bool ended = ::poll(&entry, 1, 10'000) == 1;
    ::close(fd);
    if (!ended) {
      ::kill(pid, SIGKILL);  // do not leave it behind, but the test fails
      ::waitpid(pid, nullptr, 0);
      return false;
    }
    ::waitpid(pid, nullptr, 0);
  }
  return ::kill(pid, 0) == -1 && errno == ESRCH;
}

// A study whose median pruner judges from the first complete trial on, with one complete trial
// that reported 0.1 at steps 1 to 3.
class PrunedCommandTest : public CommandObjectiveTest {
 protected:
  void SetUp() override {
    CommandObjectiveTest::SetUp();
    StudyOptions options;
    options.scheduler = "median:startup_trials=1,warmup_steps=0";
    make_study(options);
    FrozenTrial good = optimize_one(options_for(
        "for i in 1 2 3; do echo \"winnow: step=$i value=0.1\"; done; echo 0.1"));
    ASSERT_EQ(good.state, TrialState::kComplete) << good.failure_reason;
  }
};

TEST_F(PrunedCommandTest, PrunedProgramIsStoppedWithEverythingItStarted) {
  ChildSubreaper subreaper;
  fs::create_directories(runs_);
  const fs::path pid_file = runs_ / "child.pid";
  // A background child in its process group, then reports that fall behind, printed slowly.
  CommandObjectiveOptions options = options_for(
      "sleep 1000 & echo $! > '" + pid_file.string() + "'\n"
      "i=1; while :; do echo \"winnow: step=$i value=5\"; i=$((i+1)); sleep 0.2; done");
  options.kill_grace_seconds = 30;  // ending well within it shows SIGTERM was enough
  FrozenTrial pruned = optimize_one(options);
  EXPECT_EQ(pruned.state, TrialState::kPruned) << pruned.failure_reason;
  EXPECT_EQ(pruned.values, std::vector<double>{5.0});  // its last reported value
  EXPECT_EQ(pruned.intermediate, (std::map<int64_t, double>{{1, 5.0}}));
  EXPECT_LT(pruned.duration_seconds(), 20.0);
  const std::string log = read_file(runs_ / std::to_string(pruned.number) / "output.log");
  expect_contains(log, "winnow: step=1 value=5\n");
  expect_contains(log, "\n[winnow] pruned at step 1: the scheduler stopped this trial; its "
                       "process group was sent SIGTERM\n");

  const std::string pid_text = read_file(pid_file);
  ASSERT_FALSE(pid_text.empty());
  EXPECT_TRUE(process_ends(std::stoi(pid_text))) << "the background sleep survived the pruning";
}

TEST_F(PrunedCommandTest, PrunedProgramIgnoringSigtermIsKilledAfterTheGrace) {
  CommandObjectiveOptions options = options_for(
      "trap '' TERM; echo 'winnow: step=1 value=5'; while :; do sleep 1; done");
  options.kill_grace_seconds = 0.3;
  FrozenTrial pruned = optimize_one(options);
  EXPECT_EQ(pruned.state, TrialState::kPruned) << pruned.failure_reason;
  EXPECT_EQ(pruned.values, std::vector<double>{5.0});
  EXPECT_GE(pruned.duration_seconds(), 0.3);
  EXPECT_LT(pruned.duration_seconds(), 10.0);
  expect_contains(read_file(runs_ / std::to_string(pruned.number) / "output.log"),
                  "[winnow] pruned at step 1: the scheduler stopped this trial; its process "
                  "group was sent SIGTERM, then SIGKILL after the grace period of 0.3 s\n");
}

TEST_F(PrunedCommandTest, TrialThatKeepsUpIsNotPruned) {
  FrozenTrial kept = optimize_one(options_for(
      "for i in 1 2 3; do echo \"winnow: step=$i value=0.05\"; done; echo 0.05"));
  EXPECT_EQ(kept.state, TrialState::kComplete) << kept.failure_reason;
  EXPECT_EQ(kept.values, std::vector<double>{0.05});
}

}  // namespace
}  // namespace winnow
