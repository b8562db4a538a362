// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Random sampling's asks: proposals made before the study's lock from stream positions no other
// process holds, created in one step, and on a storage whose lock is handed on over the network
// (PostgreSQL) several at once: asks in blocks (docs/design.md).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "study/study_impl.h"

namespace winnow {

namespace {

// How many stream positions one base gives a block. Part of the positions' scheme below: never
// change it.
constexpr size_t kPositionsPerBase = 8;
// The most trials one ask creates: once overtaken, a block takes its positions from as many
// bases as it needs, kPositionsPerBase from each.
constexpr size_t kMaxBlock = 32;
// Block positions lie below this one; the positions -1 - m of single asks lie above it.
constexpr int64_t kBlockPositions = -(int64_t{1} << 40);

// The `place`-th stream position (place < kPositionsPerBase) that the number `base` of a trial
// this object created gives a block made once overtaken: the first is -1 - base, as a single
// ask takes, and the others positions of their own below kBlockPositions. No number reaches
// 2^40, so no two (base, place) pairs share a position, and none is a trial's number.
int64_t block_position(int64_t base, size_t place) {
  if (place == 0) return -1 - base;
  return kBlockPositions - base * static_cast<int64_t>(kPositionsPerBase) -
         static_cast<int64_t>(place);
}

}  // namespace

std::optional<Trial> StudyCore::start_held(const std::string& who) {
  // Held under this object's owner alone, by the process that made the object (a forked child
  // holds a copy of the list, not the trials).
  if (who != owner || getpid() != creator) return std::nullopt;
  while (!held.empty()) {
    // Still held if the start fails (the storage unreachable): given back at the end of the
    // run, or by its lease.
    std::optional<int64_t> started = storage->start_held_trial(held.front().id, who);
    FrozenTrial trial = std::move(held.front());
    held.pop_front();
    if (lease) lease->untrack(trial.id);
    // Released meanwhile (this process went without heartbeats past the lease): another
    // process may run it now.
    if (!started) continue;
    trial.state = TrialState::kRunning;
    trial.start_time_ms = *started;
    return make_trial(std::move(trial));
  }
  return std::nullopt;
}

bool StudyCore::ask_by_position(int64_t budget_limit, const std::string& who,
                                int64_t asks_left, std::optional<Trial>& made) {
  // Trials this object holds come first: created and counted by an earlier ask, they start
  // without the study's lock.
  if ((made = start_held(who))) return true;
  if (position_bases.empty() || space_stale) return false;
  // Alone, trial n takes position n: the proposals are made for the numbers after this
  // object's last trial (created or claimed) and created only if the first is still the next,
  // so one process's sequence is the one made under the lock. Once overtaken, they take the
  // positions of block_position from numbers of trials this object created that no proposal
  // took as its base yet, and are created in one step with whatever numbers they get.
  std::vector<int64_t> bases = {position_bases.back()};
  position_bases.pop_back();
  const int64_t base = bases.front();
  const bool alone = !positions_overtaken;
  const int64_t next = std::max(base, highest_number) + 1;
  // Several at once only where the storage holds trials, and under this object's own owner,
  // whose lease keeper keeps their heartbeat.
  size_t wanted = storage_holds && lease && who == owner && getpid() == creator ? block_size : 1;
  if (asks_left > 0) wanted = std::min(wanted, static_cast<size_t>(asks_left));
  std::vector<Storage::TrialDraft> drafts;
  for (size_t place = 0; place < wanted; ++place) {
    int64_t position = next + static_cast<int64_t>(place);
    if (!alone) {
      const size_t from = place / kPositionsPerBase;
      if (from == bases.size()) {
        if (position_bases.empty()) break;
        bases.push_back(position_bases.back());
        position_bases.pop_back();
      }
      position = block_position(bases[from], place % kPositionsPerBase);
    }
    std::optional<Proposal> proposal = propose(position);
    if (!proposal) break;
    drafts.push_back({std::move(proposal->config), std::move(proposal->attrs)});
  }
  // When nothing was created, every base goes back, in the order it was taken.
  auto give_back_bases = [&] {
    for (size_t i = bases.size(); i > 0; --i) position_bases.push_back(bases[i - 1]);
  };
  if (drafts.empty()) {
    give_back_bases();
    return false;
  }
  std::optional<int64_t> expected;
  if (alone) expected = next;
  const auto asked = std::chrono::steady_clock::now();
  Storage::AheadOutcome outcome =
      storage->create_trials_ahead(record.id, who, budget_limit, drafts, expected);
  switch (outcome.status) {
    case Storage::AheadStatus::kCreated: {
      const double ask_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - asked)
              .count();
      positions_overtaken = outcome.trial->number != next;
      // No base goes back once trials were created: after a lost answer the held trials
      // returned may be fewer than were stored (a lease check released some meanwhile), and a
      // base whose positions a stored trial holds must not give them again. Each trial created
      // is a new base, so bases never run short.
      position_bases.push_back(outcome.trial->number);
      highest_number = std::max(highest_number, outcome.trial->number);
      for (FrozenTrial& trial : outcome.held) {
        position_bases.push_back(trial.number);
        highest_number = std::max(highest_number, trial.number);
        if (lease) lease->track(trial.id);
        held.push_back(std::move(trial));
      }
      // The block grows while an ask costs more than half a trial's run, per trial it makes,
      // and shrinks once it costs less than a sixteenth: only then do trials wait on the lock
      // for long, and a block held by one process is a tail the others cannot share when the
      // budget ends, which stays short against the asks it saves. It doubles and, once a few
      // runs are known (one quick failure is no evidence), grows at once to the size this
      // ask's cost calls for: with many processes every ask waits for all of theirs, and
      // growing by doubling alone would spend a study's first asks that way.
      const RecentRuns runs = recent_runs_summary();
      const double run_ms = runs.typical_ms;
      const size_t made_now = 1 + outcome.held.size();
      const double per_trial = ask_ms / static_cast<double>(made_now);
      if (run_ms >= 0 && per_trial > run_ms / 2) {
        size_t grown = block_size * 2;
        if (runs.known >= 3) {
          const double called_for = std::ceil(ask_ms / std::max(run_ms / 2, 1e-3));
          grown = std::max(grown, static_cast<size_t>(std::min(called_for, double{kMaxBlock})));
        }
        block_size = std::min(grown, kMaxBlock);
      } else if (run_ms >= 0 && per_trial < run_ms / 16) {
        block_size = std::max<size_t>(block_size / 2, 1);
      }
      made = make_trial(std::move(*outcome.trial));
      return true;
    }
    case Storage::AheadStatus::kClaimedWaiting:
      // Not a base: a requeued trial's number may be its creator's.
      give_back_bases();
      highest_number = std::max(highest_number, outcome.trial->number);
      made = make_trial(std::move(*outcome.trial));
      return true;
    case Storage::AheadStatus::kBudgetSpent:
      give_back_bases();
      made = std::nullopt;
      return true;
    case Storage::AheadStatus::kOvertaken:
      // Decided under the lock, whose trial becomes the next base.
      positions_overtaken = true;
      return false;
  }
  return false;
}

