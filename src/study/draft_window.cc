// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "study/draft_window.h"

#include <algorithm>
#include <cmath>

namespace winnow {
namespace {

// Exponential smoothing with a short memory: the distance follows the number of processes,
// which changes as workers join and leave.
constexpr double kWeight = 0.25;

}  // namespace

std::optional<DraftWindow::Range> DraftWindow::next() const {
  if (last_ < 0 || paused_ > 0) return std::nullopt;
  // Three deviations either side of the expected number, never at or before the last number:
  // a process alone drafts for the next two. When that takes more than kMaxDrafts numbers
  // (many processes on few cores run unevenly), no drafts: a capped window would miss often,
  // and each draft costs a proposal on the client and its parameters on the server.
  const double needed = std::ceil(3 * spread_) + 1;
  if (2 * needed + 1 > static_cast<double>(kMaxDrafts)) return std::nullopt;
  const int64_t expected = last_ + std::max<int64_t>(1, std::llround(gap_));
  const auto half = static_cast<int64_t>(needed);
  const int64_t low = std::max(last_ + 1, expected - half);
  return Range{low, expected + half - low + 1};
}

void DraftWindow::observe(int64_t number) {
  if (last_ >= 0 && number > last_) {
    const double distance = static_cast<double>(number - last_);
    spread_ += kWeight * (std::abs(distance - gap_) - spread_);
    gap_ += kWeight * (distance - gap_);
  }
  last_ = std::max(last_, number);
  if (paused_ > 0) --paused_;
}

void DraftWindow::hit() { hit_rate_ += kWeight * (1 - hit_rate_); }

void DraftWindow::miss() {
  hit_rate_ -= kWeight * hit_rate_;
  if (hit_rate_ < 0.5) {
    paused_ = kPauseAsks;
    hit_rate_ = 1;  // a fresh start after the pause
  }
}

}  // namespace winnow
