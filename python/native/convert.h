// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Values between the engine and Python: parameter values, configurations, trial records.
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "winnow/space.h"
#include "winnow/trial.h"

namespace winnow::python {

// None, bool, int, float or str. None is kept as the text "None" (the engine's values are
// numbers, booleans and text); the package maps it back for categorical parameters.
ParamValue choice_from_python(const pybind11::handle& value, const std::string& parameter);
pybind11::object value_to_python(const ParamValue& value);
Config config_from_python(const pybind11::dict& params);
pybind11::dict config_to_python(const Config& config);
// A FrozenTrial as the tuple the package's FrozenTrial is built from (winnow/_frozen.py):
// (trial_id, number, state, values, params, intermediate, attrs, start_ms, end_ms,
//  failure_reason, constraints, metrics, interrupted).
pybind11::tuple trial_to_python(const FrozenTrial& trial);
// {"name", "type": float|int|categorical|ordinal, "low", "high", "log", "step", "choices",
//  "when", "default"} as the package's Space builds it.
ParamSpec param_spec_from_dict(const pybind11::dict& spec);

}  // namespace winnow::python
