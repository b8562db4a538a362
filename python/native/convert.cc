// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "native/convert.h"

#include <pybind11/stl.h>

#include "winnow/error.h"

namespace py = pybind11;

namespace winnow::python {

ParamValue choice_from_python(const py::handle& value, const std::string& parameter) {
  if (value.is_none()) return std::string("None");
  if (py::isinstance<py::bool_>(value)) return value.cast<bool>();
  if (py::isinstance<py::int_>(value)) return value.cast<int64_t>();
  if (py::isinstance<py::float_>(value)) return value.cast<double>();
  if (py::isinstance<py::str>(value)) return value.cast<std::string>();
  throw Error("parameter '" + parameter + "': a value must be None, bool, int, float or str, not " +
              std::string(py::str(value.get_type().attr("__name__"))));
}

py::object value_to_python(const ParamValue& value) {
  if (auto* b = std::get_if<bool>(&value)) return py::bool_(*b);
  if (auto* i = std::get_if<int64_t>(&value)) return py::int_(*i);
  if (auto* d = std::get_if<double>(&value)) return py::float_(*d);
  return py::str(std::get<std::string>(value));
}

Config config_from_python(const py::dict& params) {
  Config config;
  for (const auto& [key, value] : params) {
    std::string name = py::str(key);
    config[name] = choice_from_python(value, name);
  }
  return config;
}

py::dict config_to_python(const Config& config) {
  py::dict out;
  for (const auto& [name, value] : config) out[py::str(name)] = value_to_python(value);
  return out;
}

py::tuple trial_to_python(const FrozenTrial& trial) {
  py::object values = py::none();
  if (!trial.values.empty()) values = py::cast(trial.values);
  py::dict intermediate;
  for (const auto& [step, value] : trial.intermediate) intermediate[py::int_(step)] = value;
  py::dict attrs;
  for (const auto& [key, value] : trial.user_attrs) attrs[py::str(key)] = py::str(value);
  return py::make_tuple(trial.id, trial.number, std::string(to_string(trial.state)), values,
                        config_to_python(trial.config), intermediate, attrs, trial.start_time_ms,
                        trial.end_time_ms, trial.failure_reason, py::cast(trial.constraints),
                        py::cast(trial.metrics), trial.interrupted);
}

ParamSpec param_spec_from_dict(const py::dict& given) {
  ParamSpec spec;
  spec.name = given["name"].cast<std::string>();
  std::string type = given["type"].cast<std::string>();
  if (type == "float") {
    spec.kind = ParamKind::kFloat;
  } else if (type == "int") {
    spec.kind = ParamKind::kInt;
  } else if (type == "categorical") {
    spec.kind = ParamKind::kCategorical;
  } else if (type == "ordinal") {
    spec.kind = ParamKind::kOrdinal;
  } else {
    throw Error("parameter '" + spec.name + "': unknown type '" + type + "'");
  }
  if (given.contains("low")) spec.low = given["low"].cast<double>();
  if (given.contains("high")) spec.high = given["high"].cast<double>();
  if (given.contains("log")) spec.log = given["log"].cast<bool>();
  if (given.contains("step") && !given["step"].is_none()) spec.step = given["step"].cast<double>();
  if (given.contains("choices")) {
    for (const py::handle& choice : given["choices"]) {
      spec.choices.push_back(choice_from_python(choice, spec.name));
    }
  }
  if (given.contains("when") && !given["when"].is_none()) {
    spec.condition = given["when"].cast<std::string>();
  }
  if (given.contains("default") && !given["default"].is_none()) {
    spec.default_value = choice_from_python(given["default"], spec.name);
  }
  return spec;
}

}  // namespace winnow::python
