// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Picks the trials and encodes the parameters for the estimators of importance_methods.h, and
// handles conditional parameters: parameters are grouped by the set of trials where they are
// active, each group is rated on its own trials (with every parameter active on all of them as
// the other inputs) and weighted by its share of the trials (winnow/importance.h).
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <numeric>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "analysis/importance_methods.h"
#include "space/space_json.h"
#include "space/encoding.h"
#include "winnow/error.h"

namespace winnow {

std::string_view to_string(ImportanceMethod method) {
  return method == ImportanceMethod::kFanova ? "fanova" : "ped-anova";
}

std::optional<ImportanceMethod> importance_method_from_string(std::string_view text) {
  if (text == "fanova") return ImportanceMethod::kFanova;
  if (text == "ped-anova" || text == "pedanova" || text == "ped_anova") {
    return ImportanceMethod::kPedAnova;
  }
  return std::nullopt;
}

namespace {

void check_options(const ImportanceOptions& options, size_t n_objectives) {
  auto fail = [](const std::string& what) { throw Error("importance: " + what); };
  if (options.objective < 0 || static_cast<size_t>(options.objective) >= n_objectives) {
    fail("objective = " + std::to_string(options.objective) + " is out of range: the study has " +
         std::to_string(n_objectives) + " objective(s), numbered from 0");
  }
  if (options.n_trees < 1) fail("n_trees = " + std::to_string(options.n_trees) + " must be >= 1");
  if (options.max_depth < 1) {
    fail("max_depth = " + std::to_string(options.max_depth) + " must be >= 1");
  }
  if (options.min_samples_split < 2) {
    fail("min_samples_split = " + std::to_string(options.min_samples_split) + " must be >= 2");
  }
  if (options.min_samples_leaf < 1) {
    fail("min_samples_leaf = " + std::to_string(options.min_samples_leaf) + " must be >= 1");
  }
  if (!(options.target_quantile > 0 && options.target_quantile <= 1)) {
    std::ostringstream text;
    text << "target_quantile = " << options.target_quantile << " must be in (0, 1]";
    fail(text.str());
  }
  if (options.max_trials < 0 || options.max_trials == 1) {
    fail("max_trials = " + std::to_string(options.max_trials) + " must be 0 (all) or >= 2");
  }
  if (options.grid_steps < 2) {
    fail("grid_steps = " + std::to_string(options.grid_steps) + " must be >= 2");
  }
}

// The trials rated: complete, with a finite value of the objective.
struct Table {
  std::vector<double> y;
  std::vector<std::vector<double>> unit;        // [param][trial], the unit-cube encoding
  std::vector<std::vector<uint8_t>> active;     // [param][trial]
};

Table encode_trials(const SearchSpace& space, std::span<const FrozenTrial> trials,
                    const std::vector<size_t>& params, int objective) {
  Table table;
  table.unit.resize(params.size());
  table.active.resize(params.size());
  for (const FrozenTrial& trial : trials) {
    if (trial.state != TrialState::kComplete) continue;
    if (trial.values.size() <= static_cast<size_t>(objective)) continue;
    const double value = trial.values[objective];
    if (!std::isfinite(value)) continue;
    table.y.push_back(value);
    for (size_t p = 0; p < params.size(); ++p) {
      const ParamSpec& spec = space.params()[params[p]];
      auto found = trial.config.find(spec.name);
      double u = 0.5;
      bool on = false;
      if (found != trial.config.end()) {
        try {
          // A value from before the space was widened or changed still has a place on the cube.
          u = std::clamp(encode_unit(spec, found->second), 0.0, 1.0);
          on = true;
        } catch (const Error&) {
          on = false;
        }
      }
      table.unit[p].push_back(u);
      table.active[p].push_back(on);
    }
  }
  return table;
}

// `keep` of the table's trials drawn without replacement, in their original order.
Table subsample(const Table& table, size_t keep, uint64_t seed) {
  std::vector<size_t> rows(table.y.size());
  std::iota(rows.begin(), rows.end(), 0);
  std::mt19937_64 engine(seed);
  std::shuffle(rows.begin(), rows.end(), engine);
  rows.resize(keep);
  std::sort(rows.begin(), rows.end());
  Table out;
  out.unit.resize(table.unit.size());
  out.active.resize(table.active.size());
  for (size_t row : rows) {
    out.y.push_back(table.y[row]);
    for (size_t p = 0; p < table.unit.size(); ++p) {
      out.unit[p].push_back(table.unit[p][row]);
      out.active[p].push_back(table.active[p][row]);
    }
  }
  return out;
}

int ped_anova_cells(const ParamSpec& spec, int grid_steps) {
  if (spec.kind == ParamKind::kCategorical || spec.kind == ParamKind::kOrdinal) {
    return static_cast<int>(spec.choices.size());
  }
  std::optional<uint64_t> cardinality = param_cardinality(spec);
  if (cardinality) return static_cast<int>(std::min<uint64_t>(*cardinality, grid_steps));
  return grid_steps;
}

}  // namespace

ImportanceReport parameter_importance(const SearchSpace& space,
                                      std::span<const FrozenTrial> trials,
                                      std::span<const Direction> directions,
                                      const ImportanceOptions& options) {
  check_options(options, directions.size());
  std::vector<size_t> params;
  if (options.params.empty()) {
    for (size_t i = 0; i < space.size(); ++i) params.push_back(i);
  } else {
    std::vector<std::string> names;
    for (const ParamSpec& spec : space.params()) names.push_back(spec.name);
    for (const std::string& name : options.params) {
      int index = space.index_of(name);
      if (index < 0) {
        throw Error("importance: no parameter '" + name + "' in the study's space" +
                    did_you_mean(name, names));
      }
      params.push_back(static_cast<size_t>(index));
    }
  }
  Table table = encode_trials(space, trials, params, options.objective);
  if (options.method == ImportanceMethod::kFanova && options.max_trials > 0 &&
      table.y.size() > static_cast<size_t>(options.max_trials)) {
    table = subsample(table, static_cast<size_t>(options.max_trials), options.seed);
  }
  const size_t n = table.y.size();
  if (n < 2) {
    throw Error("importance: needs at least 2 complete trials with a finite value of objective " +
                std::to_string(options.objective) + ", the study has " + std::to_string(n));
  }
  ImportanceReport report;
  report.method = options.method;
  report.objective = options.objective;
  report.n_trials = static_cast<int64_t>(n);
  report.importances.resize(params.size());
  for (size_t p = 0; p < params.size(); ++p) {
    report.importances[p].param = space.params()[params[p]].name;
    report.importances[p].n_trials =
        std::count(table.active[p].begin(), table.active[p].end(), uint8_t{1});
  }

  // Parameters active on the same trials share one model.
  std::map<std::vector<uint8_t>, std::vector<size_t>> groups;
  for (size_t p = 0; p < params.size(); ++p) groups[table.active[p]].push_back(p);
  const bool minimize = directions[options.objective] == Direction::kMinimize;
  for (const auto& [mask, members] : groups) {
    std::vector<size_t> rows;
    for (size_t t = 0; t < n; ++t) {
      if (mask[t]) rows.push_back(t);
    }
    if (rows.size() < 2) continue;  // too few trials to say anything: importance 0
    const double share = static_cast<double>(rows.size()) / static_cast<double>(n);
    std::vector<double> y;
    for (size_t t : rows) y.push_back(table.y[t]);
    if (options.method == ImportanceMethod::kPedAnova) {
      for (size_t p : members) {
        const ParamSpec& spec = space.params()[params[p]];
        std::vector<double> values;
        for (size_t t : rows) values.push_back(table.unit[p][t]);
        PedAnovaGrid grid{ped_anova_cells(spec, options.grid_steps),
                          spec.kind == ParamKind::kCategorical};
        report.importances[p].importance =
            share * ped_anova_divergence(values, y, minimize, grid, options);
      }
      continue;
    }
    // fANOVA's inputs: every parameter active on all of the group's trials.
    std::vector<size_t> features;
    for (size_t p = 0; p < params.size(); ++p) {
      bool everywhere = true;
      for (size_t t : rows) everywhere = everywhere && table.active[p][t];
      if (everywhere) features.push_back(p);
    }
    std::vector<double> x;
    x.reserve(rows.size() * features.size());
    for (size_t t : rows) {
      for (size_t p : features) x.push_back(table.unit[p][t]);
    }
    const FanovaFractions fractions = fanova_fractions(x, features.size(), y, options);
    for (size_t f = 0; f < features.size(); ++f) {
      if (std::find(members.begin(), members.end(), features[f]) == members.end()) continue;
      report.importances[features[f]].importance = share * fractions.mean[f];
      report.importances[features[f]].std = share * fractions.std[f];
    }
  }

  if (options.normalize) {
    double total = 0;
    for (const ParamImportance& item : report.importances) total += item.importance;
    if (total > 0) {
      for (ParamImportance& item : report.importances) {
        item.importance /= total;
        item.std /= total;
      }
    }
  }
  std::stable_sort(report.importances.begin(), report.importances.end(),
                   [](const ParamImportance& a, const ParamImportance& b) {
                     return a.importance > b.importance;
                   });
  return report;
}

std::string importance_table(const ImportanceReport& report) {
  size_t width = 9;
  for (const ParamImportance& item : report.importances) width = std::max(width, item.param.size());
  std::ostringstream out;
  out << "importance (" << to_string(report.method) << ", objective " << report.objective
      << ", " << report.n_trials << " complete trials)\n";
  out << std::left << std::setw(static_cast<int>(width)) << "parameter" << "  importance  "
      << std::setw(20) << "" << "  spread   trials\n";
  const double top = report.importances.empty() ? 0 : report.importances.front().importance;
  for (const ParamImportance& item : report.importances) {
    const int bar = top > 0 ? static_cast<int>(std::lround(20 * item.importance / top)) : 0;
    out << std::left << std::setw(static_cast<int>(width)) << item.param << "  " << std::right
        << std::fixed << std::setprecision(4) << std::setw(10) << item.importance << "  "
        << std::left << std::setw(20) << std::string(bar, '#') << "  " << std::right
        << std::setw(6) << std::setprecision(4) << item.std << "  " << std::setw(7)
        << item.n_trials << "\n";
  }
  return out.str();
}

ImportanceReport parameter_importance(const StudyRecord& study,
                                      std::span<const FrozenTrial> trials,
                                      const ImportanceOptions& options) {
  return parameter_importance(space_from_json(study.space_json), trials, study.directions,
                              options);
}

std::string importance_json(const ImportanceReport& report) {
  nlohmann::json importances = nlohmann::json::array();
  for (const ParamImportance& item : report.importances) {
    importances.push_back({{"param", item.param},
                           {"importance", item.importance},
                           {"std", item.std},
                           {"n_trials", item.n_trials}});
  }
  nlohmann::json json = {{"method", std::string(to_string(report.method))},
                         {"objective", report.objective},
                         {"n_trials", report.n_trials},
                         {"importances", std::move(importances)}};
  return json.dump();
}

}  // namespace winnow
