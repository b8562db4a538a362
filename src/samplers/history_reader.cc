// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/history_reader.h"

#include <algorithm>

namespace winnow {
namespace {

// Positions checked on every ask besides those read again (evenly spaced, first and last
// included): enough to notice a different history, such as another budget's.
constexpr size_t kSpotChecks = 9;

}  // namespace

void HistoryReader::reset() {
  seen_ = 0;
  started_ = false;
  number_.clear();
  id_.clear();
  revisit_.clear();
}

bool HistoryReader::extends(std::span<const FrozenTrial> history) const {
  if (history.size() < seen_) return false;
  auto same = [&](size_t position) {
    const FrozenTrial& trial = history[position];
    // A gap (number -1) may since have been filled; it is read again anyway.
    if (number_[position] < 0) return true;
    return trial.number == number_[position] && trial.id == id_[position];
  };
  for (size_t k = 0; seen_ > 0 && k < kSpotChecks; ++k) {
    if (!same((seen_ - 1) * k / (kSpotChecks - 1))) return false;
  }
  return std::all_of(revisit_.begin(), revisit_.end(), same);
}

bool HistoryReader::next(std::span<const FrozenTrial> history, std::vector<size_t>& positions) {
  positions.clear();
  const bool extended = started_ && extends(history);
  if (extended) {
    positions.swap(revisit_);
  } else {
    seen_ = 0;
    number_.clear();
    id_.clear();
  }
  revisit_.clear();
  started_ = true;
  for (size_t position = seen_; position < history.size(); ++position) {
    positions.push_back(position);
  }
  seen_ = history.size();
  number_.resize(seen_, -1);
  id_.resize(seen_, -1);
  for (size_t position : positions) {
    number_[position] = history[position].number;
    id_[position] = history[position].id;
  }
  return extended;
}

}  // namespace winnow
