// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "serve/answers.h"

#include <cmath>
#include <cstdio>

namespace winnow::serving {
namespace {

using automl::EnsembleMember;
using automl::InferenceCost;

void append_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char text[32];
  int length = std::snprintf(text, sizeof(text), "%.9g", value);
  out.append(text, static_cast<size_t>(length));
}

void append_string(std::string& out, const std::string& text) {
  out += nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json cost_json(const InferenceCost& cost) {
  // NaN (not measured) becomes null in nlohmann's output.
  return {{"seconds_per_row_batch1", cost.seconds_per_row_batch1},
          {"seconds_per_row_batch1000", cost.seconds_per_row_batch1000},
          {"bytes", cost.bytes}};
}

}  // namespace

std::string predictions_json(const automl::Predictor::Impl& model, std::span<const float> output,
                             size_t rows) {
  std::string out;
  const size_t k = model.n_outputs();
  out.reserve(32 + rows * (k + 1) * 14);
  out += "{\"predictions\":[";
  if (model.task == automl::Task::kRegression) {
    for (size_t r = 0; r < rows; ++r) {
      if (r) out += ',';
      append_number(out, output[r]);
    }
    out += "]}";
    return out;
  }
  for (size_t r = 0; r < rows; ++r) {
    size_t best = 0;
    for (size_t c = 1; c < k; ++c) {
      if (output[r * k + c] > output[r * k + best]) best = c;
    }
    if (r) out += ',';
    append_string(out, model.classes[best]);
  }
  out += "],\"probabilities\":[";
  for (size_t r = 0; r < rows; ++r) {
    out += r ? ",[" : "[";
    for (size_t c = 0; c < k; ++c) {
      if (c) out += ',';
      append_number(out, output[r * k + c]);
    }
    out += ']';
  }
  out += "],\"classes\":[";
  for (size_t c = 0; c < k; ++c) {
    if (c) out += ',';
    append_string(out, model.classes[c]);
  }
  out += "]}";
  return out;
}

std::string error_json(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace);
}

nlohmann::json model_json(const automl::Predictor::Impl& model, const std::vector<size_t>& active,
                          const Allocation& allocation, const std::vector<MemberCost>& costs) {
  nlohmann::json out;
  out["task"] = std::string(to_string(model.task));
  out["target"] = model.target;
  out["metric"] = std::string(to_string(model.metric));
  if (!model.classes.empty()) out["classes"] = model.classes;
  nlohmann::json columns = nlohmann::json::array();
  for (const automl::ColumnSchema& column : model.schema.columns) {
    nlohmann::json entry = {{"name", column.name}, {"type", std::string(to_string(column.type))}};
    if (column.type == automl::ColumnType::kCategorical) entry["levels"] = column.levels;
    columns.push_back(entry);
  }
  out["columns"] = columns;
  std::vector<int> worker_of(model.members.size(), -1);
  for (size_t w = 0; w < allocation.members.size(); ++w) {
    for (size_t i : allocation.members[w]) worker_of[active[i]] = static_cast<int>(w);
  }
  nlohmann::json members = nlohmann::json::array();
  for (size_t m = 0; m < model.members.size(); ++m) {
    const EnsembleMember& member = model.members[m];
    nlohmann::json entry = {{"index", m},
                            {"trial", member.trial},
                            {"model", member.family},
                            {"weight", member.weight},
                            {"fold_models", member.folds.size()},
                            {"cost", cost_json(member.cost)}};
    entry["worker"] = worker_of[m] >= 0 ? nlohmann::json(worker_of[m]) : nlohmann::json();
    members.push_back(entry);
  }
  out["members"] = members;
  out["preprocessing_cost"] = cost_json(model.preprocessing_cost);
  nlohmann::json front = nlohmann::json::array();
  for (size_t f = 0; f < model.front.size(); ++f) {
    const automl::FrontEntry& entry = model.front[f];
    nlohmann::json weights = nlohmann::json::array();
    for (size_t m = 0; m < entry.weights.size() && m < model.members.size(); ++m) {
      if (entry.weights[m] > 0) {
        weights.push_back({{"trial", model.members[m].trial}, {"weight", entry.weights[m]}});
      }
    }
    front.push_back({{"score", entry.score},
                     {"loss", entry.loss},
                     {"cost", cost_json(entry.cost)},
                     {"members", weights},
                     {"chosen", f == model.chosen}});
  }
  out["front"] = front;
  out["chosen"] = model.front.empty() ? nlohmann::json() : nlohmann::json(model.chosen);
  nlohmann::json workers = nlohmann::json::array();
  for (size_t w = 0; w < allocation.members.size(); ++w) {
    nlohmann::json trials = nlohmann::json::array();
    uint64_t bytes = 0;
    for (size_t i : allocation.members[w]) {
      trials.push_back(model.members[active[i]].trial);
      bytes += costs[i].bytes;
    }
    workers.push_back({{"worker", w},
                       {"member_trials", trials},
                       {"load", allocation.load[w]},
                       {"bytes", bytes}});
  }
  out["allocation"] = {{"workers", workers},
                       {"makespan", allocation.makespan()},
                       {"moves", allocation.moves}};
  return out;
}

}  // namespace winnow::serving
