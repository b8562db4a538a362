// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// TOML -> document tree, with toml++. TOML itself rejects duplicate keys (as a syntax error), so
// the only value this reader refuses is a date or time, which no study-file key takes.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "studyfile/document.h"

namespace winnow::document {
namespace {

int line_of(const toml::source_region& region) { return static_cast<int>(region.begin.line); }

class TomlConverter {
 public:
  explicit TomlConverter(const std::string& display_name) : display_name_(display_name) {}

  Node convert(const toml::node& node, const std::string& path, int depth) const {
    Node out;
    out.line = line_of(node.source());
    if (depth > kMaxDepth) throw_at(display_name_, out.line, path, "nested too deeply");
    switch (node.type()) {
      case toml::node_type::table: {
        out.kind = NodeKind::kTable;
        // toml::table is a sorted map; put the keys back in document order so that parameters
        // keep the order they were written in (it becomes their encoding order).
        std::vector<std::pair<const toml::key*, const toml::node*>> entries;
        for (auto&& [key, value] : *node.as_table()) entries.emplace_back(&key, &value);
        std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
          const toml::source_position& pa = a.first->source().begin;
          const toml::source_position& pb = b.first->source().begin;
          return std::pair(pa.line, pa.column) < std::pair(pb.line, pb.column);
        });
        for (const auto& [key, value] : entries) {
          std::string name(key->str());
          int key_line = line_of(key->source());
          Node child = convert(*value, child_path(path, name), depth + 1);
          out.members.push_back(Member{std::move(name), key_line > 0 ? key_line : child.line,
                                       std::move(child)});
        }
        break;
      }
      case toml::node_type::array: {
        out.kind = NodeKind::kList;
        const toml::array& array = *node.as_array();
        for (size_t i = 0; i < array.size(); ++i) {
          out.items.push_back(convert(array[i], item_path(path, i), depth + 1));
        }
        break;
      }
      case toml::node_type::string:
        out.kind = NodeKind::kString;
        out.text = node.as_string()->get();
        break;
      case toml::node_type::integer:
        out.kind = NodeKind::kInt;
        out.integer = node.as_integer()->get();
        break;
      case toml::node_type::floating_point:
        out.kind = NodeKind::kFloat;
        out.number = node.as_floating_point()->get();
        break;
      case toml::node_type::boolean:
        out.kind = NodeKind::kBool;
        out.boolean = node.as_boolean()->get();
        break;
      case toml::node_type::date:
      case toml::node_type::time:
      case toml::node_type::date_time:
        throw_at(display_name_, out.line, path,
                 "dates and times are not used in study files (quote the value to make it a "
                 "string)");
      case toml::node_type::none:
        break;  // toml++ never produces it in a parsed document; a null is harmless anyway
    }
    return out;
  }

 private:
  const std::string& display_name_;
};

}  // namespace

Node read_toml(std::string_view text, const std::string& display_name) {
  toml::table table;
  try {
    table = toml::parse(text, std::string_view(display_name));
  } catch (const toml::parse_error& error) {
    const toml::source_position& at = error.source().begin;
    throw_syntax_error(display_name, static_cast<int>(at.line), static_cast<int>(at.column),
                       std::string(error.description()));
  }
  Node root = TomlConverter(display_name).convert(table, "", 0);
  root.line = 1;
  return root;
}

}  // namespace winnow::document
