// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The checks of a command objective's template that its options alone decide (the public ones,
// expand_command and check_command_template, are in winnow/command.h).
#pragma once

#include "winnow/command.h"

namespace winnow {

// Throws winnow::Error naming the argument when it uses {budget} or {previous_budget} and the
// options have no budget: without a value, the argument would silently be left out.
void check_budget_placeholders(const CommandObjectiveOptions& options);

// The environment variable a parameter reaches the program in: WINNOW_PARAM_ and its name in
// upper case, every character other than a letter or digit as '_'.
std::string env_name_for_param(const std::string& name);

}  // namespace winnow
