// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Storage: the single source of truth of a study. Every method is atomic (all or nothing) and
// thread-safe; SQLite storage is also safe across processes sharing one file. A finished trial is
// immutable: finishing it twice throws. The schema of the SQLite storage is documented in
// docs/storage.md and is meant to be queried with plain SQL.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/error.h"
#include "winnow/trial.h"

namespace winnow {

struct StudyRecord {
  int64_t id = -1;
  std::string name;
  std::vector<Direction> directions;
  std::vector<std::string> objective_names;  // empty or one per direction
  std::string space_json;                    // SearchSpace::to_json() of the study
  std::string sampler;                       // sampler spec the study was created with
  int64_t created_ms = 0;
  std::map<std::string, std::string> user_attrs;  // key -> JSON text (Study::set_user_attr)
};

// What a trial ends with.
struct TrialOutcome {
  TrialState state = TrialState::kComplete;  // kComplete, kPruned or kFailed
  std::vector<double> values;                // kComplete: one per objective
  std::map<std::string, double> metrics;
  // Constraint values (feasible when <= 0); see FrozenTrial::constraints.
  std::vector<double> constraints;
  std::string failure_reason;                // kFailed: why, with the tail of the log if any
  bool interrupted = false;                  // kFailed by Winnow stopping, not by the objective
  // Define-by-run studies: the parameters the objective asked for, replacing the configuration
  // the trial was created with (the sampler's proposal for every known parameter). nullopt
  // keeps the configuration as created.
  std::optional<Config> config;
  // When not empty, the trial is finished only if it is still running under this owner: a
  // trial whose lease expired, and that another process failed or took over meanwhile, is not
  // overwritten (TrialTakenError). Study::tell sets it to the process's own owner.
  std::string owner;
  // With owner: the start time of the attempt being finished, so that an attempt the same
  // process claimed again after losing it is told apart from the one it lost. 0: not checked.
  int64_t started_ms = 0;
};

// Who writes to a running trial: the process it was handed to and the start of the attempt
// (FrozenTrial::owner and start_time_ms). Given to report and set_user_attr, the write is made
// only while the trial still runs under them, and TrialTakenError is thrown otherwise: after
// its lease expired the trial may be running again elsewhere, and the values of two attempts
// must not mix. An empty owner checks nothing.
struct TrialHolder {
  std::string owner;
  int64_t started_ms = 0;  // 0: not checked
};

// Storage::finish_trial on a trial that is no longer this process's: its lease expired and
// another process marked it failed or runs it again. The result is dropped, never merged.
class TrialTakenError : public Error {
 public:
  using Error::Error;
};

// How Storage::recover_orphaned_trials decides that a running trial has lost its process.
struct OrphanPolicy {
  // A running trial whose last heartbeat (or start, before any) is older than this many
  // milliseconds is orphaned, whichever host runs it. 0: only the same-host process check.
  int64_t lease_ms = 0;
  // Put orphans back in the queue (once: a trial orphaned a second time is failed) instead of
  // failing them.
  bool requeue = false;
  // failure_reason of the trials failed as interrupted.
  std::string reason = "interrupted: the process running this trial stopped before it finished";
};

class Storage {
 public:
  virtual ~Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // Creates a study; throws winnow::Error if the name is taken.
  virtual int64_t create_study(const StudyRecord& study) = 0;
  virtual std::optional<StudyRecord> find_study(std::string_view name) = 0;
  virtual std::vector<StudyRecord> list_studies() = 0;
  // Replaces the study's recorded space (a compatible change: a widened range, an added choice
  // or parameter; the study checks that). Throws winnow::Error for an unknown study.
  virtual void set_study_space(int64_t study_id, const std::string& space_json) = 0;
  // Replaces the study's space only if it is still `expected` (compare and set), so processes
  // that grow one define-by-run space at once never lose each other's parameters. Returns
  // false, changing nothing, when another process changed it first.
  virtual bool replace_study_space(int64_t study_id, const std::string& expected,
                                   const std::string& desired) = 0;
  // Sets a study-level user attribute (key -> JSON text), replacing any value of that key.
  // Throws winnow::Error for an unknown study.
  virtual void set_study_user_attr(int64_t study_id, std::string_view key,
                                   std::string_view json_value) = 0;
  // Deletes a study and every trial of it. Throws winnow::Error for an unknown study.
  virtual void delete_study(int64_t study_id) = 0;
  // Renames a study. Throws winnow::Error for an unknown study, an empty or taken name.
  virtual void rename_study(int64_t study_id, std::string_view new_name) = 0;

