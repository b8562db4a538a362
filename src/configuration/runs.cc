// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "configuration/runs.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <tuple>

#include "samplers/history_reader.h"
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

namespace {

std::optional<int64_t> integer_note(const FrozenTrial& trial, std::string_view key) {
  std::optional<double> value = RunTable::attr(trial, key);
  if (!value) return std::nullopt;
  return static_cast<int64_t>(*value);
}

void append_decisions(const nlohmann::json& list, std::vector<Decision>& decisions) {
  if (!list.is_array()) return;
  for (const nlohmann::json& item : list) {
    if (!item.is_object()) continue;
    decisions.push_back({item.value("configuration", int64_t{-1}), item.value("event", ""),
                         item.value("reason", "")});
  }
}

}  // namespace

TrialNotes read_notes(const FrozenTrial& trial) {
  TrialNotes notes;
  notes.trial_id = trial.id;
  notes.number = trial.number;
  const auto& attrs = trial.user_attrs;
  // The engine's keys sort together; a trial with none of them (an ordinary study's) has
  // nothing to parse.
  auto first = attrs.lower_bound(std::string(kSystemAttrPrefix));
  if (first == attrs.end() || !first->first.starts_with(kSystemAttrPrefix)) return notes;
  notes.test_run = attrs.contains(std::string(kPhaseAttr));
  notes.configuration = integer_note(trial, kConfigurationAttr);
  notes.position = integer_note(trial, kPositionAttr);
  notes.iteration = integer_note(trial, kIterationAttr);
  notes.opponent = integer_note(trial, kOpponentAttr);
  notes.target = integer_note(trial, kTargetAttr);
  if (std::optional<double> cap = RunTable::attr(trial, kCapAttr)) notes.cap = *cap;
  auto instance = attrs.find(std::string(kInstanceAttr));
  if (instance != attrs.end()) {
    nlohmann::json path = nlohmann::json::parse(instance->second, nullptr, false);
    if (path.is_string()) notes.instance = path.get<std::string>();
  }
  auto decisions = attrs.find(std::string(kDecisionsAttr));
  if (decisions != attrs.end()) {
    append_decisions(nlohmann::json::parse(decisions->second, nullptr, false), notes.decisions);
  }
  return notes;
}

std::vector<TrialNotes> read_notes(std::span<const FrozenTrial> history) {
  std::vector<TrialNotes> notes;
  notes.reserve(history.size());
  for (const FrozenTrial& trial : history) notes.push_back(read_notes(trial));
  return notes;
}

std::span<const TrialNotes> TrialNotesCache::read(std::span<const FrozenTrial> history) {
  if (!reader_.next(history, positions_)) {
    notes_.clear();
    recorded_.clear();
  }
  notes_.resize(history.size());
  for (size_t position : positions_) {
    const FrozenTrial& trial = history[position];
    notes_[position] = read_notes(trial);
    // A trial's decisions are final once written (a queued trial has none), so the set only
    // grows.
    for (const Decision& decision : notes_[position].decisions) {
      recorded_.emplace(decision.configuration, decision.event, decision.reason);
    }
    // A queued trial gets its notes when it is claimed; a gap in the study's cached history
    // (number -1) is filled later.
    if (trial.state == TrialState::kWaiting || trial.number < 0) reader_.revisit(position);
  }
  return notes_;
}

bool TrialNotesCache::records(const Decision& decision) const {
  return recorded_.contains(
      std::forward_as_tuple(decision.configuration, decision.event, decision.reason));
}

RunTable::RunTable(std::span<const FrozenTrial> history, std::span<const TrialNotes> notes,
                   const InstanceSet& instances, Direction direction) {
  std::vector<std::pair<Run, const Config*>> all;
  all.reserve(history.size());
  for (size_t i = 0; i < history.size(); ++i) {
    const FrozenTrial& trial = history[i];
    const TrialNotes& note = notes[i];
    if (note.test_run || !note.configuration || !note.position) continue;
    if (trial.state == TrialState::kFailed && trial.interrupted) continue;
    Run run;
    run.trial_number = trial.number;
    run.configuration = *note.configuration;
    run.position = *note.position;
    run.finished = is_finished(trial.state) && trial.state != TrialState::kPruned;
    if (run.finished) run.cost = run_cost(trial, instances, direction);
    auto censored = trial.metrics.find("censored");
    run.censored = censored != trial.metrics.end() && censored->second != 0;
    run.cap = note.cap;
    all.emplace_back(run, &trial.config);
  }
  // History order within a (configuration, position): a retried run replaces the attempt it
  // retries, and the configuration's parameters are those of its first stored run.
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.configuration, a.first.position) <
           std::tie(b.first.configuration, b.first.position);
  });
  runs_.reserve(all.size());
  for (size_t i = 0; i < all.size();) {
    const int64_t id = all[i].first.configuration;
    Group group{id, all[i].second, runs_.size(), runs_.size()};
    int64_t first_number = all[i].first.trial_number;
    for (; i < all.size() && all[i].first.configuration == id; ++i) {
      const Run& run = all[i].first;
      if (run.trial_number < first_number) {
        first_number = run.trial_number;
        group.config = all[i].second;
      }
      if (runs_.size() > group.first && runs_.back().position == run.position) {
        runs_.back() = run;
      } else {
        runs_.push_back(run);
      }
    }
    group.last = runs_.size();
    groups_.push_back(group);
    // Ascending ids: the order configurations were first proposed in, so a configuration
    // whose first runs were interrupted (and skipped above) keeps its place.
    order_.push_back(id);
  }
}

