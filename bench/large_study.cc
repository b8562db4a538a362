// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Writes a study of many finished trials into a storage, for the benchmarks that read large
// studies (the dashboard's API and page, importance at scale):
//
//   build/bench/large_study --storage /tmp/big.db --trials 100000 --params 10
//
// Parameters x0..x(P-1) are uniform on [0, 1] (x0 log-scaled on [1e-4, 1]); the value is an
// additive function with decreasing weights plus noise, so importance has a known ranking. Every
// tenth trial is pruned after reporting intermediate values, every hundredth fails.
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

#include "winnow/storage.h"
#include "winnow/study.h"

int main(int argc, char** argv) {
  std::string storage_url = "large.db";
  std::string name = "large";
  int64_t trials = 100000;
  int params = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--storage") {
      storage_url = value;
    } else if (flag == "--study") {
      name = value;
    } else if (flag == "--trials") {
      trials = std::atoll(value.c_str());
    } else if (flag == "--params") {
      params = std::atoi(value.c_str());
    } else {
      std::cerr << "large_study: unknown flag " << flag
                << " (--storage URL --study NAME --trials N --params P)\n";
      return 2;
    }
  }
  winnow::SearchSpace space;
  space.add_float("x0", 1e-4, 1).log();
  for (int p = 1; p < params; ++p) space.add_float("x" + std::to_string(p), 0, 1);
  space.validate();
  std::shared_ptr<winnow::Storage> storage = winnow::open_storage(storage_url);
  winnow::StudyRecord record;
  record.name = name;
  record.directions = {winnow::Direction::kMinimize};
  record.space_json = space.to_json();
  record.sampler = "random";
  const int64_t study = storage->create_study(record);
  std::mt19937_64 engine(1);
  std::uniform_real_distribution<double> unit(0, 1);
  std::normal_distribution<double> noise(0, 0.05);
  for (int64_t n = 0; n < trials; ++n) {
    std::vector<double> x(params);
    for (double& u : x) u = unit(engine);
    winnow::Config config = space.decode(x);
    double value = noise(engine);
    for (int p = 0; p < params; ++p) value += x[p] / (1.0 + p);
    auto trial = storage->create_trial(study, config, winnow::TrialState::kRunning, "bench", 0,
                                       std::nullopt);
    winnow::TrialOutcome outcome;
    if (n % 100 == 99) {
      outcome.state = winnow::TrialState::kFailed;
      outcome.failure_reason = "objective exited with status 1";
    } else if (n % 10 == 9) {
      for (int step = 1; step <= 3; ++step) storage->report(trial->id, step, value + 1.0 / step);
      outcome.state = winnow::TrialState::kPruned;
    } else {
      outcome.state = winnow::TrialState::kComplete;
      outcome.values = {value};
    }
    storage->finish_trial(trial->id, outcome);
  }
  std::cerr << "large_study: " << trials << " trials in study '" << name << "' of "
            << storage_url << "\n";
  return 0;
}
