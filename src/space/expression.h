// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Boolean expressions over parameter values, shared by conditions (`when`), forbidden clauses and
// (later) metric constraints:
//
//   optimizer == 'sgd'
//   optimizer in ['sgd', 'rmsprop'] and layers > 2
//   not (booster == 'gblinear' or depth >= 10)
//
// Grammar (keywords are case-sensitive; && || ! are accepted for and, or, not):
//   expr    := or
//   or      := and ('or' and)*
//   and     := unary ('and' unary)*
//   unary   := 'not' unary | '(' expr ')' | compare
//   compare := NAME op literal | NAME ['not'] 'in' '[' literal (',' literal)* ']'
//   op      := == != < <= > >=
//   literal := 'text' | "text" | number | true | false
//
// A comparison on a parameter that is absent from the configuration (inactive) is false, as in
// SMAC's ConfigSpace: a child of an inactive parent is inactive, and a forbidden clause never
// applies to an inactive parameter.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/space.h"

namespace winnow {

class Expression {
 public:
  // Orders two values of a named parameter: <0, 0, >0, or nullopt when they are not comparable.
  // The default compares numbers as numbers and strings as text; a SearchSpace passes one that
  // compares ordinal choices by their position.
  using Ordering = std::function<std::optional<int>(std::string_view name, const ParamValue& a,
                                                    const ParamValue& b)>;

  // Throws winnow::Error("... at column N") for a syntax error.
  static std::shared_ptr<const Expression> parse(std::string_view text);

  virtual ~Expression() = default;
  virtual bool evaluate(const Config& config, const Ordering& ordering) const = 0;
  // Every parameter name the expression mentions, in order of appearance, with repeats.
  virtual void collect_names(std::vector<std::string>& names) const = 0;
  // Every literal compared with `name` (for checks such as "choice 'sdg' is not a choice").
  virtual void collect_literals(std::string_view name, std::vector<ParamValue>& out) const = 0;
};

// The default Ordering.
std::optional<int> compare_values(const ParamValue& a, const ParamValue& b);

}  // namespace winnow
