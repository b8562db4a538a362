// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// CSV reading (csv_reader.h) in one pass over the text with no per-cell strings: a Scanner cuts
// records into string_views (RFC 4180 quoting; only a quoted field with "" or a field after the
// header is ever copied), and one ColumnBuilder per kept column turns each cell into its final
// representation at once. An inferred column stays a vector of doubles while every present cell
// is a number. When the first cell that is not a number arrives, the numbers read so far are
// frozen and later cells become categorical codes; after the last row, one more scan over just
// the frozen rows gives those numbers their levels by their original text ("1.50" stays "1.50"),
// so a categorical column never depends on how doubles print.
#include "automl/data/csv_reader.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "automl/data/csv_scanner.h"
#include "common/strings.h"
#include "winnow/automl.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

using csv::fail_at;
using csv::fail_binary;
using csv::guess_delimiter;
using csv::Scanner;
using csv::trim;

constexpr double kMissingNumber = std::numeric_limits<double>::quiet_NaN();
// The largest share of a column's filled cells that may be text for the column to still be read
// as numbers, those cells as missing (ColumnBuilder::settle_stray_texts).
constexpr double kStrayTextShare = 0.05;

// A cell quoted in a message: long cells are cut so one bad cell cannot flood the terminal.
std::string quote_cell(std::string_view cell) {
  constexpr size_t kShown = 40;
  if (cell.size() <= kShown) return "'" + std::string(cell) + "'";
  return "'" + std::string(cell.substr(0, kShown)) + "...'";
}

bool equals_lower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Which spelling family a boolean cell belongs to (0 true/false, 1 yes/no, 2 t/f), -1 for none.
// A column mixing families ("true" and "no") is not boolean: it is more likely a set of labels.
int boolean_family(std::string_view cell, bool& value) {
  static constexpr std::string_view kTrue[] = {"true", "yes", "t"};
  static constexpr std::string_view kFalse[] = {"false", "no", "f"};
  for (int family = 0; family < 3; ++family) {
    if (equals_lower(cell, kTrue[family])) {
      value = true;
      return family;
    }
    if (equals_lower(cell, kFalse[family])) {
      value = false;
      return family;
    }
  }
  return -1;
}

// A decimal number with optional sign, surrounding spaces already trimmed. "inf" and "nan" are
// not numbers here: a column holding them is text, and the missing spellings are checked apart.
bool parse_number(std::string_view cell, double& value) {
  const char* begin = cell.data();
  const char* end = begin + cell.size();
  if (begin == end) return false;
  if (*begin == '+') {
    ++begin;
    if (begin == end || *begin == '-') return false;
  }
  const char* first = *begin == '-' ? begin + 1 : begin;
  if (first == end || !((*first >= '0' && *first <= '9') || *first == '.')) return false;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ptr != end) return false;
  if (ec == std::errc::result_out_of_range) {
    // from_chars reports underflow too; strtod gives the denormal or zero the text means.
    std::string copy(begin, end);
    value = std::strtod(copy.c_str(), nullptr);
    return std::isfinite(value);
  }
  return ec == std::errc();
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

// Distinct texts in order of first appearance.
class Levels {
 public:
  int32_t code(std::string_view text) {
    auto found = index_.find(text);
    if (found != index_.end()) return found->second;
    if (names_.size() >= static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      throw Error("a categorical column has more distinct values than can be coded");
    }
    auto code = static_cast<int32_t>(names_.size());
    names_.emplace_back(text);
    index_.emplace(names_.back(), code);
    return code;
  }
  std::vector<std::string>& names() { return names_; }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> index_;
};

enum class Requested { kInfer, kNumeric, kCategorical };

// One kept column while the rows stream past.
class ColumnBuilder {
 public:
  ColumnBuilder(std::string name, size_t field, Requested requested, bool keep_stray_texts)
      : name_(std::move(name)),
        field_(field),
        requested_(requested),
        keep_stray_texts_(keep_stray_texts) {}

  size_t field() const { return field_; }
  bool has_frozen_numbers() const { return state_ == State::kCategorical && first_code_row_ > 0; }
  size_t first_code_row() const { return first_code_row_; }

