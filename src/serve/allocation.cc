// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "serve/allocation.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace winnow::serving {
namespace {

// No worker may hold more bytes than an even share plus the largest member: worst-fit by
// bytes alone would stay within it, so the bound never leaves a member without a worker.
uint64_t memory_bound(std::span<const MemberCost> costs, int workers) {
  uint64_t total = 0, largest = 0;
  for (const MemberCost& cost : costs) {
    total += cost.bytes;
    largest = std::max(largest, cost.bytes);
  }
  return total / static_cast<uint64_t>(workers) + largest;
}

}  // namespace

double Allocation::makespan() const {
  return load.empty() ? 0.0 : *std::max_element(load.begin(), load.end());
}

Allocation worst_fit_decreasing(std::span<const MemberCost> costs, int workers) {
  if (workers < 1) throw std::logic_error("worst_fit_decreasing: workers < 1");
  Allocation allocation;
  allocation.members.resize(static_cast<size_t>(workers));
  allocation.load.assign(static_cast<size_t>(workers), 0.0);
  allocation.bytes.assign(static_cast<size_t>(workers), 0);
  std::vector<size_t> order(costs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return costs[a].seconds > costs[b].seconds; });
  const uint64_t bound = memory_bound(costs, workers);
  for (size_t member : order) {
    int best = -1;
    for (int w = 0; w < workers; ++w) {
      if (allocation.bytes[w] + costs[member].bytes > bound) continue;
      if (best < 0 || allocation.load[w] < allocation.load[best]) best = w;
    }
    if (best < 0) {
      // Unreachable by the bound's construction; the least filled worker keeps it correct.
      best = static_cast<int>(std::min_element(allocation.bytes.begin(), allocation.bytes.end()) -
                              allocation.bytes.begin());
    }
    allocation.members[best].push_back(member);
    allocation.load[best] += costs[member].seconds;
    allocation.bytes[best] += costs[member].bytes;
  }
  for (auto& members : allocation.members) std::sort(members.begin(), members.end());
  return allocation;
}

void improve_by_moves(std::span<const MemberCost> costs, Allocation& allocation) {
  const int workers = static_cast<int>(allocation.members.size());
  if (workers < 2) return;
  const uint64_t bound = memory_bound(costs, workers);
  // Each move strictly lowers the slowest worker's load or the number of workers sharing it,
  // so the loop ends; the cap only guards against a bug.
  const size_t cap = 4 * costs.size() * static_cast<size_t>(workers) + 16;
  for (size_t step = 0; step < cap; ++step) {
    int slowest = 0;
    for (int w = 1; w < workers; ++w) {
      if (allocation.load[w] > allocation.load[slowest]) slowest = w;
    }
    const double top = allocation.load[slowest];
    double best_peak = top;
    int best_member_pos = -1, best_target = -1;
    const std::vector<size_t>& mine = allocation.members[slowest];
    for (size_t pos = 0; pos < mine.size(); ++pos) {
      const MemberCost& cost = costs[mine[pos]];
      if (cost.seconds <= 0) continue;
      for (int w = 0; w < workers; ++w) {
        if (w == slowest || allocation.bytes[w] + cost.bytes > bound) continue;
        double peak = std::max(top - cost.seconds, allocation.load[w] + cost.seconds);
        if (peak < best_peak) {
          best_peak = peak;
          best_member_pos = static_cast<int>(pos);
          best_target = w;
        }
      }
    }
    if (best_target < 0) return;
    size_t member = mine[static_cast<size_t>(best_member_pos)];
    allocation.members[slowest].erase(allocation.members[slowest].begin() + best_member_pos);
    auto& target = allocation.members[best_target];
    target.insert(std::upper_bound(target.begin(), target.end(), member), member);
    allocation.load[slowest] -= costs[member].seconds;
    allocation.load[best_target] += costs[member].seconds;
    allocation.bytes[slowest] -= costs[member].bytes;
    allocation.bytes[best_target] += costs[member].bytes;
    ++allocation.moves;
  }
}

Allocation allocate_members(std::span<const MemberCost> costs, int workers) {
  Allocation allocation = worst_fit_decreasing(costs, workers);
  improve_by_moves(costs, allocation);
  return allocation;
}

}  // namespace winnow::serving
