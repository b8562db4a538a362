// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What is learned: the task and the target column in the form models train on.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace winnow::automl {

enum class Task { kBinary, kMulticlass, kRegression };
std::string_view to_string(Task task);
Task task_from_string(std::string_view text);  // throws winnow::Error listing the choices
inline bool is_classification(Task task) { return task != Task::kRegression; }

// The target of n rows. Classification: labels in [0, n_classes) and the class names;
// regression: values. A model predicts n_outputs() numbers per row: one probability per class
// (binary tasks too: two columns), or the value.
struct Target {
  Task task = Task::kRegression;
  std::vector<int32_t> labels;            // classification
  std::vector<double> values;             // regression
  std::vector<std::string> class_names;   // classification, index = label

  size_t size() const { return is_classification(task) ? labels.size() : values.size(); }
  int n_classes() const { return static_cast<int>(class_names.size()); }
  size_t n_outputs() const { return is_classification(task) ? class_names.size() : 1; }
  Target select_rows(std::span<const size_t> indices) const;
};

}  // namespace winnow::automl
