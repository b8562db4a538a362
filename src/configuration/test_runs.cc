// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The final evaluation of an algorithm-configuration study: its incumbent on the test
// instances, each run a trial marked as a test run so that no configurator ever reads it.
#include <atomic>
#include <chrono>
#include <iostream>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "configuration/runs.h"
#include "samplers/sampler_util.h"
#include "winnow/attributes.h"
#include "winnow/configuration.h"
#include "winnow/error.h"

namespace winnow {

int evaluate_incumbent_on_test(Study& study, const Objective& objective, int jobs,
                               const StopSignal* stop) {
  const std::shared_ptr<const InstanceSet>& instances = study.options().instances;
  if (!instances) return 0;
  // The incumbent is chosen once every tuning run has finished: other workers' last runs can
  // still change it, and workers that chose apart would each test their own.
  std::vector<FrozenTrial> trials = study.trials();
  bool told = false;
  while (true) {
    size_t running = 0;
    for (const FrozenTrial& trial : trials) {
      running += trial.state == TrialState::kRunning &&
                 !trial.user_attrs.contains(std::string(kPhaseAttr));
    }
    if (running == 0) break;
    if (stop != nullptr && stop->requested()) return 0;
    if (!told) {
      std::cerr << "winnow: waiting for " << running << " tuning run(s) of other workers "
                << "before testing the incumbent\n";
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    // A run of a process of this host that is gone; other hosts' are failed (or requeued)
    // by the lease checks of the workers still running.
    study.storage().recover_orphaned_trials(study.id(), OrphanPolicy{});
    trials = study.trials();
  }
  study.record_closing_decisions();
  if (instances->test.empty()) return 0;
  trials = study.trials();
  ConfigurationReport report = configuration_report(study.record(), trials);
  if (!report.incumbent) return 0;
  const int64_t incumbent = *report.incumbent;
  const Config* config = nullptr;
  for (const ConfigurationSummary& summary : report.configurations) {
    if (summary.id == incumbent) config = &summary.config;
  }
  // Test instances the incumbent finished or is running. Read again before each run is
  // created: several workers of one study reach the end of its budget together.
  auto tested = [&](const std::vector<FrozenTrial>& all) {
    std::set<std::string> done;
    for (const FrozenTrial& trial : all) {
      if (!trial.user_attrs.contains(std::string(kPhaseAttr))) continue;
      std::optional<double> id = configuration::RunTable::attr(trial, kConfigurationAttr);
      if (!id || static_cast<int64_t>(*id) != incumbent) continue;
      if (trial.state == TrialState::kFailed && trial.interrupted) continue;
      auto it = trial.user_attrs.find(std::string(kInstanceAttr));
      if (it != trial.user_attrs.end()) {
        done.insert(nlohmann::json::parse(it->second).get<std::string>());
      }
    }
    return done;
  };
  std::set<std::string> done = tested(trials);
  std::vector<size_t> todo;
  for (size_t i = 0; i < instances->test.size(); ++i) {
    if (!done.contains(instances->test[i].path)) todo.push_back(i);
  }
  std::mutex create_mutex;  // one check-and-create at a time in this process
  std::atomic<size_t> next{0};
  std::atomic<int> made{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  auto work = [&] {
    try {
      while (true) {
        if (stop != nullptr && stop->requested()) return;
        size_t k = next.fetch_add(1);
        if (k >= todo.size()) return;
        const size_t i = todo[k];
        std::map<std::string, std::string> attrs;
        attrs[std::string(kPhaseAttr)] = "\"test\"";
        attrs[std::string(kConfigurationAttr)] = std::to_string(incumbent);
        attrs[std::string(kPositionAttr)] = std::to_string(i);
        attrs[std::string(kInstanceAttr)] = nlohmann::json(instances->test[i].path).dump();
        if (instances->seeded) {
          // The same seeds for every study: configurators are compared on the same runs.
          attrs[std::string(kRunSeedAttr)] =
              std::to_string(mix_seed(0x7e57, i) % 2147483647u + 1);
        }
        // The run is created only if no process ran the instance meanwhile: the study's next
        // number is a compare and set, so a trial another process created after the check
        // makes the insert fail, and the check is made again.
        std::optional<FrozenTrial> created;
        {
          std::lock_guard lock(create_mutex);
          size_t seen = SIZE_MAX;
          while (!created) {
            std::vector<FrozenTrial> all = study.trials();
            // A failed insert means a trial was created since: if the cached read has not
            // brought it yet, the study is read whole.
            if (all.size() == seen) all = study.storage().trials(study.id());
            seen = all.size();
            if (tested(all).contains(instances->test[i].path)) break;
            created = study.storage().create_trial(
                study.id(), *config, TrialState::kRunning, this_process_owner(), 0,
                std::nullopt, attrs, static_cast<int64_t>(all.size()));
          }
        }
        if (!created) continue;
        std::optional<Trial> trial = study.running_trial(created->number, stop);
        if (!trial) return;
        TrialOutcome outcome = objective(*trial);
        study.tell(*trial, outcome);
        ++made;
      }
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < std::max(1, jobs); ++t) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  if (error) std::rethrow_exception(error);
  return made;
}

}  // namespace winnow
