// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <nlohmann/json.hpp>

#include "common/param_json.h"
#include "space/space_json.h"
#include "winnow/error.h"
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
  if (is_define_by_run()) space["define_by_run"] = true;
  return space.dump();
}

SearchSpace space_from_json(std::string_view text) {
  nlohmann::json space = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!space.is_object() || !space.contains("params") || !space["params"].is_array()) {
    throw Error("a stored search space is not valid JSON of a space: " +
                std::string(text.substr(0, 80)));
  }
  SearchSpace out;
  out.define_by_run(space.value("define_by_run", false));
  try {
    for (const nlohmann::json& p : space["params"]) {
      ParamSpec spec;
      spec.name = p.at("name").get<std::string>();
      std::string type = p.at("type").get<std::string>();
      if (type == "float" || type == "int") {
        spec.kind = type == "float" ? ParamKind::kFloat : ParamKind::kInt;
        spec.low = p.at("low").get<double>();
        spec.high = p.at("high").get<double>();
        spec.log = p.value("log", false);
        if (p.contains("step")) spec.step = p["step"].get<double>();
      } else if (type == "categorical" || type == "ordinal") {
        spec.kind = type == "categorical" ? ParamKind::kCategorical : ParamKind::kOrdinal;
        for (const nlohmann::json& c : p.at("choices")) spec.choices.push_back(param_from_json(c));
      } else {
        throw Error("parameter '" + spec.name + "' has an unknown type '" + type + "'");
      }
      if (p.contains("default")) spec.default_value = param_from_json(p["default"]);
      spec.condition = p.value("when", "");
      out.add(std::move(spec));
    }
    if (space.contains("forbidden")) {
      for (const nlohmann::json& clause : space["forbidden"]) out.forbid(clause.get<std::string>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error("a stored search space is damaged: " + std::string(e.what()));
  }
  out.validate();
  return out;
}

}  // namespace winnow
