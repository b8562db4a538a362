// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The optimize loop: n_jobs worker threads, each asking, evaluating and telling until a limit is
// reached. Every start and finish is committed to storage before the next step, so a process
// killed at any instant loses at most the trials it was running.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <iostream>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "common/strings.h"
#include "study/study_impl.h"
#include "winnow/error.h"

namespace winnow {
namespace {

// A retry runs where the failed attempt ran: the same budget, rung, bracket, continued trial and
// lineage (so it resumes from the same checkpoint), and the ladder of a budget scheduler stays
// whole. Sampler notes are not copied: the retry is not a new proposal.
std::map<std::string, std::string> retry_attrs(const FrozenTrial& failed) {
  std::map<std::string, std::string> attrs;
  for (std::string_view key : {kBudgetAttr, kRungAttr, kBracketAttr, kContinuesAttr,
                               kPreviousBudgetAttr, kSamplerAttr}) {
    auto it = failed.user_attrs.find(std::string(key));
    if (it != failed.user_attrs.end()) attrs.insert(*it);
  }
  auto lineage = failed.user_attrs.find(std::string(kLineageAttr));
  attrs[std::string(kLineageAttr)] =
      lineage != failed.user_attrs.end() ? lineage->second : std::to_string(failed.number);
  return attrs;
}

}  // namespace

OptimizeResult Study::optimize(const std::function<double(Trial&)>& objective, int64_t n_trials,
                               int n_jobs, double timeout_seconds) {
  OptimizeOptions options;
  options.n_trials = n_trials;
  options.n_jobs = n_jobs;
  options.timeout_seconds = timeout_seconds;
  return optimize(objective, options);
}

OptimizeResult Study::optimize(const std::function<double(Trial&)>& objective,
                               const OptimizeOptions& options) {
  return optimize(Objective([&objective](Trial& trial) {
                    return TrialOutcome{.values = {objective(trial)}};
                  }),
                  options);
}

namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The stopping rules' view of the run: fed every finished trial (under the callback lock),
// it says when the run should end and why.
class StoppingState {
 public:
  StoppingState(const StoppingRules& rules, std::span<const Direction> directions, double max_budget)
      : rules_(rules), single_(directions.size() == 1),
        minimize_(directions.front() == Direction::kMinimize), max_budget_(max_budget) {}

  // Returns a reason to stop, once.
  std::optional<StopReason> observe(const FrozenTrial& trial) {
    if (decided_) return std::nullopt;
    if (trial.state == TrialState::kFailed && !trial.interrupted) {
      ++failures_;
      // Only the first fail_fast failures can show a broken setup: keep no more.
      if (!succeeded_ && static_cast<int64_t>(setup_failures_.size()) < rules_.fail_fast) {
        setup_failures_.push_back(trial);
      }
      if (rules_.fail_fast > 0 && !succeeded_ &&
          static_cast<int64_t>(setup_failures_.size()) >= rules_.fail_fast) {
        const std::string reason = first_line(setup_failures_.front().failure_reason);
        bool same = std::all_of(setup_failures_.begin(), setup_failures_.end(),
                                [&](const FrozenTrial& t) {
                                  return first_line(t.failure_reason) == reason;
                                });
        if (same) {
          message_ = "the first " + std::to_string(setup_failures_.size()) +
                     " trials all failed the same way, so the setup looks broken: " +
                     setup_failures_.front().failure_reason +
                     "\n(these trials are discarded and do not count towards the study's "
                     "trials; fix the setup and run again)";
          broken_reason_ = reason;
          return decide(StopReason::kBrokenSetup);
        }
      }
      if (rules_.max_failures > 0 && failures_ >= rules_.max_failures) {
        message_ = std::to_string(failures_) + " trials failed in this run (max_failures = " +
                   std::to_string(rules_.max_failures) + "); the last: " +
                   first_line(trial.failure_reason);
        return decide(StopReason::kMaxFailures);
      }
      return std::nullopt;
    }
    if (trial.state == TrialState::kFailed) return std::nullopt;
    succeeded_ = true;
    if (trial.state != TrialState::kComplete || !single_ || trial.values.empty()) {
      return std::nullopt;
    }
    // Values at smaller budgets are not comparable with the final ones.
    if (numeric_attr(trial, kBudgetAttr).value_or(max_budget_) < max_budget_) return std::nullopt;
    const double value = trial.values.front();
    if (rules_.target_value && (minimize_ ? value <= *rules_.target_value
                                          : value >= *rules_.target_value)) {
      message_ = "trial " + std::to_string(trial.number) + " reached the target value (" +
                 format_short(value) + ")";
      return decide(StopReason::kTarget);
    }
    if (!best_ || (minimize_ ? value < *best_ : value > *best_)) {
      best_ = value;
      since_best_ = 0;
    } else if (rules_.patience > 0 && ++since_best_ >= rules_.patience) {
      message_ = "no improvement in " + std::to_string(since_best_) +
                 " complete trials (patience); the best value is " + format_short(*best_);
      return decide(StopReason::kPatience);
    }
    return std::nullopt;
  }

