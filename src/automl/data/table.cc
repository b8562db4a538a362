// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Table and Column accessors (table.h). Boolean cells read back as "true"/"false" and numbers as
// their shortest round-trip text, so a column converted to categorical through text() keeps
// values that read back to the same doubles.
#include "automl/data/table.h"

#include <cmath>
#include <stdexcept>

#include "common/strings.h"

namespace winnow::automl {

std::string_view to_string(ColumnType type) {
  switch (type) {
    case ColumnType::kNumeric:
      return "numeric";
    case ColumnType::kCategorical:
      return "categorical";
    case ColumnType::kBoolean:
      return "boolean";
  }
  return "unknown";
}

bool Column::is_missing(size_t row) const {
  if (type == ColumnType::kCategorical) return codes.at(row) < 0;
  return std::isnan(numbers.at(row));
}

std::string Column::text(size_t row) const {
  if (is_missing(row)) return "";
  switch (type) {
    case ColumnType::kCategorical:
      return levels.at(static_cast<size_t>(codes[row]));
    case ColumnType::kBoolean:
      if (levels.size() == 2) return levels[numbers[row] != 0.0 ? 1 : 0];
      return numbers[row] != 0.0 ? "true" : "false";
    case ColumnType::kNumeric:
      break;
  }
  return format_double(numbers[row]);
}

int Table::find(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

namespace {

template <typename T>
void keep_flagged(std::vector<T>& values, const std::vector<uint8_t>& keep) {
  size_t out = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (keep[i]) values[out++] = values[i];
  }
  values.resize(out);
}

}  // namespace

// Levels stay as they are even when no kept row uses them any more: codes keep their meaning, so
// a model that saw level k still reads level k.
void Table::filter_rows(const std::vector<uint8_t>& keep) {
  if (keep.size() != rows) {
    throw std::logic_error("Table::filter_rows: " + std::to_string(keep.size()) + " flags for " +
                           std::to_string(rows) + " rows");
  }
  size_t kept = 0;
  for (uint8_t flag : keep) kept += flag ? 1 : 0;
  for (Column& column : columns) {
    if (column.type == ColumnType::kCategorical) {
      keep_flagged(column.codes, keep);
    } else {
      keep_flagged(column.numbers, keep);
    }
    column.missing = 0;
    for (size_t row = 0; row < kept; ++row) column.missing += column.is_missing(row) ? 1 : 0;
  }
  rows = kept;
}

Table Table::select_rows(const std::vector<size_t>& indices) const {
  Table out;
  out.rows = indices.size();
  out.source = source;
  for (const Column& column : columns) {
    Column copy;
    copy.name = column.name;
    copy.type = column.type;
    copy.levels = column.levels;
    for (size_t row : indices) {
      if (row >= rows) throw std::logic_error("Table::select_rows: row out of range");
      if (column.type == ColumnType::kCategorical) {
        copy.codes.push_back(column.codes[row]);
      } else {
        copy.numbers.push_back(column.numbers[row]);
      }
      copy.missing += column.is_missing(row) ? 1 : 0;
    }
    out.columns.push_back(std::move(copy));
  }
  return out;
}

}  // namespace winnow::automl
