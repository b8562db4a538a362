// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "winnow/study.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <iostream>
#include <utility>

#include "common/strings.h"
#include "winnow/analysis.h"
#include "winnow/attributes.h"
#include "samplers/sampler_util.h"
#include "schedulers/ladder.h"
#include "study/study_impl.h"
#include "winnow/error.h"

namespace winnow {

namespace {
int64_t steady_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

// --- StopSignal ---------------------------------------------------------------------------

StopSignal::StopSignal() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
StopSignal::~StopSignal() {
  if (fd_ >= 0) ::close(fd_);
}
void StopSignal::request() noexcept {
  requested_.store(true);
  if (fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t written = ::write(fd_, &one, sizeof(one));
  }
}
bool StopSignal::requested() const noexcept { return requested_.load(); }
int StopSignal::wait_fd() const noexcept { return fd_; }

// --- Trial --------------------------------------------------------------------------------

bool Trial::has(std::string_view name) const { return record_.config.find(name) != record_.config.end(); }

const ParamValue& Trial::param(std::string_view name) const {
  auto it = record_.config.find(name);
  if (it == record_.config.end()) {
    throw Error("trial " + std::to_string(record_.number) + " has no active parameter '" +
                std::string(name) + "'");
  }
  return it->second;
}

double Trial::float_param(std::string_view name) const {
  const ParamValue& value = param(name);
  if (std::holds_alternative<double>(value)) return std::get<double>(value);
  if (std::holds_alternative<int64_t>(value)) return static_cast<double>(std::get<int64_t>(value));
  throw Error("parameter '" + std::string(name) + "' is not a number (" + to_string(value) + ")");
}

int64_t Trial::int_param(std::string_view name) const {
  const ParamValue& value = param(name);
  if (std::holds_alternative<int64_t>(value)) return std::get<int64_t>(value);
  if (auto* d = std::get_if<double>(&value); d && std::floor(*d) == *d) {
    return static_cast<int64_t>(*d);
  }
  throw Error("parameter '" + std::string(name) + "' is not an integer (" + to_string(value) + ")");
}

std::string Trial::string_param(std::string_view name) const { return to_string(param(name)); }

bool Trial::bool_param(std::string_view name) const {
  const ParamValue& value = param(name);
  if (auto* b = std::get_if<bool>(&value)) return *b;
  throw Error("parameter '" + std::string(name) + "' is not a boolean (" + to_string(value) + ")");
}

void Trial::report(int64_t step, double value) {
  // A scheduler may already have judged the trial on the first value: replacing it would let
  // a later report undo a decision made on it.
  if (record_.intermediate.contains(step)) {
    if (!std::exchange(warned_repeated_step_, true)) {
      std::cerr << "winnow: warning: trial " << record_.number << ": the value reported at step "
                << step << " is ignored: that step is already reported (the first value "
                << "stands)\n";
    }
    return;
  }
  if (write_while_held([&](const TrialHolder& holder) {
        storage_->report(record_.id, step, value, holder);
      })) {
    record_.intermediate[step] = value;
  }
}

bool Trial::should_prune() {
  // A trial this process lost (its lease expired and another process took it) is worth no
  // more work here: its values would be dropped.
  if (lost_) return true;
  return study_ != nullptr && study_->should_prune(record_);
}

bool Trial::write_while_held(const std::function<void(const TrialHolder&)>& write) {
  if (lost_) return false;
  try {
    write(TrialHolder{record_.owner, record_.start_time_ms});
    return true;
  } catch (const TrialTakenError& error) {
    lost_ = true;
    std::cerr << "winnow: warning: " << error.what() << "\n";
    return false;
  }
}

std::optional<double> Trial::budget() const {
  if (std::optional<double> assigned = numeric_attr(record_, kBudgetAttr)) return assigned;
  if (study_ != nullptr && study_->options.budget) return study_->options.budget->max;
  return std::nullopt;
}

std::optional<int64_t> Trial::continues() const {
  std::optional<double> number = numeric_attr(record_, kContinuesAttr);
  if (!number) return std::nullopt;
  return static_cast<int64_t>(*number);
}

double Trial::previous_budget() const {
  return numeric_attr(record_, kPreviousBudgetAttr).value_or(0);
}

int64_t Trial::lineage() const {
  std::optional<double> first = numeric_attr(record_, kLineageAttr);
  return first ? static_cast<int64_t>(*first) : record_.number;
}

void Trial::set_user_attr(std::string_view key, std::string_view json_value) {
  if (is_system_attr(key)) {
    throw Error("trial " + std::to_string(record_.number) + ": user attribute '" +
                std::string(key) + "': keys starting with '" + std::string(kSystemAttrPrefix) +
                "' are reserved for Winnow's own state (budget rungs, lineage, sampler notes); "
                "choose another key");
  }
  if (write_while_held([&](const TrialHolder& holder) {
        storage_->set_user_attr(record_.id, key, json_value, holder);
      })) {
    record_.user_attrs[std::string(key)] = std::string(json_value);
  }
}

// --- Study --------------------------------------------------------------------------------

Study::Study(std::unique_ptr<StudyCore> impl) : impl_(std::move(impl)) {}
Study::~Study() = default;
Study::Study(Study&&) noexcept = default;
Study& Study::operator=(Study&&) noexcept = default;


const std::string& Study::name() const { return impl_->record.name; }
const SearchSpace& Study::space() const { return impl_->space; }
const std::vector<std::string>& Study::notes() const { return impl_->notes; }
const StudyOptions& Study::options() const { return impl_->options; }
int64_t Study::id() const { return impl_->record.id; }
Storage& Study::storage() { return *impl_->storage; }

void StudyCore::sync_history() { merge_history(storage->trials(record.id, last_version)); }

void StudyCore::merge_history(std::vector<FrozenTrial> changed) {
  if (space.is_define_by_run() && !space_stale) {
    std::shared_lock space_lock(space_mutex);
    for (const FrozenTrial& trial : changed) {
      for (const auto& entry : trial.config) {
        if (space.find(entry.first) == nullptr) space_stale = true;
      }
    }
  }
  for (FrozenTrial& trial : changed) {
    last_version = std::max(last_version, trial.version);
    if (scheduler && scheduler->assigns_budgets()) changed_since_proposal.push_back(trial.number);
    auto number = static_cast<size_t>(trial.number);
    if (number >= history.size()) history.resize(number + 1);
    history[number] = std::move(trial);
  }
}

std::optional<Trial> StudyCore::make_trial(FrozenTrial stored) {
  Trial trial;
  trial.record_ = std::move(stored);
  if (space.is_define_by_run()) {
    trial.proposal_ = std::move(trial.record_.config);
    trial.record_.config.clear();
  }
  trial.storage_ = storage.get();
  trial.study_ = this;
  if (lease && trial.record_.state == TrialState::kRunning) lease->track(trial.record_.id);
  trial.n_objectives_ = options.directions.size();
  trial.handed_out_us_ = steady_now_us();
  return trial;
}

void StudyCore::remember_created(const FrozenTrial& trial) {
  auto number = static_cast<size_t>(trial.number);
  if (number >= history.size()) history.resize(number + 1);
  // A later read may already have brought a newer state of it.
  if (history[number].number < 0 || history[number].version <= trial.version) {
    history[number] = trial;
    if (scheduler && scheduler->assigns_budgets()) changed_since_proposal.push_back(trial.number);
  }
}

bool& sampler_waiting_in_this_thread() {
  thread_local bool waiting = false;
  return waiting;
}

namespace {

// Whether `config` holds a value of a float parameter without a step.
bool holds_continuous_value(const SearchSpace& space, const Config& config) {
  return std::any_of(config.begin(), config.end(), [&](const auto& entry) {
    const ParamSpec* spec = space.find(entry.first);
    return spec != nullptr && spec->kind == ParamKind::kFloat && !spec->step;
  });
}

// Whether `config` is already the configuration of one of `trials`.
bool is_among(const Config& config, const std::vector<FrozenTrial>& trials) {
  return std::any_of(trials.begin(), trials.end(),
                     [&](const FrozenTrial& trial) { return trial.config == config; });
}

}  // namespace

std::optional<Trial> Study::try_ask(int64_t budget_limit, std::string_view owner,
                                    int64_t asks_left) {
  StudyCore& impl = *impl_;
  sampler_waiting_in_this_thread() = false;
  std::string who = owner.empty() ? impl.owner : std::string(owner);
  std::lock_guard lock(impl.sampler_mutex);
  const bool scheduled = impl.scheduler->assigns_budgets();
  const bool reads_history = scheduled || impl.sampler->uses_history();
  // A waiting trial (enqueued, requeued) is claimed first. Otherwise the trial is created under
  // the study's write lock, for the number the trial gets and on the history as it stands
  // (every other process's trials included): no other process can take that number or act on
  // that history meanwhile, so no configuration or promotion is ever taken twice. Samplers
  // that read no history skip the history read, keeping ask() O(1) in the size of the study.
  //
  // A sampler whose model takes time (TPE, GP) would make every other process wait for it.
  // When it proposes ahead (StudyCore::proposes_ahead), the history is read and the proposal
  // made before the lock, and under the lock only the trials created meanwhile are checked:
  // the proposal stands unless one of them has its configuration, or it was drawn from the
  // stream position of a number another process took meanwhile (then it is made again, under
  // the lock, as above). After such a miss the next proposal ahead draws from a stream
  // position of this process's own, which no other process shares. One process alone is never
  // overtaken, so its sequence is the same as a proposal made under the lock. A proposal that
  // cannot repeat a trial created meanwhile needs no check and is created in one step
  // (Storage::create_trial_ahead: on PostgreSQL one round trip, the lock never held across
  // the network). Random sampling proposes ahead too, from positions of its own once
  // overtaken (below).
  while (true) {
    bool space_grew = false;
    std::unique_lock history_lock(impl.history_mutex, std::defer_lock);
    std::optional<int64_t> since;
    std::optional<StudyCore::Proposal> ahead;
    int64_t ahead_number = -1;
    bool ahead_salted = false;
    if (reads_history) {
      history_lock.lock();
      if (impl.proposes_ahead) {
        // Overtaken, the process proposes on the history it read under the lock last time: the
        // trials other processes finished since are only as unknown to it as the ones they are
        // running, and it saves a read per ask while the study is busiest.
        if (!impl.overtaken) impl.sync_history();
        if (!impl.space_stale) {
          ahead_number = static_cast<int64_t>(impl.history.size());
          uint64_t salt = 0;
          if (impl.overtaken) {
            salt = mix_seed(impl.salt_base ^ std::hash<std::string>{}(who), ++impl.asks_ahead) | 1;
            ahead_salted = true;
          }
          ahead = impl.propose(ahead_number, salt);
        }
      }
      since = impl.last_version;
    }
    // A sampler that reads no history and draws as well from any stream position (random
    // sampling) proposes before the lock too, and where the storage holds trials, asks for
    // several at once (StudyCore::ask_by_position).
    if (!reads_history && impl.draws_from_any_position) {
      std::optional<Trial> made;
      if (impl.ask_by_position(budget_limit, who, asks_left, made)) return made;
    }
    // A proposal that cannot repeat a trial created meanwhile is created in one step, without
    // a call back under the lock: none was created if the expected number is still the next,
    // and a value a sampler draws at random from a continuous range is not drawn twice.
    if (ahead && (!ahead_salted || (impl.draws_at_random &&
                                    holds_continuous_value(impl.space, ahead->config)))) {
      std::optional<int64_t> expected;
      if (!ahead_salted) expected = ahead_number;
      Storage::AheadOutcome outcome = impl.storage->create_trial_ahead(
          impl.record.id, impl.last_version, who, budget_limit,
          Storage::TrialDraft{ahead->config, ahead->attrs}, expected);
      switch (outcome.status) {
        case Storage::AheadStatus::kCreated:
          // (A define-by-run trial that finished meanwhile may have grown the space: this
          // trial's proposal lacks the new parameter, which its suggest call then draws, as for
          // a trial created just before another process grew the space.)
          impl.merge_history(std::move(outcome.changed));
          impl.overtaken = outcome.trial->number != ahead_number;
          impl.remember_created(*outcome.trial);
          return impl.make_trial(std::move(*outcome.trial));
        case Storage::AheadStatus::kClaimedWaiting:
          impl.remember_created(*outcome.trial);
          return impl.make_trial(std::move(*outcome.trial));
        case Storage::AheadStatus::kBudgetSpent:
          return std::nullopt;
        case Storage::AheadStatus::kOvertaken:
          // Drawn for a number another process took: proposed again under the lock, below.
          impl.merge_history(std::move(outcome.changed));
          impl.overtaken = true;
          ahead.reset();
          since = impl.last_version;
          break;
      }
    }
    std::optional<int64_t> decided;  // the number the last call of `decide` was given
    // `decide` merges changes read in a transaction that may yet be rolled back (a lost
    // connection, an error after it was called): unless it created the trial that call
    // decided, the changes since `since` are read again next time, since the versions a
    // rolled-back attempt read may be given again to other writes.
    auto forget_unconfirmed_changes = [&](const std::optional<FrozenTrial>& made) {
      if (since && decided && !(made && made->number == *decided)) impl.last_version = *since;
    };
    std::optional<FrozenTrial> created;
    try {
      created = impl.storage->create_decided_trial(
          impl.record.id, since, who, budget_limit,
          [&](int64_t number, std::vector<FrozenTrial> changed)
              -> std::optional<Storage::TrialDraft> {
            decided = number;
            space_grew = false;  // a retried transaction calls again
            const bool repeated = ahead && is_among(ahead->config, changed);
            impl.merge_history(std::move(changed));
            // Growing the space writes to the storage: done outside, then proposed again.
            if (impl.space_stale) {
              space_grew = true;
              return std::nullopt;
            }
            if (ahead) {
              const bool overtaken = number != ahead_number;
              impl.overtaken = overtaken;
              if (!repeated && (!overtaken || ahead_salted)) {
                return Storage::TrialDraft{ahead->config, ahead->attrs};
              }
            }
            std::optional<StudyCore::Proposal> proposal =
                scheduled ? impl.propose_scheduled(number) : impl.propose(number);
            if (!proposal) return std::nullopt;
            return Storage::TrialDraft{std::move(proposal->config), std::move(proposal->attrs)};
          });
    } catch (...) {
      forget_unconfirmed_changes(std::nullopt);
      throw;
    }
    forget_unconfirmed_changes(created);
    if (created && impl.draws_from_any_position) {
      if (decided && created->number == *decided) impl.position_bases.push_back(created->number);
      impl.highest_number = std::max(impl.highest_number, created->number);
    }
    if (created) {
      // Every process that reads the history keeps its own new trial in its cache: on
      // PostgreSQL the trial has the version of the finishes its lock stamped, which this
      // process has just read, so no later read returns it until it changes again, and the
      // process's other workers would propose without it (a grid point or a promotion twice).
      if (reads_history) impl.remember_created(*created);
      return impl.make_trial(std::move(*created));
    }
    if (!space_grew) return std::nullopt;  // the budget is spent or the sampler has nothing left
    history_lock.unlock();
    impl.grow_space(nullptr);
  }
}

std::optional<StudyCore::Proposal> StudyCore::propose(int64_t number, uint64_t stream_salt) {
  Proposal proposal;
  // The sampler reads the cached history in place (no copy: at thousands of trials a copy
  // would cost more than a TPE proposal); the caller holds history_mutex when it reads it.
  std::span<const FrozenTrial> seen;
  if (sampler->uses_history()) seen = history;
  // (Without the history, a parameter another process added joins this process's space when one
  // of its trials first asks for it.)
  // A define-by-run study knows no parameter before its first trial asks for one.
  if (space.size() == 0) return proposal;
  bool waiting = false;
  SampleContext context{space, seen, options.directions, number, &proposal.attrs,
                        options.instances.get(), &waiting, stream_salt};
  std::optional<Config> config = sampler->sample(context);
  sampler_waiting_in_this_thread() = waiting;
  if (!config) return std::nullopt;
  proposal.config = std::move(*config);
  if (record_sampler) {
    proposal.attrs.try_emplace(std::string(kSamplerAttr),
                               "\"" + std::string(sampler->name()) + "\"");
  }
  return proposal;
}

std::optional<StudyCore::Proposal> StudyCore::propose_scheduled(int64_t number) {
  SchedulerContext context{space, history, options.directions, budget, &changed_since_proposal};
  TrialAssignment assignment = scheduler->next(context);
  changed_since_proposal.clear();
  Proposal proposal;
  if (assignment.continues) {
    const FrozenTrial& source = history.at(static_cast<size_t>(*assignment.continues));
    proposal.config = source.config;
    proposal.attrs = assignment_attrs(assignment, &source);
    return proposal;
  }
  Sampler& chosen = assignment.random_config ? *random_sampler : *sampler;
  std::vector<FrozenTrial> subset;
  std::span<const FrozenTrial> seen;
  if (chosen.uses_history()) {
    if (auto selected = scheduler->sampler_history(context, assignment)) {
      subset = std::move(*selected);
      seen = subset;
    } else {
      seen = history;
    }
  }
  SampleContext sample_context{space, seen, options.directions, number, &proposal.attrs,
                               options.instances.get()};
  std::optional<Config> proposed = chosen.sample(sample_context);
  if (!proposed) return std::nullopt;
  proposal.config = std::move(*proposed);
  for (auto& [key, value] : assignment_attrs(assignment, nullptr)) proposal.attrs[key] = value;
  // Which of the two proposed it (BOHB mixes model and random draws), unless the sampler said.
  proposal.attrs.try_emplace(std::string(kSamplerAttr),
                             "\"" + std::string(chosen.name()) + "\"");
  return proposal;
}

bool StudyCore::should_prune(const FrozenTrial& trial) {
  if (!scheduler->prunes()) return false;
  std::lock_guard lock(history_mutex);
  std::shared_lock space_lock(space_mutex);
  sync_history();
  SchedulerContext context{space, history, options.directions, budget};
  return scheduler->should_prune(trial, context);
}

Trial Study::ask() {
  std::optional<Trial> trial = try_ask();
  if (!trial) {
    throw Error("study '" + name() + "': sampler '" + std::string(impl_->sampler->name()) +
                "' has no configuration left to propose");
  }
  return std::move(*trial);
}

void Study::tell(Trial& trial, double value) { tell(trial, std::vector<double>{value}); }

void Study::tell(Trial& trial, std::vector<double> values) {
  TrialOutcome outcome;
  outcome.values = std::move(values);
  tell(trial, outcome);
}

void Study::tell(Trial& trial, const TrialOutcome& given) {
  TrialOutcome outcome = given;
  if (outcome.state == TrialState::kComplete) {
    size_t expected = impl_->options.directions.size();
    if (outcome.values.size() != expected) {
      outcome = TrialOutcome{.state = TrialState::kFailed,
                             .metrics = given.metrics,
                             .failure_reason = "the objective returned " +
                                               std::to_string(given.values.size()) +
                                               " values but the study has " +
                                               std::to_string(expected) + " objectives"};
    } else {
      for (double v : outcome.values) {
        if (std::isnan(v)) {
          outcome = TrialOutcome{.state = TrialState::kFailed,
                                 .metrics = given.metrics,
                                 .failure_reason = "the objective returned NaN"};
          break;
        }
      }
    }
    if (outcome.state == TrialState::kComplete &&
        std::any_of(outcome.constraints.begin(), outcome.constraints.end(),
                    [](double c) { return std::isnan(c); })) {
      outcome = TrialOutcome{.state = TrialState::kFailed,
                             .metrics = given.metrics,
                             .failure_reason = "the objective returned a NaN constraint value"};
    }
    if (outcome.state == TrialState::kComplete) {
      if (auto problem =
              apply_metric_limits(impl_->limits, impl_->options.objective_names, outcome)) {
        outcome = TrialOutcome{.state = TrialState::kFailed,
                               .metrics = given.metrics,
                               .failure_reason = *problem};
      }
    }
  } else if (outcome.state != TrialState::kPruned && outcome.state != TrialState::kFailed) {
    throw Error("tell: a trial can only end complete, pruned or failed");
  }
  if (outcome.state == TrialState::kPruned && outcome.values.empty() &&
      impl_->options.directions.size() == 1 && !trial.record_.intermediate.empty()) {
    // A pruned trial keeps its last reported value, as Optuna does.
    outcome.values = {trial.record_.intermediate.rbegin()->second};
  }
  // Define-by-run: the parameters the trial asked for replace its stored configuration (the
  // proposal it was created with), unless they are that proposal, every parameter asked for and
  // none drawn anew, the usual case: then nothing is rewritten.
  // (The caller's outcome never sets it: what is stored is what the trial ran.)
  outcome.config.reset();
  if (impl_->space.is_define_by_run() && trial.record_.config != trial.proposal_) {
    outcome.config = trial.record_.config;
  }
  // Only the process the trial was handed to may finish it: after a lost lease, another process
  // has failed it or runs it again.
  outcome.owner = trial.record_.owner;
  outcome.started_ms = trial.record_.start_time_ms;
  try {
    impl_->storage->finish_trial(trial.id(), outcome);
  } catch (const TrialTakenError& error) {
    if (impl_->lease) impl_->lease->untrack(trial.id());
    // (A trial already found lost by a report has been warned about.)
    if (!trial.lost_) std::cerr << "winnow: warning: " << error.what() << "\n";
    if (std::optional<FrozenTrial> now = impl_->storage->trial(trial.id())) trial.record_ = *now;
    trial.lost_ = true;
    return;
  }
  if (impl_->lease) impl_->lease->untrack(trial.id());
  trial.record_.state = outcome.state;
  trial.record_.values = outcome.values;
  trial.record_.metrics = outcome.metrics;
  trial.record_.constraints = outcome.constraints;
  trial.record_.failure_reason = outcome.failure_reason;
  trial.record_.interrupted = outcome.interrupted;
  trial.record_.end_time_ms = now_ms();
  impl_->note_trial_time(static_cast<double>(steady_now_us() - trial.handed_out_us_) / 1000.0);
}

void Study::release_held_trials() { impl_->release_held(); }

void Study::tell_failed(Trial& trial, std::string reason) {
  tell(trial, TrialOutcome{.state = TrialState::kFailed, .failure_reason = std::move(reason)});
}

void Study::tell_pruned(Trial& trial) { tell(trial, TrialOutcome{.state = TrialState::kPruned}); }

void Study::enqueue(const Config& given) {
  // Under a budget scheduler a queued configuration runs at the full budget: it says so, so
  // that it is compared with the trials that reached that budget, not ranked above them all.
  std::map<std::string, std::string> attrs;
  if (impl_->scheduler->assigns_budgets() && impl_->options.budget) {
    attrs[std::string(kBudgetAttr)] = format_double(impl_->options.budget->max);
  }
  Config config;
  if (impl_->space.is_define_by_run()) {
    // Any subset of the parameters, known ones or not yet: the trial asks for what it needs and
    // takes the queued value where there is one (Trial::suggest).
    std::shared_lock space_lock(impl_->space_mutex);
    for (const auto& [name, value] : given) {
      try {
        config[name] = impl_->space.find(name) ? impl_->space.coerce(name, value) : value;
      } catch (const Error& e) {
        throw Error("enqueue: parameter '" + name + "': " + e.what());
      }
    }
    if (std::optional<FrozenTrial> queued = impl_->storage->create_trial(
            impl_->record.id, config, TrialState::kWaiting, "", 0, std::nullopt, attrs)) {
      impl_->note_number(queued->number);
    }
    return;
  }
  for (const auto& [name, value] : given) config[name] = impl_->space.coerce(name, value);
  try {
    impl_->space.check(config);
  } catch (const Error& e) {
    throw Error("enqueue: " + std::string(e.what()));
  }
  if (std::optional<FrozenTrial> queued = impl_->storage->create_trial(
          impl_->record.id, config, TrialState::kWaiting, "", 0, std::nullopt, attrs)) {
    impl_->note_number(queued->number);
  }
}

int Study::recover_orphaned_trials(bool requeue) {
  OrphanPolicy policy;
  policy.requeue = requeue;
  if (impl_->lease) {
    impl_->lease->set_requeue(requeue);
    policy = impl_->lease->policy();
  }
  return impl_->storage->recover_orphaned_trials(impl_->record.id, policy);
}

void Study::set_user_attr(std::string_view key, std::string_view json_value) {
  if (is_system_attr(key)) {
    throw Error("study '" + name() + "': user attribute '" + std::string(key) +
                "': keys starting with '" + std::string(kSystemAttrPrefix) +
                "' are reserved for Winnow; choose another key");
  }
  impl_->storage->set_study_user_attr(impl_->record.id, key, json_value);
}

int64_t Study::counted_trials() { return impl_->storage->counted_trials(impl_->record.id); }

StudyRecord Study::record() {
  std::optional<StudyRecord> stored = impl_->storage->find_study(impl_->record.name);
  return stored ? *stored : impl_->record;
}

std::optional<Trial> Study::running_trial(int64_t number, const StopSignal* stop) {
  std::vector<FrozenTrial> all = trials();
  if (number < 0 || number >= static_cast<int64_t>(all.size())) return std::nullopt;
  if (all[number].state != TrialState::kRunning) return std::nullopt;
  std::optional<Trial> trial = impl_->make_trial(std::move(all[number]));
  if (trial) trial->stop_ = stop;
  return trial;
}

bool Study::enqueue_unless_present(const Config& given) {
  Config config;
  {
    std::shared_lock space_lock(impl_->space_mutex);
    for (const auto& [name, value] : given) {
      bool known = impl_->space.find(name) != nullptr;
      config[name] = known || !impl_->space.is_define_by_run()
                         ? impl_->space.coerce(name, value) : value;
    }
  }
  for (const FrozenTrial& trial : trials()) {
    if (trial.config == config) return false;
  }
  enqueue(config);
  return true;
}

void Study::record_closing_decisions() {
  StudyCore& impl = *impl_;
  if (!impl.options.instances) return;
  std::lock_guard sampler_lock(impl.sampler_mutex);
  std::lock_guard history_lock(impl.history_mutex);
  std::shared_lock space_lock(impl.space_mutex);
  impl.sync_history();
  const auto count = static_cast<int64_t>(impl.history.size());
  SampleContext context{impl.space, impl.history, impl.options.directions, count, nullptr,
                        impl.options.instances.get()};
  std::string decisions = impl.sampler->closing_decisions(context);
  if (decisions.empty()) return;
  impl.storage->set_study_user_attr(
      impl.record.id, kClosingDecisionsAttr,
      "{\"after\":" + std::to_string(count) + ",\"decisions\":" + decisions + "}");
}

std::vector<FrozenTrial> Study::trials() {
  std::lock_guard lock(impl_->history_mutex);
  impl_->sync_history();
  return impl_->history;
}

std::optional<FrozenTrial> Study::best_trial() {
  if (impl_->options.directions.size() != 1) {
    throw Error("study '" + name() + "' has several objectives: use best_trials() for its Pareto "
                "front");
  }
  std::vector<FrozenTrial> all = trials();
  int best = best_trial_index(all, impl_->options.directions.front());
  if (best < 0) return std::nullopt;
  return all[best];
}

std::vector<FrozenTrial> Study::best_trials() {
  std::vector<FrozenTrial> all = trials();
  std::vector<FrozenTrial> front;
  for (size_t index : pareto_front_trials(all, impl_->options.directions)) {
    front.push_back(all[index]);
  }
  return front;
}

}  // namespace winnow
