// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "dashboard/api.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "dashboard/trial_json.h"
#include "winnow/analysis.h"
#include "winnow/attributes.h"
#include "winnow/error.h"

namespace winnow::dashboard {
namespace {

using nlohmann::json;

constexpr int64_t kMaxTrialPage = 1000;
constexpr int64_t kMaxCurves = 5000;
constexpr int64_t kDefaultColumns = 10000;
// fANOVA's forest in the dashboard: a random sample of this many trials of a larger study.
constexpr int64_t kMaxImportanceTrials = 10000;
constexpr int64_t kMaxColumns = 1000000;

// A 400 naming the query parameter that is wrong.
struct BadRequest {
  std::string message;
};

std::optional<std::string> query_value(const Query& query, const std::string& key) {
  auto found = query.find(key);
  if (found == query.end()) return std::nullopt;
  return found->second;
}

int64_t query_int(const Query& query, const std::string& key, int64_t fallback, int64_t low,
                  int64_t high) {
  std::optional<std::string> text = query_value(query, key);
  if (!text) return fallback;
  int64_t value = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size()) {
    throw BadRequest{"'" + key + "' must be an integer, got '" + *text + "'"};
  }
  if (value < low || value > high) {
    throw BadRequest{"'" + key + "' must be between " + std::to_string(low) + " and " +
                     std::to_string(high) + ", got " + *text};
  }
  return value;
}

std::optional<double> query_number(const Query& query, const std::string& key) {
  std::optional<std::string> text = query_value(query, key);
  if (!text) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(text->c_str(), &end);
  if (text->empty() || end != text->c_str() + text->size() || std::isnan(value)) {
    throw BadRequest{"'" + key + "' must be a number, got '" + *text + "'"};
  }
  return value;
}

// A sort key: missing keys sort last whatever the order.
struct SortKey {
  bool missing = true;
  double number = 0;
  std::string text;
};

}  // namespace

ApiResponse error_response(int status, const std::string& message) {
  return {status, json{{"error", message}}.dump()};
}

namespace {

template <class Body>
ApiResponse with_study(StudyCache& cache, const std::string& name, Body body) {
  try {
    std::shared_ptr<const StudySnapshot> snapshot = cache.get(name);
    if (!snapshot) return error_response(404, "no study named '" + name + "'");
    return body(*snapshot);
  } catch (const BadRequest& bad) {
    return error_response(400, bad.message);
  } catch (const Error& e) {
    return error_response(500, e.what());
  }
}

}  // namespace

ApiResponse Api::studies() {
  json list = json::array();
  for (const auto& snapshot : cache_.all()) list.push_back(summary_json(*snapshot));
  return {200, json{{"studies", std::move(list)}}.dump()};
}

ApiResponse Api::study(const std::string& name) {
  return with_study(cache_, name, [&](const StudySnapshot& snapshot) {
    json summary = summary_json(snapshot);
    json params = json::array();
    SearchSpace space = space_from_json(snapshot.study.space_json);
    for (const ParamSpec& spec : space.params()) {
      const bool numeric = spec.kind == ParamKind::kFloat || spec.kind == ParamKind::kInt;
      json choices = nullptr;
      if (!numeric) {
        choices = json::array();
        for (const ParamValue& choice : spec.choices) choices.push_back(to_string(choice));
      }
      params.push_back({{"name", spec.name},
                        {"kind", std::string(to_string(spec.kind))},
                        {"low", numeric ? json(spec.low) : json(nullptr)},
                        {"high", numeric ? json(spec.high) : json(nullptr)},
                        {"log", spec.log},
                        {"step", spec.step ? json(*spec.step) : json(nullptr)},
                        {"choices", std::move(choices)},
                        {"condition", spec.condition.empty() ? json(nullptr)
                                                             : json(spec.condition)}});
    }
    // The budget ladder as the trials ran it: every budget a trial was given.
    std::set<double> rungs;
    for (const FrozenTrial& t : snapshot.trials) {
      if (std::optional<double> budget = attr_number(t, kBudgetAttr)) rungs.insert(*budget);
    }
    json budget = nullptr;
    if (!rungs.empty()) {
      budget = {{"min", *rungs.begin()},
                {"max", *rungs.rbegin()},
                {"rungs", std::vector<double>(rungs.begin(), rungs.end())}};
    }
    json best_trials = json::array();
    if (snapshot.study.directions.size() == 1) {
      if (std::optional<size_t> best = best_trial(snapshot)) {
        best_trials.push_back(snapshot.trials[*best].number);
      }
    } else {
      for (size_t index :
           pareto_front_trials(snapshot.trials.flat(), snapshot.study.directions)) {
        best_trials.push_back(snapshot.trials[index].number);
      }
    }
    json attrs = json::object();
    for (const auto& [key, value] : snapshot.study.user_attrs) {
      if (is_system_attr(key)) continue;
      json parsed = json::parse(value, nullptr, false);
      attrs[key] = parsed.is_discarded() ? json(value) : parsed;
    }
    summary["params"] = std::move(params);
    summary["budget"] = std::move(budget);
    summary["best_trials"] = std::move(best_trials);
    summary["user_attrs"] = std::move(attrs);
    return ApiResponse{200, summary.dump()};
  });
}

