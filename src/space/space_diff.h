// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What changed between the space a study was created with and the one a run brings, and whether
// the study can go on with it. A change is compatible when every configuration the study already
// holds stays a member of the new space: ranges may widen, choices may be added (an ordinal's at
// its end), parameters may be added (old trials simply lack them), forbidden clauses may be
// dropped. Anything else (a removed or retyped parameter, a narrowed range, a changed scale,
// step or condition, a new forbidden clause) is refused, naming each parameter.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "winnow/space.h"

namespace winnow {

struct SpaceDiff {
  std::vector<std::string> compatible;    // "x: high 1 -> 2", "added parameter 'z'"
  std::vector<std::string> incompatible;  // "y: low 0 -> 0.5 (narrowed)"
  bool same() const { return compatible.empty() && incompatible.empty(); }
};

// Both arguments are SearchSpace::to_json() texts.
SpaceDiff diff_spaces(std::string_view stored_json, std::string_view new_json);

// "float in [0.001, 1000], log", "int in [1, 9] step 2", "categorical ['adam', 'sgd']": a
// parameter's definition as people write it, for messages.
std::string describe_param(const ParamSpec& spec);
// Same kind, range, scale, step and choices (names, defaults and origins aside).
bool same_definition(const ParamSpec& a, const ParamSpec& b);

}  // namespace winnow
