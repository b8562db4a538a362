// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "space/expression.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include "winnow/error.h"

namespace winnow {
namespace {

enum class TokenKind { kName, kString, kNumber, kOperator, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  ParamValue value;  // kString / kNumber / true / false
  size_t column = 0;
};

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

[[noreturn]] void syntax_error(std::string_view text, size_t column, const std::string& what) {
  throw Error("syntax error in '" + std::string(text) + "' at column " + std::to_string(column + 1) +
              ": " + what);
}

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Token token;
    token.column = i;
    if (is_name_start(c)) {
      size_t start = i;
      while (i < text.size() && is_name_char(text[i])) ++i;
      token.kind = TokenKind::kName;
      token.text = std::string(text.substr(start, i - start));
    } else if (c == '\'' || c == '"') {
      size_t start = ++i;
      while (i < text.size() && text[i] != c) ++i;
      if (i >= text.size()) syntax_error(text, token.column, "unterminated string");
      token.kind = TokenKind::kString;
      token.value = std::string(text.substr(start, i - start));
      ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.') {
      size_t start = i++;
      while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) ||
                                 text[i] == '.' ||
                                 ((text[i] == '-' || text[i] == '+') &&
                                  (text[i - 1] == 'e' || text[i - 1] == 'E')))) {
        ++i;
      }
      std::string number(text.substr(start, i - start));
      if (number.front() == '+') number.erase(0, 1);
      token.kind = TokenKind::kNumber;
      int64_t integer = 0;
      auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), integer);
      if (ec == std::errc() && ptr == number.data() + number.size()) {
        token.value = integer;
      } else {
        double real = 0;
        auto [rptr, rec] = std::from_chars(number.data(), number.data() + number.size(), real);
        if (rec != std::errc() || rptr != number.data() + number.size()) {
          syntax_error(text, token.column, "'" + number + "' is not a number");
        }
        token.value = real;
      }
      token.text = number;
    } else {
      static const char* kOperators[] = {"==", "!=", "<=", ">=", "&&", "||", "<", ">",
                                         "(",  ")",  "[",  "]",  ",",  "!",  "="};
      bool matched = false;
      for (const char* op : kOperators) {
        std::string_view candidate(op);
        if (text.substr(i, candidate.size()) == candidate) {
          token.kind = TokenKind::kOperator;
          token.text = std::string(candidate);
          i += candidate.size();
          matched = true;
          break;
        }
      }
      if (!matched) syntax_error(text, i, std::string("unexpected character '") + c + "'");
      if (token.text == "=") syntax_error(text, token.column, "use '==' to compare");
    }
    tokens.push_back(std::move(token));
  }
  Token end;
  end.column = text.size();
  tokens.push_back(end);
  return tokens;
}

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };

class CompareNode : public Expression {
 public:
  CompareNode(std::string name, CompareOp op, std::vector<ParamValue> literals)
      : name_(std::move(name)), op_(op), literals_(std::move(literals)) {}

  bool evaluate(const Config& config, const Ordering& ordering) const override {
    auto it = config.find(name_);
    if (it == config.end()) return false;
    const ParamValue& value = it->second;
    if (op_ == CompareOp::kIn || op_ == CompareOp::kNotIn) {
      bool found = false;
      for (const ParamValue& literal : literals_) found = found || values_equal(value, literal);
      return op_ == CompareOp::kIn ? found : !found;
    }
    const ParamValue& literal = literals_.front();
    if (op_ == CompareOp::kEq) return values_equal(value, literal);
    if (op_ == CompareOp::kNe) return !values_equal(value, literal);
    std::optional<int> order = ordering ? ordering(name_, value, literal) : compare_values(value, literal);
    if (!order) return false;
    switch (op_) {
      case CompareOp::kLt: return *order < 0;
      case CompareOp::kLe: return *order <= 0;
      case CompareOp::kGt: return *order > 0;
      case CompareOp::kGe: return *order >= 0;
      default: return false;
    }
  }
  void collect_names(std::vector<std::string>& names) const override { names.push_back(name_); }
  void collect_literals(std::string_view name, std::vector<ParamValue>& out) const override {
    if (name == name_) out.insert(out.end(), literals_.begin(), literals_.end());
  }

 private:
  std::string name_;
  CompareOp op_;
  std::vector<ParamValue> literals_;
};

class LogicNode : public Expression {
 public:
  enum class Kind { kAnd, kOr, kNot };
  LogicNode(Kind kind, std::vector<std::shared_ptr<const Expression>> operands)
      : kind_(kind), operands_(std::move(operands)) {}

  bool evaluate(const Config& config, const Ordering& ordering) const override {
    switch (kind_) {
      case Kind::kNot: return !operands_.front()->evaluate(config, ordering);
      case Kind::kAnd:
        for (const auto& operand : operands_) {
          if (!operand->evaluate(config, ordering)) return false;
        }
        return true;
      case Kind::kOr:
        for (const auto& operand : operands_) {
          if (operand->evaluate(config, ordering)) return true;
        }
        return false;
    }
    return false;
  }
  void collect_names(std::vector<std::string>& names) const override {
    for (const auto& operand : operands_) operand->collect_names(names);
  }
  void collect_literals(std::string_view name, std::vector<ParamValue>& out) const override {
    for (const auto& operand : operands_) operand->collect_literals(name, out);
  }

 private:
  Kind kind_;
  std::vector<std::shared_ptr<const Expression>> operands_;
};

