// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "progress.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <limits>

#include <nlohmann/json.hpp>

#include "winnow/scheduler.h"

namespace winnow::cli {
namespace {

std::string short_number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", v);
  return buffer;
}

}  // namespace

Progress::Progress(std::string study, Direction direction, int64_t total, int64_t already,
                   std::vector<std::string> objective_labels, bool quiet)
    : study_(std::move(study)),
      direction_(direction),
      total_(total),
      done_(already),
      n_objectives_(objective_labels.size()),
      labels_(std::move(objective_labels)),
      quiet_(quiet),
      terminal_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()) {}

std::string Progress::eta() const {
  if (total_ <= 0 || done_here_ == 0) return "";
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double remaining = static_cast<double>(std::max<int64_t>(0, total_ - done_));
  double seconds = elapsed / static_cast<double>(done_here_) * remaining;
  char buffer[32];
  if (seconds >= 3600) {
    std::snprintf(buffer, sizeof(buffer), " eta %dh%02dm", static_cast<int>(seconds / 3600),
                  static_cast<int>(seconds / 60) % 60);
  } else {
    std::snprintf(buffer, sizeof(buffer), " eta %dm%02ds", static_cast<int>(seconds / 60),
                  static_cast<int>(seconds) % 60);
  }
  return buffer;
}

// The JSON string stored under `key`, or "" when absent or not a string.
static std::string string_attr(const FrozenTrial& trial, const std::string& key) {
  auto it = trial.user_attrs.find(key);
  if (it == trial.user_attrs.end()) return "";
  nlohmann::json value = nlohmann::json::parse(it->second, nullptr, false);
  return value.is_string() ? value.get<std::string>() : "";
}

void Progress::started(const FrozenTrial& trial) {
  std::lock_guard lock(mutex_);
  ++running_;
  if (quiet_) return;
  // The auto sampler's choice is shown whenever it changes, with its reason.
  std::string sampler = string_attr(trial, std::string(kSamplerAttr));
  if (!sampler.empty() && sampler != last_sampler_) {
    last_sampler_ = sampler;
    std::string line = "trial " + std::to_string(trial.number) + ": sampler " + sampler;
    std::string reason = string_attr(trial, std::string(kSamplerReasonAttr));
    if (!reason.empty()) line += " (" + reason + ")";
    std::cerr << (terminal_ ? "\r\033[K" : "") << line << "\n";
  }
  if (terminal_) redraw();
}

void Progress::include_existing(std::span<const FrozenTrial> trials) {
  std::lock_guard lock(mutex_);
  for (const FrozenTrial& trial : trials) consider_best(trial);
}

void Progress::consider_best(const FrozenTrial& trial) {
  const std::optional<double> budget = numeric_attr(trial, kBudgetAttr);
  if (trial.state == TrialState::kComplete && n_objectives_ == 1 && !trial.values.empty() &&
      trial.feasible()) {
    double v = trial.values[0];
    double at = budget.value_or(std::numeric_limits<double>::infinity());
    if (at > best_budget_) {
      best_budget_ = at;
      best_.reset();
    }
    if (at == best_budget_ &&
        (!best_ || (direction_ == Direction::kMinimize ? v < *best_ : v > *best_))) {
      best_ = v;
      best_number_ = trial.number;
    }
  }
}

void Progress::report_failure(const FrozenTrial& trial) {
  std::string key = trial.failure_reason.substr(0, trial.failure_reason.find('\n'));
  for (auto& [reason, count] : failure_reasons_) {
    if (reason == key) {
      ++count;
      return;
    }
  }
  failure_reasons_.emplace_back(key, 1);
  if (quiet_) return;
  // The whole reason (it ends with the tail of the trial's log) the first time it is seen.
  std::string text = trial.failure_reason;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::string indented;
  for (char c : text) indented += c == '\n' ? std::string("\n    ") : std::string(1, c);
  std::cerr << (terminal_ ? "\r\033[K" : "") << "winnow: trial " << trial.number
            << " failed: " << indented << "\n";
  if (terminal_) redraw();
}

void Progress::finished(const FrozenTrial& trial) {
  std::lock_guard lock(mutex_);
  --running_;
  ++done_;
  ++done_here_;
  if (trial.state == TrialState::kFailed) ++failed_;
  const std::optional<double> budget = numeric_attr(trial, kBudgetAttr);
  consider_best(trial);
  if (trial.state == TrialState::kFailed && !trial.interrupted) report_failure(trial);
  if (quiet_) return;
  if (terminal_) {
    redraw();
    return;
  }
  std::string line = "trial " + std::to_string(trial.number) + " " + std::string(to_string(trial.state));
  if (trial.state == TrialState::kComplete) {
    if (labels_.size() == trial.values.size() && labels_.size() > 1) {
      for (size_t i = 0; i < trial.values.size(); ++i) {
        line += (i == 0 ? " " : ", ") + labels_[i] + " " + short_number(trial.values[i]);
      }
    } else {
      line += " value";
      for (double v : trial.values) line += " " + short_number(v);
    }
    if (!trial.feasible()) line += " (infeasible)";
  } else if (trial.state == TrialState::kPruned) {
    if (!trial.intermediate.empty()) {
      line += " at step " + std::to_string(trial.intermediate.rbegin()->first) + " value " +
              short_number(trial.intermediate.rbegin()->second);
    }
  } else if (trial.state == TrialState::kFailed) {
    line += ": " + trial.failure_reason.substr(0, trial.failure_reason.find('\n'));
  }
  if (budget) {
    line += " (budget " + short_number(*budget);
    if (std::optional<double> continued = numeric_attr(trial, kContinuesAttr)) {
      line += ", continues #" + short_number(*continued);
    }
    line += ")";
  }
  line += " [" + std::to_string(done_) + (total_ > 0 ? "/" + std::to_string(total_) : "") + "]";
  if (best_) line += " best " + short_number(*best_) + " (#" + std::to_string(best_number_) + ")";
  std::cerr << line << "\n";
}

void Progress::redraw() {
  std::string line = "\r\033[K" + study_ + ": " + std::to_string(done_) +
                     (total_ > 0 ? "/" + std::to_string(total_) : "") + " done, " +
                     std::to_string(running_) + " running, " + std::to_string(failed_) + " failed";
  if (best_) line += ", best " + short_number(*best_) + " (#" + std::to_string(best_number_) + ")";
  line += eta();
  std::cerr << line << std::flush;
}

void Progress::message(const std::string& text) {
  std::lock_guard lock(mutex_);
  std::cerr << (terminal_ && !quiet_ ? "\r\033[K" : "") << "winnow: " << text << "\n";
  if (terminal_ && !quiet_) redraw();
}

void Progress::close() {
  std::lock_guard lock(mutex_);
  if (terminal_ && !quiet_) std::cerr << "\n";
  for (const auto& [reason, count] : failure_reasons_) {
    if (count > 1) {
      std::cerr << "winnow: " << count << " trials failed: " << reason << "\n";
    }
  }
}

}  // namespace winnow::cli