  // `row` is the index of the data row, `field` the cell as the scanner cut it.
  void add(std::string_view field, size_t row, size_t row_estimate, const std::string& source,
           size_t line) {
    std::string_view cell = trim(field);
    double value;
    switch (state_) {
      case State::kNumber:
        if (cell.empty()) return add_missing_number();
        if (parse_number(cell, value)) {
          check_range(value, cell, source, line);
          return numbers_.push_back(value);
        }
        if (is_missing_token(cell)) return add_missing_number();
        if (requested_ == Requested::kNumeric) fail_not_number(cell, source, line);
        // The first cell that is not a number: numbers so far stay frozen until finish().
        note_first_text(line);
        state_ = State::kCategorical;
        first_code_row_ = row;
        codes_.reserve(row_estimate > row ? row_estimate - row : 16);
        return codes_.push_back(levels_.code(field));
      case State::kCategorical:
        if (is_missing_token(cell)) return add_missing_code();
        return codes_.push_back(levels_.code(field));
      case State::kBoolean: {
        if (is_missing_token(cell)) return add_missing_code();
        bool truth;
        if (boolean_family(cell, truth) != family_) state_ = State::kCategorical;
        return codes_.push_back(levels_.code(state_ == State::kBoolean ? cell : field));
      }
      case State::kAllMissing:
        break;
    }
    if (is_missing_token(cell)) {
      ++missing_;
      ++leading_missing_;
      return;
    }
    bool truth;
    if (requested_ == Requested::kCategorical) {
      state_ = State::kCategorical;
    } else if (parse_number(cell, value)) {
      check_range(value, cell, source, line);
      numbers_.reserve(std::max(row_estimate, row + 1));
      numbers_.assign(leading_missing_, kMissingNumber);
      numbers_.push_back(value);
      state_ = State::kNumber;
      return;
    } else if (requested_ == Requested::kNumeric) {
      fail_not_number(cell, source, line);
    } else if ((family_ = boolean_family(cell, truth)) >= 0) {
      state_ = State::kBoolean;
    } else {
      note_first_text(line);
      state_ = State::kCategorical;
    }
    codes_.reserve(std::max(row_estimate, row + 1));
    codes_.assign(leading_missing_, -1);
    codes_.push_back(levels_.code(state_ == State::kBoolean ? cell : field));
  }

  // A column of numbers with a few stray texts ("-", "unknown", "1,5") is numeric, and those
  // cells are missing: read as text, it would lose what its numbers say, and most often be
  // dropped as an identifier. Returns a note saying so, or "" when the column stays as it is.
  // Call once the rows are read, before the frozen rows are looked at again.
  std::string settle_stray_texts() {
    if (requested_ != Requested::kInfer || keep_stray_texts_ || state_ != State::kCategorical ||
        first_text_line_ == 0) {
      return "";
    }
    std::vector<double> level_values;
    level_values.reserve(levels_.names().size());
    for (const std::string& name : levels_.names()) {
      double value;
      const bool number = parse_number(trim(name), value);
      if (number && !fits_single_precision(value)) return "";
      level_values.push_back(number ? value : kMissingNumber);
    }
    size_t numbers = 0, texts = 0;
    for (size_t row = 0; row < first_code_row_; ++row) numbers += std::isnan(numbers_[row]) ? 0 : 1;
    std::vector<uint8_t> text_seen(level_values.size(), 0);
    std::vector<std::string> distinct_texts;
    for (int32_t code : codes_) {
      if (code < 0) continue;
      if (!std::isnan(level_values[static_cast<size_t>(code)])) {
        ++numbers;
        continue;
      }
      ++texts;
      if (!text_seen[static_cast<size_t>(code)]) {
        text_seen[static_cast<size_t>(code)] = 1;
        distinct_texts.emplace_back(trim(levels_.names()[static_cast<size_t>(code)]));
      }
    }
    if (numbers == 0 || static_cast<double>(texts) > kStrayTextShare * (numbers + texts)) {
      return "";
    }
    numbers_.resize(first_code_row_);
    numbers_.reserve(first_code_row_ + codes_.size());
    for (int32_t code : codes_) {
      numbers_.push_back(code < 0 ? kMissingNumber : level_values[static_cast<size_t>(code)]);
    }
    std::vector<int32_t>().swap(codes_);
    levels_ = Levels();
    first_code_row_ = 0;
    missing_ += texts;
    state_ = State::kNumber;

    std::string shown;
    for (size_t i = 0; i < distinct_texts.size() && i < 3; ++i) {
      shown += (i ? ", " : "") + quote_cell(distinct_texts[i]);
    }
    if (distinct_texts.size() > 3) shown += ", ...";
    return "column '" + name_ + "' is numeric but " + std::to_string(texts) + " of its " +
           std::to_string(numbers + texts) + " filled cells are not numbers (" + shown +
           "; the first on line " + std::to_string(first_text_line_) +
           "): they are read as missing; read the column as text with --categorical " + name_;
  }

