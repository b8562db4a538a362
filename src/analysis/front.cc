// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The Pareto front of a study's trials and its hypervolume, for `winnow show`, export and
// Study::best_trials. Everything here works in minimisation (analysis/pareto.h) and converts at
// the edges, so a maximised objective's reference point is a lower bound as the user wrote it.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "analysis/hypervolume.h"
#include "analysis/pareto.h"
#include "common/strings.h"
#include "winnow/analysis.h"
#include "winnow/error.h"
#include "winnow/space.h"

namespace winnow {
namespace {

bool counts(const FrozenTrial& t, size_t n_objectives) {
  return t.state == TrialState::kComplete && t.values.size() == n_objectives && t.feasible();
}

// Minimisation points of the counted trials among the first `limit`, and their indices.
std::vector<double> points_of(std::span<const FrozenTrial> trials,
                              std::span<const Direction> directions, size_t limit,
                              std::vector<size_t>* indices = nullptr) {
  std::vector<double> points;
  for (size_t i = 0; i < std::min(limit, trials.size()); ++i) {
    if (!counts(trials[i], directions.size())) continue;
    std::vector<double> minimised = to_minimization(trials[i].values, directions);
    points.insert(points.end(), minimised.begin(), minimised.end());
    if (indices != nullptr) indices->push_back(i);
  }
  return points;
}

std::vector<double> to_minimised_reference(std::span<const double> reference,
                                           std::span<const Direction> directions) {
  if (reference.size() != directions.size()) {
    throw Error("the reference point has " + std::to_string(reference.size()) +
                " coordinates but the study has " + std::to_string(directions.size()) +
                " objectives");
  }
  std::vector<double> out(reference.begin(), reference.end());
  for (size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(out[i])) throw Error("the reference point must be finite");
    if (directions[i] == Direction::kMaximize) out[i] = -out[i];
  }
  return out;
}

double hypervolume_of_points(std::span<const double> points, std::span<const double> reference,
                             size_t n_objectives, bool* exact) {
  if (points.empty()) return 0;
  HypervolumeResult result = hypervolume(points, n_objectives, reference);
  if (exact != nullptr) *exact = result.exact;
  return result.value;
}

}  // namespace

std::vector<size_t> pareto_front_trials(std::span<const FrozenTrial> trials,
                                        std::span<const Direction> directions) {
  std::vector<size_t> indices;
  std::vector<double> points = points_of(trials, directions, trials.size(), &indices);
  std::vector<size_t> front;
  if (indices.empty()) return front;
  for (size_t k : pareto_front_indices(points, directions.size())) front.push_back(indices[k]);
  std::sort(front.begin(), front.end());
  return front;
}

std::vector<double> automatic_reference_point(std::span<const FrozenTrial> trials,
                                              std::span<const Direction> directions) {
  std::vector<double> points = points_of(trials, directions, trials.size());
  if (points.empty()) return {};
  std::vector<double> reference = default_reference_point(points, directions.size());
  for (size_t i = 0; i < reference.size(); ++i) {
    if (directions[i] == Direction::kMaximize) reference[i] = -reference[i];
  }
  return reference;
}

FrontHypervolume front_hypervolume(std::span<const FrozenTrial> trials,
                                   std::span<const Direction> directions,
                                   std::span<const double> reference) {
  std::vector<double> minimised = to_minimised_reference(reference, directions);
  FrontHypervolume out;
  std::vector<double> points = points_of(trials, directions, trials.size());
  out.value = hypervolume_of_points(points, minimised, directions.size(), &out.exact);
  return out;
}

std::vector<std::pair<int64_t, double>> hypervolume_history(std::span<const FrozenTrial> trials,
                                                            std::span<const Direction> directions,
                                                            std::span<const double> reference,
                                                            int points) {
  std::vector<double> minimised = to_minimised_reference(reference, directions);
  std::vector<std::pair<int64_t, double>> history;
  if (trials.empty() || points < 1) return history;
  const size_t n = trials.size();
  for (int k = 1; k <= points; ++k) {
    size_t limit = (n * static_cast<size_t>(k) + static_cast<size_t>(points) - 1) /
                   static_cast<size_t>(points);
    if (!history.empty() && static_cast<size_t>(history.back().first) == limit) continue;
    std::vector<double> prefix = points_of(trials, directions, limit);
    history.emplace_back(static_cast<int64_t>(limit),
                         hypervolume_of_points(prefix, minimised, directions.size(), nullptr));
  }
  return history;
}

