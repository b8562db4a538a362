// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "studyfile/space_section.h"

#include <algorithm>

#include "common/strings.h"

namespace winnow::document {
namespace {

using KeyList = std::vector<std::string>;

const KeyList& param_types() {
  static const KeyList types = {"float", "int", "categorical", "ordinal"};
  return types;
}
const KeyList& range_param_keys() {
  static const KeyList keys = {"type", "low", "high", "log", "step", "default", "when"};
  return keys;
}
const KeyList& choice_param_keys() {
  static const KeyList keys = {"type", "choices", "default", "when"};
  return keys;
}

bool contains(const KeyList& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace

void SpaceReader::read(const Node& table, int line, SearchSpace& space) const {
  if (table.members.empty()) fail(line, "space", "defines no parameters");
  for (const Member& member : table.members) space.add(read_param(member));
}

ParamSpec SpaceReader::read_param(const Member& member) const {
  const std::string path = child_path("space", member.key);
  const Node& table = member.value;
  ParamSpec spec;
  spec.name = member.key;
  spec.origin = origin(member.line);
  if (!table.is_table()) {
    if (std::optional<std::string> hint = top_level_hint_(member.key)) {
      fail(member.line, path, "expected a parameter, got " + describe(table) + *hint);
    }
  }
  if (!table.is_table()) {
    fail(member.line, path,
         "expected a table with a 'type' (float, int, categorical or ordinal) and its keys, got " +
             describe(table));
  }
  const Member* type = table.find("type");
  if (type == nullptr) {
    fail(member.line, path, "missing 'type' (float, int, categorical or ordinal)");
  }
  std::string type_name = string_value(type->value, path + ".type", true);
  if (type_name == "float") {
    spec.kind = ParamKind::kFloat;
  } else if (type_name == "int") {
    spec.kind = ParamKind::kInt;
  } else if (type_name == "categorical") {
    spec.kind = ParamKind::kCategorical;
  } else if (type_name == "ordinal") {
    spec.kind = ParamKind::kOrdinal;
  } else {
    fail(type->line, path + ".type",
         "unknown type '" + type_name + "'" + did_you_mean(type_name, param_types()) +
             "; expected float, int, categorical or ordinal");
  }
  bool ranged = spec.kind == ParamKind::kFloat || spec.kind == ParamKind::kInt;
  const KeyList& allowed = ranged ? range_param_keys() : choice_param_keys();
  const KeyList& other = ranged ? choice_param_keys() : range_param_keys();
  for (const Member& key : table.members) {
    if (contains(allowed, key.key)) continue;
    if (contains(other, key.key)) {
      fail(key.line, path,
           "'" + key.key + "' does not apply to a " + type_name + " parameter (it takes " +
               join(std::vector<std::string>(allowed.begin() + 1, allowed.end()), ", ") + ")");
    }
    fail(key.line, path,
         "unknown key '" + key.key + "'" + did_you_mean(key.key, allowed) + "; expected one of: " +
             join(allowed, ", "));
  }
  // An int parameter's numbers must be integers; a float parameter's may be written as either.
  auto number = [&](const Node& value, const std::string& key_path) {
    return spec.kind == ParamKind::kInt ? static_cast<double>(integer_value(value, key_path))
                                        : number_value(value, key_path);
  };
  if (ranged) {
    const Member* low = table.find("low");
    const Member* high = table.find("high");
    if (low == nullptr) fail(member.line, path, "missing 'low'");
    if (high == nullptr) fail(member.line, path, "missing 'high'");
    spec.low = number(low->value, path + ".low");
    spec.high = number(high->value, path + ".high");
  } else {
    const Member* choices = table.find("choices");
    if (choices == nullptr) fail(member.line, path, "missing 'choices'");
    expect_kind(choices->value, NodeKind::kList, path + ".choices", "a list");
    for (size_t i = 0; i < choices->value.items.size(); ++i) {
      spec.choices.push_back(
          scalar_value(choices->value.items[i], item_path(path + ".choices", i)));
    }
  }
  for (const Member& key : table.members) {
    const std::string key_path = child_path(path, key.key);
    if (key.key == "log") {
      spec.log = bool_value(key.value, key_path);
    } else if (key.key == "step") {
      spec.step = number(key.value, key_path);
    } else if (key.key == "when") {
      spec.condition = string_value(key.value, key_path, false);
    } else if (key.key == "default") {
      if (spec.kind == ParamKind::kFloat) {
        spec.default_value = number_value(key.value, key_path);
      } else if (spec.kind == ParamKind::kInt) {
        spec.default_value = integer_value(key.value, key_path);
      } else {
        spec.default_value = scalar_value(key.value, key_path);
      }
    }
  }
  return spec;
}

void SpaceReader::read_forbidden(const Member& member, SearchSpace& space) const {
  expect_kind(member.value, NodeKind::kList, "forbidden", "a list of clauses (strings)");
  for (size_t i = 0; i < member.value.items.size(); ++i) {
    const Node& clause = member.value.items[i];
    space.forbid(string_value(clause, item_path("forbidden", i), false),
                 origin(clause.line));
  }
}
}  // namespace winnow::document
