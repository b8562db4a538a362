// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The optimize loop: n_jobs worker threads, each asking, evaluating and telling until a limit is
// reached. Every start and finish is committed to storage before the next step, so a process
// killed at any instant loses at most the trials it was running.
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "study/study_impl.h"
#include "winnow/error.h"

namespace winnow {

void Study::optimize(const std::function<double(Trial&)>& objective, int64_t n_trials, int n_jobs,
                     double timeout_seconds) {
  OptimizeOptions options;
  options.n_trials = n_trials;
  options.n_jobs = n_jobs;
  options.timeout_seconds = timeout_seconds;
  optimize(objective, options);
}

void Study::optimize(const std::function<double(Trial&)>& objective,
                     const OptimizeOptions& options) {
  optimize(Objective([&objective](Trial& trial) {
             return TrialOutcome{.values = {objective(trial)}};
           }),
           options);
}

void Study::optimize(const Objective& objective, const OptimizeOptions& options) {
  if (options.n_jobs < 1) {
    throw Error("optimize: n_jobs = " + std::to_string(options.n_jobs) + ". Violated constraint: >= 1");
  }
  if (options.n_trials < 0 || options.max_trials_in_study < 0 || options.retries < 0 ||
      options.timeout_seconds < 0) {
    throw Error("optimize: n_trials, max_trials_in_study, retries and timeout_seconds must be >= 0");
  }
  using Clock = std::chrono::steady_clock;
  const auto deadline =
      options.timeout_seconds > 0
          ? Clock::now() + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(options.timeout_seconds))
          : Clock::time_point::max();
  std::atomic<int64_t> started{0};
  std::atomic<bool> finished{false};
  std::mutex callback_mutex;
  std::exception_ptr first_error;

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
        if (options.n_trials > 0 && started.fetch_add(1) >= options.n_trials) break;
        std::optional<Trial> trial = try_ask(options.max_trials_in_study);
        if (!trial) {
          finished = true;  // budget spent or sampler exhausted
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
          if (options.on_trial_finished) {
            std::lock_guard lock(callback_mutex);
            options.on_trial_finished(trial->record());
          }
          bool retry = trial->record().state == TrialState::kFailed &&
                       !trial->record().interrupted && attempt < options.retries && !should_stop();
          if (!retry) break;
          std::optional<FrozenTrial> again = impl_->storage->create_trial(
              impl_->record.id, trial->config(), TrialState::kRunning, impl_->owner,
              options.max_trials_in_study, trial->number());
          if (!again) break;
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
    for (int i = 0; i < options.n_jobs; ++i) threads.emplace_back(worker);
    for (std::thread& thread : threads) thread.join();
  }
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace winnow
