// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The lowest layer of CSV reading (csv_reader.cc): records cut into fields with RFC 4180
// quoting, the delimiter guessed from the header line, and the errors that name the line.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace winnow::automl::csv {

// Throws winnow::Error as "SOURCE:LINE: WHAT".
[[noreturn]] void fail_at(const std::string& source, size_t line, const std::string& what);
// The error for bytes no text file holds.
[[noreturn]] void fail_binary(const std::string& source, size_t line);

inline bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// `text` without the spaces, tabs and carriage returns around it. Inline: it runs on every
// cell.
inline std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

// The most frequent of , ; tab outside quotes on the header line; ties go to the earlier one.
char guess_delimiter(std::string_view text, size_t position);

// Cuts the text into records of fields. Views point into the text, or into a per-field buffer
// when a quoted field had to be unescaped; both stay valid until the next call to next().
class Scanner {
 public:
  Scanner(std::string_view text, size_t position, char delimiter, const std::string& source)
      : text_(text), position_(position), delimiter_(delimiter), source_(source) {}

  // Reads the next record that is not a blank line; false at the end of the text.
  bool next(std::vector<std::string_view>& fields);

  size_t record_line() const { return record_line_; }
  size_t position() const { return position_; }

 private:
  bool is_space(char c) const { return c == ' ' || (c == '\t' && delimiter_ != '\t'); }

  bool skip_blank_lines();

  std::string_view read_field(size_t index, bool& end_of_record);

  std::string_view read_quoted(size_t quote, size_t index, bool& end_of_record);

  std::string& buffer_for(size_t index) {
    // A deque keeps earlier buffers in place, so views into them stay valid as it grows.
    while (buffers_.size() <= index) buffers_.emplace_back();
    return buffers_[index];
  }

  std::string_view text_;
  size_t position_;
  size_t line_ = 1;
  size_t record_line_ = 1;
  char delimiter_;
  const std::string& source_;
  std::deque<std::string> buffers_;
};

}  // namespace winnow::automl::csv
