// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "automl/data/schema.h"

#include "automl/data/csv_reader.h"

#include <cmath>
#include <limits>
#include <optional>
#include <unordered_map>

#include "common/strings.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

// A cell of a column that was numeric or boolean in training, read here as text.
std::optional<double> number_for(ColumnType type, const std::string& text) {
  std::string cell = trim(text);
  double value = 0;
  bool is_number = parse_number_cell(cell, value);
  if (type == ColumnType::kBoolean) {
    if (std::optional<bool> truth = parse_boolean_cell(cell)) return *truth ? 1.0 : 0.0;
    if (is_number && (value == 0 || value == 1)) return value;
    return std::nullopt;
  }
  if (is_number) return value;
  return std::nullopt;
}

}  // namespace

Schema Schema::of(const Table& features) {
  Schema schema;
  for (const Column& column : features.columns) {
    schema.columns.push_back({column.name, column.type, column.levels});
  }
  return schema;
}

Table Schema::conform(const Table& table, std::vector<std::string>* notes) const {
  Table out;
  out.rows = table.rows;
  out.source = table.source;
  std::vector<std::string> names;
  for (const Column& column : table.columns) names.push_back(column.name);
  for (const ColumnSchema& expected : columns) {
    int index = table.find(expected.name);
    if (index < 0) {
      throw Error(table.source + ": column '" + expected.name +
                  "' is missing (the model was trained with it)" +
                  did_you_mean(expected.name, names));
    }
    const Column& given = table.columns[index];
    Column column;
    column.name = expected.name;
    column.type = expected.type;
    size_t unreadable = 0;
    if (expected.type == ColumnType::kCategorical) {
      column.levels = expected.levels;
      std::unordered_map<std::string, int32_t> code_of;
      for (size_t i = 0; i < expected.levels.size(); ++i) {
        code_of.emplace(expected.levels[i], static_cast<int32_t>(i));
      }
      column.codes.resize(table.rows, -1);
      size_t unseen = 0;
      for (size_t row = 0; row < table.rows; ++row) {
        if (given.is_missing(row)) continue;
        auto it = code_of.find(given.text(row));
        if (it == code_of.end()) {
          ++unseen;
        } else {
          column.codes[row] = it->second;
        }
      }
      if (unseen > 0 && notes != nullptr) {
        notes->push_back("column '" + expected.name + "': " + std::to_string(unseen) +
                         " cells hold categories not seen in training; treated as missing");
      }
    } else if (given.type == ColumnType::kCategorical) {
      column.numbers.resize(table.rows, std::numeric_limits<double>::quiet_NaN());
      for (size_t row = 0; row < table.rows; ++row) {
        if (given.is_missing(row)) continue;
        if (std::optional<double> number = number_for(expected.type, given.text(row))) {
          if (!fits_single_precision(*number)) {
            // As the reader refuses it in a numeric column.
            throw Error(table.source + ": column '" + expected.name + "', data row " +
                        std::to_string(row + 1) + ", holds '" + given.text(row) +
                        "', beyond the range of the single-precision numbers models learn "
                        "from; rescale the column as it was in training");
          }
          column.numbers[row] = *number;
        } else {
          ++unreadable;
        }
      }
    } else {
      column.numbers = given.numbers;
    }
    if (unreadable > 0 && notes != nullptr) {
      notes->push_back("column '" + expected.name + "': " + std::to_string(unreadable) +
                       " cells are not " +
                       (expected.type == ColumnType::kBoolean ? "true/false" : "numbers") +
                       " as in training; treated as missing");
    }
    for (size_t row = 0; row < table.rows; ++row) column.missing += column.is_missing(row);
    out.columns.push_back(std::move(column));
  }
  if (notes != nullptr) {
    std::vector<std::string> extra;
    for (const Column& column : table.columns) {
      bool known = false;
      for (const ColumnSchema& expected : columns) known = known || expected.name == column.name;
      if (!known) extra.push_back(column.name);
    }
    if (!extra.empty()) {
      notes->push_back("ignored columns the model was not trained with: " + join(extra, ", "));
    }
  }
  return out;
}

void Schema::save(Writer& out) const {
  out.u64(columns.size());
  for (const ColumnSchema& column : columns) {
    out.str(column.name);
    out.u8(static_cast<uint8_t>(column.type));
    out.u64(column.levels.size());
    for (const std::string& level : column.levels) out.str(level);
  }
}

Schema Schema::load(Reader& in) {
  Schema schema;
  uint64_t n = in.count(1u << 24);
  for (uint64_t i = 0; i < n; ++i) {
    ColumnSchema column;
    column.name = in.str();
    uint8_t type = in.u8();
    if (type > static_cast<uint8_t>(ColumnType::kBoolean)) {
      throw Error("model file is truncated or corrupt");
    }
    column.type = static_cast<ColumnType>(type);
    uint64_t levels = in.count(1u << 28);
    for (uint64_t j = 0; j < levels; ++j) column.levels.push_back(in.str());
    schema.columns.push_back(std::move(column));
  }
  return schema;
}

}  // namespace winnow::automl
