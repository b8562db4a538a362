// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// A study searches a space for the configuration that optimises one or more objectives.
//
//   std::shared_ptr<winnow::Storage> storage = winnow::open_storage("study.db");
//   winnow::Study study = winnow::Study::create(storage, space, {.name = "demo"});
//   auto t = study.ask();
//   study.tell(t, train(t.float_param("lr")));
//   study.optimize([](winnow::Trial& t) { return f(t.float_param("x")); }, {.n_trials = 100,
//                  .n_jobs = 4});
//   std::optional<winnow::FrozenTrial> best = study.best_trial();
//
// A Study may be used from several threads: ask, tell, report and the queries are thread-safe.
// Several processes may work on one study through a shared SQLite storage.
#pragma once

#include <atomic>
#include <exception>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/sampler.h"
#include "winnow/scheduler.h"
#include "winnow/instances.h"
#include "winnow/space.h"
#include "winnow/storage.h"
#include "winnow/trial.h"

namespace winnow {

struct StudyOptions {
  // Name of the study inside its storage. Default: "study".
  std::string name = "study";
  // One entry per objective. Default: one objective, minimised.
  std::vector<Direction> directions = {Direction::kMinimize};
  // Optional names of the objectives (keys of a command's JSON result). Default: none.
  std::vector<std::string> objective_names;
  // Sampler spec, "name:key=value,...". Default: "auto", which picks Sobol, GP, TPE or CMA-ES
  // by the space and the number of trials (src/samplers/auto.cc).
  std::string sampler = "auto";
  // Seed of the sampler; same seed, same configurations in sequential mode. Default: none,
  // which draws a seed from the system.
  std::optional<uint64_t> seed;
  // Scheduler spec, "name:key=value,...": "none" (every trial runs at the full budget), the
  // pruners "median" and "percentile", or the budget schedulers "sh", "hyperband", "asha" and
  // "bohb" (include/winnow/scheduler.h, docs/schedulers.md). Default: "none".
  std::string scheduler = "none";
  // The budget resource (epochs, rounds ...). Required by the budget schedulers; with a pruner
  // or none, every trial gets budget.max. Default: none (Trial::budget() is then nullopt).
  std::optional<BudgetSpec> budget;
  // Limits on reported numbers, "<metric> <= <number>" or ">=", e.g. "model_mb <= 50": each adds
  // a constraint value to every complete trial (FrozenTrial::constraints). A metric may also be
  // an objective's name. Default: none.
  std::vector<std::string> constraints;
  // Open the study if the storage already holds one of this name (its space must be the same).
  // Default: true.
  bool load_if_exists = true;
  // On a shared storage (SQLite, PostgreSQL), how long a running trial may go without a
  // heartbeat from its process before any process of the study fails it as interrupted (or
  // requeues it, see recover_orphaned_trials): a host that died is noticed within this time.
  // The process heartbeats its trials every lease / 5 (at most 10 s) from a background thread. Must be > 0.
  // Default: 300 s.
  double lease_seconds = 300;
  // Algorithm configuration: the instances every trial (one run) is made on, and how runs are
  // costed (winnow/instances.h). Requires one objective. The sampler decides each run when its
  // traits say configures_runs ("race"); any other sampler proposes the configurations and
  // SMAC-style intensification decides their runs. Default: none (an ordinary study).
  std::shared_ptr<const InstanceSet> instances;
};

// Asks a running optimize() or a command objective to stop. Thread-safe; request() is also
// async-signal-safe, so a SIGINT handler may call it.
class StopSignal {
 public:
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;
  void request() noexcept;
  bool requested() const noexcept;
  // A file descriptor that becomes readable once request() was called, for poll().
  int wait_fd() const noexcept;

 private:
  std::atomic<bool> requested_{false};
  int fd_ = -1;
};

class Study;
struct StudyCore;  // the study's internals (src/study/study_impl.h)

// A trial being evaluated: handed out by Study::ask(), passed to objectives.
class Trial {
 public:
  int64_t number() const { return record_.number; }
  int64_t id() const { return record_.id; }
  const Config& config() const { return record_.config; }
  const FrozenTrial& record() const { return record_; }

  bool has(std::string_view name) const;  // false for inactive parameters
  // Typed access; throws winnow::Error naming the parameter if absent or of another type.
  const ParamValue& param(std::string_view name) const;
  double float_param(std::string_view name) const;  // also accepts int values
  int64_t int_param(std::string_view name) const;
  std::string string_param(std::string_view name) const;  // any value, as text
  bool bool_param(std::string_view name) const;