  // The second look at the frozen rows: start_frozen_levels(), then frozen_cell() for each row
  // r < first_code_row() in order, then end_frozen_levels() merges the later levels after them.
  void start_frozen_levels() { frozen_codes_.reserve(first_code_row_ + codes_.size()); }
  void frozen_cell(size_t row, std::string_view field) {
    frozen_codes_.push_back(std::isnan(numbers_[row]) ? -1 : merged_.code(trim(field)));
  }
  void end_frozen_levels() {
    std::vector<int32_t> remap;
    remap.reserve(levels_.names().size());
    for (const std::string& name : levels_.names()) remap.push_back(merged_.code(name));
    for (int32_t code : codes_) {
      frozen_codes_.push_back(code < 0 ? -1 : remap[static_cast<size_t>(code)]);
    }
    codes_ = std::move(frozen_codes_);
    levels_ = std::move(merged_);
    first_code_row_ = 0;
    std::vector<double>().swap(numbers_);
  }

  Column finish(size_t rows) {
    Column column;
    column.name = std::move(name_);
    column.missing = missing_;
    switch (state_) {
      case State::kAllMissing:
        if (requested_ == Requested::kCategorical) {
          column.type = ColumnType::kCategorical;
          column.codes.assign(rows, -1);
        } else {
          column.numbers.assign(rows, kMissingNumber);
        }
        break;
      case State::kNumber:
        column.numbers = std::move(numbers_);
        break;
      case State::kBoolean: {
        std::vector<double> truth;
        // The spellings first seen of false and true, so that the column reads back as written
        // (a target of yes/no predicts "yes", not "true").
        column.levels = {"", ""};
        for (const std::string& name : levels_.names()) {
          bool value = false;
          boolean_family(name, value);
          truth.push_back(value ? 1.0 : 0.0);
          if (column.levels[value ? 1 : 0].empty()) column.levels[value ? 1 : 0] = name;
        }
        if (column.levels[0].empty()) column.levels[0] = "false";
        if (column.levels[1].empty()) column.levels[1] = "true";
        column.type = ColumnType::kBoolean;
        column.numbers.resize(rows);
        for (size_t row = 0; row < rows; ++row) {
          int32_t code = codes_[row];
          column.numbers[row] = code < 0 ? kMissingNumber : truth[static_cast<size_t>(code)];
        }
        break;
      }
      case State::kCategorical:
        column.type = ColumnType::kCategorical;
        column.codes = std::move(codes_);
        column.levels = std::move(levels_.names());
        break;
    }
    return column;
  }

 private:
  enum class State { kAllMissing, kNumber, kBoolean, kCategorical };

  void add_missing_number() {
    ++missing_;
    numbers_.push_back(kMissingNumber);
  }
  void add_missing_code() {
    ++missing_;
    codes_.push_back(-1);
  }
  void note_first_text(size_t line) {
    if (first_text_line_ == 0) first_text_line_ = line;
  }
  [[noreturn]] void fail_not_number(std::string_view cell, const std::string& source,
                                    size_t line) const {
    fail_at(source, line, "column '" + name_ + "' is numeric but holds " + quote_cell(cell));
  }

