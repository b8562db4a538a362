// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The runs of an algorithm-configuration study as the configurators read them back
// (src/configuration/runs.h): which run stands for each (configuration, position), the
// engine's notes on each trial, parsed once and kept across asks, and the summary of the runs
// that intensification hands the sampler it wraps.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "configuration/runs.h"
#include "samplers/registry.h"
#include "winnow/attributes.h"
#include "winnow/sampler.h"

namespace winnow {
namespace {

using configuration::RunTable;
using configuration::TrialNotesCache;

FrozenTrial run(int64_t number, int64_t configuration, int64_t position, TrialState state,
                double value = 0) {
  FrozenTrial trial;
  trial.id = 100 + number;
  trial.number = number;
  trial.state = state;
  trial.config = {{"x", static_cast<double>(configuration)}};
  if (state == TrialState::kComplete) trial.values = {value};
  trial.user_attrs[std::string(kConfigurationAttr)] = std::to_string(configuration);
  trial.user_attrs[std::string(kPositionAttr)] = std::to_string(position);
  trial.user_attrs[std::string(kInstanceAttr)] = "\"/data/i" + std::to_string(position) + "\"";
  return trial;
}

InstanceSet value_costs() {
  InstanceSet instances;
  instances.train = {{"i0", "/data/i0", {}}, {"i1", "/data/i1", {}}};
  return instances;
}

TEST(RunTable, ARetryReplacesItsAttemptAndTestAndInterruptedRunsAreLeftOut) {
  std::vector<FrozenTrial> history;
  history.push_back(run(0, 3, 0, TrialState::kFailed));
  history.push_back(run(1, 1, 0, TrialState::kComplete, 2.0));
  history.push_back(run(2, 3, 0, TrialState::kComplete, 5.0));  // retries trial 0
  history.push_back(run(3, 3, 1, TrialState::kRunning));
  history.push_back(run(4, 7, 0, TrialState::kFailed));
  history.back().interrupted = true;
  history.push_back(run(5, 1, 1, TrialState::kComplete, 9.0));
  history.back().user_attrs[std::string(kPhaseAttr)] = "\"test\"";
  history.push_back(run(6, 1, 1, TrialState::kComplete, 4.0));
  history.back().config = {{"x", 99.0}};  // a configuration's parameters are its first run's

  const InstanceSet instances = value_costs();
  RunTable table(history, instances, Direction::kMinimize);
  EXPECT_EQ(table.configurations(), (std::vector<int64_t>{1, 3}));
  ASSERT_NE(table.run(3, 0), nullptr);
  EXPECT_EQ(table.run(3, 0)->trial_number, 2);
  EXPECT_DOUBLE_EQ(table.run(3, 0)->cost, 5.0);
  EXPECT_FALSE(table.run(3, 1)->finished);
  EXPECT_EQ(table.run(3, 2), nullptr);
  EXPECT_EQ(table.run(7, 0), nullptr);
  EXPECT_EQ(table.runs_of(3), 2);
  EXPECT_EQ(table.runs_of(7), 0);
  EXPECT_EQ(table.finished_positions(3), (std::vector<int64_t>{0}));
  EXPECT_EQ(table.run(1, 1)->trial_number, 6);
  const std::vector<int64_t> both = {0, 1};
  EXPECT_DOUBLE_EQ(table.mean_cost(1, both), 3.0);
  EXPECT_EQ(table.config(1)->at("x"), ParamValue(1.0));
  EXPECT_EQ(table.find({{"x", 3.0}}), std::optional<int64_t>(3));
  EXPECT_EQ(table.find({{"x", 99.0}}), std::nullopt);
}

TEST(TrialNotesCache, ReadsAFinishedTrialOnceAndAQueuedOneUntilItIsClaimed) {
  std::vector<FrozenTrial> history;
  history.push_back(run(0, 0, 0, TrialState::kComplete, 1.0));
  history.push_back(run(1, 1, 0, TrialState::kRunning));
  FrozenTrial queued;
  queued.id = 102;
  queued.number = 2;
  queued.state = TrialState::kWaiting;
  history.push_back(queued);

  TrialNotesCache cache;
  auto notes = cache.read(history);
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_EQ(notes[0].configuration, std::optional<int64_t>(0));
  EXPECT_EQ(notes[1].instance, std::optional<std::string>("/data/i0"));
  EXPECT_FALSE(notes[2].configuration.has_value());

  // The engine's notes of a trial never change once written, so the cache does not read them
  // again; the queued trial is read again, and gets its notes when claimed.
  history[0].user_attrs[std::string(kPositionAttr)] = "1";
  history[1].state = TrialState::kComplete;
  history[2] = run(2, 4, 1, TrialState::kRunning);
  history.push_back(run(3, 5, 0, TrialState::kRunning));
  notes = cache.read(history);
  ASSERT_EQ(notes.size(), 4u);
  EXPECT_EQ(notes[0].position, std::optional<int64_t>(0));
  EXPECT_EQ(notes[2].configuration, std::optional<int64_t>(4));
  EXPECT_EQ(notes[3].configuration, std::optional<int64_t>(5));

  // Another study's history (other trials at the same places) is read whole.
  std::vector<FrozenTrial> other = {run(0, 8, 1, TrialState::kComplete, 1.0)};
  other[0].id = 900;
  notes = cache.read(other);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].configuration, std::optional<int64_t>(8));
}

