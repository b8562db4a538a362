// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Factories of the built-in schedulers, one file each in src/schedulers/; registry.cc maps names
// to them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "winnow/scheduler.h"

namespace winnow {

using SchedulerOptions = std::map<std::string, std::string>;

std::unique_ptr<Scheduler> create_no_scheduler(const SchedulerOptions& options, uint64_t seed);
std::unique_ptr<Scheduler> create_median_pruner(const SchedulerOptions& options, uint64_t seed);
std::unique_ptr<Scheduler> create_percentile_pruner(const SchedulerOptions& options,
                                                    uint64_t seed);
std::unique_ptr<Scheduler> create_successive_halving(const SchedulerOptions& options,
                                                     uint64_t seed);
std::unique_ptr<Scheduler> create_hyperband(const SchedulerOptions& options, uint64_t seed);
std::unique_ptr<Scheduler> create_bohb(const SchedulerOptions& options, uint64_t seed);
std::unique_ptr<Scheduler> create_asha(const SchedulerOptions& options, uint64_t seed);

}  // namespace winnow
