// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <nlohmann/json.hpp>

#include "common/param_json.h"
#include "winnow/space.h"

namespace winnow {

std::string SearchSpace::to_json() const {
  nlohmann::json params = nlohmann::json::array();
  for (const ParamSpec& spec : this->params()) {
    nlohmann::json p;
    p["name"] = spec.name;
    p["type"] = std::string(winnow::to_string(spec.kind));
    if (spec.kind == ParamKind::kFloat || spec.kind == ParamKind::kInt) {
      p["low"] = spec.low;
      p["high"] = spec.high;
      if (spec.log) p["log"] = true;
      if (spec.step) p["step"] = *spec.step;
    } else {
      nlohmann::json choices = nlohmann::json::array();
      for (const ParamValue& c : spec.choices) choices.push_back(param_to_json(c));
      p["choices"] = choices;
    }
    if (spec.default_value) p["default"] = param_to_json(*spec.default_value);
    if (!spec.condition.empty()) p["when"] = spec.condition;
    params.push_back(p);
  }
  nlohmann::json space;
  space["params"] = params;
  space["forbidden"] = forbidden_clauses();
  return space.dump();
}

}  // namespace winnow
