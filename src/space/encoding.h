// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Per-parameter pieces of the unit-cube encoding (see UnitPoint in winnow/space.h).
#pragma once

#include <cstdint>
#include <optional>

#include "winnow/space.h"

namespace winnow {

// Brings `value` to the parameter's type and checks it is a member (range, step, choices);
// throws winnow::Error saying what is wrong (without the parameter name).
ParamValue coerce_value(const ParamSpec& spec, const ParamValue& value);
double encode_unit(const ParamSpec& spec, const ParamValue& value);
ParamValue decode_unit(const ParamSpec& spec, double u);
std::optional<uint64_t> param_cardinality(const ParamSpec& spec);
// The value used when a parameter has no default: the range midpoint (geometric on a log scale,
// on the grid) or the first choice.
ParamValue fallback_default(const ParamSpec& spec);

}  // namespace winnow