void StudyCore::release_held() {
  if (getpid() != creator) return;  // the parent's to give back
  std::vector<int64_t> ids;
  {
    std::lock_guard lock(sampler_mutex);
    for (const FrozenTrial& trial : held) ids.push_back(trial.id);
    held.clear();
  }
  if (ids.empty()) return;
  if (lease) {
    for (int64_t id : ids) lease->untrack(id);
  }
  storage->release_held_trials(record.id, ids, owner);
}

void StudyCore::note_trial_time(double ms) {
  std::lock_guard lock(runs_mutex);
  recent_runs[runs_seen % kRecentRuns] = ms;
  ++runs_seen;
}

StudyCore::RecentRuns StudyCore::recent_runs_summary() {
  std::lock_guard lock(runs_mutex);
  const size_t filled = std::min(runs_seen, kRecentRuns);
  if (filled == 0) return {};
  std::array<double, kRecentRuns> runs = recent_runs;
  const auto middle = runs.begin() + static_cast<std::ptrdiff_t>((filled - 1) / 2);
  std::nth_element(runs.begin(), middle, runs.begin() + static_cast<std::ptrdiff_t>(filled));
  return {*middle, runs_seen};
}

StudyCore::~StudyCore() {
  if (held.empty()) return;
  try {
    release_held();
  } catch (const std::exception& error) {
    // Their lease then releases them.
    std::cerr << "winnow: warning: could not give back the trials held for this process: "
              << error.what() << "\n";
  }
}

}  // namespace winnow