  // Records an intermediate value at `step` (committed to storage before returning). As in
  // Optuna, the first value reported at a step stands: a later one is ignored, with a warning
  // the first time. On a trial this process lost (lost()), nothing is written: a warning says so
  // once.
  void report(int64_t step, double value);
  // Whether the study's scheduler says this trial should stop, judged on its reports so far;
  // always true once the trial is lost().
  // An objective that sees true should return early: throw TrialPruned, or return a
  // TrialOutcome in state kPruned; the trial keeps its last reported value.
  bool should_prune();

  // The budget this trial runs with (epochs, rounds ...): assigned by a budget scheduler, else
  // the study's budget.max; nullopt when the study has no budget.
  std::optional<double> budget() const;
  // The trial whose configuration this one continues at a larger budget (its checkpoint holds
  // previous_budget() of work); nullopt for a new configuration.
  std::optional<int64_t> continues() const;
  // The budget already spent on this configuration by the trial it continues; 0 when new.
  double previous_budget() const;
  // Number of the first trial of this configuration (itself when new): trials of one lineage
  // share a checkpoint directory.
  int64_t lineage() const;
  void set_user_attr(std::string_view key, std::string_view json_value);

  // Define-by-run: the value of the parameter `spec` defines, which the objective asks for now
  // (Python's trial.suggest_float). In a define-by-run study (SearchSpace::define_by_run) a
  // parameter the study has not seen joins its space, in storage, for every process; the value
  // is the sampler's proposal for it when the trial started, or a uniform draw for a parameter
  // that was not known then. Asking again returns the same value. The trial's configuration
  // (config(), and what tell() stores) is the parameters it asked for. In a declared space the
  // parameter must be one of the space, active in this trial, and the value is the trial's.
  // Throws winnow::Error naming the parameter when `spec` is invalid, or when the study knows
  // it with another definition (both are named).
  ParamValue suggest(const ParamSpec& spec);

  // Set while the study is being stopped; long objectives should poll it.
  const StopSignal* stop_signal() const { return stop_; }
  bool stop_requested() const { return stop_ != nullptr && stop_->requested(); }
  // The number of objectives the study expects.
  size_t n_objectives() const { return n_objectives_; }
  // True once tell(), report() or set_user_attr() found the trial taken by another process
  // (this process went without heartbeats past the lease): what it wrote since is dropped;
  // after tell(), record() is the stored trial.
  bool lost() const { return lost_; }

