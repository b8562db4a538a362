// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "studyfile/typed_values.h"

#include <cmath>

#include "common/strings.h"
#include "winnow/command.h"
#include "winnow/error.h"

namespace winnow::document {

std::string describe(const Node& node) {
  switch (node.kind) {
    case NodeKind::kNull: return "nothing (null)";
    case NodeKind::kBool: return node.boolean ? "a boolean (true)" : "a boolean (false)";
    case NodeKind::kInt: return "an integer (" + std::to_string(node.integer) + ")";
    case NodeKind::kFloat: return "a float (" + format_double(node.number) + ")";
    case NodeKind::kString: {
      constexpr size_t kShown = 40;
      std::string shown =
          node.text.size() > kShown ? node.text.substr(0, kShown) + "..." : node.text;
      return "a string (\"" + shown + "\")";
    }
    case NodeKind::kList: return "a list";
    case NodeKind::kTable: return "a table";
  }
  return "a value";
}

void TypedValues::fail(int line, const std::string& path, const std::string& message) const {
  throw_at(display_name_, line, path, message);
}

void TypedValues::expect_kind(const Node& node, NodeKind kind, const std::string& path,
                              const std::string& expected) const {
  if (node.kind != kind) fail(node.line, path, "expected " + expected + ", got " + describe(node));
}

std::string TypedValues::string_value(const Node& node, const std::string& path,
                                      bool allow_empty) const {
  expect_kind(node, NodeKind::kString, path, "a string");
  if (!allow_empty && node.text.empty()) fail(node.line, path, "must not be empty");
  return node.text;
}

std::string TypedValues::text_value(const Node& node, const std::string& path) const {
  if (node.kind == NodeKind::kInt) return std::to_string(node.integer);
  if (node.kind != NodeKind::kString) {
    fail(node.line, path, "expected a string, got " + describe(node) + " (quote it)");
  }
  return node.text;
}

bool TypedValues::bool_value(const Node& node, const std::string& path) const {
  expect_kind(node, NodeKind::kBool, path, "a boolean (true or false)");
  return node.boolean;
}

double TypedValues::number_value(const Node& node, const std::string& path) const {
  if (node.kind == NodeKind::kInt) return static_cast<double>(node.integer);
  expect_kind(node, NodeKind::kFloat, path, "a number");
  if (!std::isfinite(node.number)) fail(node.line, path, "must be a finite number");
  return node.number;
}

int64_t TypedValues::integer_value(const Node& node, const std::string& path, int64_t min,
                                   int64_t max) const {
  int64_t value = node.integer;
  if (node.kind == NodeKind::kFloat && std::isfinite(node.number) &&
      node.number == std::trunc(node.number) && std::abs(node.number) < 9.2e18) {
    value = static_cast<int64_t>(node.number);
  } else {
    expect_kind(node, NodeKind::kInt, path, "an integer");
  }
  if (value < min || value > max) {
    fail(node.line, path,
         (value < min ? "must be at least " + std::to_string(min)
                      : "must be at most " + std::to_string(max)) +
             ", got " + std::to_string(value));
  }
  return value;
}

double TypedValues::duration_value(const Node& node, const std::string& path) const {
  if (node.kind == NodeKind::kString) {
    try {
      return parse_duration(node.text, path);
    } catch (const Error& error) {
      fail(node.line, "", error.what());  // parse_duration's message already names `path`
    }
  }
  double seconds = number_value(node, path);
  if (seconds < 0) fail(node.line, path, "must not be negative, got " + format_double(seconds));
  return seconds;
}

ParamValue TypedValues::scalar_value(const Node& node, const std::string& path) const {
  switch (node.kind) {
    case NodeKind::kBool: return node.boolean;
    case NodeKind::kInt: return node.integer;
    case NodeKind::kFloat: return number_value(node, path);
    case NodeKind::kString: return node.text;
    default: fail(node.line, path, "expected a boolean, number or string, got " + describe(node));
  }
}

std::vector<std::string> TypedValues::string_list(const Node& node, const std::string& path) const {
  expect_kind(node, NodeKind::kList, path, "a list of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < node.items.size(); ++i) {
    out.push_back(string_value(node.items[i], item_path(path, i), false));
  }
  return out;
}

}  // namespace winnow::document
