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
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "common/param_json.h"
#include "common/strings.h"
#include "runner/instance_run.h"
#include "runner/process.h"
#include "runner/result_line.h"
#include "winnow/command.h"
#include "winnow/error.h"

extern char** environ;

namespace winnow {
namespace {

namespace fs = std::filesystem;

// {instance} and {seed} are built in only for algorithm configuration, so an ordinary study
// may still name a parameter "seed".
std::vector<std::string> built_in_placeholders(bool instances) {
  std::vector<std::string> names = {"trial",          "trial_id", "trial_dir", "params_file",
                                    "checkpoint_dir", "budget",   "previous_budget"};
  if (instances) {
    names.push_back("instance");
    names.push_back("seed");
  }
  return names;
}

// Placeholders that only have a value when the study has a budget.
bool needs_budget(std::string_view placeholder) {
  return placeholder == "budget" || placeholder == "previous_budget";
}

// ---- Command templates ----

// One argument split into literal text and placeholder names.
struct TemplatePiece {
  bool is_placeholder = false;
  std::string text;  // literal text, or the placeholder's name
};

// Throws winnow::Error naming the argument for an unbalanced brace or an empty "{}".
std::vector<TemplatePiece> parse_argument(const std::string& argument, size_t index) {
  auto fail = [&](const std::string& rule) -> Error {
    return Error("command argument " + std::to_string(index + 1) + " '" + argument + "': " +
                 rule + " (write \"{{\" or \"}}\" for a literal brace)");
  };
  std::vector<TemplatePiece> pieces;
  std::string literal;
  for (size_t i = 0; i < argument.size(); ++i) {
    char c = argument[i];
    if (c == '}') {
      if (i + 1 < argument.size() && argument[i + 1] == '}') {
        literal += '}';
        ++i;
        continue;
      }
      throw fail("unbalanced '}' at position " + std::to_string(i + 1));
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    if (i + 1 < argument.size() && argument[i + 1] == '{') {
      literal += '{';
      ++i;
      continue;
    }
    size_t close = argument.find_first_of("{}", i + 1);
    if (close == std::string::npos || argument[close] != '}') {
      throw fail("unbalanced '{' at position " + std::to_string(i + 1));
    }
    if (close == i + 1) throw fail("empty placeholder \"{}\"");
    if (!literal.empty()) pieces.push_back({false, std::move(literal)});
    literal.clear();
    pieces.push_back({true, argument.substr(i + 1, close - i - 1)});
    i = close;
  }
  if (!literal.empty() || pieces.empty()) pieces.push_back({false, std::move(literal)});
  return pieces;
}

Error missing_budget(const std::string& argument, size_t index, const std::string& placeholder) {
  return Error("command argument " + std::to_string(index + 1) + " '" + argument +
               "': the study has no [budget] section; add [budget] min/max or remove {" +
               placeholder + "}");
}

// ---- Numbers with units ----

struct Unit {
  std::string_view name;
  double factor;
};

// "<number><unit>" with optional blanks between; the unit is looked up case-insensitively.
double parse_with_unit(const std::string& text, const std::string& what,
                       const std::vector<Unit>& units, std::string_view examples,
                       std::string_view kind) {
  auto fail = [&]() -> Error {
    return Error(what + ": '" + text + "' is not " + std::string(kind) + " (examples: " +
                 std::string(examples) + ")");
  };
  std::string trimmed = trim(text);
  const char* begin = trimmed.data();
  const char* end = begin + trimmed.size();
  double number = 0;
  // chars_format::fixed: exponents are not needed for durations or sizes, and "1e3" would read
  // oddly next to units. It still reads "inf" and "nan", hence the isfinite check.
  auto [number_end, error] = std::from_chars(begin, end, number, std::chars_format::fixed);
  if (error != std::errc() || number_end == begin || !std::isfinite(number)) throw fail();
  std::string unit = trim(std::string_view(number_end, static_cast<size_t>(end - number_end)));
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const Unit& candidate : units) {
    if (candidate.name == unit) {
      if (number < 0) throw Error(what + ": '" + text + "' must not be negative");
      return number * candidate.factor;
    }
  }
  throw fail();
}

// ---- What one run needs ----

std::string env_name_for_param(const std::string& name) {
  std::string out = "WINNOW_PARAM_";
  for (unsigned char c : name) out += std::isalnum(c) ? static_cast<char>(std::toupper(c)) : '_';
  return out;
}

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
  for (size_t i = 0; i < options.command.size(); ++i) {
    for (const TemplatePiece& piece : parse_argument(options.command[i], i)) {
      // Without a value the argument would silently be left out.
      if (piece.is_placeholder && needs_budget(piece.text) && !options.budget) {
        throw missing_budget(options.command[i], i, piece.text);
      }
    }
  }
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

double parse_duration(const std::string& text, const std::string& what) {
  static const std::vector<Unit> units = {{"", 1},     {"s", 1},      {"sec", 1}, {"ms", 1e-3},
                                          {"us", 1e-6}, {"m", 60},   {"min", 60},   {"h", 3600}};
  return parse_with_unit(text, what, units, "90, 1.5s, 500ms, 200us, 2m, 1h", "a duration");
}

int64_t parse_byte_size(const std::string& text, const std::string& what) {
  static const std::vector<Unit> units = {
      {"", 1},           {"b", 1},          {"kb", 1e3},       {"mb", 1e6},
      {"gb", 1e9},       {"tb", 1e12},      {"k", 0x1p10},     {"kib", 0x1p10},
      {"m", 0x1p20},     {"mib", 0x1p20},   {"g", 0x1p30},     {"gib", 0x1p30},
      {"t", 0x1p40},     {"tib", 0x1p40}};
  double bytes =
      parse_with_unit(text, what, units, "512MB, 2GiB, 1.5GB, 1000000", "a size in bytes");
  // 2^63 is the first double past int64's range.
  if (bytes >= 0x1p63) throw Error(what + ": '" + text + "' is too large");
  return static_cast<int64_t>(std::llround(bytes));
}

std::vector<std::string> expand_command(const std::vector<std::string>& command,
                                        const Config& config,
                                        const CommandPlaceholders& placeholders) {
  // The built-in placeholders (as in built_in_placeholders()); nullopt where there is no value.
  std::map<std::string, std::optional<std::string>, std::less<>> built_ins = {
      {"trial", std::to_string(placeholders.trial)},
      {"trial_id", placeholders.trial_id ? std::optional(std::to_string(*placeholders.trial_id))
                                         : std::nullopt},
      {"trial_dir", placeholders.trial_dir},
      {"params_file", placeholders.params_file},
      {"checkpoint_dir", placeholders.checkpoint_dir},
      {"budget", placeholders.budget},
      {"previous_budget", placeholders.previous_budget}};
  if (placeholders.instances) {
    built_ins["instance"] = placeholders.instance;
    built_ins["seed"] = placeholders.seed;
  }
  std::vector<std::string> argv;
  argv.reserve(command.size());
  for (size_t i = 0; i < command.size(); ++i) {
    std::string expanded;
    bool keep = true;
    for (const TemplatePiece& piece : parse_argument(command[i], i)) {
      if (!piece.is_placeholder) {
        expanded += piece.text;
      } else if (auto built_in = built_ins.find(piece.text); built_in != built_ins.end()) {
        if (built_in->second) {
          expanded += *built_in->second;
        } else {
          keep = false;  // e.g. {trial_id} without a trial id
        }
      } else if (auto param = config.find(piece.text); param != config.end()) {
        expanded += to_string(param->second);
      } else {
        keep = false;  // an inactive parameter: "--momentum={momentum}" has nothing to say
      }
    }
    if (keep) argv.push_back(std::move(expanded));
  }
  return argv;
}

void check_command_template(const CommandObjectiveOptions& options, const SearchSpace& space) {
  if (options.command.empty()) throw Error("the command is empty");
  const std::vector<std::string> built_ins = built_in_placeholders(options.instances);
  std::vector<std::string> known = built_ins;
  for (const ParamSpec& param : space.params()) known.push_back(param.name);
  std::vector<std::string> command = options.command;
  if (!options.seed_arg.empty()) command.push_back(options.seed_arg);
  for (size_t i = 0; i < command.size(); ++i) {
    auto fail = [&](const std::string& rule) {
      return Error((i < options.command.size() ? "command argument " + std::to_string(i + 1)
                                               : std::string("seed_arg")) +
                   " '" + command[i] + "': " + rule);
    };
    for (const TemplatePiece& piece : parse_argument(command[i], i)) {
      if (!piece.is_placeholder) continue;
      if (std::find(built_ins.begin(), built_ins.end(), piece.text) != built_ins.end()) {
        if (space.find(piece.text) != nullptr) {
          throw fail("{" + piece.text + "} is ambiguous: the space has a parameter '" +
                     piece.text + "' and {" + piece.text +
                     "} is a built-in placeholder (which wins); rename the parameter");
        }
        if (needs_budget(piece.text) && !options.budget) {
          throw missing_budget(command[i], i, piece.text);
        }
        continue;
      }
      if (std::find(known.begin(), known.end(), piece.text) != known.end()) continue;
      throw fail("unknown placeholder {" + piece.text + "}" + did_you_mean(piece.text, known) +
                 "; placeholders are the parameters of the space and {trial}, {trial_id}, " +
                 "{trial_dir}, {params_file}, {checkpoint_dir}, {budget}, {previous_budget}" +
                 (options.instances ? ", {instance}, {seed}" : ""));
    }
  }
}

Objective make_command_objective(CommandObjectiveOptions options) {
  validate(options);
  // Shared and never modified again, so trials on any number of threads read it freely.
  auto shared = std::make_shared<const CommandObjectiveOptions>(std::move(options));
  return [shared](Trial& trial) { return run_trial(*shared, trial); };
}

void kill_all_running_commands() noexcept { kill_all_running_processes(); }

}  // namespace winnow
