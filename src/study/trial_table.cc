// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Views of trials shared by the CLI (show, export), the library and later the dashboard.
#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/param_json.h"
#include "common/strings.h"
#include "winnow/analysis.h"
#include "winnow/attributes.h"
#include "winnow/study.h"

namespace winnow {

bool dominates(std::span<const double> a, std::span<const double> b,
               std::span<const Direction> directions) {
  if (a.size() != b.size() || a.size() != directions.size()) return false;
  bool strictly_better = false;
  for (size_t i = 0; i < a.size(); ++i) {
    double x = directions[i] == Direction::kMinimize ? a[i] : -a[i];
    double y = directions[i] == Direction::kMinimize ? b[i] : -b[i];
    if (x > y) return false;
    if (x < y) strictly_better = true;
  }
  return strictly_better;
}

int best_trial_index(std::span<const FrozenTrial> trials, Direction direction) {
  // Under a budget scheduler, values at a small budget are not comparable with values at the
  // full one: the best trial is the best at the largest budget any complete trial reached.
  // Trials without a budget attribute ran at the full budget.
  constexpr double kFull = std::numeric_limits<double>::infinity();
  double top_budget = -kFull;
  for (const FrozenTrial& t : trials) {
    if (t.state != TrialState::kComplete || t.values.empty() || !t.feasible()) continue;
    top_budget = std::max(top_budget, numeric_attr(t, kBudgetAttr).value_or(kFull));
  }
  int best = -1;
  for (size_t i = 0; i < trials.size(); ++i) {
    const FrozenTrial& t = trials[i];
    if (t.state != TrialState::kComplete || t.values.empty() || !t.feasible()) continue;
    if (numeric_attr(t, kBudgetAttr).value_or(kFull) != top_budget) continue;
    if (best < 0) {
      best = static_cast<int>(i);
      continue;
    }
    double v = t.values[0], b = trials[best].values[0];
    if (direction == Direction::kMinimize ? v < b : v > b) best = static_cast<int>(i);
  }
  return best;
}

namespace {

// Which sampler proposed the trial, as recorded by composite samplers (auto); "" if unrecorded.
std::string proposing_sampler(const FrozenTrial& trial) {
  auto it = trial.user_attrs.find(std::string(kSamplerAttr));
  if (it == trial.user_attrs.end()) return "";
  nlohmann::json value = nlohmann::json::parse(it->second, nullptr, false);
  return value.is_string() ? value.get<std::string>() : "";
}

// "sobol #0-9, gp #10-249, cmaes #250-299": the runs of consecutive trials each sampler proposed.
std::string sampler_runs(std::span<const FrozenTrial> trials) {
  std::vector<std::string> runs;
  std::string current;
  int64_t first = -1, last = -1;
  auto flush = [&] {
    if (current.empty()) return;
    runs.push_back(current + " #" + std::to_string(first) +
                   (last > first ? "-" + std::to_string(last) : ""));
  };
  for (const FrozenTrial& t : trials) {
    std::string sampler = proposing_sampler(t);
    if (sampler.empty()) continue;
    if (sampler != current) {
      flush();
      current = sampler;
      first = t.number;
    }
    last = t.number;
  }
  flush();
  return join(runs, ", ");
}

std::string iso_time(int64_t ms) {
  if (ms == 0) return "";
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03dZ", buffer, static_cast<int>(ms % 1000));
  return out;
}

std::vector<std::string> value_columns(const StudyRecord& study) {
  std::vector<std::string> columns;
  size_t n = std::max<size_t>(1, study.directions.size());
  for (size_t i = 0; i < n; ++i) {
    if (i < study.objective_names.size()) {
      columns.push_back("value_" + study.objective_names[i]);
    } else {
      columns.push_back(n == 1 ? "value" : "value_" + std::to_string(i));
    }
  }
  return columns;
}

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

TrialTable make_trial_table(const StudyRecord& study, std::span<const FrozenTrial> trials) {
  std::vector<std::string> param_names, metric_names;
  std::set<std::string> seen_params, seen_metrics;
  for (const FrozenTrial& t : trials) {
    for (const auto& [name, value] : t.config) {
      if (seen_params.insert(name).second) param_names.push_back(name);
    }
    for (const auto& [name, value] : t.metrics) {
      if (seen_metrics.insert(name).second) metric_names.push_back(name);
    }
  }
  TrialTable table;
  table.columns = {"number", "state"};
  std::vector<std::string> values = value_columns(study);
  table.columns.insert(table.columns.end(), values.begin(), values.end());
  for (const std::string& name : param_names) table.columns.push_back("param_" + name);
  for (const std::string& name : metric_names) table.columns.push_back("metric_" + name);
  for (const char* column : {"start", "end", "duration_s", "retry_of", "failure_reason"}) {
    table.columns.push_back(column);
  }
  bool has_sampler = std::any_of(trials.begin(), trials.end(), [](const FrozenTrial& t) {
    return t.user_attrs.contains(std::string(kSamplerAttr));
  });
  if (has_sampler) table.columns.push_back("sampler");
  bool has_budget = std::any_of(trials.begin(), trials.end(), [](const FrozenTrial& t) {
    return t.user_attrs.contains(std::string(kBudgetAttr));
  });
  if (has_budget) {
    for (const char* column : {"budget", "rung", "bracket", "continues"}) {
      table.columns.push_back(column);
    }
  }
  size_t n_constraints = 0;
  for (const FrozenTrial& t : trials) n_constraints = std::max(n_constraints, t.constraints.size());
  if (n_constraints > 0) {
    table.columns.push_back("feasible");
    for (size_t i = 0; i < n_constraints; ++i) {
      table.columns.push_back("constraint_" + std::to_string(i));
    }
  }
  auto attr_cell = [](const FrozenTrial& t, std::string_view key) {
    std::optional<double> value = numeric_attr(t, key);
    return value ? format_double(*value) : std::string();
  };
  for (const FrozenTrial& t : trials) {
    std::vector<std::string> row = {std::to_string(t.number), std::string(to_string(t.state))};
    for (size_t i = 0; i < values.size(); ++i) {
      row.push_back(i < t.values.size() ? format_double(t.values[i]) : "");
    }
    for (const std::string& name : param_names) {
      auto it = t.config.find(name);
      row.push_back(it == t.config.end() ? "" : to_string(it->second));
    }
    for (const std::string& name : metric_names) {
      auto it = t.metrics.find(name);
      row.push_back(it == t.metrics.end() ? "" : format_double(it->second));
    }
    row.push_back(iso_time(t.start_time_ms));
    row.push_back(iso_time(t.end_time_ms));
    row.push_back(t.end_time_ms ? format_double(t.duration_seconds()) : "");
    row.push_back(t.retry_of ? std::to_string(*t.retry_of) : "");
    row.push_back(t.failure_reason);
    if (has_sampler) row.push_back(proposing_sampler(t));
    if (has_budget) {
      for (std::string_view key : {kBudgetAttr, kRungAttr, kBracketAttr, kContinuesAttr}) {
        row.push_back(attr_cell(t, key));
      }
    }
    if (n_constraints > 0) {
      bool finished_complete = t.state == TrialState::kComplete;
      row.push_back(finished_complete ? (t.feasible() ? "true" : "false") : "");
      for (size_t i = 0; i < n_constraints; ++i) {
        row.push_back(i < t.constraints.size() ? format_double(t.constraints[i]) : "");
      }
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::string to_csv(const TrialTable& table) {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += ',';
      out += csv_cell(cells[i]);
    }
    out += '\n';
  };
  line(table.columns);
  for (const auto& row : table.rows) line(row);
  return out;
}

std::string to_jsonl(const StudyRecord& study, std::span<const FrozenTrial> trials) {
  std::string out;
  for (const FrozenTrial& t : trials) {
    nlohmann::json row;
    row["study"] = study.name;
    row["number"] = t.number;
    row["state"] = std::string(to_string(t.state));
    nlohmann::json values = nlohmann::json::array();
    for (double v : t.values) values.push_back(v);  // +/-inf become null, as JSON has no inf
    row["values"] = values;
    row["params"] = config_to_json(t.config);
    row["metrics"] = t.metrics;
    row["constraints"] = t.constraints;
    row["feasible"] = t.feasible();
    nlohmann::json intermediate = nlohmann::json::object();
    for (const auto& [step, value] : t.intermediate) intermediate[std::to_string(step)] = value;
    row["intermediate"] = intermediate;
    nlohmann::json attrs = nlohmann::json::object();
    for (const auto& [key, text] : t.user_attrs) {
      attrs[key] = nlohmann::json::parse(text, nullptr, false);
      if (attrs[key].is_discarded()) attrs[key] = text;
    }
    row["user_attrs"] = attrs;
    row["start"] = iso_time(t.start_time_ms);
    row["end"] = iso_time(t.end_time_ms);
    row["duration_s"] = t.duration_seconds();
    row["retry_of"] = t.retry_of ? nlohmann::json(*t.retry_of) : nlohmann::json(nullptr);
    row["failure_reason"] = t.failure_reason;
    row["interrupted"] = t.interrupted;
    row["owner"] = t.owner;  // host:pid:start of the process that ran it
    out += row.dump() + "\n";
  }
  return out;
}


std::string study_report(const StudyRecord& study, std::span<const FrozenTrial> trials, int top) {
  std::ostringstream out;
  std::map<TrialState, int> counts;
  for (const FrozenTrial& t : trials) counts[t.state]++;
  std::vector<std::string> directions;
  for (Direction d : study.directions) directions.emplace_back(to_string(d));
  out << "Study '" << study.name << "' (" << join(directions, ", ") << "), sampler "
      << study.sampler << "\n";
  out << "Trials: " << trials.size();
  for (TrialState s : {TrialState::kComplete, TrialState::kPruned, TrialState::kFailed,
                       TrialState::kRunning, TrialState::kWaiting}) {
    out << ", " << to_string(s) << " " << counts[s];
  }
  out << "\n";
  if (std::string runs = sampler_runs(trials); !runs.empty()) out << "Proposed by: " << runs << "\n";
  // In algorithm configuration a trial is one run on one instance: its value says nothing of a
  // configuration, so no trial is ranked (the configuration report, winnow/configuration.h,
  // ranks configurations).
  if (std::any_of(trials.begin(), trials.end(), [](const FrozenTrial& t) {
        return t.user_attrs.contains(std::string(kConfigurationAttr));
      })) {
    return out.str();
  }

  std::vector<const FrozenTrial*> ranked;
  int infeasible = 0;
  for (const FrozenTrial& t : trials) {
    if (t.state != TrialState::kComplete || t.values.empty()) continue;
    if (!t.feasible()) {
      ++infeasible;
      continue;
    }
    ranked.push_back(&t);
  }
  if (infeasible > 0) {
    out << "Infeasible: " << infeasible << " complete trial(s) break a constraint and are not "
        << "ranked\n";
  }
  bool single = study.directions.size() == 1;
  // Under a budget scheduler, trials at a larger budget rank first: a value at 1 epoch says
  // little against one at 81. Trials without a budget ran at the full one.
  auto budget_of = [](const FrozenTrial& t) {
    return numeric_attr(t, kBudgetAttr).value_or(std::numeric_limits<double>::infinity());
  };
  bool has_budget = std::any_of(trials.begin(), trials.end(), [](const FrozenTrial& t) {
    return t.user_attrs.contains(std::string(kBudgetAttr));
  });
  if (has_budget) {
    std::map<double, std::array<int, 2>> per_budget;  // budget -> {trials, complete}
    for (const FrozenTrial& t : trials) {
      if (!t.user_attrs.contains(std::string(kBudgetAttr))) continue;
      auto& cell = per_budget[budget_of(t)];
      ++cell[0];
      cell[1] += t.state == TrialState::kComplete;
    }
    out << "Trials per budget:";
    for (const auto& [budget, cell] : per_budget) {
      out << " " << format_double(budget) << ": " << cell[0] << " (" << cell[1] << " complete)";
      out << (budget == per_budget.rbegin()->first ? "\n" : ",");
    }
  }
  if (single) {
    bool minimize = study.directions[0] == Direction::kMinimize;
    std::stable_sort(ranked.begin(), ranked.end(), [&](const FrozenTrial* a, const FrozenTrial* b) {
      double budget_a = budget_of(*a), budget_b = budget_of(*b);
      if (budget_a != budget_b) return budget_a > budget_b;
      return minimize ? a->values[0] < b->values[0] : a->values[0] > b->values[0];
    });
  } else {
    ranked.clear();
    for (size_t index : pareto_front_trials(trials, study.directions)) {
      ranked.push_back(&trials[index]);
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const FrozenTrial* a, const FrozenTrial* b) {
      return a->values[0] < b->values[0];
    });
  }
  if (ranked.empty()) {
    out << "No complete trial yet.\n";
  } else {
    const FrozenTrial& best = *ranked.front();
    if (single) {
      out << "Best trial: #" << best.number << " value " << format_short(best.values[0]);
      if (std::optional<double> budget = numeric_attr(best, kBudgetAttr)) {
        out << " at budget " << format_double(*budget);
      }
      out << "\n";
      for (const auto& [name, value] : best.config) {
        out << "  " << name << " = " << printable(to_string(value)) << "\n";
      }
    } else {
      std::vector<double> reference = automatic_reference_point(trials, study.directions);
      FrontHypervolume volume = front_hypervolume(trials, study.directions, reference);
      std::vector<std::string> reference_text;
      for (double r : reference) reference_text.push_back(format_short(r));
      out << "Pareto front: " << ranked.size() << " trial(s), hypervolume "
          << format_short(volume.value) << (volume.exact ? "" : " (estimate)")
          << " w.r.t. (" << join(reference_text, ", ") << "); the whole front: winnow show "
          << "--pareto\n";
      std::vector<std::string> steps;
      for (const auto& [k, value] : hypervolume_history(trials, study.directions, reference, 5)) {
        steps.push_back(std::to_string(k) + ": " + format_short(value));
      }
      out << "Hypervolume after n trials: " << join(steps, ", ") << "\n";
    }
    std::vector<std::string> header;
    if (single) header.push_back("rank");
    header.push_back("trial");
    std::vector<std::string> values = value_columns(study);
    header.insert(header.end(), values.begin(), values.end());
    // Metrics the shown trials report (accuracy beside a loss, model size ...), name order.
    std::set<std::string> metric_set;
    for (size_t i = 0; i < ranked.size() && static_cast<int>(i) < top; ++i) {
      for (const auto& [name, value] : ranked[i]->metrics) metric_set.insert(name);
    }
    for (const std::string& name : metric_set) header.push_back(name);
    header.push_back("duration_s");
    if (has_budget) header.push_back("budget");
    std::vector<std::string> params;
    std::set<std::string> param_set;
    for (const FrozenTrial* t : ranked) {
      for (const auto& [name, value] : t->config) {
        if (param_set.insert(name).second) params.push_back(name);
      }
    }
    header.insert(header.end(), params.begin(), params.end());
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < ranked.size() && static_cast<int>(i) < top; ++i) {
      const FrozenTrial& t = *ranked[i];
      std::vector<std::string> row;
      if (single) row.push_back(std::to_string(i + 1));
      row.push_back(std::to_string(t.number));
      for (double v : t.values) row.push_back(format_short(v));
      for (const std::string& name : metric_set) {
        auto it = t.metrics.find(name);
        row.push_back(it == t.metrics.end() ? "-" : format_short(it->second));
      }
      row.push_back(format_short(std::round(t.duration_seconds() * 1000) / 1000));
      if (has_budget) {
        std::optional<double> budget = numeric_attr(t, kBudgetAttr);
        row.push_back(budget ? format_double(*budget) : "-");
      }
      for (const std::string& name : params) {
        auto it = t.config.find(name);
        row.push_back(it == t.config.end() ? "-" : to_string(it->second));
      }
      rows.push_back(std::move(row));
    }
    out << "\n" << format_table(header, rows);
  }
  std::vector<const FrozenTrial*> failed;
  for (const FrozenTrial& t : trials) {
    if (t.state == TrialState::kFailed) failed.push_back(&t);
  }
  if (!failed.empty()) {
    out << "\nLast failures:\n";
    for (size_t i = failed.size() > 3 ? failed.size() - 3 : 0; i < failed.size(); ++i) {
      std::string reason = failed[i]->failure_reason;
      reason = reason.substr(0, reason.find('\n'));
      out << "  #" << failed[i]->number << ": " << reason << "\n";
    }
  }
  return out.str();
}

}  // namespace winnow
