// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/param_json.h"
#include "common/strings.h"
#include "configuration/runs.h"
#include "winnow/attributes.h"
#include "winnow/configuration.h"

namespace winnow {
namespace {

using configuration::Decision;
using configuration::RunTable;

InstanceSet stored_costing(const StudyRecord& study) {
  InstanceSet set;
  auto it = study.user_attrs.find(std::string(kRunCostAttr));
  if (it == study.user_attrs.end()) return set;
  nlohmann::json json = nlohmann::json::parse(it->second, nullptr, false);
  if (!json.is_object()) return set;
  set.cost = json.value("cost", "value") == "runtime" ? RunCostKind::kRuntime : RunCostKind::kValue;
  set.cutoff_seconds = json.value("cutoff", 0.0);
  set.par_factor = json.value("par", 10.0);
  return set;
}

std::string text_attr(const FrozenTrial& trial, std::string_view key) {
  auto it = trial.user_attrs.find(std::string(key));
  if (it == trial.user_attrs.end()) return "";
  nlohmann::json value = nlohmann::json::parse(it->second, nullptr, false);
  return value.is_string() ? value.get<std::string>() : it->second;
}

InstanceRunCost run_cost_of(const FrozenTrial& trial, const InstanceSet& costing,
                            Direction direction) {
  InstanceRunCost cost;
  cost.instance = text_attr(trial, kInstanceAttr);
  cost.seed = static_cast<uint64_t>(RunTable::attr(trial, kRunSeedAttr).value_or(0));
  cost.finished = is_finished(trial.state) && !(trial.state == TrialState::kFailed &&
                                                trial.interrupted);
  cost.failed = trial.state == TrialState::kFailed;
  if (cost.finished) cost.cost = configuration::run_cost(trial, costing, direction);
  auto censored = trial.metrics.find("censored");
  cost.censored = censored != trial.metrics.end() && censored->second != 0;
  return cost;
}

// Among configurations still standing, those run on the most instances, and among them the
// lowest mean over the instances they all finished: irace's choice of its final elite (most
// instances first, then rank). A configuration run on fewer instances is not preferred for a
// lower mean: picked among many, the lowest mean over few instances is the luckiest more than
// the best. (Racing records the elites it drops as eliminated, so they do not stand.)
std::optional<int64_t> standing_best(const RunTable& table, const std::set<int64_t>& out) {
  auto standing = [&](int64_t id) { return !out.contains(id); };
  size_t most = 0;
  for (int64_t id : table.configurations()) {
    if (standing(id)) most = std::max(most, table.finished_positions(id).size());
  }
  if (most == 0) return std::nullopt;
  std::vector<int64_t> contenders;
  for (int64_t id : table.configurations()) {
    if (standing(id) && table.finished_positions(id).size() == most) contenders.push_back(id);
  }
  std::vector<int64_t> common = table.finished_positions(contenders[0]);
  for (int64_t id : contenders) {
    std::vector<int64_t> mine = table.finished_positions(id), both;
    std::set_intersection(common.begin(), common.end(), mine.begin(), mine.end(),
                          std::back_inserter(both));
    common = std::move(both);
  }
  std::optional<int64_t> best;
  double best_cost = 0;
  for (int64_t id : contenders) {
    std::vector<int64_t> positions = common.empty() ? table.finished_positions(id) : common;
    double cost = table.mean_cost(id, positions);
    if (!best || cost < best_cost) {
      best = id;
      best_cost = cost;
    }
  }
  return best;
}

std::string cost_text(double cost) {
  return std::isfinite(cost) ? format_short(cost) : "failed";
}

}  // namespace

ConfigurationReport configuration_report(const StudyRecord& study,
                                         std::span<const FrozenTrial> trials) {
  ConfigurationReport report;
  const InstanceSet costing = stored_costing(study);
  const Direction direction =
      study.directions.empty() ? Direction::kMinimize : study.directions[0];
  report.cost = costing.cost;
  RunTable table(trials, costing, direction);
  report.is_configuration = !table.configurations().empty();
  if (!report.is_configuration) return report;
  std::map<int64_t, Decision> verdicts;
  std::optional<int64_t> incumbent;
  std::set<int64_t> out;
  for (const Decision& decision : configuration::recorded_decisions(trials, study.user_attrs)) {
    if (decision.event == "restart") {
      report.notes.push_back("soft restart: " + decision.reason);
      continue;
    }
    verdicts[decision.configuration] = decision;
    if (decision.event == "incumbent") incumbent = decision.configuration;
    if (decision.event == "eliminated" || decision.event == "rejected") {
      out.insert(decision.configuration);
    }
  }
  // Intensification names its incumbents; without any, its first configuration is the one.
  bool intensified = false;
  for (const FrozenTrial& trial : trials) {
    intensified = intensified || trial.user_attrs.contains("winnow.opponent");
  }
  if (!incumbent && intensified) incumbent = table.configurations().front();
  if (!incumbent) incumbent = standing_best(table, out);
  report.incumbent = incumbent;
  for (int64_t id : table.configurations()) {
    ConfigurationSummary summary;
    summary.id = id;
    summary.config = *table.config(id);
    summary.runs = table.runs_of(id);
    std::vector<int64_t> positions = table.finished_positions(id);
    summary.finished = static_cast<int64_t>(positions.size());
    summary.mean_cost = table.mean_cost(id, positions);
    for (int64_t p : positions) summary.censored += table.run(id, p)->censored;
    auto verdict = verdicts.find(id);
    if (id == incumbent) {
      summary.status = "incumbent";
    } else if (verdict != verdicts.end() && verdict->second.event != "incumbent") {
      summary.status = verdict->second.event;
    } else {
      summary.status = "alive";
    }
    if (verdict != verdicts.end()) summary.reason = verdict->second.reason;
    report.configurations.push_back(std::move(summary));
  }
  double test_sum = 0;
  int64_t test_finished = 0;
  for (const FrozenTrial& trial : trials) {
    report.run_seconds += trial.metrics.contains("runtime") ? trial.metrics.at("runtime")
                                                            : trial.duration_seconds();
    // A run Winnow stopped (Ctrl-C) says nothing of the configuration and is run again on
    // resume: counted, it would leave the test cost unfinished for good.
    if (trial.state == TrialState::kFailed && trial.interrupted) continue;
    const bool test = trial.user_attrs.contains(std::string(kPhaseAttr));
    std::optional<double> id = RunTable::attr(trial, kConfigurationAttr);
    InstanceRunCost cost = run_cost_of(trial, costing, direction);
    report.censored_runs += cost.censored;
    if (test) {
      ++report.test_runs;
      if (id && incumbent && static_cast<int64_t>(*id) == *incumbent) {
        report.incumbent_test.push_back(cost);
        if (cost.finished) {
          test_sum += cost.cost;
          ++test_finished;
        }
      }
    } else if (id) {
      ++report.tuning_runs;
      if (incumbent && static_cast<int64_t>(*id) == *incumbent) {
        report.incumbent_train.push_back(cost);
      }
    }
  }
  if (!report.incumbent_test.empty() &&
      test_finished == static_cast<int64_t>(report.incumbent_test.size())) {
    report.test_cost = test_sum / static_cast<double>(test_finished);
  }
  return report;
}

std::string format_configuration_report(const ConfigurationReport& report, int top) {
  std::ostringstream out;
  if (!report.is_configuration) return "";
  out << "\nAlgorithm configuration: " << report.tuning_runs << " tuning run(s) over "
      << report.configurations.size() << " configuration(s), " << report.censored_runs
      << " cut at their cap or the cutoff, " << format_short(report.run_seconds)
      << " s of runs in all\n";
  for (const std::string& note : report.notes) out << "  " << note << "\n";
  const ConfigurationSummary* incumbent = nullptr;
  for (const ConfigurationSummary& summary : report.configurations) {
    if (report.incumbent && summary.id == *report.incumbent) incumbent = &summary;
  }
  if (incumbent != nullptr) {
    out << "Incumbent: configuration " << incumbent->id << ", mean cost "
        << cost_text(incumbent->mean_cost) << " over " << incumbent->finished
        << " training run(s)\n  " << config_to_json(incumbent->config).dump() << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const InstanceRunCost& run : report.incumbent_train) {
      rows.push_back({run.instance, std::to_string(run.seed),
                      run.finished ? cost_text(run.cost) : "running",
                      run.censored ? "yes" : ""});
    }
    out << format_table({"instance", "seed", "cost", "censored"}, rows);
    if (!report.incumbent_test.empty()) {
      out << "On the test instances: "
          << (report.test_cost ? "mean cost " + cost_text(*report.test_cost)
                               : std::string("not all finished"))
          << " over " << report.incumbent_test.size() << " instance(s)\n";
    } else {
      out << "Not evaluated on test instances yet.\n";
    }
  }
  std::vector<const ConfigurationSummary*> order;
  for (const ConfigurationSummary& summary : report.configurations) order.push_back(&summary);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    if (a->finished != b->finished) return a->finished > b->finished;
    return a->mean_cost < b->mean_cost;
  });
  if (order.size() > static_cast<size_t>(top)) order.resize(static_cast<size_t>(top));
  std::vector<std::vector<std::string>> rows;
  for (const ConfigurationSummary* summary : order) {
    rows.push_back({std::to_string(summary->id), std::to_string(summary->runs),
                    cost_text(summary->mean_cost), summary->status, summary->reason});
  }
  out << "Configurations with the most runs (" << order.size() << " of "
      << report.configurations.size() << "):\n"
      << format_table({"configuration", "runs", "mean cost", "status", "why"}, rows);
  return out.str();
}

