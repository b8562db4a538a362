// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#pragma once

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "study/lease_keeper.h"
#include "study/metric_limits.h"
#include "winnow/study.h"

namespace winnow {

// True after this thread's last ask found nothing to propose only until running trials finish
// (a race waiting for results): optimize() then waits and asks again instead of ending. Per
// thread, because another job's ask may finish in between.
bool& sampler_waiting_in_this_thread();

struct StudyCore {
  StudyCore() = default;
  StudyCore(const StudyCore&) = delete;
  StudyCore& operator=(const StudyCore&) = delete;
  // Gives back the trials this object holds (release_held).
  ~StudyCore();

  std::shared_ptr<Storage> storage;
  SearchSpace space;
  StudyOptions options;
  StudyRecord record;
  std::string owner;  // this_process_owner()
  // Heartbeats of this process's running trials; null on the memory storage, which no other
  // process shares.
  std::unique_ptr<LeaseKeeper> lease;
  // What the user should know about how this Study object differs from the stored study.
  std::vector<std::string> notes;
  // Store the proposing sampler's name with every trial (the study's sampler was changed).
  bool record_sampler = false;


  // The sampler spec and seed the study runs with: a define-by-run study makes its samplers anew
  // when its space grows (they rebuild from the stored trials, as after a resume).
  SamplerSpec sampler_spec;
  uint64_t seed = 0;
  // A define-by-run space grows while trials run. Readers outside sampler_mutex (suggest, the
  // history sync, pruning) hold space_mutex shared; growing the space takes sampler_mutex, then
  // space_mutex exclusively. Lock order: sampler_mutex, history_mutex, space_mutex.
  mutable std::shared_mutex space_mutex;
  // A trial synced from storage holds a parameter this process's space lacks (another process
  // grew the stored space): read it again before the next proposal.
  std::atomic<bool> space_stale{false};

  // Sampling is serialised: the sampler sees every trial created before it, including the ones
  // this process's other workers just started.
  std::mutex sampler_mutex;
  std::unique_ptr<Sampler> sampler;
  // The sampler proposes ahead of the storage's lock (SamplerTraits::proposes_ahead, in an
  // ordinary study without a budget scheduler): Study::try_ask then reads the history and
  // proposes first, and under the lock only checks that the proposal still stands.
  bool proposes_ahead = false;
  // SamplerTraits::draws_at_random: a proposal made ahead with a continuous value is created in
  // one step (Storage::create_trial_ahead) even when overtaken.
  bool draws_at_random = false;
  // This process's last proposal made ahead was overtaken: another process created trials
  // between its read of the history and its turn at the lock. Its next proposal made ahead
  // takes a stream position of its own (SampleContext::stream_salt). Under sampler_mutex.
  bool overtaken = false;
  uint64_t asks_ahead = 0;
  // SamplerTraits::draws_from_any_position (in an ordinary study).
  bool draws_from_any_position = false;
  // The numbers of trials this object created whose number no proposal has taken as its base
  // yet: each is the base of the stream positions of at most one later proposal (a single ask)
  // or block (up to eight positions). Under sampler_mutex.
  std::vector<int64_t> position_bases;
  // The highest number of a trial this object created or claimed (asks, retries, enqueued
  // trials): alone, its next trial is the one after it. Under sampler_mutex.
  int64_t highest_number = -1;
  // Notes a trial this object created outside an ask. Takes sampler_mutex.
  void note_number(int64_t number) {
    std::lock_guard lock(sampler_mutex);
    highest_number = std::max(highest_number, number);
  }
  // This object's last ask by position was overtaken (see Study::try_ask). Under sampler_mutex.
  bool positions_overtaken = false;

