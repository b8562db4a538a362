// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Reads a CSV file into a Table: a header row, RFC 4180 quoting ("a, b" and "" inside quotes),
// the delimiter `,`, `;` or tab (guessed from the header unless given), missing values written
// as an empty cell, NA, N/A, n/a, NaN, nan, -nan, null, NULL, None, #N/A, #NA, <NA> or ?. Column
// types are inferred: numeric when every present cell is a number (or all but a few stray texts,
// which are then missing, with a note in Table::notes), boolean when every present cell is
// true/false (yes/no, t/f), categorical otherwise; CsvOptions overrides them. A malformed file (binary data, a ragged row,
// an unterminated quote, duplicate or empty column names, no data rows) throws winnow::Error
// naming the file and line.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "automl/data/table.h"

namespace winnow::automl {

struct CsvOptions {
  // Field delimiter; 0 guesses it from the header line (the most frequent of , ; tab outside
  // quotes). Default: 0.
  char delimiter = 0;
  // Columns read as categorical / numeric whatever they hold; a numeric column with a cell that
  // is not a number is an error naming the line. Default: none.
  std::vector<std::string> categorical;
  std::vector<std::string> numeric;
  // Columns not read at all. Default: none.
  std::vector<std::string> ignore;
  // Columns whose few stray texts among numbers make them text, as any text does, rather than
  // missing cells: a target, where a rare label is a class. Default: none.
  std::vector<std::string> keep_stray_texts;
  // Whether a column named above but absent from the header is an error. Prediction files are
  // read with the training schema's categorical columns, which the caller checks itself.
  // Default: true.
  bool require_named_columns = true;
};

Table read_csv(const std::string& path, const CsvOptions& options = {});
// The same, from text in memory; `source` names it in messages.
Table parse_csv(std::string_view text, const std::string& source, const CsvOptions& options = {});

// True for the spellings of a missing cell listed above.
bool is_missing_token(std::string_view cell);
// The reader's rules for one cell (spaces already trimmed), for cells whose column was typed
// otherwise elsewhere: a number, or a boolean spelling (true/false, yes/no, t/f, any case).
bool parse_number_cell(std::string_view cell, double& value);
std::optional<bool> parse_boolean_cell(std::string_view cell);
// Whether a number is within the range of the single-precision floats models learn from
// (automl/matrix.h); beyond it, it would become infinite there and poison every model.
bool fits_single_precision(double value);
// For messages about a text column that should hold numbers: its first level that is not a
// number ("" when it has no level).
std::string first_text_level(const Column& column);

}  // namespace winnow::automl
