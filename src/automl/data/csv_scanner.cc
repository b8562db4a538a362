// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "automl/data/csv_scanner.h"

#include "winnow/error.h"

namespace winnow::automl::csv {
[[noreturn]] void fail_at(const std::string& source, size_t line, const std::string& what) {
  throw Error(source + ":" + std::to_string(line) + ": " + what);
}

[[noreturn]] void fail_binary(const std::string& source, size_t line) {
  fail_at(source, line, "not a CSV text file (binary data)");
}

char guess_delimiter(std::string_view text, size_t position) {
  while (position < text.size() &&
         (text[position] == '\n' || text[position] == '\r' || text[position] == ' ')) {
    ++position;
  }
  size_t commas = 0, semicolons = 0, tabs = 0;
  bool quoted = false;
  for (size_t p = position; p < text.size(); ++p) {
    char c = text[p];
    if (c == '"') quoted = !quoted;  // "" toggles twice, so escaped quotes need no care
    if (quoted) continue;
    if (c == '\n') break;
    commas += c == ',';
    semicolons += c == ';';
    tabs += c == '\t';
  }
  if (semicolons > commas && semicolons >= tabs) return ';';
  if (tabs > commas && tabs > semicolons) return '\t';
  return ',';
}

bool Scanner::next(std::vector<std::string_view>& fields) {
  if (!skip_blank_lines()) return false;
  record_line_ = line_;
  fields.clear();
  bool end_of_record = false;
  while (!end_of_record) fields.push_back(read_field(fields.size(), end_of_record));
  return true;
}

bool Scanner::skip_blank_lines() {
  while (true) {
    size_t p = position_;
    while (p < text_.size() && (is_space(text_[p]) || text_[p] == '\r')) ++p;
    if (p == text_.size()) {
      position_ = p;
      return false;
    }
    if (text_[p] != '\n') return true;
    position_ = p + 1;
    ++line_;
  }
}

std::string_view Scanner::read_field(size_t index, bool& end_of_record) {
  size_t p = position_;
  while (p < text_.size() && is_space(text_[p])) ++p;
  if (p < text_.size() && text_[p] == '"') return read_quoted(p, index, end_of_record);
  p = position_;
  while (p < text_.size()) {
    auto c = static_cast<unsigned char>(text_[p]);
    // Everything above '"' except the delimiter is plain text: one test for most bytes.
    if (c > '"' && c != static_cast<unsigned char>(delimiter_)) {
      ++p;
      continue;
    }
    if (c == static_cast<unsigned char>(delimiter_) || c == '\n') {
      std::string_view field = text_.substr(position_, p - position_);
      position_ = p + 1;
      end_of_record = c == '\n';
      if (end_of_record) ++line_;
      return trim(field);
    }
    // A quote inside an unquoted field is text, as most writers and readers treat it.
    if (c < 0x20 && c != '\t' && c != '\r') fail_binary(source_, line_);
    ++p;
  }
  std::string_view field = text_.substr(position_);
  position_ = text_.size();
  end_of_record = true;
  return trim(field);
}

std::string_view Scanner::read_quoted(size_t quote, size_t index, bool& end_of_record) {
  const size_t start_line = line_;
  size_t p = quote + 1;
  size_t segment = p;
  std::string* buffer = nullptr;  // only once a "" needs unescaping
  while (true) {
    if (p >= text_.size()) {
      fail_at(source_, start_line,
              "a quoted field starts on this line but its closing quote is missing");
    }
    char c = text_[p];
    if (c == '"') {
      if (p + 1 < text_.size() && text_[p + 1] == '"') {
        if (buffer == nullptr) {
          buffer = &buffer_for(index);
          buffer->clear();
        }
        buffer->append(text_.data() + segment, p + 1 - segment);
        p += 2;
        segment = p;
        continue;
      }
      break;
    }
    if (c == '\n') {
      ++line_;
    } else if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\r') {
      fail_binary(source_, line_);
    }
    ++p;
  }
  std::string_view field;
  if (buffer != nullptr) {
    buffer->append(text_.data() + segment, p - segment);
    field = *buffer;
  } else {
    field = text_.substr(quote + 1, p - quote - 1);
  }
  ++p;  // the closing quote
  while (p < text_.size() && (is_space(text_[p]) || text_[p] == '\r')) ++p;
  if (p == text_.size()) {
    end_of_record = true;
    position_ = p;
  } else if (text_[p] == delimiter_ || text_[p] == '\n') {
    end_of_record = text_[p] == '\n';
    if (end_of_record) ++line_;
    position_ = p + 1;
  } else {
    fail_at(source_, line_,
            "text after the closing quote of field " + std::to_string(index + 1) +
                " (a quote inside a quoted field is written \"\")");
  }
  return field;
}

}  // namespace winnow::automl::csv