const RunTable::Group* RunTable::group(int64_t configuration) const {
  auto it = std::lower_bound(
      groups_.begin(), groups_.end(), configuration,
      [](const Group& group, int64_t id) { return group.configuration < id; });
  return it == groups_.end() || it->configuration != configuration ? nullptr : &*it;
}

const Config* RunTable::config(int64_t configuration) const {
  const Group* found = group(configuration);
  return found == nullptr ? nullptr : found->config;
}

const Run* RunTable::run(int64_t configuration, int64_t position) const {
  const Group* found = group(configuration);
  if (found == nullptr) return nullptr;
  auto first = runs_.begin() + static_cast<std::ptrdiff_t>(found->first);
  auto last = runs_.begin() + static_cast<std::ptrdiff_t>(found->last);
  auto it = std::lower_bound(first, last, position,
                             [](const Run& run, int64_t p) { return run.position < p; });
  return it == last || it->position != position ? nullptr : &*it;
}

std::vector<int64_t> RunTable::finished_positions(int64_t configuration) const {
  std::vector<int64_t> positions;
  const Group* found = group(configuration);
  if (found == nullptr) return positions;
  for (size_t i = found->first; i < found->last; ++i) {
    if (runs_[i].finished) positions.push_back(runs_[i].position);
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
  const Group* found = group(configuration);
  return found == nullptr ? 0 : static_cast<int64_t>(found->last - found->first);
}

std::optional<int64_t> RunTable::find(const Config& config) const {
  for (const Group& group : groups_) {
    const Config& stored = *group.config;
    const int64_t id = group.configuration;
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

std::vector<Decision> recorded_decisions(std::span<const FrozenTrial> history,
                                         const std::map<std::string, std::string>& study_attrs) {
  std::vector<Decision> decisions;
  int64_t last_tuning_run = -1;
  for (const FrozenTrial& trial : history) {
    TrialNotes notes = read_notes(trial);
    if (!notes.test_run) last_tuning_run = std::max(last_tuning_run, trial.number);
    for (Decision& decision : notes.decisions) decisions.push_back(std::move(decision));
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

void check_instances_unchanged(std::span<const TrialNotes> notes,
                               const InstanceStream& stream) {
  for (const TrialNotes& note : notes) {
    if (note.test_run || !note.position || !note.instance) continue;
    const std::string& path = *note.instance;
    const int64_t at = *note.position;
    if (stream.valid(at)) {
      const ProblemInstance& now = stream.instance(at);
      if (path == now.path ||
          (path.size() > now.name.size() && path.ends_with(now.name) &&
           path[path.size() - now.name.size() - 1] == '/')) {
        continue;
      }
    }
    throw Error("trial " + std::to_string(note.number) + " ran on instance '" + path +
                "', which is no longer where the training instances put it" +
                (stream.valid(at) ? " ('" + stream.instance(at).name + "' is)" : std::string()) +
                ": the instance files changed since the study began, and its runs would count "
                "for other instances. Tune on the new set in a new study (--study NAME)");
  }
}

std::string unrecorded_decisions(const TrialNotesCache& notes,
                                 const std::vector<Decision>& decisions) {
  std::set<std::tuple<int64_t, std::string_view, std::string_view>> listed;
  nlohmann::json list = nlohmann::json::array();
  for (const Decision& decision : decisions) {
    if (notes.records(decision) ||
        !listed.emplace(decision.configuration, decision.event, decision.reason).second) {
      continue;
    }
    list.push_back({{"configuration", decision.configuration},
                    {"event", decision.event},
                    {"reason", decision.reason}});
  }
  return list.empty() ? std::string() : list.dump();
}

void record_new_decisions(const TrialNotesCache& notes, const std::vector<Decision>& decisions,
                          std::map<std::string, std::string>& attrs) {
  std::string list = unrecorded_decisions(notes, decisions);
  if (!list.empty()) attrs[std::string(kDecisionsAttr)] = std::move(list);
}

}  // namespace winnow::configuration