  // Refused here, where the file and line are known (fits_single_precision).
  void check_range(double value, std::string_view cell, const std::string& source,
                   size_t line) const {
    if (fits_single_precision(value)) return;
    fail_at(source, line,
            "column '" + name_ + "' holds " + quote_cell(cell) +
                ", beyond the range of the single-precision numbers models learn from; "
                "rescale the column (e.g. its logarithm)");
  }

  std::string name_;
  size_t field_;
  Requested requested_;
  bool keep_stray_texts_;
  State state_ = State::kAllMissing;
  size_t leading_missing_ = 0;
  size_t missing_ = 0;
  int family_ = -1;
  std::vector<double> numbers_;  // kNumber; rows before first_code_row_ once kCategorical
  std::vector<int32_t> codes_;   // codes_[i] is row first_code_row_ + i
  size_t first_code_row_ = 0;
  size_t first_text_line_ = 0;  // the line of the first cell neither a number nor missing
  Levels levels_;
  // Only while the frozen rows are read again.
  std::vector<int32_t> frozen_codes_;
  Levels merged_;
};

// Checks that every column named in `wanted` is in the header.
void check_named(const std::vector<std::string>& wanted, std::string_view what,
                 const std::vector<std::string>& names, const std::string& source) {
  for (const std::string& name : wanted) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      throw Error(source + ": column '" + name + "' (given as " + std::string(what) +
                  ") is not in the header" + did_you_mean(name, names));
    }
  }
}

bool contains(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

}  // namespace

bool is_missing_token(std::string_view cell) {
  cell = trim(cell);
  // Most of pandas' read_csv spellings, so that a file reads here much as it does there, and "?".
  switch (cell.size()) {
    case 0:
      return true;
    case 1:
      return cell[0] == '?';
    case 2:
      return cell == "NA";
    case 3:
      return cell == "N/A" || cell == "n/a" || cell == "NaN" || cell == "nan" || cell == "#NA";
    case 4:
      return cell == "null" || cell == "NULL" || cell == "None" || cell == "#N/A" ||
             cell == "<NA>" || cell == "-nan" || cell == "-NaN";
    default:
      return false;
  }
}

