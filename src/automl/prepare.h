// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// From a table read for training to what the search works on: the target taken out (rows
// without one dropped with a note), the task inferred or checked, and the feature columns that
// cannot help dropped with a note (constant columns, identifier-like columns: text with a
// distinct value in nearly every row, or a numeric row counter).
#pragma once
#include <string>
#include <vector>

#include "automl/data/table.h"
#include "automl/task.h"

namespace winnow::automl {

struct PreparedData {
  Table features;
  Target target;
  std::vector<std::string> notes;
};

// `task` is "auto" or a task name. Throws winnow::Error for a target that cannot be learned:
// absent, one class, constant, not numeric for regression.
PreparedData prepare_training_data(Table table, const std::string& target_column,
                                   const std::string& task);

}  // namespace winnow::automl
