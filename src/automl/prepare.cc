// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "automl/prepare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "automl/data/csv_reader.h"
#include "common/strings.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

// An integer target with at most this many distinct values is taken as classes when the task
// is inferred (AutoGluon's rule is similar); more values make it a regression.
constexpr size_t kMaxInferredClasses = 20;
// A text target with more classes than this is refused unless the task is given: it is more
// often a numeric column with a stray text cell than a classification.
constexpr size_t kMaxInferredTextClasses = 100;
// Two rows for each of the five folds of cross-validation.
constexpr size_t kMinTrainingRows = 10;

bool is_row_counter(const Column& column) {
  if (column.type != ColumnType::kNumeric || column.missing > 0 || column.numbers.size() < 20) {
    return false;
  }
  for (size_t i = 1; i < column.numbers.size(); ++i) {
    if (column.numbers[i] - column.numbers[i - 1] != 1.0) return false;
  }
  return true;
}

bool is_identifier_text(const Column& column) {
  if (column.type != ColumnType::kCategorical) return false;
  size_t present = column.codes.size() - column.missing;
  return present >= 20 && column.levels.size() >= present * 0.95;
}

size_t distinct_present(const Column& column) {
  if (column.type == ColumnType::kCategorical) {
    std::vector<uint8_t> seen(column.levels.size(), 0);
    size_t n = 0;
    for (int32_t code : column.codes) {
      if (code >= 0 && !seen[code]) {
        seen[code] = 1;
        ++n;
      }
    }
    return n;
  }
  std::set<double> values;
  for (double v : column.numbers) {
    if (!std::isnan(v)) {
      values.insert(v);
      if (values.size() > 1) return values.size();
    }
  }
  return values.size();
}

}  // namespace

PreparedData prepare_training_data(Table table, const std::string& target_column,
                                   const std::string& task_name) {
  PreparedData out;
  out.notes = table.notes;
  int index = table.find(target_column);
  if (index < 0) {
    std::vector<std::string> names;
    for (const Column& column : table.columns) names.push_back(column.name);
    throw Error(table.source + ": no column named '" + target_column + "' for --target" +
                did_you_mean(target_column, names) + " (columns: " + join(names, ", ") + ")");
  }
  // Rows without a target are of no use for learning.
  const Column& target_in = table.columns[index];
  if (target_in.missing > 0) {
    std::vector<uint8_t> keep(table.rows, 1);
    for (size_t row = 0; row < table.rows; ++row) keep[row] = !target_in.is_missing(row);
    out.notes.push_back("warning: " + std::to_string(target_in.missing) + " rows have no value in '" +
                        target_column + "'; they were dropped");
    table.filter_rows(keep);
  }
  if (table.rows == 0) throw Error(table.source + ": no row has a value in '" + target_column + "'");
  Column target = std::move(table.columns[index]);
  table.columns.erase(table.columns.begin() + index);

  Task task;
  size_t distinct = 0;
  std::map<std::string, size_t> counts;
  for (size_t row = 0; row < table.rows; ++row) counts[target.text(row)] += 1;
  distinct = counts.size();
  if (task_name == "auto") {
    bool integral = target.type != ColumnType::kCategorical;
    for (size_t row = 0; integral && row < table.rows; ++row) {
      integral = target.numbers[row] == std::floor(target.numbers[row]);
    }
    if (target.type != ColumnType::kNumeric || distinct <= 2) {
      task = distinct <= 2 ? Task::kBinary : Task::kMulticlass;
      if (distinct > kMaxInferredTextClasses) {
        throw Error(table.source + ": the target '" + target_column + "' holds " +
                    std::to_string(distinct) + " distinct values, not all of them numbers; give "
                    "--task multiclass to predict them as classes, or clean the column and give "
                    "--task regression");
      }
    } else if (integral && distinct <= kMaxInferredClasses) {
      task = Task::kMulticlass;
      out.notes.push_back("task: multiclass (the target holds " + std::to_string(distinct) +
                          " distinct integers; use --task regression to predict it as a number)");
    } else {
      task = Task::kRegression;
    }
  } else {
    task = task_from_string(task_name);
  }
  if (is_classification(task)) {
    if (distinct < 2) {
      throw Error(table.source + ": the target '" + target_column + "' has a single class ('" +
                  counts.begin()->first + "'); there is nothing to learn");
    }
    if (task == Task::kBinary && distinct > 2) {
      throw Error(table.source + ": --task binary, but the target '" + target_column + "' has " +
                  std::to_string(distinct) + " classes");
    }
    if (task == Task::kMulticlass && distinct == 2) task = Task::kBinary;
    out.target.task = task;
    // Classes in a stable order: numeric targets by value, text targets by name.
    std::vector<std::pair<double, std::string>> order;
    for (const auto& [name, count] : counts) {
      double key = 0;
      if (target.type != ColumnType::kCategorical) {
        for (size_t row = 0; row < table.rows; ++row) {
          if (target.text(row) == name) {
            key = target.numbers[row];
            break;
          }
        }
      }
      order.emplace_back(key, name);
    }
    std::sort(order.begin(), order.end());
    std::map<std::string, int32_t> label_of;
    for (const auto& [key, name] : order) {
      label_of[name] = static_cast<int32_t>(out.target.class_names.size());
      out.target.class_names.push_back(name);
    }
    for (size_t row = 0; row < table.rows; ++row) out.target.labels.push_back(label_of[target.text(row)]);
    for (const auto& [name, count] : counts) {
      if (count < 2) {
        out.notes.push_back("warning: class '" + name + "' has a single row");
      }
    }
  } else {
    if (target.type == ColumnType::kCategorical) {
      throw Error(table.source + ": --task regression needs a numeric target, but '" +
                  target_column + "' holds '" + first_text_level(target) + "'");
    }
    if (distinct < 2) {
      throw Error(table.source + ": the target '" + target_column +
                  "' is constant; there is nothing to learn");
    }
    out.target.task = Task::kRegression;
    out.target.values = target.numbers;
  }

  if (table.rows < kMinTrainingRows) {
    // Cross-validation would leave folds without a row to score, and a search over so few
    // rows picks noise.
    throw Error(table.source + ": " + std::to_string(table.rows) + " row(s) with a value in '" +
                target_column + "' are too few to learn from and validate on; give at least " +
                std::to_string(kMinTrainingRows));
  }
  std::vector<std::string> constant, identifiers;
  std::vector<Column> kept;
  for (Column& column : table.columns) {
    if (distinct_present(column) <= 1) {
      constant.push_back(column.name);
    } else if (is_identifier_text(column) || is_row_counter(column)) {
      identifiers.push_back(column.name);
    } else {
      kept.push_back(std::move(column));
    }
  }
  if (!constant.empty()) {
    out.notes.push_back("dropped constant columns: " + join(constant, ", "));
  }
  if (!identifiers.empty()) {
    out.notes.push_back("dropped identifier-like columns: " + join(identifiers, ", "));
  }
  if (kept.empty()) throw Error(table.source + ": no feature column is left to learn from");
  table.columns = std::move(kept);
  out.features = std::move(table);
  return out;
}

}  // namespace winnow::automl
