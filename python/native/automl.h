// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Bindings of winnow::automl (include/winnow/automl.h) for winnow.automl.
#pragma once
#include <pybind11/pybind11.h>

namespace winnow::python {

void bind_automl(pybind11::module_& m);

}  // namespace winnow::python
