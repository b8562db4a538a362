// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Progress of a run on standard error: on a terminal one live line (done/total, running, failed,
// best so far, ETA) redrawn on every event; otherwise one plain line per finished trial, which
// reads well in CI logs and files.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "winnow/trial.h"

namespace winnow::cli {

class Progress {
 public:
  Progress(std::string study, Direction direction, int64_t total, int64_t already,
           std::vector<std::string> objective_labels, bool quiet);
  // Takes the best value so far from the trials a study already holds (resume, a second
  // process), so "best" is the study's, not this run's.
  void include_existing(std::span<const FrozenTrial> trials);
  void started(const FrozenTrial& trial);   // called under the optimize callback lock
  void finished(const FrozenTrial& trial);  // idem
  // A warning about a running trial (from any thread): printed above the live line, which is
  // then redrawn, so the two never garble each other. Printed even when quiet.
  void message(const std::string& text);
  // Ends the live line and prints how many trials failed with each reason seen more than once.
  void close();

 private:
  void consider_best(const FrozenTrial& trial);
  void report_failure(const FrozenTrial& trial);
  void redraw();
  std::string eta() const;

  std::string study_;
  Direction direction_;
  int64_t total_;
  int64_t done_;
  int64_t done_here_ = 0;
  int64_t running_ = 0;
  int64_t failed_ = 0;
  size_t n_objectives_;
  std::vector<std::string> labels_;  // objective names, or empty
  // Failure reasons (first line) in order of appearance, with how often each was seen: a
  // reason is printed in full once, then only counted.
  std::vector<std::pair<std::string, int64_t>> failure_reasons_;
  bool quiet_;
  bool terminal_;
  std::optional<double> best_;
  int64_t best_number_ = -1;
  // Under a budget scheduler the best value is the best at the largest budget reached so far.
  double best_budget_ = -1;
  std::string last_sampler_;
  std::chrono::steady_clock::time_point start_;
  // Warnings arrive on trial threads, outside the optimize callback lock.
  std::mutex mutex_;
};

}  // namespace winnow::cli
