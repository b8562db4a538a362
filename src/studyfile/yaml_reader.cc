// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// YAML and JSON -> document tree, with yaml-cpp (and nlohmann::json for JSON syntax errors).
//
// yaml-cpp leaves plain scalars untyped, so this file resolves them with the YAML 1.2 core schema:
// only true/false are booleans (not yes/no/on/off, which YAML 1.1 and PyYAML treat as booleans),
// 1e-5 is a number (PyYAML reads it as a string), and quoted scalars are always strings. yaml-cpp
// also keeps every entry of a mapping with a repeated key, so duplicates are caught here.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "studyfile/document.h"

namespace winnow::document {
namespace {

// Aliases can make a small file expand exponentially ("billion laughs"); no study file comes
// near this many values.
constexpr size_t kMaxNodes = 100000;

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Integers of the core schema: [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+. Returns false when the
// text is not an integer; sets `out_of_range` when it is one that does not fit in int64.
bool parse_integer(std::string_view text, int64_t& value, bool& out_of_range) {
  out_of_range = false;
  int base = 10;
  std::string digits;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o')) {
    base = text[1] == 'x' ? 16 : 8;
    digits = text.substr(2);
  } else {
    if (!text.empty() && text[0] == '+') text.remove_prefix(1);
    digits = text;
    size_t first = !digits.empty() && digits[0] == '-' ? 1 : 0;
    if (first == digits.size()) return false;
    for (size_t i = first; i < digits.size(); ++i) {
      if (!is_digit(digits[i])) return false;
    }
  }
  if (digits.empty()) return false;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (error == std::errc::result_out_of_range && end == digits.data() + digits.size()) {
    out_of_range = true;
    return true;
  }
  return error == std::errc() && end == digits.data() + digits.size();
}

// Floats of the core schema: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, and
// [-+]?.inf / .nan in three spellings each. Hand-written: std::regex recurses per character.
bool parse_float(std::string_view text, double& value, bool& out_of_range) {
  out_of_range = false;
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    value = negative ? -std::numeric_limits<double>::infinity()
                     : std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == ".nan" || text == ".NaN" || text == ".NAN") {  // unsigned in the schema
    value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  size_t i = 0, integer_digits = 0, fraction_digits = 0;
  while (i < body.size() && is_digit(body[i])) ++i, ++integer_digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && is_digit(body[i])) ++i, ++fraction_digits;
  }
  if (integer_digits == 0 && fraction_digits == 0) return false;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    size_t exponent_digits = 0;
    while (i < body.size() && is_digit(body[i])) ++i, ++exponent_digits;
    if (exponent_digits == 0) return false;
  }
  if (i != body.size()) return false;
  // from_chars takes neither a leading '+' nor "5." in every library; strtod-style input is fine.
  std::string normalized(body);
  if (normalized.back() == '.') normalized += '0';
  auto [end, error] =
      std::from_chars(normalized.data(), normalized.data() + normalized.size(), value);
  if (error == std::errc::result_out_of_range) {
    out_of_range = true;
    return true;
  }
  if (error != std::errc() || end != normalized.data() + normalized.size()) return false;
  if (negative) value = -value;
  return true;
}

Node empty_node(NodeKind kind, int line) {
  Node node;
  node.kind = kind;
  node.line = line;
  return node;
}

// Records where the last document started; the rest of the events are not needed.
class DocumentStartRecorder : public YAML::EventHandler {
 public:
  YAML::Mark start;
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Checks JSON syntax without building a document (yaml-cpp builds the one that is used).
// nlohmann::json::parse would throw out_of_range, without a position, for a number such as 1e999.
class JsonSyntaxChecker : public nlohmann::json_sax<nlohmann::json> {
 public:
  size_t position = 0;  // bytes read when the error was found
  std::string message;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t at, const std::string&,
                   const nlohmann::json::exception& error) override {
    position = at;
    message = error.what();
    return false;
  }
};

class YamlConverter {
 public:
  explicit YamlConverter(const std::string& display_name) : display_name_(display_name) {}

  // `fallback_line` is used when yaml-cpp gives the node no position.
  Node convert(const YAML::Node& node, const std::string& path, int fallback_line, int depth) {
    Node out;
    out.line = node.Mark().is_null() ? fallback_line : node.Mark().line + 1;
    if (depth > kMaxDepth) throw_at(display_name_, out.line, path, "nested too deeply");
    if (++node_count_ > kMaxNodes) {
      throw_at(display_name_, out.line, path,
               "the document holds more than " + std::to_string(kMaxNodes) + " values");
    }
    switch (node.Type()) {
      case YAML::NodeType::Map: {
        out.kind = NodeKind::kTable;
        std::unordered_map<std::string, int> first_line;
        for (const auto& entry : node) {
          // Copies: yaml-cpp iterators hand out proxies, so references into them dangle.
          const YAML::Node key = entry.first;
          int key_line = key.Mark().is_null() ? out.line : key.Mark().line + 1;
          if (!key.IsScalar()) {
            throw_at(display_name_, key_line, path,
                     key.IsNull() ? "empty key" : "keys must be strings, not lists or tables");
          }
          std::string name = key.Scalar();
          std::string member_path = child_path(path, name);
          auto [previous, inserted] = first_line.emplace(name, key_line);
          if (!inserted) {
            throw_at(display_name_, key_line, member_path,
                     "defined twice (first on line " + std::to_string(previous->second) + ")");
          }
          // An empty value ("lr:") gets the position of the next token; the key's line is right.
          const YAML::Node value = entry.second;
          Node child = value.IsNull() && value.Tag().empty()
                           ? empty_node(NodeKind::kNull, key_line)
                           : convert(value, member_path, key_line, depth + 1);
          out.members.push_back(Member{std::move(name), key_line, std::move(child)});
        }
        break;
      }
      case YAML::NodeType::Sequence:
        out.kind = NodeKind::kList;
        for (const auto& item : node) {
          out.items.push_back(convert(item, item_path(path, out.items.size()), out.line, depth + 1));
        }
        break;
      case YAML::NodeType::Scalar:
        resolve_scalar(node, path, out);
        break;
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        if (node.Tag() == std::string(kTagPrefix) + "str") out.kind = NodeKind::kString;
        break;
    }
    return out;
  }

