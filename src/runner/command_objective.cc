// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The command objective: a trial's parameters go into a program's arguments, environment and a
// JSON file; its standard output comes back as reports and a result (runner/result_line.h); the
// process itself is run by runner/process.h.
#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "common/param_json.h"
#include "common/strings.h"
#include "runner/process.h"
#include "runner/result_line.h"
#include "winnow/command.h"
#include "winnow/error.h"

extern char** environ;

namespace winnow {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string>& built_in_placeholders() {
  static const std::vector<std::string> names = {"trial", "trial_id", "trial_dir", "params_file"};
  return names;
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
// the protocol's variables, each later one overriding an earlier one of the same name.
std::vector<std::string> build_environment(const CommandObjectiveOptions& options,
                                           const Trial& trial, const std::string& trial_dir,
                                           const std::string& params_file) {
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
  variables["WINNOW_TRIAL_DIR"] = trial_dir;
  variables["WINNOW_PARAMS_FILE"] = params_file;
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
      if (run.exit_code != 0) return failed("exited with status " + std::to_string(run.exit_code));
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
  for (size_t i = 0; i < options.command.size(); ++i) parse_argument(options.command[i], i);
}

TrialOutcome run_trial(const CommandObjectiveOptions& options, Trial& trial) {
  if (trial.stop_requested()) return failed("interrupted: winnow was stopped", true);
  // Absolute, so {trial_dir} and {params_file} stay right whatever the working directory.
  const fs::path relative = fs::path(options.runs_dir) / std::to_string(trial.number());
  std::error_code error;
  const fs::path dir = fs::absolute(relative, error);
  if (!error) fs::create_directories(dir, error);
  if (error) {
    return failed("could not create trial directory '" + relative.string() +
                  "': " + error.message());
  }
  const std::string trial_dir = dir.string();
  const std::string params_file = (dir / "params.json").string();
  const std::string log_file = (dir / "output.log").string();
  {
    nlohmann::json params = {{"trial", trial.number()}, {"params", config_to_json(trial.config())}};
    std::ofstream out(params_file, std::ios::trunc);
    out << params.dump(2) << '\n';
    if (!out.flush()) return failed("could not write '" + params_file + "'");
  }

  ProcessRequest request;
  request.argv = expand_command(options.command, trial.config(), trial.number(), trial_dir,
                                params_file, trial.id());
  if (request.argv.empty()) {
    return failed("the command is empty for this trial: every argument names an inactive "
                  "parameter");
  }
  request.env = build_environment(options, trial, trial_dir, params_file);
  request.working_dir = options.working_dir;
  request.log_path = log_file;
  request.timeout_seconds = options.timeout_seconds;
  request.memory_limit_bytes = options.memory_limit_bytes;
  request.kill_grace_seconds = options.kill_grace_seconds;
  if (const StopSignal* stop = trial.stop_signal()) request.stop_fd = stop->wait_fd();
  std::string result_line;
  request.on_stdout_line = [&](std::string_view line) {
    if (is_report_line(line)) {
      if (auto report = parse_report_line(line)) trial.report(report->first, report->second);
      return;  // an ill-formed report line is ignored, never taken for the result
    }
    std::string trimmed = trim(line);
    if (!trimmed.empty()) result_line = std::move(trimmed);
  };

  ProcessResult run = run_process(request);
  TrialOutcome outcome = outcome_of(options, request.argv.front(), run, result_line);
  if (outcome.state == TrialState::kFailed) {
    outcome.failure_reason += log_tail(log_file, options.log_tail_lines);
  }
  return outcome;
}

}  // namespace

double parse_duration(const std::string& text, const std::string& what) {
  static const std::vector<Unit> units = {{"", 1},     {"s", 1},      {"sec", 1}, {"ms", 1e-3},
                                          {"m", 60},   {"min", 60},   {"h", 3600}};
  return parse_with_unit(text, what, units, "90, 1.5s, 500ms, 2m, 1h", "a duration");
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
                                        const Config& config, int64_t trial_number,
                                        const std::string& trial_dir,
                                        const std::string& params_file,
                                        std::optional<int64_t> trial_id) {
  std::vector<std::string> argv;
  argv.reserve(command.size());
  for (size_t i = 0; i < command.size(); ++i) {
    std::string expanded;
    bool keep = true;
    for (const TemplatePiece& piece : parse_argument(command[i], i)) {
      if (!piece.is_placeholder) {
        expanded += piece.text;
      } else if (piece.text == "trial") {
        expanded += std::to_string(trial_number);
      } else if (piece.text == "trial_id" && trial_id) {
        expanded += std::to_string(*trial_id);
      } else if (piece.text == "trial_dir") {
        expanded += trial_dir;
      } else if (piece.text == "params_file") {
        expanded += params_file;
      } else if (auto value = config.find(piece.text); value != config.end()) {
        expanded += to_string(value->second);
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
  std::vector<std::string> known = built_in_placeholders();
  for (const ParamSpec& param : space.params()) known.push_back(param.name);
  for (size_t i = 0; i < options.command.size(); ++i) {
    for (const TemplatePiece& piece : parse_argument(options.command[i], i)) {
      if (!piece.is_placeholder) continue;
      if (std::find(known.begin(), known.end(), piece.text) != known.end()) continue;
      throw Error("command argument " + std::to_string(i + 1) + " '" + options.command[i] +
                  "': unknown placeholder {" + piece.text + "}" +
                  did_you_mean(piece.text, known) +
                  "; placeholders are the parameters of the space and " +
                  "{trial}, {trial_id}, {trial_dir}, {params_file}");
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