  // Creates a trial with the next number of its study. When `budget_limit` > 0 and the study
  // already has that many counted trials (running, complete, pruned, or failed without being
  // interrupted), nothing is created and nullopt is returned: the check and the insert are one
  // atomic step, so several processes never overshoot a budget. `state` is kRunning or kWaiting.
  // `user_attrs` (key -> JSON text) are stored in the same transaction.
  //
  // When `number` is given, the trial is created only if that is the study's next number, that
  // is when no trial was created in the study since the caller read its history; otherwise
  // nothing is created and nullopt is returned (a compare and set on the number; a study's
  // proposals use create_decided_trial or create_trial_ahead instead).
  virtual std::optional<FrozenTrial> create_trial(
      int64_t study_id, const Config& config, TrialState state, std::string_view owner,
      int64_t budget_limit, std::optional<int64_t> retry_of,
      const std::map<std::string, std::string>& user_attrs = {},
      std::optional<int64_t> number = std::nullopt) = 0;
  // Creates a running trial whose configuration is decided under the study's write lock, so
  // that no other process creates or finishes a trial of the study between the decision and the
  // insert. After the budget check (as in create_trial), a waiting trial (enqueued, or put back
  // after its process was lost) is claimed as claim_waiting_trial would, without deciding;
  // otherwise `decide` is called with the number the
  // trial gets and, when `since_version` is given, the study's trials whose version is greater
  // (so a cached history is current, as with trials(study_id, *since_version)). It returns what
  // to create, or nullopt to create nothing (and then this returns nullopt too).
  //
  // This is how a decision that must never be taken twice (a sampler's position in its seeded
  // stream, a configuration a grid has not run, the promotion a scheduler makes) is taken by
  // many processes at once: they queue on the lock instead of deciding on stale snapshots and
  // retrying. `decide` must not call the storage; it is called again if the transaction is
  // retried after a lost connection, so whatever it caches must tolerate a second call.
  struct TrialDraft {
    Config config;
    std::map<std::string, std::string> user_attrs;  // key -> JSON text
  };
  using TrialDecider =
      std::function<std::optional<TrialDraft>(int64_t number, std::vector<FrozenTrial> changed)>;
  virtual std::optional<FrozenTrial> create_decided_trial(int64_t study_id,
                                                          std::optional<int64_t> since_version,
                                                          std::string_view owner,
                                                          int64_t budget_limit,
                                                          const TrialDecider& decide) = 0;
  // A trial whose configuration was decided before the study's lock was taken (a sampler's
  // proposal made ahead, docs/design.md): created as create_decided_trial would with `draft`
  // as the decision, unless `expected_number` is given and another process has taken it, or
  // the draft was used already, by a trial this call created whose answer was lost with the
  // connection and that a lease check took from the caller while it reconnected (kOvertaken
  // either way: decide anew). The lock is held for the storage's own work alone, with no call
  // back to the caller between its reads and its write (on PostgreSQL: one round trip). A
  // waiting trial is claimed first, as by create_decided_trial. `changed` receives the study's
  // trials whose version is greater than `since_version`: every change up to the write, and
  // possibly the new trial and later changes (on PostgreSQL they are read after the commit, so
  // as not to hold the lock); or none, when that read failed after the commit. Either way no
  // change is missed by a caller that takes the highest version among them as its own, and
  // treats a trial read again as a replacement (trials(study_id, since_version)). A negative
  // `since_version` reads none (a caller that keeps no history).
  enum class AheadStatus { kCreated, kClaimedWaiting, kOvertaken, kBudgetSpent };
  struct AheadOutcome {
    AheadStatus status = AheadStatus::kBudgetSpent;
    std::optional<FrozenTrial> trial;  // kCreated, kClaimedWaiting
    std::vector<FrozenTrial> changed;  // kCreated, kOvertaken
    std::vector<FrozenTrial> held;     // kCreated by create_trials_ahead: the held trials
  };
  // The default makes it one create_decided_trial; a storage whose lock spans round trips to
  // a server overrides it.
  virtual AheadOutcome create_trial_ahead(int64_t study_id, int64_t since_version,
                                          std::string_view owner, int64_t budget_limit,
                                          const TrialDraft& draft,
                                          std::optional<int64_t> expected_number);
  // Asks in blocks (docs/design.md), for a caller that keeps no history (random sampling):
  // as create_trial_ahead with drafts[0] and no changes read, and in the same step, as many
  // held trials from the drafts after it as the budget allows, numbered after it. A held trial
  // waits with `owner` as its owner and counts towards the budget from its creation, so that
  // no process creates past the budget meanwhile; no other process claims it while `owner`
  // keeps its heartbeat (heartbeat() covers held trials). Its owner starts it with
  // start_held_trial, without the study's lock. A lease check that finds its owner gone, and
  // release_held_trials, make it an ordinary waiting trial: no owner, not counted, claimed
  // first by the next ask with its stored configuration. `held` in the outcome lists them, in
  // number order, with their configurations. A storage whose lock is cheap holds none: the
  // default is create_trial_ahead with drafts[0].
  // Whether create_trials_ahead holds trials, so that a caller proposes more than one draft
  // only where it pays. Default: false.
  virtual bool holds_trials() const { return false; }
  virtual AheadOutcome create_trials_ahead(int64_t study_id, std::string_view owner,
                                           int64_t budget_limit,
                                           const std::vector<TrialDraft>& drafts,
                                           std::optional<int64_t> expected_number);
  // Starts trial `trial_id` held by `owner`: running from now, with the configuration it was
  // created with. Returns its start time (Unix ms), or nullopt, changing nothing, when `owner`
  // no longer holds it (a lease check released it). Without the study's lock, as a tell: the
  // trial's version is stamped by the next writer under the lock. The default holds nothing,
  // so starts nothing.
  virtual std::optional<int64_t> start_held_trial(int64_t trial_id, std::string_view owner);
  // Gives up the trials `owner` holds among `trial_ids`, as a lease check would: an orderly
  // stop leaves them to the other processes. Returns how many it released.
  virtual int release_held_trials(int64_t study_id, const std::vector<int64_t>& trial_ids,
                                  std::string_view owner);
  // The number the next trial created in the study would get (0 for an empty study).
  virtual int64_t next_trial_number(int64_t study_id) = 0;
  // Moves the oldest waiting trial of the study to running (same budget rule); nullopt if none
  // is waiting or the budget is spent.
  virtual std::optional<FrozenTrial> claim_waiting_trial(int64_t study_id, std::string_view owner,
                                                         int64_t budget_limit) = 0;

