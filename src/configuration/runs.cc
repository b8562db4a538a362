// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "configuration/runs.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "samplers/sampler_util.h"
#include "winnow/attributes.h"
#include "winnow/error.h"

namespace winnow::configuration {

InstanceStream::InstanceStream(const InstanceSet& instances, uint64_t seed)
    : instances_(instances), seed_(seed) {
  if (instances.train.empty()) throw Error("algorithm configuration needs training instances");
  order_.resize(instances.train.size());
  std::iota(order_.begin(), order_.end(), 0);
  // A seeded shuffle, so the first instances raced are not always the first files listed.
  std::mt19937_64 rng(mix_seed(seed, 0x1257a9ce));
  std::shuffle(order_.begin(), order_.end(), rng);
}

bool InstanceStream::valid(int64_t position) const {
  return position >= 0 &&
         (instances_.seeded || position < static_cast<int64_t>(order_.size()));
}

int64_t InstanceStream::instance_index(int64_t position) const {
  return order_[static_cast<size_t>(position) % order_.size()];
}

const ProblemInstance& InstanceStream::instance(int64_t position) const {
  return instances_.train[static_cast<size_t>(instance_index(position))];
}

uint64_t InstanceStream::seed(int64_t position) const {
  if (!instances_.seeded) return 0;
  // Positive and below 2^31: many programs read their seed into an int.
  return mix_seed(seed_ ^ 0x5eed, static_cast<uint64_t>(position)) % 2147483647u + 1;
}

std::optional<double> RunTable::attr(const FrozenTrial& trial, std::string_view key) {
  auto it = trial.user_attrs.find(std::string(key));
  if (it == trial.user_attrs.end()) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(it->second.c_str(), &end);
  if (end == it->second.c_str()) return std::nullopt;
  return value;
}

double run_cost(const FrozenTrial& trial, const InstanceSet& instances, Direction direction) {
  const bool runtime = instances.cost == RunCostKind::kRuntime;
  if (trial.state != TrialState::kComplete || trial.values.empty() ||
      !std::isfinite(trial.values[0])) {
    return runtime ? instances.par_factor * instances.cutoff_seconds
                   : std::numeric_limits<double>::infinity();
  }
  double value = trial.values[0];
  return direction == Direction::kMaximize ? -value : value;
}

RunTable::RunTable(std::span<const FrozenTrial> history, const InstanceSet& instances,
                   Direction direction) {
  for (const FrozenTrial& trial : history) {
    if (trial.user_attrs.contains(std::string(kPhaseAttr))) continue;
    std::optional<double> configuration = attr(trial, kConfigurationAttr);
    std::optional<double> position = attr(trial, kPositionAttr);
    if (!configuration || !position) continue;
    if (trial.state == TrialState::kFailed && trial.interrupted) continue;
    Run run;
    run.trial_number = trial.number;
    run.configuration = static_cast<int64_t>(*configuration);
    run.position = static_cast<int64_t>(*position);
    run.finished = is_finished(trial.state) && trial.state != TrialState::kPruned;
    if (run.finished) run.cost = run_cost(trial, instances, direction);
    auto censored = trial.metrics.find("censored");
    run.censored = censored != trial.metrics.end() && censored->second != 0;
    if (std::optional<double> cap = attr(trial, kCapAttr)) run.cap = *cap;
    auto [it, inserted] = configs_.try_emplace(run.configuration, trial.config);
    if (inserted) order_.push_back(run.configuration);
    // A retried run replaces the attempt it retries.
    runs_[run.configuration][run.position] = run;
  }
  // By id, the order configurations were first proposed in: a configuration whose first runs
  // were interrupted (and skipped above) keeps its place.
  std::sort(order_.begin(), order_.end());
}

const Config* RunTable::config(int64_t configuration) const {
  auto it = configs_.find(configuration);
  return it == configs_.end() ? nullptr : &it->second;
}

const Run* RunTable::run(int64_t configuration, int64_t position) const {
  auto it = runs_.find(configuration);
  if (it == runs_.end()) return nullptr;
  auto found = it->second.find(position);
  return found == it->second.end() ? nullptr : &found->second;
}

std::vector<int64_t> RunTable::finished_positions(int64_t configuration) const {
  std::vector<int64_t> positions;
  auto it = runs_.find(configuration);
  if (it == runs_.end()) return positions;
  for (const auto& [position, run] : it->second) {
    if (run.finished) positions.push_back(position);
  }
  return positions;
}

double RunTable::mean_cost(int64_t configuration, std::span<const int64_t> positions) const {
  if (positions.empty()) return std::numeric_limits<double>::infinity();
  double sum = 0;
  for (int64_t position : positions) {
    const Run* found = run(configuration, position);
    if (found == nullptr || !found->finished) return std::numeric_limits<double>::infinity();
    sum += found->cost;
  }
  return sum / static_cast<double>(positions.size());
}

int64_t RunTable::runs_of(int64_t configuration) const {
  auto it = runs_.find(configuration);
  return it == runs_.end() ? 0 : static_cast<int64_t>(it->second.size());
}

std::optional<int64_t> RunTable::find(const Config& config) const {
  for (const auto& [id, stored] : configs_) {
    if (stored.size() != config.size()) continue;
    bool same = true;
    for (const auto& [name, value] : stored) {
      auto it = config.find(name);
      if (it == config.end() || !values_equal(it->second, value)) {
        same = false;
        break;
      }
    }
    if (same) return id;
  }
  return std::nullopt;
}

void describe_run(const InstanceStream& stream, const InstanceSet& instances,
                  int64_t configuration, int64_t position, std::optional<double> cap,
                  std::map<std::string, std::string>& attrs) {
  attrs[std::string(kConfigurationAttr)] = std::to_string(configuration);
  attrs[std::string(kPositionAttr)] = std::to_string(position);
  attrs[std::string(kInstanceAttr)] = nlohmann::json(stream.instance(position).path).dump();
  if (instances.seeded) attrs[std::string(kRunSeedAttr)] = std::to_string(stream.seed(position));
  if (cap && (instances.cutoff_seconds <= 0 || *cap < instances.cutoff_seconds)) {
    attrs[std::string(kCapAttr)] = nlohmann::json(*cap).dump();
  }
}

namespace {

void append_decisions(const nlohmann::json& list, std::vector<Decision>& decisions) {
  if (!list.is_array()) return;
  for (const nlohmann::json& item : list) {
    if (!item.is_object()) continue;
    decisions.push_back({item.value("configuration", int64_t{-1}), item.value("event", ""),
                         item.value("reason", "")});
  }
}

}  // namespace

std::vector<Decision> recorded_decisions(std::span<const FrozenTrial> history,
                                         const std::map<std::string, std::string>& study_attrs) {
  std::vector<Decision> decisions;
  int64_t last_tuning_run = -1;
  for (const FrozenTrial& trial : history) {
    if (!trial.user_attrs.contains(std::string(kPhaseAttr))) {
      last_tuning_run = std::max(last_tuning_run, trial.number);
    }
    auto it = trial.user_attrs.find(std::string(kDecisionsAttr));
    if (it == trial.user_attrs.end()) continue;
    append_decisions(nlohmann::json::parse(it->second, nullptr, false), decisions);
  }
  auto closing = study_attrs.find(std::string(kClosingDecisionsAttr));
  if (closing != study_attrs.end()) {
    nlohmann::json note = nlohmann::json::parse(closing->second, nullptr, false);
    if (note.is_object() && note.value("after", int64_t{-1}) > last_tuning_run) {
      append_decisions(note.value("decisions", nlohmann::json()), decisions);
    }
  }
  return decisions;
}

void check_instances_unchanged(std::span<const FrozenTrial> history,
                               const InstanceStream& stream) {
  for (const FrozenTrial& trial : history) {
    if (trial.user_attrs.contains(std::string(kPhaseAttr))) continue;
    std::optional<double> position = RunTable::attr(trial, kPositionAttr);
    auto stored = trial.user_attrs.find(std::string(kInstanceAttr));
    if (!position || stored == trial.user_attrs.end()) continue;
    nlohmann::json ran_on = nlohmann::json::parse(stored->second, nullptr, false);
    if (!ran_on.is_string()) continue;
    const std::string path = ran_on.get<std::string>();
    const auto at = static_cast<int64_t>(*position);
    if (stream.valid(at)) {
      const ProblemInstance& now = stream.instance(at);
      if (path == now.path || path.ends_with("/" + now.name)) continue;
    }
    throw Error("trial " + std::to_string(trial.number) + " ran on instance '" + path +
                "', which is no longer where the training instances put it" +
                (stream.valid(at) ? " ('" + stream.instance(at).name + "' is)" : std::string()) +
                ": the instance files changed since the study began, and its runs would count "
                "for other instances. Tune on the new set in a new study (--study NAME)");
  }
}

std::string unrecorded_decisions(std::span<const FrozenTrial> history,
                                 const std::vector<Decision>& decisions) {
  std::set<std::pair<int64_t, std::string>> seen;
  for (const Decision& old : recorded_decisions(history)) {
    seen.emplace(old.configuration, old.event + "\n" + old.reason);
  }
  nlohmann::json list = nlohmann::json::array();
  for (const Decision& decision : decisions) {
    if (!seen.emplace(decision.configuration, decision.event + "\n" + decision.reason).second) {
      continue;
    }
    list.push_back({{"configuration", decision.configuration},
                    {"event", decision.event},
                    {"reason", decision.reason}});
  }
  return list.empty() ? std::string() : list.dump();
}

void record_new_decisions(std::span<const FrozenTrial> history,
                          const std::vector<Decision>& decisions,
                          std::map<std::string, std::string>& attrs) {
  std::string list = unrecorded_decisions(history, decisions);
  if (!list.empty()) attrs[std::string(kDecisionsAttr)] = std::move(list);
}

}  // namespace winnow::configuration