  // Asks in blocks (docs/design.md; study/ask_by_position.cc). The storage holds trials
  // (Storage::holds_trials).
  bool storage_holds = false;
  // The trials this object's asks created held, in number order, with their configurations:
  // its next asks start them without the study's lock. Under sampler_mutex.
  std::deque<FrozenTrial> held;
  // How many trials the next ask by position creates at once (1 .. kMaxBlock). Under
  // sampler_mutex.
  size_t block_size = 1;
  // How long this object's last trials ran, from hand-out to tell, in ms (a ring of the last
  // kRecentRuns, of which runs_seen were filled). Under runs_mutex: tells of several jobs race.
  static constexpr size_t kRecentRuns = 8;
  std::mutex runs_mutex;
  std::array<double, kRecentRuns> recent_runs{};
  size_t runs_seen = 0;
  // The process that made this object: a forked child that inherits a copy never releases the
  // parent's held trials.
  pid_t creator = getpid();
  // Random sampling's ask (SamplerTraits::draws_from_any_position, no history read): a held
  // trial started, or trials created ahead of the lock from stream positions no other process
  // holds. Returns true with `made` set (nullopt: the budget is spent) when the ask is done,
  // false when the trial is to be decided under the lock. Requires sampler_mutex.
  // `asks_left` as in Study::try_ask.
  bool ask_by_position(int64_t budget_limit, const std::string& who, int64_t asks_left,
                       std::optional<Trial>& made);
  // Starts the next trial this object holds; nullopt when it holds none still its own.
  // Requires sampler_mutex.
  std::optional<Trial> start_held(const std::string& who);
  // Gives the trials this object holds back to the study (Storage::release_held_trials).
  // Takes sampler_mutex.
  void release_held();
  // Notes how long a trial ran (tell), for the block size.
  void note_trial_time(double ms);
  // The recent runs: their lower median (robust to a slow first trial, whose define-by-run
  // space grew, and to an outlier), negative before the first tell, and how many are known.
  struct RecentRuns {
    double typical_ms = -1;
    size_t known = 0;
  };
  RecentRuns recent_runs_summary();
  // Mixed into every stream_salt: random per Study object, so two objects of one process (one
  // owner name) never share a stream.
  uint64_t salt_base = 0;
  // Budget schedulers and pruners. BOHB's random fraction draws from `random_sampler`.
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<Sampler> random_sampler;
  // The study's budget; min = max = 1 when it declares none.
  BudgetSpec budget;
  // StudyOptions::constraints, parsed.
  std::vector<MetricLimit> limits;

  // Cache of the study's trials, indexed by number (numbers are gapless), kept current through
  // Storage::trials(since_version) so a sync costs what changed, not the study's size.
  std::mutex history_mutex;
  std::vector<FrozenTrial> history;
  int64_t last_version = 0;
  // Numbers merged into the history since the scheduler's last proposal
  // (SchedulerContext::changed).
  std::vector<int64_t> changed_since_proposal;

  void sync_history();  // requires history_mutex
  // Adds trials read from storage (changed since last_version) to the cache. Requires
  // history_mutex.
  void merge_history(std::vector<FrozenTrial> changed);
  std::optional<Trial> make_trial(FrozenTrial record);
  // Adds a trial this process just created to the cache. Its version is that of the lock that
  // created it, which the trials that lock stamped share, so a read of the changes since
  // last_version would not return it until it changes again. Requires history_mutex.
  void remember_created(const FrozenTrial& trial);

  // What to create next: a configuration and its system attributes, for the trial number
  // `number`. Called by Study::try_ask under the study's write lock in storage, with
  // sampler_mutex and (when the sampler or scheduler reads the history) history_mutex held and
  // the history current; nullopt when the sampler has nothing left to propose.
  struct Proposal {
    Config config;
    std::map<std::string, std::string> attrs;
  };
  std::optional<Proposal> propose(int64_t number, uint64_t stream_salt = 0);
  std::optional<Proposal> propose_scheduled(int64_t number);
  bool should_prune(const FrozenTrial& trial);
  ParamValue suggest(Trial& trial, const ParamSpec& spec);
  ParamValue draw(Trial& trial, const ParamSpec& known);
  // Define-by-run: reads the stored space, adds `added` (when given) and writes it back with a
  // compare and set, then adopts it and makes the samplers anew. Requires sampler_mutex.
  void grow_space(const ParamSpec* added);
};

}  // namespace winnow
