// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Algorithm configuration in process: the racing statistics against R's, and racing and
// intensification on in-memory studies whose "solver" is a function of the configuration and
// the instance, so every verdict can be checked.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "configuration/runs.h"
#include "configuration/statistics.h"
#include "unit/storage_test_support.h"
#include "winnow/attributes.h"
#include "winnow/configuration.h"
#include "winnow/error.h"
#include "winnow/study.h"

namespace winnow {
namespace {

using configuration::friedman_elimination;
using configuration::ttest_elimination;

// Reference p-values from R 4.2: friedman.test(m), wilcox.test(a, b, paired = TRUE,
// exact = FALSE, correct = TRUE), t.test(a, b, paired = TRUE).
TEST(RacingStatistics, FriedmanWilcoxonAndTTestAgreeWithR) {
  const std::vector<std::vector<double>> blocks = {{1, 2, 3}, {2, 3, 1}, {1, 3, 2}, {1, 2, 3},
                                                   {1, 3, 2}, {1, 2, 3}, {2, 1, 3}, {1, 3, 2}};
  std::vector<std::vector<double>> by_configuration(3);
  for (const auto& block : blocks) {
    for (size_t j = 0; j < 3; ++j) by_configuration[j].push_back(block[j]);
  }
  auto friedman = friedman_elimination(by_configuration, 0.05);
  EXPECT_NEAR(friedman.p_value, 0.03421812, 1e-6);
  EXPECT_EQ(friedman.test, "Friedman");
  EXPECT_TRUE(friedman.survivors[0]);  // the lowest rank sum always survives

  const std::vector<double> a = {1.2, 1.5, 1.1, 1.9, 1.4, 1.6, 1.3, 1.7};
  const std::vector<double> b = {1.0, 1.1, 1.3, 1.2, 1.0, 1.1, 1.2, 1.1};
  auto wilcoxon = friedman_elimination({a, b}, 0.05);
  EXPECT_EQ(wilcoxon.test, "Wilcoxon");
  EXPECT_NEAR(wilcoxon.p_value, 0.03524022, 1e-6);
  EXPECT_FALSE(wilcoxon.survivors[0]);
  EXPECT_TRUE(wilcoxon.survivors[1]);
  auto t = ttest_elimination({a, b}, 0.05);
  EXPECT_NEAR(t.p_value, 0.01378876, 1e-6);
  EXPECT_FALSE(t.survivors[0]);
  EXPECT_TRUE(t.survivors[1]);
  // At 99% confidence neither test eliminates.
  EXPECT_TRUE(friedman_elimination({a, b}, 0.01).survivors[0]);
}

TEST(RacingStatistics, FailuresRankLastAndTiesEliminateNothing) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> costs = {
      {1, 1, 1, 1, 1, 1}, {2, 2, 2, 2, 2, 2}, {inf, inf, inf, inf, inf, inf}};
  auto result = friedman_elimination(costs, 0.05);
  EXPECT_LT(result.p_value, 0.05);
  EXPECT_TRUE(result.survivors[0]);
  EXPECT_FALSE(result.survivors[2]);
  auto tied = friedman_elimination({{1, 1, 1, 1, 1}, {1, 1, 1, 1, 1}, {1, 1, 1, 1, 1}}, 0.05);
  EXPECT_EQ(tied.p_value, 1);
  for (bool survivor : tied.survivors) EXPECT_TRUE(survivor);
  auto t = ttest_elimination(costs, 0.05);
  EXPECT_FALSE(t.survivors[2]);
}

// Instances "i0" ... with a difficulty each; the cost of a configuration on an instance is its
// difficulty times how far the configuration is from (x = 0.3, mode = fast).
std::shared_ptr<InstanceSet> instances(int n, RunCostKind cost = RunCostKind::kValue) {
  auto set = std::make_shared<InstanceSet>();
  for (int i = 0; i < n; ++i) {
    set->train.push_back({"i" + std::to_string(i), "/instances/i" + std::to_string(i), {}});
  }
  for (int i = 0; i < 4; ++i) {
    set->test.push_back({"t" + std::to_string(i), "/instances/t" + std::to_string(i), {}});
  }
  set->cost = cost;
  if (cost == RunCostKind::kRuntime) set->cutoff_seconds = 5;
  return set;
}

SearchSpace space() {
  SearchSpace s;
  s.add_float("x", 0, 1).add_categorical("mode", {std::string("fast"), std::string("slow")});
  s.validate();
  return s;
}

double difficulty(const std::string& path) { return 1 + (path.back() - '0') % 5; }

double true_cost(const Config& config, const std::string& path) {
  double x = std::get<double>(config.at("x"));
  double penalty = std::get<std::string>(config.at("mode")) == "fast" ? 0 : 0.5;
  return difficulty(path) * (0.1 + (x - 0.3) * (x - 0.3) + penalty);
}

std::string instance_of(const Trial& trial) {
  std::string json = trial.record().user_attrs.at(std::string(kInstanceAttr));
  return json.substr(1, json.size() - 2);
}

// A run of a solver that takes `seconds`, cut at the cap the configurator set (else the
// cutoff, 5 s): its runtime cost, censored when cut.
TrialOutcome timed_run(const Trial& trial, double seconds) {
  auto cap = trial.record().user_attrs.find(std::string(kCapAttr));
  double limit = cap == trial.record().user_attrs.end() ? 5 : std::stod(cap->second);
  TrialOutcome outcome;
  outcome.values = {std::min(seconds, limit)};
  outcome.metrics["runtime"] = std::min(seconds, limit);
  if (seconds >= limit) outcome.metrics["censored"] = 1;
  return outcome;
}

// A solver whose runtime is its cost, honouring the cap the configurator set.
TrialOutcome solve(Trial& trial, bool runtime) {
  double cost = true_cost(trial.config(), instance_of(trial));
  if (runtime) return timed_run(trial, cost);
  TrialOutcome outcome;
  outcome.values = {cost};
  return outcome;
}

Study configuration_study(const std::string& sampler, std::shared_ptr<InstanceSet> set,
                          int64_t budget) {
  set->budget_runs = budget;
  StudyOptions options{.name = "ac", .sampler = sampler, .seed = 3};
  options.instances = set;
  return Study::create(open_storage("memory"), space(), options);
}

TEST(Race, EliminatesBadConfigurationsAndFindsTheGoodRegion) {
  Study study = configuration_study("race", instances(20), 300);
  OptimizeOptions run{.max_trials_in_study = 300};
  study.optimize([](Trial& t) { return solve(t, false); }, run);
  std::vector<FrozenTrial> trials = study.trials();
  ASSERT_EQ(trials.size(), 300u);
  // The space's default (x = 0.5, mode = fast) races first.
  EXPECT_DOUBLE_EQ(std::get<double>(trials[0].config.at("x")), 0.5);
  EXPECT_EQ(trials[0].user_attrs.at(std::string(kConfigurationAttr)), "0");
  std::set<std::pair<int64_t, int64_t>> seen;
  for (const FrozenTrial& trial : trials) {
    auto id = configuration::RunTable::attr(trial, kConfigurationAttr);
    auto position = configuration::RunTable::attr(trial, kPositionAttr);
    ASSERT_TRUE(id && position);
    EXPECT_TRUE(seen.emplace(*id, *position).second) << "a run was repeated";
    EXPECT_TRUE(trial.user_attrs.contains(std::string(kIterationAttr)));
  }
  ConfigurationReport report = configuration_report(study.record(), trials);
  ASSERT_TRUE(report.incumbent);
  int eliminated = 0;
  const ConfigurationSummary* best = nullptr;
  for (const ConfigurationSummary& summary : report.configurations) {
    if (summary.status == "eliminated") {
      ++eliminated;
      EXPECT_NE(summary.reason.find("test, p = "), std::string::npos) << summary.reason;
    }
    if (summary.id == *report.incumbent) best = &summary;
  }
  EXPECT_GT(eliminated, 10);
  ASSERT_NE(best, nullptr);
  EXPECT_EQ(std::get<std::string>(best->config.at("mode")), "fast");
  EXPECT_NEAR(std::get<double>(best->config.at("x")), 0.3, 0.15);
  // The incumbent ran on many more instances than an eliminated configuration.
  EXPECT_GE(best->finished, 10);
}

// The tests that eliminated the configurations of a race study, by name ("t", "Friedman",
// "Wilcoxon"), from the reasons `winnow show` reports.
std::set<std::string> elimination_tests(const std::string& sampler, RunCostKind cost) {
  auto set = instances(20, cost);
  set->capping = false;  // only the tests eliminate
  Study study = configuration_study(sampler, set, 300);
  OptimizeOptions run{.max_trials_in_study = 300};
  study.optimize([&](Trial& t) { return solve(t, cost == RunCostKind::kRuntime); }, run);
  ConfigurationReport report = configuration_report(study.record(), study.trials());
  std::set<std::string> tests;
  for (const ConfigurationSummary& summary : report.configurations) {
    size_t end = summary.reason.find(" test, p = ");
    if (summary.status != "eliminated" || end == std::string::npos) continue;
    tests.insert(summary.reason.substr(summary.reason.rfind(": ", end) + 2,
                                       end - summary.reason.rfind(": ", end) - 2));
  }
  return tests;
}

// By default a value cost races with paired t-tests (its mean is what the study minimises) and
// a runtime cost with Friedman's test (a timeout's PAR-k penalty would swamp a t-test); `test`
// forces either.
TEST(Race, TheDefaultTestIsATTestOnValuesAndFriedmansOnRuntimes) {
  EXPECT_EQ(elimination_tests("race", RunCostKind::kValue), std::set<std::string>{"t"});
  std::set<std::string> ranks = elimination_tests("race", RunCostKind::kRuntime);
  EXPECT_TRUE(ranks.contains("Friedman"));
  EXPECT_FALSE(ranks.contains("t"));
  std::set<std::string> forced = elimination_tests("race:test=friedman", RunCostKind::kValue);
  EXPECT_TRUE(forced.contains("Friedman"));
  EXPECT_FALSE(forced.contains("t"));
  EXPECT_EQ(elimination_tests("race:test=t", RunCostKind::kRuntime),
            std::set<std::string>{"t"});
  EXPECT_THROW(configuration_study("race:test=anova", instances(5), 10), Error);
}

// As irace's elitist racing: a race after the first starts its new configurations on an
// instance no earlier race reached, then goes through the instances the elites have seen in a
// new random order, rather than eliminating by the same first instances every iteration.
TEST(Race, EachRaceMeetsANewInstanceFirstThenTheOldOnesInAnotherOrder) {
  Study study = configuration_study("race", instances(20), 300);
  OptimizeOptions run{.max_trials_in_study = 300};
  study.optimize([](Trial& t) { return solve(t, false); }, run);
  std::map<int64_t, int64_t> iteration_of;                 // configuration -> first iteration
  std::map<int64_t, std::vector<int64_t>> positions_of;     // configuration -> its positions
  std::map<int64_t, int64_t> reached;                      // iteration -> highest position run
  for (const FrozenTrial& trial : study.trials()) {
    auto id = static_cast<int64_t>(*configuration::RunTable::attr(trial, kConfigurationAttr));
    auto position = static_cast<int64_t>(*configuration::RunTable::attr(trial, kPositionAttr));
    auto iteration = static_cast<int64_t>(*configuration::RunTable::attr(trial, kIterationAttr));
    iteration_of.try_emplace(id, iteration);
    positions_of[id].push_back(position);
    reached[iteration] = std::max(reached.contains(iteration) ? reached[iteration] : -1, position);
  }
  int later_races = 0, reordered = 0;
  for (const auto& [id, iteration] : iteration_of) {
    if (iteration < 2 || positions_of[id].size() < 3) continue;
    int64_t before = -1;
    for (const auto& [i, highest] : reached) {
      if (i < iteration) before = std::max(before, highest);
    }
    ++later_races;
    // Once the elites have seen all 20 instances (the stream has no seeds), only old ones remain.
    if (before + 1 < 20) {
      EXPECT_EQ(positions_of[id][0], before + 1) << "configuration " << id << ", iteration "
                                                 << iteration;
    }
    const std::vector<int64_t>& p = positions_of[id];
    reordered += std::is_sorted(p.begin() + 1, p.end()) ? 0 : 1;
  }
  EXPECT_GT(later_races, 5);
  EXPECT_GT(reordered, later_races / 2);
}

TEST(Race, ParallelProcessesNeverRepeatARunAndKeepTheBudget) {
  std::shared_ptr<Storage> storage = open_storage("memory");
  auto set = instances(15);
  set->budget_runs = 200;
  StudyOptions options{.name = "ac", .sampler = "race", .seed = 5};
  options.instances = set;
  Study study = Study::create(storage, space(), options);
  OptimizeOptions run{.max_trials_in_study = 200};
  run.n_jobs = 4;
  study.optimize([](Trial& t) { return solve(t, false); }, run);
  std::vector<FrozenTrial> trials = study.trials();
  EXPECT_EQ(trials.size(), 200u);
  std::set<std::pair<int64_t, int64_t>> seen;
  for (const FrozenTrial& trial : trials) {
    auto key = std::make_pair(*configuration::RunTable::attr(trial, kConfigurationAttr),
                              *configuration::RunTable::attr(trial, kPositionAttr));
    EXPECT_TRUE(seen.insert(key).second);
  }
}

TEST(Race, RuntimeCostCapsHopelessRunsAndEliminatesThem) {
  Study study = configuration_study("race", instances(20, RunCostKind::kRuntime), 300);
  OptimizeOptions run{.max_trials_in_study = 300};
  study.optimize([](Trial& t) { return solve(t, true); }, run);
  std::vector<FrozenTrial> trials = study.trials();
  int capped = 0;
  for (const FrozenTrial& trial : trials) {
    if (trial.user_attrs.contains(std::string(kCapAttr))) {
      ++capped;
      EXPECT_LT(std::stod(trial.user_attrs.at(std::string(kCapAttr))), 5.0);
    }
  }
  EXPECT_GT(capped, 20);
  ConfigurationReport report = configuration_report(study.record(), trials);
  EXPECT_GT(report.censored_runs, 0);
  bool capped_out = false;
  for (const ConfigurationSummary& summary : report.configurations) {
    capped_out = capped_out || summary.reason.find("capped") != std::string::npos;
  }
  EXPECT_TRUE(capped_out);
}

// With several jobs, runs of the configurations the bound applies to wait for the bounding
// configurations' results (or run ahead with a cap from them) instead of running uncapped: the
// run time racing spends stays near what one job spends.
TEST(Race, CappingHoldsWithParallelJobs) {
  auto spent = [](int jobs) {
    Study study = configuration_study("race", instances(20, RunCostKind::kRuntime), 240);
    study.optimize(
        [](Trial& t) {
          // "slow" is ten times slower than "fast" and mostly past the cutoff.
          double cost = 0.2 * difficulty(instance_of(t)) *
                        (std::get<std::string>(t.config().at("mode")) == "fast" ? 1 : 10) *
                        (1 + std::get<double>(t.config().at("x")));
          TrialOutcome outcome = timed_run(t, cost);
          // Runs take time, so that several are pending at once.
          std::this_thread::sleep_for(std::chrono::microseconds(
              static_cast<int64_t>(400 * outcome.metrics.at("runtime"))));
          return outcome;
        },
        OptimizeOptions{.max_trials_in_study = 240, .n_jobs = jobs});
    double seconds = 0;
    int at_cutoff = 0;
    for (const FrozenTrial& trial : study.trials()) {
      seconds += trial.metrics.at("runtime");
      at_cutoff += trial.metrics.at("runtime") >= 5;
    }
    RecordProperty("seconds_with_" + std::to_string(jobs) + "_jobs", std::to_string(seconds));
    RecordProperty("at_cutoff_with_" + std::to_string(jobs) + "_jobs", at_cutoff);
    return seconds;
  };
  // When the others ran uncapped while the bounding runs were going, three jobs spent far
  // more run time than one.
  const double serial = spent(1);
  EXPECT_LT(spent(3), 1.2 * serial);
}

// Every "fast" configuration takes exactly as long as every other one and "slow" ones three
// times as long: capping against the elites' median (irace's bound) cuts the slow ones and
// never a configuration as fast as the fastest, which a bound at the fastest total would cut.
TEST(Race, CappingCutsSlowConfigurationsAndNeverOneAsFastAsTheBest) {
  Study study = configuration_study("race", instances(20, RunCostKind::kRuntime), 300);
  study.optimize(
      [](Trial& t) {
        return timed_run(t, 0.1 * difficulty(instance_of(t)) *
                                (std::get<std::string>(t.config().at("mode")) == "fast" ? 1 : 3));
      },
      OptimizeOptions{.max_trials_in_study = 300});
  ConfigurationReport report = configuration_report(study.record(), study.trials());
  int slow_capped = 0;
  for (const ConfigurationSummary& summary : report.configurations) {
    const bool capped = summary.reason.find("capped") != std::string::npos ||
                        summary.reason.find("dominated") != std::string::npos;
    if (std::get<std::string>(summary.config.at("mode")) == "fast") {
      EXPECT_FALSE(capped) << "configuration " << summary.id << ": " << summary.reason;
    } else {
      slow_capped += capped;
    }
  }
  EXPECT_GT(slow_capped, 3);
  EXPECT_GT(report.censored_runs, 3);
}

// Run times vary by a factor of three from instance to instance, more than configurations
// differ, so Friedman's test eliminates little and, without more, a race goes on over instance
// after instance with every configuration whose run stays under the elites' median total.
// The dominance criterion eliminates, once the first test's instances are done, those whose
// total is above that bound (elites too, once they are no longer protected): races end, the
// runs go to new configurations, and racing spends less run time for the same budget of runs.
TEST(Race, DominanceEndsRacesTheTestCannotDecide) {
  struct Spent {
    double seconds = 0;
    int dominated = 0;
  };
  auto race = [](const std::string& sampler) {
    Study study = configuration_study(sampler, instances(40, RunCostKind::kRuntime), 400);
    study.optimize(
        [](Trial& t) {
          const double x = std::get<double>(t.config().at("x"));
          // Noise fixed per (configuration, instance), from 0.5 to 1.5.
          const size_t h = std::hash<std::string>{}(instance_of(t) + "/" + std::to_string(x));
          const double noise = 0.5 + static_cast<double>(h % 1000) / 1000;
          return timed_run(t, 0.1 * (1 + x) * noise);
        },
        OptimizeOptions{.max_trials_in_study = 400});
    Spent spent;
    for (const FrozenTrial& trial : study.trials()) spent.seconds += trial.metrics.at("runtime");
    ConfigurationReport report = configuration_report(study.record(), study.trials());
    for (const ConfigurationSummary& summary : report.configurations) {
      spent.dominated += summary.reason.find("dominated") != std::string::npos;
    }
    return spent;
  };
  const Spent with = race("race");
  const Spent without = race("race:dominance=off");
  EXPECT_GT(with.dominated, 0);
  EXPECT_EQ(without.dominated, 0);
  EXPECT_LT(with.seconds, without.seconds);
  RecordProperty("seconds_with_dominance", std::to_string(with.seconds));
  RecordProperty("seconds_without_dominance", std::to_string(without.seconds));
}

TEST(Intensify, DefaultFirstThenChallengersAgainstTheIncumbentWithCapping) {
  Study study = configuration_study("random", instances(12, RunCostKind::kRuntime), 150);
  OptimizeOptions run{.max_trials_in_study = 150};
  study.optimize([](Trial& t) { return solve(t, true); }, run);
  std::vector<FrozenTrial> trials = study.trials();
  ASSERT_EQ(trials.size(), 150u);
  // The space's default (x = 0.5, mode = fast) runs first.
  EXPECT_DOUBLE_EQ(std::get<double>(trials[0].config.at("x")), 0.5);
  ConfigurationReport report = configuration_report(study.record(), trials);
  ASSERT_TRUE(report.incumbent);
  int rejected = 0, promoted = 0;
  const ConfigurationSummary* incumbent = nullptr;
  for (const ConfigurationSummary& summary : report.configurations) {
    rejected += summary.status == "rejected";
    promoted += summary.reason.starts_with("matched");
    if (summary.id == *report.incumbent) incumbent = &summary;
  }
  EXPECT_GT(rejected, 5);
  EXPECT_GT(promoted, 0);
  ASSERT_NE(incumbent, nullptr);
  EXPECT_EQ(std::get<std::string>(incumbent->config.at("mode")), "fast");
  EXPECT_LT(std::abs(std::get<double>(incumbent->config.at("x")) - 0.3), 0.2);
  EXPECT_GT(report.censored_runs, 5);  // hopeless challengers were cut short
  // Every challenger's run is capped below the cutoff or runs the incumbent's instances.
  int capped = 0;
  for (const FrozenTrial& trial : trials) capped += trial.user_attrs.contains(std::string(kCapAttr));
  EXPECT_GT(capped, 20);
}

TEST(Intensify, CappingSpendsLessRunTimeThanTheSameSearchWithout) {
  auto total = [](bool capping) {
    auto set = instances(12, RunCostKind::kRuntime);
    set->capping = capping;
    Study study = configuration_study("random", set, 150);
    OptimizeOptions run{.max_trials_in_study = 150};
    study.optimize([](Trial& t) { return solve(t, true); }, run);
    double seconds = 0;
    for (const FrozenTrial& trial : study.trials()) seconds += trial.metrics.at("runtime");
    return seconds;
  };
  EXPECT_LT(total(true), 0.8 * total(false));
}

// rf under intensification models runs over instance features (rf_runs.h), with runtimes cut at
// their caps among them, and finds the good region of a problem where the instance's
// difficulty multiplies the cost.
TEST(Intensify, RfModelsRunsOverInstanceFeaturesWithCappedRuns) {
  auto set = instances(12, RunCostKind::kRuntime);
  set->feature_names = {"difficulty"};
  for (ProblemInstance& instance : set->train) instance.features = {difficulty(instance.path)};
  Study study = configuration_study("rf:n_startup=4", set, 160);
  study.optimize([](Trial& t) { return solve(t, true); },
                 OptimizeOptions{.max_trials_in_study = 160});
  std::vector<FrozenTrial> trials = study.trials();
  ASSERT_EQ(trials.size(), 160u);
  ConfigurationReport report = configuration_report(study.record(), trials);
  EXPECT_GT(report.censored_runs, 0);
  EXPECT_GT(report.configurations.size(), 10u);
  ASSERT_TRUE(report.incumbent);
  for (const ConfigurationSummary& summary : report.configurations) {
    if (summary.id != *report.incumbent) continue;
    EXPECT_EQ(std::get<std::string>(summary.config.at("mode")), "fast");
    EXPECT_LT(std::abs(std::get<double>(summary.config.at("x")) - 0.3), 0.15);
  }
}

// In a small space rf's model soon proposes only configurations that have run. The study goes
// on with untried ones, then gives the incumbent the instances it has not seen, and ends at its
// budget or once every configuration is decided and the incumbent has seen every instance,
// with parallel jobs as with one.
TEST(Intensify, ASmallSpaceRunsToItsBudgetOrUntilNothingIsLeftToLearn) {
  SearchSpace small;
  small.add_categorical("mode", {std::string("fast"), std::string("slow")}).add_int("level", 0, 4);
  small.validate();
  Objective cost = [](Trial& t) {
    const double level = static_cast<double>(t.int_param("level"));
    const double penalty = t.string_param("mode") == "fast" ? 0 : 0.5;
    TrialOutcome outcome;
    outcome.values = {difficulty(instance_of(t)) * (1 + (level - 2) * (level - 2) + penalty)};
    return outcome;
  };
  for (int jobs : {1, 4}) {
    for (int64_t budget : {15, 400}) {
      auto set = instances(10);
      set->budget_runs = budget;
      StudyOptions options{.name = "ac", .sampler = "rf:n_startup=3", .seed = 3};
      options.instances = set;
      Study study = Study::create(open_storage("memory"), small, options);
      study.optimize(cost, OptimizeOptions{.max_trials_in_study = budget, .n_jobs = jobs});
      std::vector<FrozenTrial> trials = study.trials();
      ConfigurationReport report = configuration_report(study.record(), trials);
      const std::string where = std::to_string(jobs) + " job(s), budget " + std::to_string(budget);
      ASSERT_TRUE(report.incumbent) << where;
      if (budget == 15) {
        EXPECT_EQ(trials.size(), 15u) << where;
        continue;
      }
      EXPECT_EQ(report.configurations.size(), 10u) << where;
      // With run seeds the instances never run out: the incumbent takes what is left.
      set->seeded = true;
      Study seeded = Study::create(open_storage("memory"), small, options);
      seeded.optimize(cost, OptimizeOptions{.max_trials_in_study = 120, .n_jobs = jobs});
      EXPECT_EQ(seeded.trials().size(), 120u) << where << ", with seeds";
      EXPECT_LE(trials.size(), 100u) << where;
      for (const ConfigurationSummary& summary : report.configurations) {
        if (summary.id == *report.incumbent) {
          EXPECT_EQ(std::get<std::string>(summary.config.at("mode")), "fast") << where;
          EXPECT_EQ(std::get<int64_t>(summary.config.at("level")), 2) << where;
          EXPECT_EQ(summary.finished, 10) << where;
        } else {
          EXPECT_EQ(summary.status, "rejected") << where << ", configuration " << summary.id;
        }
      }
    }
  }
}

TEST(Configuration, StudiesRefuseSeveralObjectivesAndBudgetSchedulers) {
  auto set = instances(5);
  StudyOptions options{.name = "ac", .directions = {Direction::kMinimize, Direction::kMinimize},
                       .sampler = "race"};
  options.instances = set;
  EXPECT_THROW(Study::create(open_storage("memory"), space(), options), Error);
  StudyOptions pruned{.name = "ac", .sampler = "race", .scheduler = "median"};
  pruned.instances = set;
  EXPECT_THROW(Study::create(open_storage("memory"), space(), pruned), Error);
  auto runtime = instances(5);
  runtime->cost = RunCostKind::kRuntime;
  runtime->cutoff_seconds = 0;
  StudyOptions no_cutoff{.name = "ac", .sampler = "race"};
  no_cutoff.instances = runtime;
  EXPECT_THROW(Study::create(open_storage("memory"), space(), no_cutoff), Error);
}

// Without a recorded incumbent (racing), the report takes, among the configurations still
// standing, one run on the most instances, as irace takes its final elite: configuration 1 has
// a lower mean over the 10 instances it ran than 0 over its 20, but a configuration's mean over
// half the instances, picked among many, measures its luck as much as its quality.
TEST(Configuration, WithoutAnIncumbentTheReportTakesTheBestOfTheMostRun) {
  Study study = configuration_study("race", instances(20), 100);
  std::vector<FrozenTrial> trials;
  auto add = [&](int64_t configuration, int64_t position, double cost) {
    FrozenTrial t;
    t.id = t.number = static_cast<int64_t>(trials.size());
    t.state = TrialState::kComplete;
    t.values = {cost};
    t.config = {{"x", 0.1 * static_cast<double>(configuration)}, {"mode", std::string("fast")}};
    t.user_attrs[std::string(kConfigurationAttr)] = std::to_string(configuration);
    t.user_attrs[std::string(kPositionAttr)] = std::to_string(position);
    trials.push_back(std::move(t));
  };
  for (int64_t p = 0; p < 20; ++p) add(0, p, 10.0);
  for (int64_t p = 0; p < 10; ++p) add(1, p, 8.0);
  for (int64_t p = 0; p < 20; ++p) add(2, p, 12.0);
  ConfigurationReport report = configuration_report(study.record(), trials);
  ASSERT_TRUE(report.incumbent.has_value());
  EXPECT_EQ(*report.incumbent, 0);
}

int64_t attr_of(const Trial& trial, std::string_view key) {
  return std::stoll(trial.record().user_attrs.at(std::string(key)));
}

// With several jobs, a challenger can finish its first run before the incumbent finishes its
// own on the same instance: it is judged once both have, never against the running one.
TEST(Intensify, AChallengerIsJudgedOnlyOnRunsItsOpponentFinished) {
  Study study = configuration_study("random", instances(6), 40);
  Trial incumbent = study.ask();  // the default configuration, on the first instance
  Trial challenger = study.ask();
  ASSERT_EQ(attr_of(challenger, kPositionAttr), 0);
  ASSERT_NE(attr_of(challenger, kConfigurationAttr), attr_of(incumbent, kConfigurationAttr));
  study.tell(challenger, 1.0);
  Trial third = study.ask();  // decides on what has finished
  study.tell(incumbent, 5.0);  // the challenger was the better one
  study.tell(third, 5.0);
  Trial fourth = study.ask();  // decides again, now on both runs
  study.tell(fourth, 5.0);
  const int64_t id = attr_of(challenger, kConfigurationAttr);
  for (const FrozenTrial& trial : study.trials()) {
    auto decisions = trial.user_attrs.find(std::string(kDecisionsAttr));
    if (decisions == trial.user_attrs.end()) continue;
    for (const auto& decision : nlohmann::json::parse(decisions->second)) {
      EXPECT_FALSE(decision["configuration"] == id && decision["event"] == "rejected")
          << "trial " << trial.number << " recorded " << decision.dump();
    }
  }
  ConfigurationReport report = configuration_report(study.record(), study.trials());
  ASSERT_TRUE(report.incumbent);
  EXPECT_EQ(*report.incumbent, id);
}

// An incumbent's run interrupted (a stopped worker) after a later one of its runs finished is
// run again: otherwise every challenger would be judged on the instances before the gap alone
// (or, when the gap is its first instance, against a run that does not exist).
TEST(Intensify, AnInterruptedIncumbentRunIsRunAgain) {
  Study study = configuration_study("random", instances(6), 40);
  const TrialOutcome interrupted{.state = TrialState::kFailed,
                                 .failure_reason = "stopped",
                                 .interrupted = true};
  Trial first = study.ask();  // the default: the incumbent, at position 0
  // Its only run is interrupted while a challenger's finishes: nothing to judge the challenger
  // against (this used to read a run that no longer exists), and the default runs again.
  Trial challenger = study.ask();
  study.tell(challenger, 3.0);
  study.tell(first, interrupted);
  Trial again = study.ask();
  const int64_t incumbent = attr_of(first, kConfigurationAttr);
  EXPECT_EQ(attr_of(again, kConfigurationAttr), incumbent) << "the default under a new id";
  EXPECT_EQ(again.config(), first.config());
  EXPECT_EQ(attr_of(again, kPositionAttr), 0);
  study.tell(again, 1.0);
  // The challenger loses; two more are decided while the incumbent runs positions 1 and 2,
  // of which 1 is interrupted after 2 finished.
  std::map<int64_t, Trial> incumbent_runs;
  for (int i = 0; i < 12 && incumbent_runs.size() < 2; ++i) {
    Trial t = study.ask();
    if (attr_of(t, kConfigurationAttr) == incumbent) {
      incumbent_runs.emplace(attr_of(t, kPositionAttr), std::move(t));
    } else {
      study.tell(t, 9.0);
    }
  }
  ASSERT_EQ(incumbent_runs.size(), 2u);
  ASSERT_TRUE(incumbent_runs.contains(1) && incumbent_runs.contains(2));
  study.tell(incumbent_runs.at(2), 1.0);
  study.tell(incumbent_runs.at(1), interrupted);
  bool filled = false;
  for (int i = 0; i < 6 && !filled; ++i) {
    Trial t = study.ask();
    filled = attr_of(t, kConfigurationAttr) == incumbent && attr_of(t, kPositionAttr) == 1;
    study.tell(t, filled ? 1.0 : 9.0);
  }
  EXPECT_TRUE(filled) << "the incumbent never ran its first instance again";
  // The first challenger was judged against the default's new run, and lost.
  ConfigurationReport report = configuration_report(study.record(), study.trials());
  ASSERT_TRUE(report.incumbent);
  EXPECT_EQ(*report.incumbent, incumbent);
  for (const ConfigurationSummary& summary : report.configurations) {
    if (summary.id == attr_of(challenger, kConfigurationAttr)) {
      EXPECT_EQ(summary.status, "rejected") << summary.reason;
    }
  }
}

TEST(Configuration, RunsOfAStudyWithInstancesAreNotRetried) {
  Study study = configuration_study("race", instances(6), 20);
  try {
    study.optimize([](Trial& t) { return solve(t, false); },
                   OptimizeOptions{.max_trials_in_study = 20, .retries = 1});
    FAIL() << "retries were accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("not retried"), std::string::npos) << error.what();
  }
  EXPECT_TRUE(study.trials().empty());
}

// A race over 10 training instances (4 test instances) with `budget` runs, for studies that
// several workers open on one storage.
StudyOptions race_options(int64_t budget) {
  auto set = instances(10);
  set->budget_runs = budget;
  StudyOptions options{.name = "ac", .sampler = "race", .seed = 3};
  options.instances = set;
  return options;
}

// Two workers reach the end of the budget together: each test instance still runs once, and
// the stop signal reaches the test runs.
TEST(Configuration, TestRunsAreMadeOnceByTwoWorkersAndSeeTheStopSignal) {
  storage_test::TempDir folder;
  const std::string url = folder.path() + "/ac.db";
  StudyOptions options = race_options(60);
  Study first = Study::create(open_storage(url), space(), options);
  Objective objective = [](Trial& t) { return solve(t, false); };
  first.optimize(objective, OptimizeOptions{.max_trials_in_study = 60});
  Study second = Study::create(open_storage(url), space(), options);
  int nested = -1;
  StopSignal stop;
  bool saw_stop = false;
  Objective first_objective = [&](Trial& t) {
    // The second worker runs its whole test phase while the first worker's first test run is
    // still going.
    if (nested < 0) nested = evaluate_incumbent_on_test(second, objective, 1, nullptr);
    return solve(t, false);
  };
  EXPECT_EQ(evaluate_incumbent_on_test(first, first_objective, 1, nullptr), 1);
  EXPECT_EQ(nested, 3);
  ConfigurationReport report = configuration_report(first.record(), first.trials());
  EXPECT_EQ(report.test_runs, 4);
  // The stop signal: the test runs of a later evaluation see it.
  Study third = Study::create(open_storage(folder.path() + "/stop.db"), space(), options);
  third.optimize(objective, OptimizeOptions{.max_trials_in_study = 60});
  Objective stopping = [&](Trial& t) {
    stop.request();
    saw_stop = t.stop_requested();
    return solve(t, false);
  };
  EXPECT_EQ(evaluate_incumbent_on_test(third, stopping, 1, &stop), 1);
  EXPECT_TRUE(saw_stop);
}

// A worker that reaches the end of the budget while another worker's last tuning run is still
// going waits for it before choosing the incumbent to test: that run can change it.
TEST(Configuration, TheTestPhaseWaitsForOtherWorkersLastTuningRuns) {
  storage_test::TempDir folder;
  const std::string url = folder.path() + "/ac.db";
  StudyOptions options = race_options(40);
  Study first = Study::create(open_storage(url), space(), options);
  Objective objective = [](Trial& t) { return solve(t, false); };
  first.optimize(objective, OptimizeOptions{.max_trials_in_study = 39});
  Study second = Study::create(open_storage(url), space(), options);
  std::optional<Trial> last = second.try_ask(40, "other-host.invalid:7:1");
  ASSERT_TRUE(last);
  std::atomic<int> made{-1};
  std::thread tester([&] { made = evaluate_incumbent_on_test(first, objective, 1, nullptr); });
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(made.load(), -1) << "tested before the last tuning run finished";
  second.tell(*last, solve(*last, false));
  tester.join();
  EXPECT_EQ(made.load(), 4);
  ConfigurationReport report = configuration_report(first.record(), first.trials());
  EXPECT_EQ(report.tuning_runs, 40);
  EXPECT_EQ(report.test_runs, 4);
  // A stop request ends the wait.
  Study third = Study::create(open_storage(folder.path() + "/stop.db"), space(), options);
  third.optimize(objective, OptimizeOptions{.max_trials_in_study = 39});
  ASSERT_TRUE(third.try_ask(40, "other-host.invalid:7:1"));
  StopSignal stop;
  stop.request();
  EXPECT_EQ(evaluate_incumbent_on_test(third, objective, 1, &stop), 0);
}

TEST(Configuration, TestEvaluationRunsTheIncumbentOnEveryTestInstanceOnce) {
  Study study = configuration_study("race", instances(10), 120);
  Objective objective = [](Trial& t) { return solve(t, false); };
  study.optimize(objective, OptimizeOptions{.max_trials_in_study = 120});
  EXPECT_EQ(evaluate_incumbent_on_test(study, objective, 2, nullptr), 4);
  EXPECT_EQ(evaluate_incumbent_on_test(study, objective, 2, nullptr), 0);  // already done
  ConfigurationReport report = configuration_report(study.record(), study.trials());
  EXPECT_EQ(report.tuning_runs, 120);
  EXPECT_EQ(report.test_runs, 4);
  ASSERT_TRUE(report.test_cost);
  const Config* incumbent = nullptr;
  for (const auto& summary : report.configurations) {
    if (summary.id == *report.incumbent) incumbent = &summary.config;
  }
  double expected = 0;
  for (int i = 0; i < 4; ++i) expected += true_cost(*incumbent, "/instances/t" + std::to_string(i));
  EXPECT_NEAR(*report.test_cost, expected / 4, 1e-9);
  // A test run that Winnow stopped, and that ran again on resume, counts once.
  std::vector<FrozenTrial> trials = study.trials();
  FrozenTrial stopped = trials.back();
  ASSERT_TRUE(stopped.user_attrs.contains(std::string(kPhaseAttr)));
  stopped.number = trials.back().number + 1;
  stopped.state = TrialState::kFailed;
  stopped.interrupted = true;
  stopped.values.clear();
  trials.push_back(stopped);
  ConfigurationReport resumed = configuration_report(study.record(), trials);
  EXPECT_EQ(resumed.test_runs, 4);
  EXPECT_EQ(resumed.tuning_runs, 120);
  ASSERT_TRUE(resumed.test_cost);
  EXPECT_NEAR(*resumed.test_cost, *report.test_cost, 1e-12);
  // Test runs never reach the configurator: more tuning after them continues the races.
  study.optimize(objective, OptimizeOptions{.max_trials_in_study = 124 + 20});
  EXPECT_EQ(configuration_report(study.record(), study.trials()).tuning_runs, 140);
}

// The verdicts reached on a study's last runs have no later run to travel with: they are
// recorded with the study when its runs end, so the report and the test phase name the
// incumbent those runs made, the one the configurator's next run would record.
TEST(Configuration, TheLastRunsVerdictsAreRecordedWhenTheRunsEnd) {
  for (std::string sampler : {"random", "race"}) {
    int closing = 0, compared = 0;
    for (int64_t budget = 3; budget <= 48; ++budget) {
      Study study = configuration_study(sampler, instances(10), budget);
      Objective objective = [](Trial& t) { return solve(t, false); };
      study.optimize(objective, OptimizeOptions{.max_trials_in_study = budget});
      ASSERT_EQ(evaluate_incumbent_on_test(study, objective, 1, nullptr), 4);
      ConfigurationReport closed = configuration_report(study.record(), study.trials());
      closing += study.record().user_attrs.contains(std::string(kClosingDecisionsAttr));
      ASSERT_TRUE(closed.incumbent);
      EXPECT_TRUE(closed.test_cost) << sampler << ", " << budget << " runs: the test phase ran "
                                    << "another configuration than the incumbent";
      // One more tuning run records the verdicts itself; the closing ones then give way.
      std::optional<Trial> next = study.try_ask();
      if (!next) continue;
      ConfigurationReport continued = configuration_report(study.record(), study.trials());
      ++compared;
      ASSERT_TRUE(continued.incumbent);
      EXPECT_EQ(*closed.incumbent, *continued.incumbent) << sampler << ", " << budget << " runs";
      std::map<int64_t, std::string> status;
      for (const ConfigurationSummary& c : continued.configurations) status[c.id] = c.status;
      for (const ConfigurationSummary& c : closed.configurations) {
        EXPECT_EQ(c.status, status[c.id]) << sampler << ", " << budget << " runs, configuration "
                                          << c.id;
      }
    }
    EXPECT_GT(closing, 2) << sampler;
    EXPECT_GT(compared, 20) << sampler;
  }
}

}  // namespace
}  // namespace winnow
