// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Whether what several workers add to every trial stays flat as a study grows: an ASHA study
// (whose ask may claim a promotion in the transaction that creates the continuation) is grown
// with a trivial objective to the largest size asked for, and at each size this program measures
//   - ask + tell under ASHA, the mean over the last 1,000 trials before that size;
//   - a lease check (Storage::recover_orphaned_trials with a 5-minute lease, what every worker
//     runs every lease / 2) with 8 trials running, median and p99 of 200 checks;
//   - a heartbeat of those 8 trials, median and p99 of 200.
//
//   build/bench/lease_scaling --storage postgresql://me@127.0.0.1/bench --sizes 1000,10000,100000
//   build/bench/lease_scaling --storage /tmp/scaling.db --json
//
// The study is created fresh (a unique name) in the storage given.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/error.h"
#include "winnow/space.h"
#include "winnow/storage.h"
#include "winnow/study.h"

namespace {

using Clock = std::chrono::steady_clock;

double micros(Clock::duration span) {
  return std::chrono::duration<double, std::micro>(span).count();
}

double quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

std::vector<int64_t> parse_sizes(std::string_view text) {
  std::vector<int64_t> sizes;
  while (!text.empty()) {
    size_t comma = text.find(',');
    sizes.push_back(std::strtoll(std::string(text.substr(0, comma)).c_str(), nullptr, 10));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  std::sort(sizes.begin(), sizes.end());
  return sizes;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  std::vector<int64_t> sizes = {1000, 10000, 100000};
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--storage" && i + 1 < argc) {
      url = argv[++i];
    } else if (arg == "--sizes" && i + 1 < argc) {
      sizes = parse_sizes(argv[++i]);
    } else if (arg == "--json") {
      json = true;
    } else {
      std::cerr << "usage: " << argv[0]
                << " --storage URL [--sizes 1000,10000,100000] [--json]\n";
      return 2;
    }
  }
  if (url.empty() || sizes.empty() || sizes.front() < 1000) {
    std::cerr << argv[0] << ": --storage URL is required and sizes must be >= 1000\n";
    return 2;
  }
  try {
    std::shared_ptr<winnow::Storage> storage = winnow::open_storage(url);
    winnow::SearchSpace space;
    space.add_float("x", 0.0, 1.0);
    space.add_float("y", 0.0, 1.0);
    winnow::StudyOptions options;
    options.name = "lease-scaling-" + std::to_string(std::random_device{}());
    options.sampler = "random";
    options.seed = 1;
    options.scheduler = "asha";
    options.budget = winnow::BudgetSpec{.name = "epochs", .min = 1, .max = 27, .eta = 3};
    winnow::Study study = winnow::Study::create(storage, space, options);

    // Eight trials held running by "other workers" for the lease checks and heartbeats.
    std::vector<int64_t> held;
    for (int i = 0; i < 8; ++i) {
      held.push_back(storage->create_trial(study.id(), {{"x", 0.5}, {"y", 0.5}},
                                           winnow::TrialState::kRunning,
                                           winnow::this_process_owner(), 0, std::nullopt)
                         ->id);
    }
    const std::string owner = winnow::this_process_owner();
    winnow::OrphanPolicy policy{.lease_ms = 300000, .reason = "lost"};
    if (!json) {
      std::printf("%9s %16s %14s %14s %14s %14s %11s\n", "trials", "ask+tell mean us",
                  "lease p50 us", "lease p99 us", "beat p50 us", "beat p99 us", "promotions");
    }
    int64_t done = 0;
    for (int64_t size : sizes) {
      Clock::time_point window_start = Clock::now();
      int promotions = 0;
      while (done < size) {
        if (done == size - 1000) {
          window_start = Clock::now();
          promotions = 0;
        }
        winnow::Trial trial = study.ask();
        if (trial.previous_budget() > 0) ++promotions;
        double x = trial.float_param("x"), y = trial.float_param("y");
        study.tell(trial, (x - 0.3) * (x - 0.3) + y / *trial.budget());
        ++done;
      }
      double ask_tell_us = micros(Clock::now() - window_start) / 1000.0;
      std::vector<double> lease, beat;
      for (int r = 0; r < 200; ++r) {
        Clock::time_point start = Clock::now();
        if (storage->recover_orphaned_trials(study.id(), policy) != 0) {
          throw winnow::Error("a held trial was found lost");
        }
        lease.push_back(micros(Clock::now() - start));
        start = Clock::now();
        storage->heartbeat(held, owner);
        beat.push_back(micros(Clock::now() - start));
      }
      if (json) {
        std::printf(
            "{\"storage\": \"%s\", \"trials\": %lld, \"ask_tell_asha_us\": %.2f, "
            "\"lease_check_p50_us\": %.2f, \"lease_check_p99_us\": %.2f, "
            "\"heartbeat_p50_us\": %.2f, \"heartbeat_p99_us\": %.2f, \"promotions\": %d}\n",
            storage->url().substr(0, storage->url().find(':')).c_str(),
            static_cast<long long>(size), ask_tell_us, quantile(lease, 0.5),
            quantile(lease, 0.99), quantile(beat, 0.5), quantile(beat, 0.99), promotions);
      } else {
        std::printf("%9lld %16.1f %14.1f %14.1f %14.1f %14.1f %11d\n",
                    static_cast<long long>(size), ask_tell_us, quantile(lease, 0.5),
                    quantile(lease, 0.99), quantile(beat, 0.5), quantile(beat, 0.99),
                    promotions);
      }
      std::fflush(stdout);
    }
  } catch (const std::exception& error) {
    std::cerr << argv[0] << ": " << error.what() << "\n";
    return 1;
  }
  return 0;
}