ApiResponse Api::trials(const std::string& name, const Query& query) {
  return with_study(cache_, name, [&](const StudySnapshot& snapshot) {
    const int64_t offset = query_int(query, "offset", 0, 0, INT64_MAX / 2);
    const int64_t limit = query_int(query, "limit", 100, 1, kMaxTrialPage);
    const std::string sort = query_value(query, "sort").value_or("number");
    const std::string order = query_value(query, "order").value_or("asc");
    if (order != "asc" && order != "desc") {
      throw BadRequest{"'order' must be asc or desc, got '" + order + "'"};
    }
    std::set<std::string> states;
    if (std::optional<std::string> text = query_value(query, "state")) {
      size_t start = 0;
      while (start <= text->size()) {
        size_t comma = text->find(',', start);
        std::string state = text->substr(start, comma - start);
        if (!trial_state_from_string(state)) {
          throw BadRequest{"'state': no trial state '" + state +
                           "' (waiting, running, complete, pruned, failed)"};
        }
        states.insert(state);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    const std::optional<double> value_min = query_number(query, "value_min");
    const std::optional<double> value_max = query_number(query, "value_max");
    const std::optional<std::string> param = query_value(query, "param");
    const std::optional<double> param_min = query_number(query, "param_min");
    const std::optional<double> param_max = query_number(query, "param_max");
    const std::optional<std::string> param_equals = query_value(query, "param_equals");
    if (!param && (param_min || param_max || param_equals)) {
      throw BadRequest{"'param_min', 'param_max' and 'param_equals' need 'param'"};
    }

    // Which key to sort by.
    size_t value_index = 0;
    std::string sort_param;
    if (sort.starts_with("param:")) {
      sort_param = sort.substr(6);
    } else if (sort.starts_with("value")) {
      std::string index = sort.substr(5);
      if (!index.empty()) {
        auto [end, error] = std::from_chars(index.data(), index.data() + index.size(),
                                            value_index);
        if (error != std::errc() || end != index.data() + index.size()) value_index = SIZE_MAX;
      }
      if (value_index >= snapshot.study.directions.size()) {
        throw BadRequest{"'sort': no objective '" + sort + "' (value, value1 ...)"};
      }
    } else if (sort != "number" && sort != "duration" && sort != "state") {
      throw BadRequest{"'sort' must be number, value, value1 ..., duration, state or "
                       "param:NAME, got '" + sort + "'"};
    }
    auto key_of = [&](const FrozenTrial& t) {
      SortKey key;
      if (sort == "number") {
        key = {false, static_cast<double>(t.number), {}};
      } else if (sort == "duration") {
        if (t.end_time_ms > 0) key = {false, t.duration_seconds(), {}};
      } else if (sort == "state") {
        key = {false, 0, std::string(to_string(t.state))};
      } else if (!sort_param.empty()) {
        auto found = t.config.find(sort_param);
        if (found != t.config.end()) {
          std::optional<double> number = as_number(found->second);
          key = {false, number.value_or(0), number ? "" : to_string(found->second)};
        }
      } else if (t.state == TrialState::kComplete && value_index < t.values.size() &&
                 !std::isnan(t.values[value_index])) {
        key = {false, t.values[value_index], {}};
      }
      return key;
    };

    std::vector<std::pair<SortKey, const FrozenTrial*>> rows;
    for (const FrozenTrial& t : snapshot.trials) {
      if (!states.empty() && !states.count(std::string(to_string(t.state)))) continue;
      if (value_min || value_max) {
        if (t.state != TrialState::kComplete || t.values.empty()) continue;
        if (value_min && !(t.values[0] >= *value_min)) continue;
        if (value_max && !(t.values[0] <= *value_max)) continue;
      }
      if (param) {
        auto found = t.config.find(*param);
        if (found == t.config.end()) continue;
        std::optional<double> number = as_number(found->second);
        if (param_min && !(number && *number >= *param_min)) continue;
        if (param_max && !(number && *number <= *param_max)) continue;
        if (param_equals && to_string(found->second) != *param_equals) continue;
      }
      rows.emplace_back(key_of(t), &t);
    }
    const bool descending = order == "desc";
    // Only the rows up to the page's end need to be in order; ties go by trial number.
    auto before = [&](const auto& a, const auto& b) {
      const SortKey& x = a.first;
      const SortKey& y = b.first;
      if (x.missing != y.missing) return y.missing;
      if (!x.missing) {
        if (x.number != y.number) return descending ? x.number > y.number : x.number < y.number;
        if (x.text != y.text) return descending ? x.text > y.text : x.text < y.text;
      }
      return a.second->number < b.second->number;
    };
    const auto end = static_cast<size_t>(std::min<int64_t>(offset + limit,
                                                           static_cast<int64_t>(rows.size())));
    if (sort == "number") {
      if (descending) std::reverse(rows.begin(), rows.end());  // rows are in number order
    } else if (end > 0) {
      std::partial_sort(rows.begin(), rows.begin() + end, rows.end(), before);
    }
    json page = json::array();
    for (int64_t i = offset; i < static_cast<int64_t>(rows.size()) && i < offset + limit; ++i) {
      page.push_back(row_json(*rows[i].second));
    }
    return ApiResponse{200, json{{"total", rows.size()},
                                 {"offset", offset},
                                 {"limit", limit},
                                 {"trials", std::move(page)}}
                                .dump()};
  });
}

ApiResponse Api::trial(const std::string& name, const std::string& number_text) {
  return with_study(cache_, name, [&](const StudySnapshot& snapshot) {
    int64_t number = -1;
    auto [end, error] = std::from_chars(number_text.data(),
                                        number_text.data() + number_text.size(), number);
    if (error != std::errc() || end != number_text.data() + number_text.size() || number < 0 ||
        number >= static_cast<int64_t>(snapshot.trials.size())) {
      return error_response(404, "study '" + name + "' has no trial '" + number_text + "'");
    }
    const FrozenTrial& t = snapshot.trials[number];
    json row = row_json(t);
    json intermediate = json::array();
    for (const auto& [step, value] : t.intermediate) {
      intermediate.push_back({step, number_json(value)});
    }
    json metrics = json::object();
    for (const auto& [key, value] : t.metrics) metrics[key] = number_json(value);
    json constraints = json::array();
    for (double c : t.constraints) constraints.push_back(number_json(c));
    json attrs = json::object();
    for (const auto& [key, value] : t.user_attrs) attrs[key] = attr_or_null(t, key);
    row["intermediate"] = std::move(intermediate);
    row["metrics"] = std::move(metrics);
    row["constraints"] = std::move(constraints);
    row["user_attrs"] = std::move(attrs);
    row["sampler"] = attr_or_null(t, kSamplerAttr);
    row["sampler_reason"] = attr_or_null(t, kSamplerReasonAttr);
    row["failure_reason"] = t.failure_reason;
    row["owner"] = t.owner;
    row["retry_of"] = t.retry_of ? json(*t.retry_of) : json(nullptr);
    row["interrupted"] = t.interrupted;
    row["rung"] = attr_or_null(t, kRungAttr);
    row["continues"] = attr_or_null(t, kContinuesAttr);
    return ApiResponse{200, row.dump()};
  });
}

ApiResponse Api::history(const std::string& name) {
  return with_study(cache_, name, [&](const StudySnapshot& snapshot) {
    const size_t objectives = snapshot.study.directions.size();
    json numbers = json::array(), states = json::array();
    std::vector<json> values(objectives, json::array());
    for (const FrozenTrial& t : snapshot.trials) {
      numbers.push_back(t.number);
      states.push_back(std::string(to_string(t.state)));
      const bool complete = t.state == TrialState::kComplete && t.values.size() == objectives;
      for (size_t k = 0; k < objectives; ++k) {
        values[k].push_back(complete ? number_json(t.values[k]) : json(nullptr));
      }
    }
    json directions = json::array();
    for (Direction d : snapshot.study.directions) directions.push_back(std::string(to_string(d)));
    return ApiResponse{200, json{{"directions", std::move(directions)},
                                 {"number", std::move(numbers)},
                                 {"state", std::move(states)},
                                 {"values", std::move(values)}}
                                .dump()};
  });
}

ApiResponse Api::columns(const std::string& name, const Query& query) {
  return with_study(cache_, name, [&](const StudySnapshot& snapshot) {
    const int64_t limit = query_int(query, "limit", kDefaultColumns, 1, kMaxColumns);
    int64_t complete = 0;
    for (const FrozenTrial& t : snapshot.trials) complete += t.state == TrialState::kComplete;
    int64_t skip = std::max<int64_t>(0, complete - limit);  // the latest `limit` are kept
    SearchSpace space = space_from_json(snapshot.study.space_json);
    const size_t objectives = snapshot.study.directions.size();
    json numbers = json::array();
    std::vector<json> values(objectives, json::array());
    std::map<std::string, json> params;
    json kinds = json::object();
    for (const ParamSpec& spec : space.params()) {
      params[spec.name] = json::array();
      kinds[spec.name] = std::string(to_string(spec.kind));
    }
    for (const FrozenTrial& t : snapshot.trials) {
      if (t.state != TrialState::kComplete) continue;
      if (skip > 0) {
        --skip;
        continue;
      }
      if (t.values.size() != objectives) continue;
      numbers.push_back(t.number);
      for (size_t k = 0; k < objectives; ++k) values[k].push_back(number_json(t.values[k]));
      for (auto& [param, column] : params) {
        auto found = t.config.find(param);
        column.push_back(found == t.config.end() ? json(nullptr) : value_json(found->second));
      }
    }
    return ApiResponse{200, json{{"total", complete},
                                 {"number", std::move(numbers)},
                                 {"values", std::move(values)},
                                 {"params", std::move(params)},
                                 {"kinds", std::move(kinds)}}
                                .dump()};
  });
}

ApiResponse Api::importance(const std::string& name, const Query& query) {
  return with_study(cache_, name, [&](const StudySnapshot& snapshot) {
    ImportanceOptions options;
    const std::string method = query_value(query, "method").value_or("fanova");
    std::optional<ImportanceMethod> parsed = importance_method_from_string(method);
    if (!parsed) throw BadRequest{"'method' must be fanova or ped-anova, got '" + method + "'"};
    options.method = *parsed;
    options.max_trials = kMaxImportanceTrials;
    options.objective = static_cast<int>(query_int(
        query, "objective", 0, 0, static_cast<int64_t>(snapshot.study.directions.size()) - 1));
    try {
      return ApiResponse{200, importance_json(cache_.importance(snapshot, options))};
    } catch (const Error& e) {
      return error_response(400, e.what());
    }
  });
}

ApiResponse Api::intermediate(const std::string& name, const Query& query) {
  return with_study(cache_, name, [&](const StudySnapshot& snapshot) {
    const int64_t limit = query_int(query, "limit", 300, 1, kMaxCurves);
    std::vector<const FrozenTrial*> reporting;
    for (const FrozenTrial& t : snapshot.trials) {
      if (!t.intermediate.empty()) reporting.push_back(&t);
    }
    const size_t first = reporting.size() > static_cast<size_t>(limit)
                             ? reporting.size() - static_cast<size_t>(limit)
                             : 0;
    json curves = json::array();
    std::set<double> rungs;
    for (const FrozenTrial& t : snapshot.trials) {
      if (std::optional<double> budget = attr_number(t, kBudgetAttr)) rungs.insert(*budget);
    }
    for (size_t i = first; i < reporting.size(); ++i) {
      const FrozenTrial& t = *reporting[i];
      json steps = json::array(), values = json::array();
      for (const auto& [step, value] : t.intermediate) {
        steps.push_back(step);
        values.push_back(number_json(value));
      }
      curves.push_back({{"number", t.number},
                        {"state", std::string(to_string(t.state))},
                        {"steps", std::move(steps)},
                        {"values", std::move(values)}});
    }
    json rung_list = rungs.empty() ? json(nullptr)
                                   : json(std::vector<double>(rungs.begin(), rungs.end()));
    return ApiResponse{200, json{{"total", reporting.size()},
                                 {"rungs", std::move(rung_list)},
                                 {"trials", std::move(curves)}}
                                .dump()};
  });
}

ApiResponse Api::pareto(const std::string& name) {
  return with_study(cache_, name, [&](const StudySnapshot& snapshot) {
    const std::vector<Direction>& directions = snapshot.study.directions;
    if (directions.size() < 2) {
      return error_response(400, "study '" + name + "' has one objective: no Pareto front");
    }
    const std::span<const FrozenTrial> trials = snapshot.trials.flat();
    std::vector<size_t> front = pareto_front_trials(trials, directions);
    std::set<size_t> on_front(front.begin(), front.end());
    std::vector<double> reference = automatic_reference_point(trials, directions);
    json points = json::array();
    for (size_t i = 0; i < snapshot.trials.size(); ++i) {
      const FrozenTrial& t = snapshot.trials[i];
      if (t.state != TrialState::kComplete || t.values.size() != directions.size()) continue;
      points.push_back({{"number", t.number},
                        {"values", values_json(t)},
                        {"feasible", t.feasible()},
                        {"on_front", on_front.count(i) > 0}});
    }
    json hypervolume = nullptr, history = json::array();
    if (!reference.empty()) {
      hypervolume = front_hypervolume(trials, directions, reference).value;
      for (const auto& [k, hv] : hypervolume_history(trials, directions, reference, 50)) {
        history.push_back({k, hv});
      }
    }
    json direction_names = json::array();
    for (Direction d : directions) direction_names.push_back(std::string(to_string(d)));
    return ApiResponse{200, json{{"directions", std::move(direction_names)},
                                 {"reference", reference.empty() ? json(nullptr)
                                                                 : json(reference)},
                                 {"hypervolume", hypervolume},
                                 {"hypervolume_history", std::move(history)},
                                 {"points", std::move(points)}}
                                .dump()};
  });
}

ApiResponse Api::updates(const std::string& name, const Query& query) {
  return with_study(cache_, name, [&](const StudySnapshot& snapshot) {
    if (!query_value(query, "since")) {
      throw BadRequest{"'since' is required: the version of the trials already seen (0: all)"};
    }
    const int64_t since = query_int(query, "since", 0, 0, INT64_MAX);
    // Trials of version 0 changed but are not stamped yet (Storage::trials): they are sent
    // unless the caller has seen them as they are (its `pending` is the snapshot's digest).
    const std::string pending = std::to_string(snapshot.pending);
    const bool pending_seen = query_value(query, "pending") == pending;
    json changed = json::array();
    for (const FrozenTrial& t : snapshot.trials) {
      if (t.version > since || (t.version == 0 && !pending_seen)) changed.push_back(row_json(t));
    }
    return ApiResponse{200, json{{"version", snapshot.version},
                                 {"pending", pending},
                                 {"trials", std::move(changed)}}
                                .dump()};
  });
}

ApiResponse Api::enqueue(const std::string& name, const std::string& body) {
  if (!allow_write_) {
    return error_response(403, "the dashboard is read-only: start it with --allow-write to "
                               "change studies");
  }
  return with_study(cache_, name, [&](const StudySnapshot& snapshot) {
    json request = json::parse(body, nullptr, false);
    if (request.is_discarded() || !request.is_object() || !request.contains("params") ||
        !request["params"].is_object()) {
      return error_response(400, "the body must be JSON: {\"params\": {\"name\": value, ...}}");
    }
    SearchSpace space = space_from_json(snapshot.study.space_json);
    Config config;
    try {
      for (const auto& [param, value] : request["params"].items()) {
        ParamValue raw;
        if (value.is_boolean()) {
          raw = value.get<bool>();
        } else if (value.is_number_integer()) {
          raw = value.get<int64_t>();
        } else if (value.is_number()) {
          raw = value.get<double>();
        } else if (value.is_string()) {
          raw = value.get<std::string>();
        } else {
          return error_response(400, "parameter '" + param + "': a value must be a number, a "
                                     "string or a boolean");
        }
        config[param] = space.coerce(param, raw);
      }
      space.check(config);
    } catch (const Error& e) {
      return error_response(400, e.what());
    }
    std::optional<FrozenTrial> created = cache_.storage().create_trial(
        snapshot.study.id, config, TrialState::kWaiting, "", 0, std::nullopt);
    cache_.invalidate(name);
    return ApiResponse{200, json{{"number", created ? json(created->number) : json(nullptr)}}
                                .dump()};
  });
}

}  // namespace winnow::dashboard
