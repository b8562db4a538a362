// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// A table read from a CSV file, column by column. Numeric and boolean columns hold doubles (NaN
// where the cell was missing); categorical columns hold codes into their levels (-1 missing).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace winnow::automl {

enum class ColumnType { kNumeric, kCategorical, kBoolean };
std::string_view to_string(ColumnType type);

struct Column {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  std::vector<double> numbers;      // kNumeric, kBoolean (0/1): one per row, NaN = missing
  std::vector<int32_t> codes;       // kCategorical: one per row, index into levels, -1 = missing
  // kCategorical: distinct values in order of appearance; kBoolean: the spellings of false and
  // true as first seen ("no", "yes"), which text() gives back.
  std::vector<std::string> levels;
  size_t missing = 0;               // number of missing cells

  size_t size() const { return type == ColumnType::kCategorical ? codes.size() : numbers.size(); }
  bool is_missing(size_t row) const;
  // The cell as text ("" when missing): for messages and for converting a column's type.
  std::string text(size_t row) const;
};

struct Table {
  std::vector<Column> columns;
  size_t rows = 0;
  // Where the table came from ("train.csv"), for messages.
  std::string source;
  // What the reader decided that the user should hear (a column of numbers whose few stray
  // texts it read as missing), each starting with `source`.
  std::vector<std::string> notes;

  int find(std::string_view name) const;  // -1 when absent
  // Keeps the rows whose `keep` flag is set, in order.
  void filter_rows(const std::vector<uint8_t>& keep);
  // A new table of the rows at `indices`, in that order (an index may repeat).
  Table select_rows(const std::vector<size_t>& indices) const;
};

}  // namespace winnow::automl
