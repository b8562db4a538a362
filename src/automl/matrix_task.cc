// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include "automl/matrix.h"
#include "automl/task.h"
#include "winnow/error.h"

namespace winnow::automl {

Matrix Matrix::select_rows(std::span<const size_t> indices) const {
  Matrix out(indices.size(), cols);
  for (size_t i = 0; i < indices.size(); ++i) {
    std::copy_n(data.begin() + indices[i] * cols, cols, out.data.begin() + i * cols);
  }
  return out;
}

std::string_view to_string(Task task) {
  switch (task) {
    case Task::kBinary: return "binary";
    case Task::kMulticlass: return "multiclass";
    case Task::kRegression: return "regression";
  }
  return "?";
}

Task task_from_string(std::string_view text) {
  if (text == "binary") return Task::kBinary;
  if (text == "multiclass") return Task::kMulticlass;
  if (text == "regression") return Task::kRegression;
  throw Error("unknown task '" + std::string(text) + "' (choices: auto, binary, multiclass, regression)");
}

Target Target::select_rows(std::span<const size_t> indices) const {
  Target out;
  out.task = task;
  out.class_names = class_names;
  if (is_classification(task)) {
    out.labels.reserve(indices.size());
    for (size_t i : indices) out.labels.push_back(labels[i]);
  } else {
    out.values.reserve(indices.size());
    for (size_t i : indices) out.values.push_back(values[i]);
  }
  return out;
}

}  // namespace winnow::automl