  // `holder`: see TrialHolder.
  virtual void report(int64_t trial_id, int64_t step, double value,
                      const TrialHolder& holder = {}) = 0;
  virtual void set_user_attr(int64_t trial_id, std::string_view key, std::string_view json_value,
                             const TrialHolder& holder = {}) = 0;
  // Finishes a running trial. Throws winnow::Error if it is not running, TrialTakenError if
  // outcome.owner is set and the trial is not running under that owner.
  virtual void finish_trial(int64_t trial_id, const TrialOutcome& outcome) = 0;
  // Records that the process `owner` still runs, or holds, these trials (those no longer
  // running or held under that owner are left alone). The time is the storage's own clock
  // (PostgreSQL: the server's), so hosts whose clocks disagree still agree on what a lease
  // means.
  virtual void heartbeat(const std::vector<int64_t>& trial_ids, std::string_view owner) = 0;

  // Marks a failed trial interrupted: it no longer counts towards the trial budget nor holds a
  // place on a budget ladder. For failures that say nothing about the configuration, such as
  // those of a broken setup (a misspelt program name). Its other fields stay as they were.
  // Throws winnow::Error if the trial is not failed.
  virtual void discard_failed_trial(int64_t trial_id) = 0;

  // Trials of the study whose version is greater than `since_version`, in number order.
  // Passing the largest version seen so far gives just the changes: a cache stays current in
  // time proportional to what changed, not to the size of the study. A storage may also stamp a
  // change later than it commits (PostgreSQL: finishes and reports, which skip the study's
  // lock): such a trial comes with version 0 and with every read until stamped, then once more
  // with its version. Readers therefore treat a trial read again as a replacement, and version
  // 0 as "changed, version not yet known".
  virtual std::vector<FrozenTrial> trials(int64_t study_id, int64_t since_version = 0) = 0;
  virtual std::optional<FrozenTrial> trial(int64_t trial_id) = 0;
  // Counted trials (see create_trial) of the study.
  virtual int64_t counted_trials(int64_t study_id) = 0;

