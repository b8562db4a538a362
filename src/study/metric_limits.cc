// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "study/metric_limits.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "common/strings.h"
#include "winnow/error.h"

namespace winnow {

MetricLimit parse_metric_limit(std::string_view text) {
  MetricLimit limit;
  limit.text = trim(text);
  auto fail = [&](const std::string& why) {
    return Error("constraint '" + limit.text + "': " + why +
                 " (expected '<metric> <= <number>' or '<metric> >= <number>', e.g. "
                 "'model_mb <= 50')");
  };
  size_t op = limit.text.find_first_of("<>");
  if (op == std::string::npos) throw fail("no comparison");
  limit.at_most = limit.text[op] == '<';
  size_t after = op + 1;
  if (after < limit.text.size() && limit.text[after] == '=') ++after;
  limit.name = trim(std::string_view(limit.text).substr(0, op));
  std::string bound = trim(std::string_view(limit.text).substr(after));
  if (limit.name.empty()) throw fail("no metric name before the comparison");
  for (char c : limit.name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) {
      throw fail("'" + limit.name + "' is not a metric name");
    }
  }
  char* end = nullptr;
  limit.bound = std::strtod(bound.c_str(), &end);
  if (bound.empty() || end != bound.c_str() + bound.size() || !std::isfinite(limit.bound)) {
    throw fail("'" + bound + "' is not a finite number");
  }
  return limit;
}

std::optional<std::string> apply_metric_limits(const std::vector<MetricLimit>& limits,
                                               const std::vector<std::string>& objective_names,
                                               TrialOutcome& outcome) {
  for (const MetricLimit& limit : limits) {
    std::optional<double> value;
    if (auto it = outcome.metrics.find(limit.name); it != outcome.metrics.end()) {
      value = it->second;
    }
    for (size_t i = 0; i < objective_names.size() && !value; ++i) {
      if (objective_names[i] == limit.name && i < outcome.values.size()) value = outcome.values[i];
    }
    if (!value) {
      return "constraint '" + limit.text + "': the objective reported no '" + limit.name +
             "' (add it to the JSON result line)";
    }
    if (std::isnan(*value)) return "constraint '" + limit.text + "': '" + limit.name + "' is NaN";
    outcome.constraints.push_back(limit.at_most ? *value - limit.bound : limit.bound - *value);
  }
  return std::nullopt;
}

}  // namespace winnow
