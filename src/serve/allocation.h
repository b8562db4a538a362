// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Which worker thread runs which ensemble member. The procedure is the allocation of ensemble
// members to devices of Pochelu, Petiton and Conche (HPC Asia 2022): worst-fit decreasing by
// each member's measured cost (the costliest member first, each onto the least loaded worker)
// under a memory balance, then greedy moves of one member at a time off the slowest worker
// while that lowers the slowest worker's load.
//
// Deviations: the paper places deep networks on GPUs with a hard memory capacity; here workers
// are threads sharing one memory, so the memory constraint is a balance bound instead (no
// worker above total/workers + the largest member, a bound worst-fit can always meet). Costs
// come from the model file (seconds per row at a thousand rows per call, else bytes, else one
// each) since members cannot be profiled on the serving machine without delaying its start.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace winnow::serving {

struct MemberCost {
  double seconds = 0;  // relative time of one call; only ratios matter
  uint64_t bytes = 0;  // memory of its fitted models
};

struct Allocation {
  // members[w]: indices (into the costs given) that worker w runs, in increasing order.
  std::vector<std::vector<size_t>> members;
  std::vector<double> load;          // sum of seconds per worker
  std::vector<uint64_t> bytes;       // sum of bytes per worker
  int moves = 0;                     // members moved by the improvement step

  double makespan() const;  // the largest load
};

// Worst-fit decreasing: members by decreasing seconds (ties: lower index first), each onto the
// least loaded worker whose bytes stay within the balance bound (ties: lower worker index).
// Deterministic. `workers` >= 1.
Allocation worst_fit_decreasing(std::span<const MemberCost> costs, int workers);

// Moves one member at a time from the slowest worker to the worker where the move leaves the
// pair's larger load smallest, while the slowest worker's load drops and the bound holds.
void improve_by_moves(std::span<const MemberCost> costs, Allocation& allocation);

// Both steps.
Allocation allocate_members(std::span<const MemberCost> costs, int workers);

}  // namespace winnow::serving