  // Running trials whose owner process is gone (on this host: pid not alive, or alive with a
  // different start time; on any host: no heartbeat for policy.lease_ms) are failed as
  // interrupted with policy.reason, or put back to waiting when policy.requeue is true and they
  // were never requeued before. Held trials (create_trials_ahead) of such an owner are
  // released, whatever the policy: they never ran. One transaction: when several processes
  // look at once, each orphan is recovered once. Returns how many were found.
  virtual int recover_orphaned_trials(int64_t study_id, const OrphanPolicy& policy) = 0;

  // A short description of where the data lives ("sqlite:///path/study.db", "memory").
  virtual std::string url() const = 0;

 protected:
  Storage() = default;
};

// How a storage trades commit speed for what survives a crash.
enum class Durability {
  // A committed trial survives the death of any process (SQLite: WAL with synchronous=NORMAL);
  // a power cut or an operating-system crash may lose the last commits, never corrupting the
  // file. The default: a commit costs no disk flush.
  kNormal,
  // A committed trial also survives a power cut (SQLite: synchronous=FULL, a flush per commit).
  kFull,
};
std::optional<Durability> durability_from_string(std::string_view text);  // "normal", "full"
std::string_view to_string(Durability durability);

struct StorageOptions {
  // Default: Durability::kNormal. Ignored by the memory storage.
  Durability durability = Durability::kNormal;
  // PostgreSQL: how long an operation keeps retrying (with a growing pause) while the server is
  // unreachable or restarting, before it fails with StorageError. Default: 600 s.
  double reconnect_seconds = 600;
};

// Opens a storage from a URL:
//   "memory"                     in-process, lost on exit;
//   "sqlite:///abs/path.db"      SQLite (created if missing), also "sqlite://relative.db";
//   "path/to/file.db"            a plain path means SQLite;
//   "postgresql://user@host:port/database" (also "postgres://", any libpq URI) PostgreSQL: the
//                                tables (winnow_*) are created in the connection's schema if
//                                missing; passwords come from PGPASSWORD or ~/.pgpass, never the
//                                URL shown in messages.
// Throws winnow::Error for an unknown scheme or a file that is not a Winnow database.
std::unique_ptr<Storage> open_storage(std::string_view url, const StorageOptions& options = {});

// "host:pid:start-time" of the calling process: what create_trial's `owner` should be.
std::string this_process_owner();

}  // namespace winnow
