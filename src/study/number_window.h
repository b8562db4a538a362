// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>

namespace winnow {

// The numbers the next ask of this process may get, for a sampler whose proposal depends on the
// trial's number alone (random, Sobol). Such an ask drafts a proposal for each number of the
// window and creates its trial in one step (Storage::create_numbered_trial), where deciding
// under the lock would hold the study's lock across two round trips to the server.
//
// Between two asks of this process, the study's other processes create some trials: the gap.
// The window starts that many numbers after this process's last trial, as far as the recent
// gaps tell: their mean, widened by their spread on either side. One process alone gets a
// window of two numbers; P processes that ask in turn, about P. A window that missed still
// taught the exact gap, so the next one is placed by it.
class NumberWindow {
 public:
  struct Range {
    int64_t first = 0;
    int64_t count = 0;
  };
  // The most drafts an ask makes: beyond it, the next number is too unsettled to guess and the
  // ask decides under the lock instead.
  static constexpr int64_t kMaxCount = 256;

  // The window of the next ask; nullopt before this process has created a trial.
  std::optional<Range> next() const {
    if (after_last_ < 0) return std::nullopt;
    const double spread = 2.0 * deviation_ + 1.0;
    const auto low = static_cast<int64_t>(std::max(0.0, std::floor(mean_ - spread)));
    const auto high = static_cast<int64_t>(std::ceil(mean_ + spread)) + 1;
    const int64_t count = high - low;
    if (count > kMaxCount) return std::nullopt;
    return Range{after_last_ + low, count};
  }
  // The study's next number was `next` when this process's ask took the study's lock.
  void observe(int64_t next) {
    if (after_last_ < 0 || next < after_last_) return;  // (a crash of the server took trials back)
    const double gap = static_cast<double>(next - after_last_);
    if (!seen_gap_) {
      mean_ = gap;
      deviation_ = gap / 2;
      seen_gap_ = true;
      return;
    }
    // Recent gaps count most: processes join and leave a study while it runs.
    constexpr double kWeight = 0.25;
    deviation_ += kWeight * (std::abs(gap - mean_) - deviation_);
    mean_ += kWeight * (gap - mean_);
  }
  // This process created trial `number`, so the study's next number was number + 1 just after.
  void created(int64_t number) { after_last_ = number + 1; }

 private:
  int64_t after_last_ = -1;
  bool seen_gap_ = false;
  double mean_ = 0.0;       // of the recent gaps
  double deviation_ = 0.0;  // their mean absolute deviation from mean_
};

}  // namespace winnow