std::string pareto_report(const StudyRecord& study, std::span<const FrozenTrial> trials,
                          const std::optional<std::vector<double>>& given_reference) {
  std::span<const Direction> directions = study.directions;
  std::ostringstream out;
  std::vector<size_t> front = pareto_front_trials(trials, directions);
  int infeasible = 0, complete = 0;
  for (const FrozenTrial& t : trials) {
    if (t.state != TrialState::kComplete) continue;
    ++complete;
    infeasible += !t.feasible();
  }
  std::vector<std::string> names;
  for (size_t i = 0; i < directions.size(); ++i) {
    std::string name = i < study.objective_names.size() ? study.objective_names[i]
                                                        : "value_" + std::to_string(i);
    names.push_back(name + " (" + std::string(to_string(directions[i])) + ")");
  }
  out << "Pareto front of study '" << study.name << "': " << front.size() << " of " << complete
      << " complete trial(s)";
  if (infeasible > 0) out << "; " << infeasible << " infeasible trial(s) left out";
  out << "\nObjectives: " << join(names, ", ") << "\n";
  if (front.empty()) {
    out << "No complete feasible trial yet.\n";
    return out.str();
  }

  std::vector<double> reference =
      given_reference ? *given_reference : automatic_reference_point(trials, directions);
  FrontHypervolume volume = front_hypervolume(trials, directions, reference);
  std::vector<std::string> reference_text;
  for (double r : reference) reference_text.push_back(format_short(r));
  out << "Hypervolume: " << format_short(volume.value) << (volume.exact ? "" : " (estimate)")
      << " w.r.t. reference point (" << join(reference_text, ", ") << ")"
      << (given_reference ? "" : ", chosen automatically: worst value + 10% of the range") << "\n";
  if (directions.size() > 1) {
    std::vector<std::string> steps;
    for (const auto& [k, value] : hypervolume_history(trials, directions, reference, 8)) {
      steps.push_back(std::to_string(k) + ": " + format_short(value));
    }
    out << "Hypervolume after n trials: " << join(steps, ", ") << "\n";
  }

  std::vector<size_t> sorted = front;
  std::sort(sorted.begin(), sorted.end(), [&](size_t a, size_t b) {
    return trials[a].values[0] < trials[b].values[0];
  });
  std::vector<std::string> header = {"trial"};
  for (size_t i = 0; i < directions.size(); ++i) {
    header.push_back(i < study.objective_names.size() ? study.objective_names[i]
                                                      : "value_" + std::to_string(i));
  }
  bool constrained = std::any_of(trials.begin(), trials.end(),
                                 [](const FrozenTrial& t) { return !t.constraints.empty(); });
  if (constrained) header.push_back("max_constraint");
  std::vector<std::string> params;
  for (size_t index : sorted) {
    for (const auto& [name, value] : trials[index].config) {
      if (std::find(params.begin(), params.end(), name) == params.end()) params.push_back(name);
    }
  }
  header.insert(header.end(), params.begin(), params.end());
  std::vector<std::vector<std::string>> rows;
  for (size_t index : sorted) {
    const FrozenTrial& t = trials[index];
    std::vector<std::string> row = {std::to_string(t.number)};
    for (double v : t.values) row.push_back(format_short(v));
    if (constrained) {
      double worst = t.constraints.empty()
                         ? 0
                         : *std::max_element(t.constraints.begin(), t.constraints.end());
      row.push_back(t.constraints.empty() ? "-" : format_short(worst));
    }
    for (const std::string& name : params) {
      auto it = t.config.find(name);
      if (it == t.config.end()) {
        row.push_back("-");
      } else if (const double* number = std::get_if<double>(&it->second)) {
        row.push_back(format_short(*number));
      } else {
        row.push_back(to_string(it->second));
      }
    }
    rows.push_back(std::move(row));
  }
  out << "\n" << format_table(header, rows);
  return out.str();
}

}  // namespace winnow