// Recursive-descent parser over the token list.
class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens) : text_(text), tokens_(std::move(tokens)) {}

  std::shared_ptr<const Expression> parse_all() {
    if (peek().kind == TokenKind::kEnd) syntax_error(text_, 0, "empty expression");
    auto expression = parse_or();
    if (peek().kind != TokenKind::kEnd) {
      syntax_error(text_, peek().column, "unexpected '" + token_text(peek()) + "'");
    }
    return expression;
  }

 private:
  const Token& peek() const { return tokens_[position_]; }
  const Token& next() { return tokens_[position_++]; }
  bool accept_word(std::string_view word, std::string_view symbol = {}) {
    const Token& token = peek();
    if ((token.kind == TokenKind::kName && token.text == word) ||
        (!symbol.empty() && token.kind == TokenKind::kOperator && token.text == symbol)) {
      ++position_;
      return true;
    }
    return false;
  }
  bool accept_operator(std::string_view op) {
    if (peek().kind == TokenKind::kOperator && peek().text == op) {
      ++position_;
      return true;
    }
    return false;
  }
  void expect_operator(std::string_view op) {
    if (!accept_operator(op)) {
      syntax_error(text_, peek().column,
                   "expected '" + std::string(op) + "' but found '" + token_text(peek()) + "'");
    }
  }
  static std::string token_text(const Token& token) {
    if (token.kind == TokenKind::kEnd) return "end of text";
    if (token.kind == TokenKind::kString) return "'" + std::get<std::string>(token.value) + "'";
    return token.text;
  }

  std::shared_ptr<const Expression> parse_or() {
    std::vector<std::shared_ptr<const Expression>> operands{parse_and()};
    while (accept_word("or", "||")) operands.push_back(parse_and());
    if (operands.size() == 1) return operands.front();
    return std::make_shared<LogicNode>(LogicNode::Kind::kOr, std::move(operands));
  }
  std::shared_ptr<const Expression> parse_and() {
    std::vector<std::shared_ptr<const Expression>> operands{parse_unary()};
    while (accept_word("and", "&&")) operands.push_back(parse_unary());
    if (operands.size() == 1) return operands.front();
    return std::make_shared<LogicNode>(LogicNode::Kind::kAnd, std::move(operands));
  }
  std::shared_ptr<const Expression> parse_unary() {
    if (accept_word("not", "!")) {
      return std::make_shared<LogicNode>(LogicNode::Kind::kNot,
                                         std::vector<std::shared_ptr<const Expression>>{parse_unary()});
    }
    if (accept_operator("(")) {
      auto inner = parse_or();
      expect_operator(")");
      return inner;
    }
    return parse_compare();
  }
  ParamValue parse_literal() {
    const Token& token = next();
    if (token.kind == TokenKind::kString || token.kind == TokenKind::kNumber) return token.value;
    if (token.kind == TokenKind::kName && token.text == "true") return true;
    if (token.kind == TokenKind::kName && token.text == "false") return false;
    syntax_error(text_, token.column,
                 "expected a value ('text', a number, true or false) but found '" +
                     token_text(token) + "'" +
                     (token.kind == TokenKind::kName ? " (quote text values)" : ""));
  }
  std::shared_ptr<const Expression> parse_compare() {
    const Token& name = next();
    if (name.kind != TokenKind::kName || name.text == "and" || name.text == "or" ||
        name.text == "in") {
      syntax_error(text_, name.column, "expected a parameter name but found '" + token_text(name) + "'");
    }
    bool negated = false;
    if (peek().kind == TokenKind::kName && peek().text == "not") {
      ++position_;
      negated = true;
      if (!(peek().kind == TokenKind::kName && peek().text == "in")) {
        syntax_error(text_, peek().column, "expected 'in' after 'not'");
      }
    }
    if (accept_word("in")) {
      expect_operator("[");
      std::vector<ParamValue> literals{parse_literal()};
      while (accept_operator(",")) literals.push_back(parse_literal());
      expect_operator("]");
      return std::make_shared<CompareNode>(name.text, negated ? CompareOp::kNotIn : CompareOp::kIn,
                                           std::move(literals));
    }
    static const std::pair<const char*, CompareOp> kOps[] = {
        {"==", CompareOp::kEq}, {"!=", CompareOp::kNe}, {"<", CompareOp::kLt},
        {"<=", CompareOp::kLe}, {">", CompareOp::kGt},  {">=", CompareOp::kGe}};
    for (const auto& [symbol, op] : kOps) {
      if (accept_operator(symbol)) {
        return std::make_shared<CompareNode>(name.text, op, std::vector<ParamValue>{parse_literal()});
      }
    }
    syntax_error(text_, peek().column,
                 "expected a comparison (==, !=, <, <=, >, >=, in) after '" + name.text +
                     "' but found '" + token_text(peek()) + "'");
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t position_ = 0;
};

}  // namespace

std::shared_ptr<const Expression> Expression::parse(std::string_view text) {
  return Parser(text, tokenize(text)).parse_all();
}

std::optional<int> compare_values(const ParamValue& a, const ParamValue& b) {
  if (std::holds_alternative<std::string>(a) && std::holds_alternative<std::string>(b)) {
    return std::get<std::string>(a).compare(std::get<std::string>(b)) < 0
               ? -1
               : (std::get<std::string>(a) == std::get<std::string>(b) ? 0 : 1);
  }
  std::optional<double> x = as_number(a), y = as_number(b);
  if (!x || !y || std::isnan(*x) || std::isnan(*y)) return std::nullopt;
  return *x < *y ? -1 : (*x > *y ? 1 : 0);
}

}  // namespace winnow