std::string configuration_report_json(const ConfigurationReport& report) {
  auto number = [](double value) -> nlohmann::json {
    return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
  };
  auto runs = [&](const std::vector<InstanceRunCost>& list) {
    nlohmann::json array = nlohmann::json::array();
    for (const InstanceRunCost& run : list) {
      array.push_back({{"instance", run.instance}, {"seed", run.seed},
                       {"cost", run.finished ? number(run.cost) : nlohmann::json(nullptr)},
                       {"censored", run.censored}, {"failed", run.failed}});
    }
    return array;
  };
  nlohmann::json json = {{"tuning_runs", report.tuning_runs},
                         {"test_runs", report.test_runs},
                         {"censored_runs", report.censored_runs},
                         {"run_seconds", report.run_seconds},
                         {"notes", report.notes}};
  json["incumbent"] = nullptr;
  nlohmann::json configurations = nlohmann::json::array();
  for (const ConfigurationSummary& summary : report.configurations) {
    nlohmann::json item = {{"id", summary.id},
                           {"params", config_to_json(summary.config)},
                           {"runs", summary.runs},
                           {"finished", summary.finished},
                           {"mean_cost", number(summary.mean_cost)},
                           {"censored", summary.censored},
                           {"status", summary.status},
                           {"reason", summary.reason}};
    if (report.incumbent && summary.id == *report.incumbent) {
      json["incumbent"] = item;
      json["incumbent"]["train"] = runs(report.incumbent_train);
      json["incumbent"]["test"] = runs(report.incumbent_test);
      json["incumbent"]["test_cost"] =
          report.test_cost ? number(*report.test_cost) : nlohmann::json(nullptr);
    }
    configurations.push_back(std::move(item));
  }
  json["configurations"] = std::move(configurations);
  return json.dump(2);
}

}  // namespace winnow