  // A trial that finished after the broken-setup decision with the same failure is discarded
  // with the others.
  void note_late(const FrozenTrial& trial) {
    if (broken_reason_ && !succeeded_ && trial.state == TrialState::kFailed &&
        !trial.interrupted && first_line(trial.failure_reason) == *broken_reason_) {
      setup_failures_.push_back(trial);
    }
  }

  bool broken_setup() const { return broken_reason_.has_value(); }
  const std::vector<FrozenTrial>& setup_failures() const { return setup_failures_; }
  const std::string& message() const { return message_; }

 private:
  std::optional<StopReason> decide(StopReason reason) {
    decided_ = true;
    return reason;
  }

  const StoppingRules& rules_;
  bool single_, minimize_;
  double max_budget_;
  bool decided_ = false;
  bool succeeded_ = false;  // a trial of this run ended other than failed
  int64_t failures_ = 0;
  std::vector<FrozenTrial> setup_failures_;  // failures before any success
  std::optional<std::string> broken_reason_;
  std::optional<double> best_;
  int64_t since_best_ = 0;
  std::string message_;
};

}  // namespace

OptimizeResult Study::optimize(const Objective& objective, const OptimizeOptions& options) {
  if (options.n_jobs < 1) {
    throw Error("optimize: n_jobs = " + std::to_string(options.n_jobs) + ". Violated constraint: >= 1");
  }
  if (options.n_trials < 0 || options.max_trials_in_study < 0 || options.retries < 0 ||
      options.timeout_seconds < 0) {
    throw Error("optimize: n_trials, max_trials_in_study, retries and timeout_seconds must be >= 0");
  }
  if (options.retries > 0 && impl_->options.instances) {
    // A retry would be a new trial without the run's configuration, instance and seed, which
    // the racing statistics key on; in algorithm configuration a failed run is a result.
    throw Error("optimize: study '" + impl_->record.name + "' has instances, whose runs are not "
                "retried (retries = " + std::to_string(options.retries) + "): a run that fails "
                "is a result, and costs what the cost rules give a failure");
  }
  const StoppingRules& rules = options.stopping;
  if (rules.patience < 0 || rules.max_failures < 0 || rules.fail_fast < 0) {
    throw Error("optimize: stopping.patience, max_failures and fail_fast must be >= 0");
  }
  if ((rules.target_value || rules.patience > 0) && impl_->options.directions.size() != 1) {
    throw Error("study '" + name() + "': a target value and patience need a single objective, "
                "but the study has " + std::to_string(impl_->options.directions.size()));
  }
  using Clock = std::chrono::steady_clock;
  const auto deadline = [&] {
    const auto now = Clock::now();
    // A timeout past what the clock can count (centuries) means no limit; added to now, it
    // would overflow into the past and end the run before its first trial.
    const double room = std::chrono::duration<double>(Clock::time_point::max() - now).count();
    if (!(options.timeout_seconds > 0) || options.timeout_seconds >= room) {
      return Clock::time_point::max();
    }
    return now + std::chrono::duration_cast<Clock::duration>(
                     std::chrono::duration<double>(options.timeout_seconds));
  }();
  std::atomic<int64_t> started{0};
  std::atomic<bool> finished{false};
  std::mutex callback_mutex;
  std::exception_ptr first_error;
  OptimizeResult result;
  std::optional<StopReason> stopped_by;  // guarded by callback_mutex
  StoppingState stopping(rules, impl_->options.directions, impl_->budget.max);

  auto should_stop = [&] {
    return finished.load() || (options.stop != nullptr && options.stop->requested()) ||
           Clock::now() >= deadline;
  };

  auto evaluate = [&](Trial& trial) -> TrialOutcome {
    try {
      return objective(trial);
    } catch (const TrialPruned&) {
      return TrialOutcome{.state = TrialState::kPruned};
    } catch (const std::exception& e) {
      if (!options.catch_exceptions) throw;
      return TrialOutcome{.state = TrialState::kFailed,
                          .failure_reason = std::string("the objective threw: ") + e.what()};
    } catch (...) {
      if (!options.catch_exceptions) throw;
      return TrialOutcome{.state = TrialState::kFailed,
                          .failure_reason = "the objective threw an unknown exception"};
    }
  };

  auto worker = [&] {
    try {
      while (!should_stop()) {
        int64_t asks_left = 0;  // no bound
        if (options.n_trials > 0) {
          asks_left = options.n_trials - started.fetch_add(1);
          if (asks_left <= 0) break;
        }
        std::optional<Trial> trial = try_ask(options.max_trials_in_study, {}, asks_left);
        if (!trial && std::exchange(sampler_waiting_in_this_thread(), false)) {
          // The sampler waits for running trials (a race needs their results): ask again.
          if (options.n_trials > 0) started.fetch_sub(1);
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          continue;
        }
        if (!trial && impl_->lease && options.max_trials_in_study > 0 && !should_stop() &&
            impl_->storage->recover_orphaned_trials(impl_->record.id,
                                                    impl_->lease->policy()) > 0) {
          // The budget was held by trials of a process that is gone (on this host, or past its
          // lease): they are failed or back in the queue now, so there may be work left. A
          // worker leaving here would strand them until the study is next run.
          if (options.n_trials > 0) started.fetch_sub(1);
          continue;
        }
        if (!trial) {
          std::lock_guard lock(callback_mutex);
          if (!stopped_by) {
            bool spent = options.max_trials_in_study > 0 &&
                         impl_->storage->counted_trials(impl_->record.id) >=
                             options.max_trials_in_study;
            stopped_by = spent ? StopReason::kTrialLimit : StopReason::kExhausted;
          }
          finished = true;
          break;
        }
        trial->stop_ = options.stop;
        for (int attempt = 0;; ++attempt) {
          if (options.on_trial_started) {
            std::lock_guard lock(callback_mutex);
            options.on_trial_started(trial->record());
          }
          TrialOutcome outcome = evaluate(*trial);
          tell(*trial, outcome);
          // Its result was dropped: the trial is another process's now, and says nothing
          // about this run (no stopping rule, callback or retry looks at it).
          if (trial->lost()) break;
          {
            std::lock_guard lock(callback_mutex);
            ++result.trials_finished;
            if (std::optional<StopReason> reason = stopping.observe(trial->record())) {
              if (!stopped_by) stopped_by = reason;
              finished = true;
            } else {
              stopping.note_late(trial->record());
            }
            if (options.on_trial_finished) options.on_trial_finished(trial->record());
          }
          bool retry = trial->record().state == TrialState::kFailed &&
                       !trial->record().interrupted && attempt < options.retries && !should_stop();
          if (!retry) break;
          std::optional<FrozenTrial> again = impl_->storage->create_trial(
              impl_->record.id, trial->config(), TrialState::kRunning, impl_->owner,
              options.max_trials_in_study, trial->number(), retry_attrs(trial->record()));
          if (!again) break;
          impl_->note_number(again->number);
          std::optional<Trial> next = impl_->make_trial(std::move(*again));
          next->stop_ = options.stop;
          trial = std::move(next);
        }
      }
    } catch (...) {
      std::lock_guard lock(callback_mutex);
      if (!first_error) first_error = std::current_exception();
      finished = true;
    }
  };

  if (options.n_jobs == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    for (int i = 0; i < options.n_jobs; ++i) {
      try {
        threads.emplace_back(worker);
      } catch (const std::system_error& error) {
        // The system refused another thread: the jobs already started finish their trials and
        // stop, so nothing they ran is lost.
        std::lock_guard lock(callback_mutex);
        if (!first_error) {
          first_error = std::make_exception_ptr(
              Error("could start only " + std::to_string(i) + " of the " +
                    std::to_string(options.n_jobs) + " jobs (" + error.what() +
                    "); lower the number of jobs"));
        }
        finished = true;
        break;
      }
    }
    for (std::thread& thread : threads) thread.join();
  }
  // What this run's asks hold and did not start goes back to the study, for other processes
  // (a time limit or a stop ended it). A failure leaves them to their lease.
  try {
    impl_->release_held();
  } catch (const std::exception& error) {
    std::cerr << "winnow: warning: could not give back the trials held for this run: "
              << error.what() << "\n";
  }
  if (first_error) std::rethrow_exception(first_error);
  if (stopping.broken_setup()) {
    for (const FrozenTrial& trial : stopping.setup_failures()) {
      impl_->storage->discard_failed_trial(trial.id);
    }
  }
  if (stopped_by) {
    result.reason = *stopped_by;
  } else if (options.stop != nullptr && options.stop->requested()) {
    result.reason = StopReason::kStopRequested;
  } else if (Clock::now() >= deadline) {
    result.reason = StopReason::kTimeout;
  } else {
    result.reason = StopReason::kTrialLimit;
  }
  result.message = stopping.message();
  return result;
}

}  // namespace winnow
