// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Factories of the built-in schedulers, one file each in src/schedulers/; registry.cc maps names
// to them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

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
std::unique_ptr<Scheduler> create_sh_pruner(const SchedulerOptions& options, uint64_t seed);
std::unique_ptr<Scheduler> create_hyperband_pruner(const SchedulerOptions& options,
                                                   uint64_t seed);
std::unique_ptr<Scheduler> create_threshold_pruner(const SchedulerOptions& options,
                                                   uint64_t seed);

// SamplerSpec::parse with messages that say "scheduler spec". Throws winnow::Error.
SamplerSpec parse_scheduler_spec(std::string_view text);

// Throws winnow::Error when sampler `sampler` cannot serve budget scheduler `scheduler`: CMA-ES
// and grid replay their own proposals, which a training set that changes budget breaks.
void check_sampler_for_budget_scheduler(std::string_view sampler, std::string_view scheduler);

}  // namespace winnow