 private:
  friend class Study;
  friend struct StudyCore;
  // Runs a write to storage as this attempt (TrialHolder) unless the trial is lost; a write
  // refused because another process took the trial marks it lost, with a warning, and stops
  // its writes. True when the write was made.
  bool write_while_held(const std::function<void(const TrialHolder&)>& write);
  FrozenTrial record_;
  // Define-by-run: the configuration the trial was created with (the sampler's proposal, or an
  // enqueued configuration); record_.config holds the parameters asked for so far.
  Config proposal_;
  Storage* storage_ = nullptr;
  StudyCore* study_ = nullptr;  // outlives the trial while the study does
  const StopSignal* stop_ = nullptr;
  size_t n_objectives_ = 1;
  bool lost_ = false;
  bool warned_repeated_step_ = false;
  // When the trial was handed out, in microseconds of a steady clock: its run, as asks in
  // blocks weigh it against an ask's cost, is from then to its tell. (Its stored start may be
  // earlier: an ask stamps it before it waits for the study's lock.)
  int64_t handed_out_us_ = 0;
};

// Thrown by an objective to stop a trial that should_prune(); the study records it pruned.
class TrialPruned : public std::exception {
 public:
  const char* what() const noexcept override { return "trial pruned"; }
};

// What an objective returns: a TrialOutcome, or (via the overloads of optimize) a plain double.
using Objective = std::function<TrialOutcome(Trial&)>;

// Rules that end an optimize() run early, checked after every finished trial. Trials already
// running are finished and recorded.
struct StoppingRules {
  // Stop once a complete trial reaches this value (<= when minimising, >= when maximising);
  // single objective only. Default: none.
  std::optional<double> target_value;
  // Stop after this many complete trials in a row that did not improve on the best value of
  // the run (under a budget scheduler: trials at the largest budget); 0 = never. Single
  // objective only. Default: 0.
  int64_t patience = 0;
  // Stop after this many failed trials in the run; 0 = never. Default: 0.
  int64_t max_failures = 0;
  // The setup is broken when the first `fail_fast` trials of a run all fail for the same reason
  // (a misspelt program, a missing file): the run stops, and those failures are discarded
  // (Storage::discard_failed_trial) so they do not use up the study's trial budget; 0 = never.
  // Default: 5.
  int64_t fail_fast = 5;
};

// Why optimize() returned.
enum class StopReason {
  kTrialLimit,    // n_trials run, or the study holds max_trials_in_study trials
  kExhausted,     // the sampler has nothing left to propose
  kTimeout,       // timeout_seconds passed
  kStopRequested, // OptimizeOptions::stop was requested
  kTarget,        // StoppingRules::target_value reached
  kPatience,      // StoppingRules::patience trials without improvement
  kMaxFailures,   // StoppingRules::max_failures failed trials
  kBrokenSetup,   // StoppingRules::fail_fast: the first trials all failed for the same reason
};

struct OptimizeResult {
  StopReason reason = StopReason::kTrialLimit;
  // What happened, for people: "the first 5 trials all failed: ...". Empty for the ordinary
  // ends (trial limit, exhausted, timeout, stop).
  std::string message;
  int64_t trials_finished = 0;  // trials this call finished (retries included)
};

struct OptimizeOptions {
  // Trials to run in this call (0 = no limit of this kind). Default: 0.
  int64_t n_trials = 0;
  // Stop once the study holds this many counted trials in total, across every process working on
  // it (0 = no limit of this kind). This is what `trials = N` in a study file means.
  // Default: 0.
  int64_t max_trials_in_study = 0;
  // Trials evaluated at once, each on its own thread. Default: 1.
  int n_jobs = 1;
  // Wall-clock limit in seconds for this call; no trial starts after it (0 = none). Default: 0.
  double timeout_seconds = 0;
  // Retries of a failed trial (same configuration, new trial linked by retry_of). Default: 0.
  int retries = 0;
  // Exceptions thrown by the objective fail the trial with their message instead of
  // propagating. Default: true.
  bool catch_exceptions = true;
  // Stops the loop when requested: no trial starts after it; running ones see it through
  // Trial::stop_signal(). Default: none.
  StopSignal* stop = nullptr;
  // Called (under a lock, one at a time) after each trial is finished and stored.
  std::function<void(const FrozenTrial&)> on_trial_finished;
  // Called (under a lock) after a trial is started.
  std::function<void(const FrozenTrial&)> on_trial_started;
  // Target value, patience, failure limits. Default: see StoppingRules.
  StoppingRules stopping;
};

class Study {
 public:
  // Creates the study in `storage`, or opens it when it exists and options.load_if_exists (its
  // stored space and directions must match, else winnow::Error says what differs).
  static Study create(std::shared_ptr<Storage> storage, SearchSpace space, StudyOptions options);
  ~Study();
  Study(Study&&) noexcept;
  Study& operator=(Study&&) noexcept;

  const std::string& name() const;
  const SearchSpace& space() const;
  // The space as JSON (SearchSpace::to_json) and its number of parameters, read under the lock
  // that guards a define-by-run space while it grows (it only grows).
  std::string space_json() const;
  size_t space_size() const;
  // What differs from the stored study and is worth telling (a sampler other than the one the
  // study was created with, ...); empty for a new study.
  const std::vector<std::string>& notes() const;
  const StudyOptions& options() const;
  int64_t id() const;
  Storage& storage();

  // Starts a trial: the oldest enqueued configuration if any, else one from the sampler.
  // Throws winnow::Error if the sampler has nothing left to propose.
  Trial ask();
  // Like ask(), but returns nullopt when the sampler is exhausted or the study already holds
  // `budget_limit` counted trials (0 = no limit). `asks_left` > 0 says how many trials the
  // caller still means to ask for, this one included: an ask in blocks then holds no more, so
  // a run that ends on its own count leaves nothing to give back (0 = no bound).
  std::optional<Trial> try_ask(int64_t budget_limit = 0, std::string_view owner = {},
                               int64_t asks_left = 0);

  // Gives back the trials this object's asks hold (asks in blocks, on PostgreSQL: created and
  // counted ahead, started by its next asks) for other processes to run. optimize() calls it
  // when it returns, and so does the destructor; an object that goes on asking need not.
  void release_held_trials();

  void tell(Trial& trial, double value);
  void tell(Trial& trial, std::vector<double> values);
  void tell(Trial& trial, const TrialOutcome& outcome);
  void tell_failed(Trial& trial, std::string reason);
  void tell_pruned(Trial& trial);

