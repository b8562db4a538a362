// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Objectives that are any program. The protocol (documented in README.md):
//   in:  placeholders in the argument list ({lr}, {trial}, {trial_id}, {trial_dir},
//        {params_file}, {checkpoint_dir}, and with a budget {budget} and {previous_budget}),
//        environment variables (WINNOW_TRIAL, WINNOW_TRIAL_ID, WINNOW_TRIAL_DIR,
//        WINNOW_PARAMS_FILE, WINNOW_CHECKPOINT_DIR, WINNOW_RESUMING, with a budget WINNOW_BUDGET
//        and WINNOW_PREVIOUS_BUDGET, and WINNOW_PARAM_<NAME> for every active parameter, NAME
//        upper-cased with every character other than a letter or digit turned into "_"), and
//        <trial_dir>/params.json: {"trial": <number>, "params": {<name>: <value>, ...},
//        "checkpoint_dir": <path>} plus "budget" and "previous_budget" with a budget;
//   out: the last non-empty line of standard output is the result: a number, or a JSON object
//        with the objective value(s) ("value", "values", or the objective names as keys) and
//        any other numbers, which are stored as metrics. Lines "winnow: step=S value=V" printed
//        while running are intermediate reports; after each one the study's scheduler may prune
//        the trial, which ends the program (SIGTERM, then SIGKILL after kill_grace_seconds).
//        Ill-formed report lines are ignored with a warning.
// The program runs without a shell (each argument is one literal argv entry), in its own
// process group, with its stdout and stderr kept in <trial_dir>/output.log.
//
// Budgets: a trial's budget (epochs, rounds ...) is Trial::budget(), or the study's budget.max
// when the scheduler assigns none. A trial that continues another one at a larger budget gets
// the same checkpoint directory, <runs_dir>/checkpoints/<Trial::lineage()>/, and
// previous_budget > 0 (WINNOW_RESUMING=1): the program should resume from what it finds there
// and train up to the new budget. Winnow creates checkpoint directories and never deletes them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "winnow/instances.h"
#include "winnow/scheduler.h"
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
  // Where per-trial directories are made: <runs_dir>/<trial number>/, and checkpoint
  // directories: <runs_dir>/checkpoints/<lineage>/. Default: "winnow-runs".
  std::string runs_dir = "winnow-runs";
  // Extra environment variables for the program, on top of this process's environment and
  // PYTHONUNBUFFERED=1 (so a Python objective's report lines arrive as printed; override it with
  // "" to get Python's buffering back). Default: none.
  std::map<std::string, std::string> env;
  // Names of the objectives, to read them from a JSON result. Default: none.
  std::vector<std::string> objective_names;
  // Number of objective values expected. Default: 1.
  size_t n_objectives = 1;
  // After SIGTERM (timeout, stop or pruning), how long to wait before SIGKILL; 0 sends SIGKILL
  // at once. A program may use the grace period to save a checkpoint. Default: 2 s.
  double kill_grace_seconds = 2.0;
  // Lines of the log quoted in a failure reason. Default: 15.
  int log_tail_lines = 15;
  // The study's budget resource (StudyOptions::budget). With it, the program gets {budget},
  // {previous_budget} and their environment variables, each written by BudgetSpec::format; a
  // trial without a budget of its own runs at budget->max. Checked by BudgetSpec::validate.
  // Default: none ({budget} and {previous_budget} are then errors).
  std::optional<BudgetSpec> budget;
  // Receives warnings about a trial that do not fail it (ill-formed report lines), one line
  // each, without "\n"; called from the trial's thread, so concurrent trials may call it at
  // once. Default: none, which writes "winnow: <message>\n" to standard error.
  std::function<void(const std::string& message)> on_warning;

  // --- Algorithm configuration (winnow/instances.h): each trial is one run on an instance ---
  // Enables {instance} (the instance's path) and {seed} (the run's seed), and the environment
  // variables WINNOW_INSTANCE and WINNOW_SEED. Default: false.
  bool instances = false;
  // An argument with {seed}, inserted just before the first argument that names {instance}
  // (at the end if none does), e.g. "-rnd-seed={seed}". Default: "" (none).
  std::string seed_arg;
  // What a run costs: the number it prints, or its wall time measured here. Default: kValue.
  RunCostKind cost = RunCostKind::kValue;
  // kRuntime: the run is killed at the cutoff (or earlier at the cap the configurator set) and
  // costs par_factor x cutoff (the cap when capped, marked censored). Default: 0 (none).
  double cutoff_seconds = 0;
  double par_factor = 10;
  // Exit statuses that mean the program ran correctly (SAT solvers exit 10 and 20). Any other
  // status fails the run. Default: {0}.
  std::vector<int> exit_codes = {0};
};

