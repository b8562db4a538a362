// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "study/draft_window.h"

#include <algorithm>
#include <cmath>

namespace winnow {

std::optional<DraftWindow::Range> DraftWindow::next() const {
  if (last_ < 0) return std::nullopt;
  // Three deviations either side of the expected distance, and at least one number: most
  // asks land inside, and a process alone (distance 1, no spread) drafts for three numbers.
  const double half = std::ceil(3 * spread_) + 1;
  const int64_t low = std::max<int64_t>(last_ + 1, std::llround(last_ + gap_ - half));
  int64_t high = std::llround(last_ + gap_ + half);
  high = std::min(high, low + kMaxDrafts - 1);
  return Range{low, std::max<int64_t>(high - low + 1, 1)};
}

void DraftWindow::observe(int64_t number) {
  if (last_ >= 0 && number > last_) {
    // Exponential smoothing with a short memory: the distance follows the number of
    // processes, which changes as workers join and leave.
    constexpr double kWeight = 0.25;
    const double distance = static_cast<double>(number - last_);
    spread_ += kWeight * (std::abs(distance - gap_) - spread_);
    gap_ += kWeight * (distance - gap_);
  }
  last_ = std::max(last_, number);
}

}  // namespace winnow
