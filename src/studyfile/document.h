// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The private document tree that study files in TOML, YAML and JSON are read into, so that one
// schema interpreter (study_file.cc) serves all three formats and every value keeps the line it
// came from. Readers reject what the tree cannot represent (dates, duplicate keys, complex YAML
// keys) themselves, naming the file, the line and the key path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/error.h"

namespace winnow::document {

enum class NodeKind { kNull, kBool, kInt, kFloat, kString, kList, kTable };

struct Member;

struct Node {
  NodeKind kind = NodeKind::kNull;
  int line = 0;  // 1-based; 0 when the format gave no position
  bool boolean = false;
  int64_t integer = 0;
  double number = 0.0;
  std::string text;
  std::vector<Node> items;      // kList
  std::vector<Member> members;  // kTable, in document order, keys unique

  bool is_table() const { return kind == NodeKind::kTable; }
  const Member* find(std::string_view key) const;
};

struct Member {
  std::string key;
  int line = 0;  // line of the key, which is where errors about the entry point
  Node value;
};

inline const Member* Node::find(std::string_view key) const {
  for (const Member& member : members) {
    if (member.key == key) return &member;
  }
  return nullptr;
}

// Key paths as they appear in error messages: "space.lr.low", "forbidden[0]". Lists are indexed
// from 0, like JSON pointers and jq.
inline std::string child_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}
inline std::string item_path(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

// "study.toml:14: space.lr: message" (the path is left out when empty, the line when 0).
[[noreturn]] inline void throw_at(const std::string& display_name, int line,
                                  const std::string& path, const std::string& message) {
  std::string where = display_name;
  if (line > 0) where += ":" + std::to_string(line);
  throw Error(where + ": " + (path.empty() ? "" : path + ": ") + message);
}

// "study.toml:3:7: syntax error: message".
[[noreturn]] inline void throw_syntax_error(const std::string& display_name, int line, int column,
                                            const std::string& message) {
  throw Error(display_name + ":" + std::to_string(line) + ":" + std::to_string(column) +
              ": syntax error: " + message);
}

// Documents nest at most this deep; study files need 4 levels, and the limit keeps recursion
// bounded on hostile input (and cyclic YAML aliases, which yaml-cpp builds for "&a [*a]").
inline constexpr int kMaxDepth = 64;

// Each reader throws winnow::Error for a syntax error or a value the tree cannot hold. The root is
// always a table (an empty document gives an empty table at line 1).
Node read_toml(std::string_view text, const std::string& display_name);
Node read_yaml(std::string_view text, const std::string& display_name);
// JSON is checked with nlohmann::json first, whose syntax errors are precise, then read with
// yaml-cpp (JSON is YAML) because only that keeps line numbers.
Node read_json(std::string_view text, const std::string& display_name);

}  // namespace winnow::document
