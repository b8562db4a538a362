// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Which positions of a history a sampler that keeps state between asks reads (history_reader.h).
#include "samplers/history_reader.h"

#include <gtest/gtest.h>

#include <vector>

namespace winnow {
namespace {

FrozenTrial trial(int64_t number, TrialState state) {
  FrozenTrial t;
  t.id = number + 100;
  t.number = number;
  t.state = state;
  return t;
}

TEST(HistoryReader, ReadsOnlyNewPositionsAndThoseAskedForAgain) {
  std::vector<FrozenTrial> history;
  for (int64_t i = 0; i < 5; ++i) history.push_back(trial(i, TrialState::kComplete));
  history[3].state = TrialState::kRunning;
  HistoryReader reader;
  std::vector<size_t> positions;
  EXPECT_FALSE(reader.next(history, positions));  // nothing derived yet: read everything
  EXPECT_EQ(positions, (std::vector<size_t>{0, 1, 2, 3, 4}));
  reader.revisit(3);
  history[3].state = TrialState::kComplete;
  history.push_back(trial(5, TrialState::kRunning));
  history.emplace_back();  // a gap: number -1
  EXPECT_TRUE(reader.next(history, positions));
  EXPECT_EQ(positions, (std::vector<size_t>{3, 5, 6}));
  reader.revisit(5);
  reader.revisit(6);
  history[6] = trial(6, TrialState::kComplete);  // the gap filled
  EXPECT_TRUE(reader.next(history, positions));
  EXPECT_EQ(positions, (std::vector<size_t>{5, 6}));
  // Nothing new and nothing asked for: nothing to read.
  EXPECT_TRUE(reader.next(history, positions));
  EXPECT_TRUE(positions.empty());
}

TEST(HistoryReader, ReadsAnotherHistoryWhole) {
  std::vector<FrozenTrial> all;
  for (int64_t i = 0; i < 40; ++i) all.push_back(trial(i, TrialState::kComplete));
  std::vector<FrozenTrial> even, odd;
  for (const FrozenTrial& t : all) (t.number % 2 == 0 ? even : odd).push_back(t);
  HistoryReader reader;
  std::vector<size_t> positions;
  reader.next(even, positions);
  EXPECT_FALSE(reader.next(odd, positions));  // same length, other trials
  EXPECT_EQ(positions.size(), odd.size());
  EXPECT_FALSE(reader.next(std::span(odd).first(10), positions));  // shorter
  EXPECT_EQ(positions.size(), 10u);
  // The last trial seen replaced (the first and the last are always checked, a few between).
  std::vector<FrozenTrial> changed = all;
  reader.next(all, positions);
  changed.back() = trial(99, TrialState::kComplete);
  EXPECT_FALSE(reader.next(changed, positions));
  // One asked to be read again that is now another trial.
  reader.next(all, positions);
  reader.revisit(7);
  changed = all;
  changed[7] = trial(77, TrialState::kComplete);
  EXPECT_FALSE(reader.next(changed, positions));
  EXPECT_EQ(positions.size(), all.size());
}

}  // namespace
}  // namespace winnow
