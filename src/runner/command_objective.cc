// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The command objective: a trial's parameters go into a program's arguments, environment and a
// JSON file; its standard output comes back as reports and a result (runner/result_line.h); the
// process itself is run by runner/process.h.
#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "common/param_json.h"
#include "common/strings.h"
#include "runner/command_template.h"
#include "runner/instance_run.h"
#include "runner/process.h"
#include "runner/result_line.h"
#include "winnow/command.h"
#include "winnow/error.h"

extern char** environ;

namespace winnow {
namespace {

namespace fs = std::filesystem;

// ---- What one run needs ----

// This process's environment, then PYTHONUNBUFFERED=1 unless already set, then options.env, then
// the protocol's variables, each later one overriding an earlier one of the same name. Without a
// budget, WINNOW_BUDGET and WINNOW_PREVIOUS_BUDGET are removed, so a winnow run inside another
// one's objective does not pass the outer budget on.
std::vector<std::string> build_environment(const CommandObjectiveOptions& options,
                                           const Trial& trial,
                                           const CommandPlaceholders& placeholders) {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    variables[std::string(text.substr(0, equals))] = std::string(text.substr(equals + 1));
  }
  // Python block-buffers a piped stdout, which would hold report lines back until the buffer
  // fills or the program ends; unbuffered, they arrive as printed. Overridable (set it to "").
  variables.try_emplace("PYTHONUNBUFFERED", "1");
  for (const auto& [name, value] : options.env) variables[name] = value;
  variables["WINNOW_TRIAL"] = std::to_string(trial.number());
  variables["WINNOW_TRIAL_ID"] = std::to_string(trial.id());
  variables["WINNOW_TRIAL_DIR"] = placeholders.trial_dir;
  variables["WINNOW_PARAMS_FILE"] = placeholders.params_file;
  variables["WINNOW_CHECKPOINT_DIR"] = placeholders.checkpoint_dir;
  variables["WINNOW_RESUMING"] = trial.previous_budget() > 0 ? "1" : "0";
  auto set_or_erase = [&](const char* name, const std::optional<std::string>& value) {
    if (value) {
      variables[name] = *value;
    } else {
      variables.erase(name);
    }
  };
  set_or_erase("WINNOW_BUDGET", placeholders.budget);
  set_or_erase("WINNOW_PREVIOUS_BUDGET", placeholders.previous_budget);
  set_or_erase("WINNOW_INSTANCE", placeholders.instance);
  set_or_erase("WINNOW_SEED", placeholders.seed);
  for (const auto& [name, value] : trial.config()) {
    variables[env_name_for_param(name)] = to_string(value);
  }
  std::vector<std::string> env;
  env.reserve(variables.size());
  for (const auto& [name, value] : variables) env.push_back(name + "=" + value);
  return env;
}

// The last `max_lines` lines of the log, each cut to a readable length; reads at most the last
// 64 KiB, since the log of a chatty program may be gigabytes.
std::string log_tail(const std::string& path, int max_lines) {
  constexpr std::streamoff kMaxRead = 64 * 1024;
  constexpr size_t kMaxLineChars = 300;
  if (max_lines <= 0) return "";
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  std::streamoff size = in.tellg();
  std::streamoff from = std::max<std::streamoff>(0, size - kMaxRead);
  in.seekg(from);
  std::string text(static_cast<size_t>(size - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return "";

  std::vector<std::string_view> lines;
  std::string_view rest(text);
  while (static_cast<int>(lines.size()) < max_lines && !rest.empty()) {
    size_t newline = rest.rfind('\n');
    std::string_view line = newline == std::string_view::npos ? rest : rest.substr(newline + 1);
    lines.push_back(line);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(0, newline);
  }
  // The first line kept may be the cut-off end of a longer one when only the tail was read.
  std::string out = "\n--- last lines of " + path + " ---";
  for (auto line = lines.rbegin(); line != lines.rend(); ++line) {
    out += '\n';
    if (line->size() > kMaxLineChars) {
      out += std::string(line->substr(0, kMaxLineChars)) + "... (" +
             std::to_string(line->size()) + " characters)";
    } else {
      out += *line;
    }
  }
  return out;
}

std::string signal_description(int sig) {
  const char* abbreviation = sigabbrev_np(sig);
  std::string out = "killed by signal " + std::to_string(sig);
  if (abbreviation != nullptr) out += " (SIG" + std::string(abbreviation) + ")";
  return out;
}

std::string byte_size_text(int64_t bytes) {
  constexpr std::pair<int64_t, std::string_view> kUnits[] = {
      {int64_t{1} << 40, "TiB"}, {int64_t{1} << 30, "GiB"}, {int64_t{1} << 20, "MiB"},
      {1'000'000'000'000, "TB"}, {1'000'000'000, "GB"},     {1'000'000, "MB"}};
  for (const auto& [factor, name] : kUnits) {
    if (bytes >= factor && bytes % factor == 0) {
      return std::to_string(bytes / factor) + " " + std::string(name);
    }
  }
  return std::to_string(bytes) + " bytes";
}

TrialOutcome failed(std::string reason, bool interrupted = false) {
  TrialOutcome outcome;
  outcome.state = TrialState::kFailed;
  outcome.failure_reason = std::move(reason);
  outcome.interrupted = interrupted;
  return outcome;
}

// How the run of `program` ended, as the trial's outcome. `result_line` is the last non-empty
// line that is not a report line.
TrialOutcome outcome_of(const CommandObjectiveOptions& options, const std::string& program,
                        const ProcessResult& run, const std::string& result_line) {
  switch (run.ending) {
    case ProcessEnding::kExited:
      if (std::find(options.exit_codes.begin(), options.exit_codes.end(), run.exit_code) ==
          options.exit_codes.end()) {
        return failed("exited with status " + std::to_string(run.exit_code));
      }
      if (result_line.empty()) {
        return failed(
            "printed no result: the last non-empty line of standard output must be a number or "
            "a JSON object");
      }
      if (result_line.size() >= kMaxStdoutLine) {
        // Cut, it would fail as JSON that ends too soon, which misleads.
        return failed("the result line is longer than " + byte_size_text(static_cast<int64_t>(kMaxStdoutLine)) +
                      ", the most Winnow reads of one line: print the objective values and "
                      "metrics alone, and anything bulky to a file in the trial's folder");
      }
      return parse_result_line(result_line, options.n_objectives, options.objective_names);
    case ProcessEnding::kSignaled: {
      std::string reason = signal_description(run.signal);
      const bool memory_like = run.signal == SIGKILL || run.signal == SIGSEGV ||
                               run.signal == SIGABRT || run.signal == SIGBUS;
      if (options.memory_limit_bytes > 0 && memory_like) {
        reason += "; it may have exceeded the memory limit of " +
                  byte_size_text(options.memory_limit_bytes);
      }
      return failed(reason);
    }
    case ProcessEnding::kTimedOut:
      return failed("timed out after " + format_double(options.timeout_seconds) + " s");
    case ProcessEnding::kStopped: return failed("interrupted: winnow was stopped", true);
    case ProcessEnding::kTerminated: return TrialOutcome{.state = TrialState::kPruned};
    case ProcessEnding::kSpawnFailed:
      return failed("could not start '" + program + "': " + run.error);
  }
  return failed("unknown ending");
}

void validate(const CommandObjectiveOptions& options) {
  auto violated = [](const std::string& field, const std::string& value, const char* rule) {
    return Error("CommandObjectiveOptions." + field + " = " + value +
                 ". Violated constraint: " + rule);
  };
  if (options.command.empty()) throw Error("CommandObjectiveOptions.command is empty");
  if (options.cost == RunCostKind::kRuntime && !(options.cutoff_seconds > 0)) {
    throw violated("cutoff_seconds", format_double(options.cutoff_seconds),
                   "> 0 with a runtime cost");
  }
  if (!(options.par_factor >= 1)) {
    throw violated("par_factor", format_double(options.par_factor), ">= 1");
  }
  if (options.exit_codes.empty()) throw violated("exit_codes", "{}", "not empty");
  if (!(options.timeout_seconds >= 0)) {
    throw violated("timeout_seconds", format_double(options.timeout_seconds), ">= 0");
  }
  if (options.memory_limit_bytes < 0) {
    throw violated("memory_limit_bytes", std::to_string(options.memory_limit_bytes), ">= 0");
  }
  if (!(options.kill_grace_seconds >= 0)) {
    throw violated("kill_grace_seconds", format_double(options.kill_grace_seconds), ">= 0");
  }
  if (options.n_objectives < 1) throw violated("n_objectives", "0", ">= 1");
  if (!options.objective_names.empty() &&
      options.objective_names.size() != options.n_objectives) {
    throw violated("objective_names", std::to_string(options.objective_names.size()) + " names",
                   "empty or one name per objective (n_objectives)");
  }
  if (options.runs_dir.empty()) throw Error("CommandObjectiveOptions.runs_dir is empty");
  if (options.budget) {
    try {
      options.budget->validate();
    } catch (const Error& e) {
      throw Error("CommandObjectiveOptions.budget: " + std::string(e.what()));
    }
  }
  check_budget_placeholders(options);
}

// Warns about the ill-formed report lines of one trial: the first few by name, then, at the end
// of the trial, how many there were in all.
class IllFormedReportWarnings {
 public:
  static constexpr int kNamed = 3;

  IllFormedReportWarnings(const CommandObjectiveOptions& options, int64_t trial_number)
      : options_(options), trial_number_(trial_number) {}

  void note(int64_t line_number, std::string_view line) {
    if (++count_ > kNamed) return;
    constexpr size_t kMaxQuoted = 200;
    std::string quoted = trim(line);
    if (quoted.size() > kMaxQuoted) quoted = quoted.substr(0, kMaxQuoted) + "...";
    warn("trial " + std::to_string(trial_number_) + ": ignored ill-formed report line " +
         std::to_string(line_number) + " of standard output: \"" + quoted + "\" (" +
         report_line_problem(line) + "; expected \"" + std::string(kReportLineForm) + "\")");
  }

  void finish() {
    if (count_ <= kNamed) return;
    warn("trial " + std::to_string(trial_number_) + ": ignored " + std::to_string(count_) +
         " ill-formed report lines in all (the first " + std::to_string(kNamed) +
         " are named above)");
  }

 private:
  void warn(const std::string& message) const {
    if (options_.on_warning) {
      options_.on_warning(message);
      return;
    }
    // One fwrite: stdio locks the stream, so concurrent trials do not interleave within a line.
    const std::string text = "winnow: " + message + "\n";
    std::fwrite(text.data(), 1, text.size(), stderr);
  }

  const CommandObjectiveOptions& options_;
  int64_t trial_number_;
  int64_t count_ = 0;
};

// Appends a line to output.log that says why the program stopped early.
void log_pruning(const std::string& log_file, int64_t step, const ProcessResult& run,
                 double kill_grace_seconds) {
  std::string text = "[winnow] pruned at step " + std::to_string(step) +
                     ": the scheduler stopped this trial; its process group was sent ";
  if (run.signal == SIGKILL && kill_grace_seconds > 0) {
    text += "SIGTERM, then SIGKILL after the grace period of " +
            format_double(kill_grace_seconds) + " s";
  } else if (run.signal == SIGKILL) {
    text += "SIGKILL";
  } else {
    text += "SIGTERM";
  }
  text += '\n';
  std::error_code error;
  const auto size = fs::file_size(log_file, error);
  // Start on a line of its own if the program's last line lacks its "\n".
  if (!error && size > 0) {
    std::ifstream in(log_file, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(size) - 1);
    if (in.get() != '\n') text.insert(text.begin(), '\n');
  }
  std::ofstream(log_file, std::ios::app) << text;  // a lost log line never fails the trial
}

// Writes <trial_dir>/params.json. False when the file could not be written.
bool write_params_file(const std::string& params_file, const Trial& trial,
                       const CommandPlaceholders& placeholders) {
  nlohmann::json params = {{"trial", trial.number()},
                           {"params", config_to_json(trial.config())},
                           {"checkpoint_dir", placeholders.checkpoint_dir}};
  // The budgets as the command line has them ("27", "0.5"), as JSON numbers.
  auto number = [](const std::string& text) {
    nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    return parsed.is_number() ? parsed : nlohmann::json(text);
  };
  if (placeholders.budget) params["budget"] = number(*placeholders.budget);
  if (placeholders.previous_budget) {
    params["previous_budget"] = number(*placeholders.previous_budget);
  }
  std::ofstream out(params_file, std::ios::trunc);
  out << params.dump(2) << '\n';
  return static_cast<bool>(out.flush());
}

// Makes `relative` absolute and creates it; "" with `error` set when that fails.
std::string make_directory(const fs::path& relative, std::error_code& error) {
  const fs::path dir = fs::absolute(relative, error);
  if (!error) fs::create_directories(dir, error);
  return error ? "" : dir.string();
}

TrialOutcome run_trial(const CommandObjectiveOptions& options, Trial& trial) {
  if (trial.stop_requested()) return failed("interrupted: winnow was stopped", true);
  // Absolute, so {trial_dir}, {params_file} and {checkpoint_dir} stay right whatever the
  // working directory.
  CommandPlaceholders placeholders;
  placeholders.trial = trial.number();
  placeholders.trial_id = trial.id();
  std::error_code error;
  const fs::path relative_dir = fs::path(options.runs_dir) / std::to_string(trial.number());
  placeholders.trial_dir = make_directory(relative_dir, error);
  if (error) {
    return failed("could not create trial directory '" + relative_dir.string() +
                  "': " + error.message());
  }
  // Named after the lineage, so a continuation at a larger budget finds what the trial it
  // continues left there. Never deleted: the user decides when checkpoints may go.
  const fs::path relative_checkpoints =
      fs::path(options.runs_dir) / "checkpoints" / std::to_string(trial.lineage());
  placeholders.checkpoint_dir = make_directory(relative_checkpoints, error);
  if (error) {
    return failed("could not create checkpoint directory '" + relative_checkpoints.string() +
                  "': " + error.message());
  }
  if (options.budget) {
    placeholders.budget = options.budget->format(trial.budget().value_or(options.budget->max));
    placeholders.previous_budget = options.budget->format(trial.previous_budget());
  }
  const fs::path dir(placeholders.trial_dir);
  placeholders.params_file = (dir / "params.json").string();
  const std::string log_file = (dir / "output.log").string();
  if (!write_params_file(placeholders.params_file, trial, placeholders)) {
    return failed("could not write '" + placeholders.params_file + "'");
  }

  InstanceRun instance_run;
  if (options.instances) instance_run = prepare_instance_run(options, trial, placeholders);
  ProcessRequest request;
  request.argv = expand_command(options.instances ? command_with_seed_arg(options)
                                                  : options.command,
                                trial.config(), placeholders);
  if (request.argv.empty()) {
    return failed("the command is empty for this trial: every argument names an inactive "
                  "parameter");
  }
  request.env = build_environment(options, trial, placeholders);
  request.working_dir = options.working_dir;
  request.log_path = log_file;
  request.timeout_seconds = options.timeout_seconds;
  request.memory_limit_bytes = options.memory_limit_bytes;
  request.kill_grace_seconds = options.kill_grace_seconds;
  if (instance_run.limit &&
      (request.timeout_seconds <= 0 || *instance_run.limit < request.timeout_seconds)) {
    request.timeout_seconds = *instance_run.limit;
    // A timed run past its limit has nothing to save; its CPU time is what capping saves.
    if (options.cost == RunCostKind::kRuntime) request.kill_grace_seconds = 0;
  }
  if (const StopSignal* stop = trial.stop_signal()) request.stop_fd = stop->wait_fd();
  std::string result_line;
  int64_t line_number = 0;
  std::optional<int64_t> pruned_at;  // the step whose report made the scheduler prune
  IllFormedReportWarnings warnings(options, trial.number());
  request.on_stdout_line = [&](std::string_view line) {
    ++line_number;
    if (is_report_line(line)) {
      // An ill-formed report line is ignored, never taken for the result.
      std::optional<std::pair<int64_t, double>> report = parse_report_line(line);
      if (!report) {
        warnings.note(line_number, line);
        return LineAction::kContinue;
      }
      trial.report(report->first, report->second);
      if (trial.should_prune()) {
        pruned_at = report->first;
        return LineAction::kTerminate;
      }
      return LineAction::kContinue;
    }
    std::string trimmed = trim(line);
    if (!trimmed.empty()) result_line = std::move(trimmed);
    return LineAction::kContinue;
  };

  ProcessResult run = run_process(request);
  warnings.finish();
  if (run.ending == ProcessEnding::kTerminated) {
    // The callback asks for termination only when the trial is pruned.
    assert(pruned_at.has_value());
    log_pruning(log_file, *pruned_at, run, options.kill_grace_seconds);
  }
  TrialOutcome outcome = outcome_of(options, request.argv.front(), run, result_line);
  if (options.instances) {
    outcome = instance_run_outcome(options, instance_run, run, std::move(outcome));
  }
  if (outcome.state == TrialState::kFailed) {
    outcome.failure_reason += log_tail(log_file, options.log_tail_lines);
  }
  return outcome;
}

}  // namespace

Objective make_command_objective(CommandObjectiveOptions options) {
  validate(options);
  // Shared and never modified again, so trials on any number of threads read it freely.
  auto shared = std::make_shared<const CommandObjectiveOptions>(std::move(options));
  return [shared](Trial& trial) { return run_trial(*shared, trial); };
}

void kill_all_running_commands() noexcept { kill_all_running_processes(); }

}  // namespace winnow
