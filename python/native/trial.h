// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The trial an objective receives in Python (winnow.trial.Trial): the engine's Trial plus what
// Optuna's interface needs around it. Its suggest_* methods are the hot path of every Python
// objective, so they are native through and through (winnow/trial.py adds the rarely used
// methods to this class).
#pragma once

#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "winnow/study.h"

namespace winnow::python {

struct PyTrial {
  Trial trial;
  pybind11::object study;  // the Python Study (Trial.study)
  pybind11::object grid;   // GridSampler studies: the parameter names of the grid; else None
  std::vector<std::string> nones;  // categorical parameters whose value is None
};

void bind_trial(pybind11::module_& m);

}  // namespace winnow::python
