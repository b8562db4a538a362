// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Objectives that are any program. The protocol (documented in README.md):
//   in:  placeholders in the argument list ({lr}, {trial}, {trial_id}, {trial_dir},
//        {params_file}), environment variables (WINNOW_TRIAL, WINNOW_TRIAL_ID, WINNOW_TRIAL_DIR,
//        WINNOW_PARAMS_FILE and WINNOW_PARAM_<NAME> for every active parameter, NAME upper-cased
//        with every character other than a letter or digit turned into "_"), and
//        <trial_dir>/params.json: {"trial": <number>, "params": {<name>: <value>, ...}};
//   out: the last non-empty line of standard output is the result: a number, or a JSON object
//        with the objective value(s) ("value", "values", or the objective names as keys) and
//        any other numbers, which are stored as metrics. Lines "winnow: step=S value=V" printed
//        while running are intermediate reports.
// The program runs without a shell (each argument is one literal argv entry), in its own
// process group, with its stdout and stderr kept in <trial_dir>/output.log.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "winnow/space.h"
#include "winnow/study.h"

namespace winnow {

struct CommandObjectiveOptions {
  // The argument list, with placeholders. Required; the first entry is the program, looked up
  // in PATH when it has no slash.
  std::vector<std::string> command;
  // Working directory of the program. Default: "" (the current directory).
  std::string working_dir;
  // Wall-clock limit of one trial in seconds; the whole process group is killed past it
  // (0 = none). Default: 0.
  double timeout_seconds = 0;
  // Address-space limit of the program in bytes (RLIMIT_AS; 0 = none). Default: 0.
  int64_t memory_limit_bytes = 0;
  // Where per-trial directories are made: <runs_dir>/<trial number>/. Default: "winnow-runs".
  std::string runs_dir = "winnow-runs";
  // Extra environment variables for the program, on top of this process's environment and
  // PYTHONUNBUFFERED=1 (so a Python objective's report lines arrive as printed; override it with
  // "" to get Python's buffering back). Default: none.
  std::map<std::string, std::string> env;
  // Names of the objectives, to read them from a JSON result. Default: none.
  std::vector<std::string> objective_names;
  // Number of objective values expected. Default: 1.
  size_t n_objectives = 1;
  // After SIGTERM (timeout or stop), how long to wait before SIGKILL. Default: 2 s.
  double kill_grace_seconds = 2.0;
  // Lines of the log quoted in a failure reason. Default: 15.
  int log_tail_lines = 15;
};

// Throws winnow::Error if the command is empty, or an argument has an unbalanced brace or names a
// placeholder that is neither a parameter of `space` nor a built-in one ({trial}, {trial_id},
// {trial_dir}, {params_file}). There is no {study}: a Trial does not know its study's name.
void check_command_template(const CommandObjectiveOptions& options, const SearchSpace& space);

// The argument list of one trial: each placeholder replaced by its value, an argument that
// names an inactive parameter (one absent from `config`) left out. "{{" and "}}" stand for
// literal braces. Without `trial_id`, an argument naming {trial_id} is left out too. Throws
// winnow::Error for an unbalanced brace.
std::vector<std::string> expand_command(const std::vector<std::string>& command,
                                        const Config& config, int64_t trial_number,
                                        const std::string& trial_dir,
                                        const std::string& params_file,
                                        std::optional<int64_t> trial_id = std::nullopt);

// Runs the program for a trial in <runs_dir>/<trial number>/ (made absolute, created if
// needed), which receives params.json and output.log. Never throws for a failing program: the
// outcome says failed, with the reason and the tail of output.log; a stop of the study fails it
// as interrupted. Exceptions from Trial::report (storage errors) propagate, after the program's
// process group is killed. Throws winnow::Error at once for invalid options, naming the field.
// Thread-safe: many trials may run at once.
Objective make_command_objective(CommandObjectiveOptions options);

// Kills the process group of every program started by a command objective that is still
// running. Async-signal-safe: meant for a second Ctrl-C.
void kill_all_running_commands() noexcept;

// "90", "1.5s", "500ms", "2m", "1h" -> seconds. Throws winnow::Error naming `what`.
double parse_duration(const std::string& text, const std::string& what);
// "512MB", "2GiB", "1000000", "1.5GB" -> bytes. KB, MB, GB, TB are powers of 1000; KiB, MiB,
// GiB, TiB and the single letters K, M, G, T (as in ulimit and docker) powers of 1024. Units are
// case-insensitive. Throws winnow::Error naming `what`.
int64_t parse_byte_size(const std::string& text, const std::string& what);

}  // namespace winnow