// The values of the built-in placeholders for one trial. A placeholder without a value leaves
// out the argument that names it, as an inactive parameter does.
struct CommandPlaceholders {
  int64_t trial = 0;                           // {trial}, the trial number
  std::optional<int64_t> trial_id;             // {trial_id}
  std::string trial_dir;                       // {trial_dir}
  std::string params_file;                     // {params_file}
  std::string checkpoint_dir;                  // {checkpoint_dir}
  std::optional<std::string> budget;           // {budget}, as BudgetSpec::format writes it
  std::optional<std::string> previous_budget;  // {previous_budget}, "0" for a new configuration
  // Algorithm configuration only (CommandObjectiveOptions::instances): {instance}, {seed}.
  bool instances = false;
  std::optional<std::string> instance;
  std::optional<std::string> seed;
};

// Throws winnow::Error if the command is empty, or an argument has an unbalanced brace or names a
// placeholder that is neither a parameter of `space` nor a built-in one ({trial}, {trial_id},
// {trial_dir}, {params_file}, {checkpoint_dir}, {budget}, {previous_budget}), or names {budget}
// or {previous_budget} while options.budget is unset. There is no {study}: a Trial does not know
// its study's name.
void check_command_template(const CommandObjectiveOptions& options, const SearchSpace& space);

// The argument list of one trial: each placeholder replaced by its value, an argument that
// names an inactive parameter (one absent from `config`) or a built-in placeholder without a
// value left out. "{{" and "}}" stand for literal braces. Throws winnow::Error for an
// unbalanced brace.
std::vector<std::string> expand_command(const std::vector<std::string>& command,
                                        const Config& config,
                                        const CommandPlaceholders& placeholders);

// Runs the program for a trial in <runs_dir>/<trial number>/ (made absolute, created if
// needed), which receives params.json and output.log; its checkpoint directory is created too.
// Never throws for a failing program: the outcome says failed, with the reason and the tail of
// output.log; a stop of the study fails it as interrupted. After each well-formed report line
// the trial asks Trial::should_prune(); when the answer is yes the program's process group gets
// SIGTERM (SIGKILL after kill_grace_seconds), output.log gets a line saying so, and the outcome
// is kPruned (Study::tell gives it the last reported value). Ill-formed report lines are
// ignored: the first few of each trial are named in a warning (options.on_warning), the rest
// counted in a last one. Exceptions from Trial::report and Trial::should_prune (storage
// errors) propagate, after the program's process group is killed. Throws winnow::Error at once
// for invalid options, naming the field. Thread-safe: many trials may run at once.
Objective make_command_objective(CommandObjectiveOptions options);

// <runs_dir>/<study name>/, created if needed: the runs_dir a study's command objective is given.
// The first run leaves a note there (study.json) naming the study: its name, when it was
// created, its storage. Throws winnow::Error when the note names another study of the same name
// (one in another storage, or one deleted and created again), whose trial folders and
// checkpoints this study's trials would overwrite and resume from.
// A study in memory (storage_url "memory") is made anew by every process: its folder is
// neither noted nor checked. A copy of a study (winnow copy) is the same study and shares its
// folder.
std::string claim_study_runs_dir(const std::string& runs_dir, const StudyRecord& study,
                                 const std::string& storage_url);
// Throws the same winnow::Error when <runs_dir>/<study name>/ already belongs to a study: for a
// study about to be created, so that a refused run leaves nothing behind in its storage.
void check_study_runs_dir_free(const std::string& runs_dir, const std::string& study_name,
                               const std::string& storage_url);

// Kills the process group of every program started by a command objective that is still
// running. Async-signal-safe: meant for a second Ctrl-C.
void kill_all_running_commands() noexcept;

// "90", "1.5s", "500ms", "200us", "2m", "1h" -> seconds. Throws winnow::Error naming `what`.
double parse_duration(const std::string& text, const std::string& what);
// "512MB", "2GiB", "1000000", "1.5GB" -> bytes. KB, MB, GB, TB are powers of 1000; KiB, MiB,
// GiB, TiB and the single letters K, M, G, T (as in ulimit and docker) powers of 1024. Units are
// case-insensitive. Throws winnow::Error naming `what`.
int64_t parse_byte_size(const std::string& text, const std::string& what);

}  // namespace winnow