Table parse_csv(std::string_view text, const std::string& source, const CsvOptions& options) {
  char delimiter = options.delimiter;
  if (delimiter == '"' || delimiter == '\n' || delimiter == '\r' || delimiter == ' ') {
    throw Error(source + ": CsvOptions::delimiter cannot be a quote, a space or a line end");
  }
  size_t start = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") start = 3;
  // NUL never appears in text; finding it first names a UTF-16 or compressed file as binary
  // before any quote in its bytes is mistaken for an unterminated field.
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    size_t at = static_cast<size_t>(static_cast<const char*>(nul) - text.data());
    fail_binary(source, 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + at, '\n')));
  }
  if (delimiter == 0) delimiter = guess_delimiter(text, start);

  Scanner scanner(text, start, delimiter, source);
  std::vector<std::string_view> fields;
  if (!scanner.next(fields)) throw Error(source + " is empty");
  const size_t header_line = scanner.record_line();
  const size_t width = fields.size();
  std::vector<std::string> names;
  names.reserve(width);
  std::unordered_map<std::string_view, size_t> first_column;
  for (size_t i = 0; i < width; ++i) {
    names.emplace_back(trim(fields[i]));
    if (names[i].empty()) {
      fail_at(source, header_line, "column " + std::to_string(i + 1) + " has no name");
    }
    if (!is_valid_utf8(names[i])) {
      fail_at(source, header_line,
              "the name of column " + std::to_string(i + 1) +
                  " is not UTF-8 text; save the file as UTF-8");
    }
  }
  for (size_t i = 0; i < width; ++i) {
    auto [found, inserted] = first_column.emplace(names[i], i);
    if (!inserted) {
      fail_at(source, header_line,
              "duplicate column name '" + names[i] + "' (columns " +
                  std::to_string(found->second + 1) + " and " + std::to_string(i + 1) + ")");
    }
  }
  if (options.require_named_columns) {
    check_named(options.categorical, "categorical", names, source);
    check_named(options.numeric, "numeric", names, source);
    check_named(options.ignore, "ignored", names, source);
  }

  std::vector<ColumnBuilder> builders;
  for (size_t i = 0; i < width; ++i) {
    if (contains(options.ignore, names[i])) continue;
    bool categorical = contains(options.categorical, names[i]);
    bool numeric = contains(options.numeric, names[i]);
    if (categorical && numeric) {
      throw Error(source + ": column '" + names[i] + "' is given as both numeric and categorical");
    }
    builders.emplace_back(names[i], i,
                          categorical ? Requested::kCategorical
                          : numeric   ? Requested::kNumeric
                                      : Requested::kInfer,
                          contains(options.keep_stray_texts, names[i]));
  }

  const size_t data_start = scanner.position();
  size_t rows = 0;
  size_t row_estimate = 0;
  while (scanner.next(fields)) {
    if (fields.size() != width) {
      fail_at(source, scanner.record_line(),
              std::to_string(fields.size()) + (fields.size() == 1 ? " field" : " fields") +
                  ", the header has " + std::to_string(width));
    }
    if (rows == 0) {
      // Reserving from the first row's length spares most regrowth; pages never written cost
      // address space, not memory.
      size_t length = std::max<size_t>(1, scanner.position() - data_start);
      row_estimate = (text.size() - data_start) / length * 5 / 4 + 16;
    }
    for (ColumnBuilder& builder : builders) {
      builder.add(fields[builder.field()], rows, row_estimate, source, scanner.record_line());
    }
    ++rows;
  }
  if (rows == 0) throw Error(source + " has a header but no data rows");

  Table table;
  for (ColumnBuilder& builder : builders) {
    if (std::string note = builder.settle_stray_texts(); !note.empty()) {
      table.notes.push_back(source + ": " + note);
    }
  }

  // Columns that turned categorical after some numbers: one scan over those early rows only.
  size_t frozen_rows = 0;
  std::vector<ColumnBuilder*> frozen;
  for (ColumnBuilder& builder : builders) {
    if (builder.has_frozen_numbers()) {
      frozen.push_back(&builder);
      frozen_rows = std::max(frozen_rows, builder.first_code_row());
    }
  }
  if (!frozen.empty()) {
    for (ColumnBuilder* builder : frozen) builder->start_frozen_levels();
    Scanner again(text, data_start, delimiter, source);
    for (size_t row = 0; row < frozen_rows && again.next(fields); ++row) {
      for (ColumnBuilder* builder : frozen) {
        if (row < builder->first_code_row()) builder->frozen_cell(row, fields[builder->field()]);
      }
    }
    for (ColumnBuilder* builder : frozen) builder->end_frozen_levels();
  }

  table.rows = rows;
  table.source = source;
  table.columns.reserve(builders.size());
  for (ColumnBuilder& builder : builders) table.columns.push_back(builder.finish(rows));
  return table;
}

Table read_csv(const std::string& path, const CsvOptions& options) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw Error("cannot read " + path + ": " + std::strerror(errno));
  std::string text;
  std::error_code ignored;
  if (std::filesystem::is_regular_file(path, ignored)) {
    auto size = std::filesystem::file_size(path, ignored);
    if (!ignored) text.reserve(static_cast<size_t>(size));
  }
  char chunk[1 << 16];
  while (size_t got = std::fread(chunk, 1, sizeof(chunk), file.get())) text.append(chunk, got);
  if (std::ferror(file.get())) throw Error("cannot read " + path + ": " + std::strerror(errno));
  if (text.empty()) throw Error(path + " is empty");
  return parse_csv(text, path, options);
}

bool parse_number_cell(std::string_view cell, double& value) { return parse_number(cell, value); }

bool fits_single_precision(double value) {
  return std::abs(value) <= static_cast<double>(std::numeric_limits<float>::max());
}

bool is_missing_cell(std::string_view cell) { return is_missing_token(cell); }

std::string first_text_level(const Column& column) {
  for (const std::string& level : column.levels) {
    double value;
    if (!parse_number(trim(level), value)) return level;
  }
  return column.levels.empty() ? "" : column.levels.front();
}

std::optional<bool> parse_boolean_cell(std::string_view cell) {
  bool value = false;
  if (boolean_family(cell, value) < 0) return std::nullopt;
  return value;
}

}  // namespace winnow::automl
