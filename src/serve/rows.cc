// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "serve/rows.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "automl/data/csv_reader.h"
#include "common/strings.h"

namespace winnow::serving {
namespace {

using automl::Column;
using automl::ColumnSchema;
using automl::ColumnType;
using automl::Table;
using nlohmann::json;

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

std::string quoted(const std::string& text) {
  const size_t limit = 40;
  return "'" + (text.size() > limit ? text.substr(0, limit) + "..." : text) + "'";
}

// nlohmann parses nested arrays without recursion but destroys them recursively; a body of a
// million '[' would overflow the stack. Counting brackets outside strings bounds the depth first.
void check_depth(std::string_view body) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > RowReader::kMaxJsonDepth) {
        throw RequestError(400, "JSON nested deeper than " +
                                    std::to_string(RowReader::kMaxJsonDepth) + " levels at byte " +
                                    std::to_string(i + 1));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

std::string json_kind(const json& value) {
  switch (value.type()) {
    case json::value_t::string:
      return "the string " + quoted(value.get_ref<const std::string&>());
    case json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    default:
      return "a number";
  }
}

[[noreturn]] void wrong_type(const std::string& column, size_t row, const json& value,
                             const char* expected) {
  throw RequestError(400, "column '" + column + "' of rows[" + std::to_string(row) + "] holds " +
                              json_kind(value) + ", not " + expected + " (null for missing)");
}

}  // namespace

RowReader::RowReader(const automl::Schema& schema, std::string target, bool ignore_unknown_columns)
    : schema_(schema), target_(std::move(target)), ignore_unknown_(ignore_unknown_columns) {
  level_codes_.resize(schema_.columns.size());
  for (size_t c = 0; c < schema_.columns.size(); ++c) {
    const ColumnSchema& column = schema_.columns[c];
    column_index_.emplace(column.name, c);
    if (column.type != ColumnType::kCategorical) continue;
    for (size_t level = 0; level < column.levels.size(); ++level) {
      level_codes_[c].emplace(column.levels[level], static_cast<int32_t>(level));
    }
  }
}

bool RowReader::is_known(const std::string& name) const {
  return column_index_.count(name) > 0 || name == target_ || ignore_unknown_;
}

void RowReader::check_columns(std::span<const std::string> names, const std::string& where) const {
  std::vector<std::string> expected;
  for (const ColumnSchema& column : schema_.columns) expected.push_back(column.name);
  for (const std::string& name : names) {
    if (!is_known(name)) {
      throw RequestError(400, "unknown column '" + name + "' in " + where +
                                  " (the model was not trained with it)" +
                                  did_you_mean(name, expected));
    }
  }
}

Table RowReader::read_json(std::string_view body) const {
  check_depth(body);
  json document;
  try {
    document = json::parse(body.begin(), body.end());
  } catch (const json::parse_error& e) {
    // e.what() repeats the byte position with the parser's own wording after it.
    std::string detail = e.what();
    size_t colon = detail.find(": ", detail.find("parse error"));
    detail = colon == std::string::npos ? detail : detail.substr(colon + 2);
    throw RequestError(400, "malformed JSON at byte " + std::to_string(e.byte) + ": " + detail);
  } catch (const json::exception& e) {
    throw RequestError(400, std::string("malformed JSON: ") + e.what());
  }
  if (!document.is_object() || !document.contains("rows")) {
    throw RequestError(400, "the body must be a JSON object {\"rows\": [{column: value, ...}]}");
  }
  const json& rows = document["rows"];
  if (!rows.is_array()) throw RequestError(400, "\"rows\" must be an array of objects");

  Table table;
  table.source = "request";
  table.rows = rows.size();
  for (const ColumnSchema& expected : schema_.columns) {
    Column column;
    column.name = expected.name;
    column.type = expected.type;
    if (expected.type == ColumnType::kCategorical) {
      column.levels = expected.levels;
      column.codes.assign(table.rows, -1);
    } else {
      column.numbers.assign(table.rows, kMissing);
    }
    table.columns.push_back(std::move(column));
  }
  std::vector<char> seen(schema_.columns.size());
  for (size_t row = 0; row < rows.size(); ++row) {
    const json& object = rows[row];
    if (!object.is_object()) {
      throw RequestError(400, "rows[" + std::to_string(row) + "] is " + json_kind(object) +
                                  ", not an object {column: value, ...}");
    }
    std::fill(seen.begin(), seen.end(), 0);
    for (auto it = object.begin(); it != object.end(); ++it) {
      auto found = column_index_.find(it.key());
      if (found == column_index_.end()) {
        if (!is_known(it.key())) check_columns({&it.key(), 1}, "rows[" + std::to_string(row) + "]");
        continue;
      }
      const size_t c = found->second;
      seen[c] = 1;
      const json& value = it.value();
      Column& column = table.columns[c];
      if (value.is_null()) continue;  // missing cell
      switch (column.type) {
        case ColumnType::kNumeric: {
          if (!value.is_number()) wrong_type(column.name, row, value, "a number");
          double number = value.get<double>();
          // Beyond single precision a model's input would be infinite, and fail the batch.
          if (!std::isfinite(number) || !automl::fits_single_precision(number)) {
            wrong_type(column.name, row, value,
                       "a finite number within the single-precision range models learn from");
          }
          column.numbers[row] = number;
          break;
        }
        case ColumnType::kBoolean: {
          if (value.is_boolean()) {
            column.numbers[row] = value.get<bool>() ? 1.0 : 0.0;
          } else if (value.is_number() && (value.get<double>() == 0 || value.get<double>() == 1)) {
            column.numbers[row] = value.get<double>();
          } else if (value.is_string()) {
            auto truth = automl::parse_boolean_cell(trim(value.get_ref<const std::string&>()));
            if (!truth) wrong_type(column.name, row, value, "true or false");
            column.numbers[row] = *truth ? 1.0 : 0.0;
          } else {
            wrong_type(column.name, row, value, "true or false");
          }
          break;
        }
        case ColumnType::kCategorical: {
          // A number names the level its text would in a CSV file ("3" for 3, as a file
          // holding 3 read it); an unseen level is a missing cell, as in training.
          std::string text;
          if (value.is_string()) {
            text = value.get<std::string>();
          } else if (value.is_number()) {
            text = format_double(value.get<double>());
          } else if (value.is_boolean()) {
            text = value.get<bool>() ? "true" : "false";
          } else {
            wrong_type(column.name, row, value, "a category (a string)");
          }
          auto level = level_codes_[c].find(text);
          if (level != level_codes_[c].end()) column.codes[row] = level->second;
          break;
        }
      }
    }
    for (size_t c = 0; c < seen.size(); ++c) {
      if (seen[c]) continue;
      throw RequestError(400, "rows[" + std::to_string(row) + "] has no column '" +
                                  schema_.columns[c].name +
                                  "' (the model was trained with it; null marks a missing value)");
    }
  }
  for (Column& column : table.columns) {
    for (size_t row = 0; row < table.rows; ++row) column.missing += column.is_missing(row);
  }
  return table;
}

Table RowReader::read_csv(std::string_view body) const {
  automl::CsvOptions options;
  options.require_named_columns = false;
  for (const ColumnSchema& column : schema_.columns) {
    // Categorical columns keep their text ("02134"), as `automl predict` reads them; numeric
    // ones must hold numbers, as a JSON request's must.
    if (column.type == ColumnType::kCategorical) options.categorical.push_back(column.name);
    if (column.type == ColumnType::kNumeric) options.numeric.push_back(column.name);
  }
  Table table;
  try {
    table = automl::parse_csv(body, "CSV body", options);
  } catch (const Error& e) {
    throw RequestError(400, e.what());
  }
  std::vector<std::string> names;
  for (const Column& column : table.columns) names.push_back(column.name);
  check_columns(names, "the CSV header");
  try {
    return schema_.conform(table, nullptr);
  } catch (const Error& e) {
    throw RequestError(400, e.what());
  }
}

Table concatenate(std::span<const Table* const> tables) {
  Table out;
  if (tables.empty()) return out;
  out.source = "batch";
  const Table& first = *tables.front();
  for (const Column& column : first.columns) {
    Column copy;
    copy.name = column.name;
    copy.type = column.type;
    copy.levels = column.levels;
    out.columns.push_back(std::move(copy));
  }
  for (const Table* table : tables) {
    out.rows += table->rows;
    for (size_t c = 0; c < out.columns.size(); ++c) {
      const Column& from = table->columns[c];
      Column& to = out.columns[c];
      to.missing += from.missing;
      if (to.type == ColumnType::kCategorical) {
        to.codes.insert(to.codes.end(), from.codes.begin(), from.codes.end());
      } else {
        to.numbers.insert(to.numbers.end(), from.numbers.begin(), from.numbers.end());
      }
    }
  }
  return out;
}

}  // namespace winnow::serving