  // Puts a configuration in the queue; ask() hands it out before sampling. Checked against the
  // space (winnow::Error on a bad value).
  void enqueue(const Config& config);
  // Like enqueue(), unless a trial of the study (in any state, queued ones included) already has
  // this configuration; returns whether it was queued.
  bool enqueue_unless_present(const Config& config);

  OptimizeResult optimize(const Objective& objective, const OptimizeOptions& options);
  OptimizeResult optimize(const std::function<double(Trial&)>& objective,
                          const OptimizeOptions& options);
  OptimizeResult optimize(const std::function<double(Trial&)>& objective, int64_t n_trials,
                          int n_jobs = 1, double timeout_seconds = 0);

  // Algorithm configuration: stores with the study the verdicts its sampler reaches on the
  // finished runs that no run records yet (Sampler::closing_decisions), so that reports and the
  // test phase name the incumbent the last runs made. Call it once the tuning runs have ended;
  // evaluate_incumbent_on_test() does.
  void record_closing_decisions();

  // Trials left running by a process that is gone are failed as interrupted (or, with
  // `requeue`, put back in the queue), and those it held (asks in blocks) are released; returns
  // how many. Run it before optimize() on a resume.
  int recover_orphaned_trials(bool requeue);
  // Trials that count towards a trial budget (every process's): running, complete, pruned and
  // failed, but not interrupted.
  int64_t counted_trials();
  // The study as stored (its name, directions, space, the sampler it was created with, its
  // user attributes).
  StudyRecord record();
  // Sets a study-level user attribute (key -> JSON text), stored with the study. Keys starting
  // with "winnow." are refused, as for trials.
  void set_user_attr(std::string_view key, std::string_view json_value);

  // A trial another process started (`winnow ask`), to report to or tell; nullopt unless the
  // study has a running trial with this number. `stop`, when given, is the signal its
  // objective watches (Trial::stop_signal()).
  std::optional<Trial> running_trial(int64_t number, const StopSignal* stop = nullptr);

  // Queries (read the storage, so they see other processes' trials).
  std::vector<FrozenTrial> trials();
  // The best complete, feasible trial for a single objective (at the largest budget reached,
  // under a budget scheduler); nullopt if there is none.
  std::optional<FrozenTrial> best_trial();
  // The Pareto front: complete, feasible trials not dominated by another (the best trial, and
  // any tied with it, when there is one objective).
  std::vector<FrozenTrial> best_trials();

 private:
  explicit Study(std::unique_ptr<StudyCore> impl);
  std::unique_ptr<StudyCore> impl_;
};

// A rectangular view of trials: one row per trial with number, state, parameters, values,
// metrics, times and failure reason. Serves `winnow export` and the leaderboard.
struct TrialTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // cells as text; "" for absent
};
TrialTable make_trial_table(const StudyRecord& study, std::span<const FrozenTrial> trials);
std::string to_csv(const TrialTable& table);
// One JSON object per trial per line, typed (numbers stay numbers).
std::string to_jsonl(const StudyRecord& study, std::span<const FrozenTrial> trials);

// True when a is at least as good as b in every objective and better in one.
bool dominates(std::span<const double> a, std::span<const double> b,
               std::span<const Direction> directions);
// Index of the best trial among complete ones (single objective); -1 if none.
int best_trial_index(std::span<const FrozenTrial> trials, Direction direction);

// A plain-text report: counts by state, the best trial(s) and a leaderboard of the top `top`.
// An algorithm-configuration study gets the counts only: one run ranks no configuration
// (configuration_report in winnow/configuration.h does).
std::string study_report(const StudyRecord& study, std::span<const FrozenTrial> trials,
                         int top = 10);
// Every study of a storage, one row each: directions, trial counts by state, best value (or
// the size of the Pareto front), sampler.
std::string studies_report(Storage& storage);
// Copies `from` (a study of `source`) into `destination` as the new study `copy` (its name, and
// the rest of `from`'s record): every trial in number order with its state, values, parameters,
// metrics, constraints, intermediate values, attributes and failure reason; times are those of
// the copy, and a running trial becomes failed and interrupted. Returns the number of trials.
// Throws winnow::Error if `copy.name` is taken in `destination`.
int64_t copy_study(Storage& source, const StudyRecord& from, Storage& destination,
                   const StudyRecord& copy);
// One trial in full: state, values, parameters, metrics, constraints, intermediate values,
// attributes and the failure reason.
std::string trial_report(const StudyRecord& study, const FrozenTrial& trial);

}  // namespace winnow
