// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "common/param_json.h"

#include "winnow/error.h"

namespace winnow {

nlohmann::json param_to_json(const ParamValue& value) {
  return std::visit([](const auto& v) { return nlohmann::json(v); }, value);
}

ParamValue param_from_json(const nlohmann::json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_float()) return value.get<double>();
  if (value.is_string()) return value.get<std::string>();
  throw Error("expected a boolean, number or string, got " + value.dump());
}

nlohmann::json config_to_json(const Config& config) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [name, value] : config) object[name] = param_to_json(value);
  return object;
}

Config config_from_json(const nlohmann::json& object) {
  if (!object.is_object()) throw Error("expected a JSON object of parameters, got " + object.dump());
  Config config;
  for (const auto& [name, value] : object.items()) config[name] = param_from_json(value);
  return config;
}

}  // namespace winnow