 private:
  void resolve_scalar(const YAML::Node& node, const std::string& path, Node& out) const {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    // "!" is the tag yaml-cpp gives quoted scalars: always strings, even "3" or "true".
    if (tag == "!" || tag == std::string(kTagPrefix) + "str") {
      out.kind = NodeKind::kString;
      out.text = text;
      return;
    }
    bool plain = tag == "?" || tag.empty();
    std::string_view wanted = plain ? std::string_view() : std::string_view(tag);
    if (!plain) {
      if (wanted.substr(0, kTagPrefix.size()) != kTagPrefix) {
        throw_at(display_name_, out.line, path, "unsupported tag '" + tag + "'");
      }
      wanted.remove_prefix(kTagPrefix.size());
    }
    bool out_of_range = false;
    if ((plain || wanted == "null") &&
        (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")) {
      out.kind = NodeKind::kNull;
    } else if ((plain || wanted == "bool") &&
               (text == "true" || text == "True" || text == "TRUE" || text == "false" ||
                text == "False" || text == "FALSE")) {
      out.kind = NodeKind::kBool;
      out.boolean = text[0] == 't' || text[0] == 'T';
    } else if ((plain || wanted == "int") && parse_integer(text, out.integer, out_of_range)) {
      if (out_of_range) throw_at(display_name_, out.line, path, "integer out of range: " + text);
      out.kind = NodeKind::kInt;
    } else if ((plain || wanted == "float") && parse_float(text, out.number, out_of_range)) {
      if (out_of_range) throw_at(display_name_, out.line, path, "number out of range: " + text);
      out.kind = NodeKind::kFloat;
    } else if (wanted == "float" && parse_integer(text, out.integer, out_of_range)) {
      if (out_of_range) throw_at(display_name_, out.line, path, "number out of range: " + text);
      out.kind = NodeKind::kFloat;
      out.number = static_cast<double>(out.integer);
    } else if (plain) {
      out.kind = NodeKind::kString;
      out.text = text;
    } else {
      throw_at(display_name_, out.line, path, "'" + text + "' is not a valid !!" +
                                                  std::string(wanted));
    }
  }

  const std::string& display_name_;
  size_t node_count_ = 0;
};

}  // namespace

Node read_yaml(std::string_view text, const std::string& display_name) {
  YAML::Node document;
  int next_document_line = 0;
  try {
    document = YAML::Load(std::string(text));
    // yaml-cpp 0.7's LoadAll loops forever on some malformed input (jbeder/yaml-cpp#1319: it
    // keeps returning empty documents without consuming anything), so anything after the first
    // document is looked for by asking a parser at most twice.
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    DocumentStartRecorder recorder;
    if (parser.HandleNextDocument(recorder) && parser.HandleNextDocument(recorder)) {
      next_document_line = recorder.start.line + 1;
    }
  } catch (const YAML::Exception& error) {
    throw_syntax_error(display_name, error.mark.line + 1, error.mark.column + 1, error.msg);
  }
  if (next_document_line > 0) {
    throw_at(display_name, next_document_line, "",
             "unexpected content after the document (a study file holds one YAML document)");
  }
  // An empty file (or one of comments only) is an empty table: the schema then says what is
  // missing, which is more helpful than "empty document".
  if (document.IsNull()) return empty_node(NodeKind::kTable, 1);
  if (!document.IsMap()) {
    int line = document.Mark().is_null() ? 1 : document.Mark().line + 1;
    throw_at(display_name, line, "",
             "the top level must be a table of sections (study, objective, space...), got " +
                 std::string(document.IsSequence() ? "a list" : "a single value"));
  }
  Node root = YamlConverter(display_name).convert(document, "", 1, 0);
  root.line = 1;
  return root;
}

Node read_json(std::string_view text, const std::string& display_name) {
  JsonSyntaxChecker checker;
  if (nlohmann::json::sax_parse(text, &checker)) return read_yaml(text, display_name);
  // Only what() says whether nlohmann counted the position in bytes or as line and column:
  //   "[json.exception.parse_error.101] parse error at line 3, column 1: syntax error while
  //    parsing object key - unexpected '}'; expected string literal"
  //   "[json.exception.out_of_range.406] number overflow parsing '1e999'"
  std::string message = checker.message;
  message.erase(0, message.find("] ") == std::string::npos ? 0 : message.find("] ") + 2);
  int line = 0, column = 0;
  size_t at = message.find(" at line ");
  if (at != std::string::npos &&
      std::sscanf(message.c_str() + at, " at line %d, column %d", &line, &column) == 2) {
    message.erase(0, message.find(": ", at) + 2);
    constexpr std::string_view kRedundant = "syntax error ";
    if (message.starts_with(kRedundant)) message.erase(0, kRedundant.size());
    throw_syntax_error(display_name, line, column, message);
  }
  std::string_view before = text.substr(0, std::min(checker.position, text.size()));
  line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  column = static_cast<int>(before.size() - (before.rfind('\n') + 1));
  throw Error(display_name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
              message);
}

}  // namespace winnow::document
