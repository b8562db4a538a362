// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Typed reads of document values (studyfile/document.h) for the study-file
// interpreter: each checks the node's kind and range and fails with the file,
// line and key path, e.g. "study.toml:14: space.lr.low: expected a number, got
// a string ("0.1")".
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "studyfile/document.h"
#include "winnow/space.h"

namespace winnow::document {

// "an integer (3)", "a string ("abc")", ...: what a message says it got.
std::string describe(const Node& node);

class TypedValues {
 public:
  explicit TypedValues(std::string display_name) : display_name_(std::move(display_name)) {}

  [[noreturn]] void fail(int line, const std::string& path, const std::string& message) const;
  void expect_kind(const Node& node, NodeKind kind, const std::string& path,
                   const std::string& expected) const;

  std::string string_value(const Node& node, const std::string& path, bool allow_empty) const;
  // Program arguments and environment values: strings, or integers, which read
  // back exactly (YAML users write `--epochs, 10` unquoted). Other numbers must
  // be quoted: 0.10 would become "0.1" and `yes` is a string already.
  std::string text_value(const Node& node, const std::string& path) const;
  bool bool_value(const Node& node, const std::string& path) const;
  // Finite numbers; integers are converted.
  double number_value(const Node& node, const std::string& path) const;
  // Integers; a float with an integral value is accepted since YAML reads 1e3
  // as a float.
  int64_t integer_value(const Node& node, const std::string& path,
                        int64_t min = std::numeric_limits<int64_t>::min(),
                        int64_t max = std::numeric_limits<int64_t>::max()) const;
  // Seconds: a number, or a string for winnow::parse_duration ("90s", "2h").
  double duration_value(const Node& node, const std::string& path) const;
  ParamValue scalar_value(const Node& node, const std::string& path) const;
  std::vector<std::string> string_list(const Node& node, const std::string& path) const;
  // Where line `line` of the file is, as errors and origins name it: "study.toml:14".
  std::string origin(int line) const { return display_name_ + ":" + std::to_string(line); }

 private:
  std::string display_name_;
};

}  // namespace winnow::document
