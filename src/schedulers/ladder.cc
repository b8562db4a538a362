// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "schedulers/ladder.h"

#include <cmath>
#include <set>
#include <limits>
#include <map>

#include "common/strings.h"
#include "samplers/sampler_util.h"
#include "winnow/error.h"

namespace winnow {

double trial_score(const FrozenTrial& trial, Direction direction) {
  constexpr double kWorst = std::numeric_limits<double>::infinity();
  double value = 0;
  if (!trial.values.empty()) {
    value = trial.values.front();
  } else if (trial.state == TrialState::kPruned && !trial.intermediate.empty()) {
    value = trial.intermediate.rbegin()->second;
  } else {
    return kWorst;
  }
  if (std::isnan(value)) return kWorst;
  return direction == Direction::kMinimize ? value : -value;
}

Ladder read_ladder(std::span<const FrozenTrial> history, Direction direction) {
  Ladder ladder;
  // A failed attempt that a retry replaced leaves its place on the rung to the retry.
  std::set<int64_t> retried;
  for (const FrozenTrial& trial : history) {
    if (trial.retry_of) retried.insert(*trial.retry_of);
  }
  for (const FrozenTrial& trial : history) {
    if (trial.number < 0) continue;  // a gap in a cache being filled
    if (trial.state == TrialState::kFailed && trial.interrupted) continue;
    if (retried.contains(trial.number)) continue;
    std::optional<double> rung = numeric_attr(trial, kRungAttr);
    std::optional<double> budget = numeric_attr(trial, kBudgetAttr);
    if (!rung || !budget) continue;
    RungEntry entry;
    entry.trial = &trial;
    entry.rung = static_cast<int>(*rung);
    entry.budget = *budget;
    entry.bracket = static_cast<int64_t>(numeric_attr(trial, kBracketAttr).value_or(0));
    if (auto continues = numeric_attr(trial, kContinuesAttr)) {
      entry.continues = static_cast<int64_t>(*continues);
      ladder.continued.insert(*entry.continues);
    }
    entry.finished = is_finished(trial.state);
    entry.score = entry.finished ? trial_score(trial, direction) : 0;
    ladder.entries.push_back(entry);
  }
  return ladder;
}

std::map<std::string, std::string> assignment_attrs(const TrialAssignment& assignment,
                                                    const FrozenTrial* source) {
  std::map<std::string, std::string> attrs;
  attrs[std::string(kBudgetAttr)] = format_double(assignment.budget);
  attrs[std::string(kRungAttr)] = std::to_string(assignment.rung);
  attrs[std::string(kBracketAttr)] = std::to_string(assignment.bracket);
  if (assignment.continues && source != nullptr) {
    attrs[std::string(kContinuesAttr)] = std::to_string(*assignment.continues);
    double lineage = numeric_attr(*source, kLineageAttr).value_or(
        static_cast<double>(source->number));
    attrs[std::string(kLineageAttr)] = std::to_string(static_cast<int64_t>(lineage));
    attrs[std::string(kPreviousBudgetAttr)] =
        format_double(numeric_attr(*source, kBudgetAttr).value_or(0));
  }
  return attrs;
}

std::vector<FrozenTrial> trials_at_informative_budget(const SchedulerContext& context,
                                                      int64_t min_points) {
  // Budget of each trial; trials without one (enqueued by the user) ran at the maximum.
  auto budget_of = [&](const FrozenTrial& trial) {
    return numeric_attr(trial, kBudgetAttr).value_or(context.budget.max);
  };
  std::map<double, int64_t> complete_at;
  for (const FrozenTrial& trial : context.history) {
    if (trial.number >= 0 && trial.state == TrialState::kComplete) ++complete_at[budget_of(trial)];
  }
  std::optional<double> chosen;
  for (auto it = complete_at.rbegin(); it != complete_at.rend(); ++it) {
    if (it->second >= min_points) {
      chosen = it->first;
      break;
    }
  }
  std::vector<FrozenTrial> out;
  if (!chosen) return out;
  for (const FrozenTrial& trial : context.history) {
    if (trial.number < 0 || budget_of(trial) != *chosen) continue;
    if (trial.state == TrialState::kFailed && trial.interrupted) continue;
    out.push_back(trial);
  }
  return out;
}

int64_t default_min_points(const SearchSpace& space) {
  return static_cast<int64_t>(space.params().size()) + 2;
}

std::optional<int64_t> read_min_points(SamplerOptionReader& reader,
                                       const std::map<std::string, std::string>& options,
                                       const std::string& scheduler) {
  for (const char* key : {"min", "max", "eta", "reduction_factor", "min_resource",
                          "max_resource"}) {
    if (options.count(key) != 0) {
      throw Error("scheduler '" + scheduler + "': option '" + key + "' belongs to the study's "
                  "[budget] section (min, max, eta), which every budget scheduler reads; its own "
                  "option is min_points");
    }
  }
  const int64_t given = reader.get_int("min_points", 0, 1);
  if (options.count("min_points") == 0) return std::nullopt;
  return given;
}

}  // namespace winnow