TEST(TrialNotes, DecisionsAndCapsAreParsedAndPlainTrialsHaveNone) {
  FrozenTrial trial = run(0, 2, 3, TrialState::kComplete, 1.0);
  trial.user_attrs[std::string(kCapAttr)] = "0.25";
  trial.user_attrs[std::string(kIterationAttr)] = "4";
  trial.user_attrs[std::string(kDecisionsAttr)] =
      R"([{"configuration": 1, "event": "eliminated", "reason": "capped"}])";
  configuration::TrialNotes notes = configuration::read_notes(trial);
  EXPECT_DOUBLE_EQ(notes.cap, 0.25);
  EXPECT_EQ(notes.iteration, std::optional<int64_t>(4));
  ASSERT_EQ(notes.decisions.size(), 1u);
  EXPECT_EQ(notes.decisions[0].event, "eliminated");
  // Recorded decisions are not recorded twice, nor one decision twice in one list.
  TrialNotesCache cache;
  std::vector<FrozenTrial> history = {trial};
  cache.read(history);
  std::vector<configuration::Decision> again = {
      {1, "eliminated", "capped"}, {2, "incumbent", "won"}, {2, "incumbent", "won"}};
  EXPECT_EQ(configuration::unrecorded_decisions(cache, again),
            R"([{"configuration":2,"event":"incumbent","reason":"won"}])");
  history.push_back(run(1, 2, 0, TrialState::kRunning));
  history.back().user_attrs[std::string(kDecisionsAttr)] =
      R"([{"configuration": 2, "event": "incumbent", "reason": "won"}])";
  cache.read(history);
  EXPECT_EQ(configuration::unrecorded_decisions(cache, again), "");

  FrozenTrial plain;
  plain.user_attrs["note"] = "\"mine\"";
  configuration::TrialNotes none = configuration::read_notes(plain);
  EXPECT_FALSE(none.configuration || none.position || none.test_run);
}

// Proposes uniformly and checks the contract of a history it may keep between asks
// (src/samplers/history_reader.h): unless the first trial's id changed, a trial that was
// finished is as it was.
class ContractCheck : public Sampler {
 public:
  std::string_view name() const override { return "contract-check"; }
  std::optional<Config> sample(const SampleContext& context) override {
    ++asks;
    const auto& history = context.history;
    if (!last_.empty() && !history.empty() && history[0].id == last_[0].id) {
      for (size_t i = 0; i < last_.size() && i < history.size(); ++i) {
        if (!is_finished(last_[i].state)) continue;
        if (history[i].state != last_[i].state || history[i].values != last_[i].values) {
          ++violations;
        }
      }
    }
    last_.assign(history.begin(), history.end());
    std::vector<double> unit(context.space.size());
    std::uniform_real_distribution<double> uniform(0, 1);
    for (double& u : unit) u = uniform(rng_);
    return context.space.decode(unit);
  }

  int asks = 0;
  int violations = 0;

 private:
  std::vector<FrozenTrial> last_;
  std::mt19937_64 rng_{5};
};

TEST(Intensify, TheWrappedSamplerIsToldWhenAConfigurationsMeanChanged) {
  InstanceSet instances;
  for (int i = 0; i < 8; ++i) {
    instances.train.push_back({"i" + std::to_string(i), "/i/" + std::to_string(i), {}});
  }
  SearchSpace space;
  space.add_float("x", 0, 1);
  space.validate();
  auto inner = std::make_unique<ContractCheck>();
  ContractCheck* check = inner.get();
  std::unique_ptr<Sampler> intensifier = wrap_in_intensification(std::move(inner), 7);
  const std::vector<Direction> directions = {Direction::kMinimize};
  std::vector<FrozenTrial> history;
  for (int64_t n = 0; n < 150; ++n) {
    std::map<std::string, std::string> attrs;
    SampleContext context{space, history, directions, n, &attrs, &instances};
    std::optional<Config> config = intensifier->sample(context);
    ASSERT_TRUE(config);
    FrozenTrial trial;
    trial.id = n;
    trial.number = n;
    trial.state = TrialState::kComplete;
    trial.config = *config;
    trial.user_attrs = attrs;
    const std::string path = attrs.at(std::string(kInstanceAttr));  // JSON text: "/i/3"
    const double difficulty = 1 + (path[path.size() - 2] - '0');
    const double x = std::get<double>(config->at("x"));
    trial.values = {difficulty * (0.1 + (x - 0.3) * (x - 0.3))};
    history.push_back(std::move(trial));
  }
  EXPECT_GT(check->asks, 30);
  EXPECT_EQ(check->violations, 0);
}

}  // namespace
}  // namespace winnow
