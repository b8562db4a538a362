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
#include <string>

#include "winnow/trial.h"

namespace winnow::cli {

class Progress {
 public:
  Progress(std::string study, Direction direction, int64_t total, int64_t already,
           size_t n_objectives, bool quiet);
  void started(const FrozenTrial& trial);   // called under the optimize callback lock
  void finished(const FrozenTrial& trial);  // idem
  // A warning about a running trial (from any thread): printed above the live line, which is
  // then redrawn, so the two never garble each other. Printed even when quiet.
  void message(const std::string& text);
  void close();

 private:
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
