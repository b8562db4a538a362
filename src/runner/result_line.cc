// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "runner/result_line.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

namespace winnow {
namespace {

constexpr std::string_view kReportPrefix = "winnow:";
constexpr size_t kMaxQuoted = 200;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view strip(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && (is_blank(text.back()) || text.back() == '\n')) text.remove_suffix(1);
  return text;
}

// A whole token as a double: from_chars also reads "inf", "infinity" and "nan" (any case); a
// leading "+" is allowed because printf("%+f") writes one.
std::optional<double> parse_number(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty() || text.front() == '+') return std::nullopt;
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (end != text.data() + text.size()) return std::nullopt;
  if (error == std::errc::result_out_of_range) {
    // "1e999" is as infinite as "inf", and "1e-400" is zero: strtod rounds them so.
    return std::strtod(std::string(text).c_str(), nullptr);
  }
  if (error != std::errc()) return std::nullopt;
  return value;
}

// JSON has no NaN or infinity, yet Python's json.dumps writes NaN, Infinity and -Infinity, and a
// number such as 1e999 overflows the parser. Outside string literals each of them is replaced by
// a string that json_number() reads back, so one such metric does not fail the whole result.
constexpr std::string_view kSpecialMark = "\\u0001winnow:";  // JSON text, decoded to byte 1

std::string mark_special_numbers(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  bool in_string = false;
  for (size_t i = 0; i < line.size();) {
    const char c = line[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < line.size()) out += line[++i];
      else if (c == '"') in_string = false;
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      ++i;
      continue;
    }
    if (c == '-' || c == 'N' || c == 'I' || (c >= '0' && c <= '9')) {
      size_t end = i + 1;
      while (end < line.size() && (std::isalnum(static_cast<unsigned char>(line[end])) ||
                                   line[end] == '.' || line[end] == '+' || line[end] == '-')) {
        ++end;
      }
      const std::string_view token = line.substr(i, end - i);
      std::optional<double> value;
      if (token == "NaN") {
        value = std::nan("");
      } else if (token == "Infinity" || token == "-Infinity") {
        value = token.front() == '-' ? -HUGE_VAL : HUGE_VAL;
      } else if (const size_t digit = token.front() == '-' ? 1 : 0;
                 token.size() > digit && token[digit] >= '0' && token[digit] <= '9') {
        // Only what JSON's grammar calls a number and a double cannot hold: "-inf" stays an
        // error, as the parser says.
        if (std::optional<double> number = parse_number(token); number && std::isinf(*number)) {
          value = number;
        }
      }
      if (value) {
        out += '"';
        out += kSpecialMark;
        out += std::isnan(*value) ? "nan" : *value > 0 ? "inf" : "-inf";
        out += '"';
      } else {
        out += token;
      }
      i = end;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

// A JSON number, or a special one marked by mark_special_numbers().
std::optional<double> json_number(const nlohmann::json& item) {
  if (item.is_number()) return item.get<double>();
  if (!item.is_string()) return std::nullopt;
  const std::string& text = item.get_ref<const std::string&>();
  if (text.size() < 8 || text[0] != '\x01' || text.compare(1, 7, "winnow:") != 0) {
    return std::nullopt;
  }
  const std::string_view kind = std::string_view(text).substr(8);
  if (kind == "nan") return std::nan("");
  if (kind == "inf") return HUGE_VAL;
  if (kind == "-inf") return -HUGE_VAL;
  return std::nullopt;
}

// A JSON value as the program wrote it, special numbers included (mark_special_numbers).
std::string shown(const nlohmann::json& item) {
  std::string text = item.dump();
  for (auto [mark, written] : {std::pair{"\"\\u0001winnow:nan\"", "NaN"},
                               std::pair{"\"\\u0001winnow:inf\"", "Infinity"},
                               std::pair{"\"\\u0001winnow:-inf\"", "-Infinity"}}) {
    const std::string_view from(mark);
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
      text.replace(at, from.size(), written);
      at += std::string_view(written).size();
    }
  }
  return text;
}

std::optional<int64_t> parse_step(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::string quote(std::string_view line) {
  if (line.size() <= kMaxQuoted) return "'" + std::string(line) + "'";
  return "'" + std::string(line.substr(0, kMaxQuoted)) + "...' (" + std::to_string(line.size()) +
         " characters)";
}

TrialOutcome failed_result(std::string reason) {
  TrialOutcome outcome;
  outcome.state = TrialState::kFailed;
  outcome.failure_reason = std::move(reason);
  return outcome;
}

std::string plural_values(size_t n) {
  return std::to_string(n) + (n == 1 ? " objective value" : " objective values");
}

// The objective values of a JSON result (a NaN among them is an error), the keys they came from
// (not metrics), or what was wrong.
struct Extracted {
  std::vector<double> values;
  std::vector<std::string> used_keys;
  std::string error;
};

Extracted extract_values(const nlohmann::json& object, size_t n_objectives,
                         const std::vector<std::string>& names) {
  Extracted out;
  auto number_or_error = [&](const nlohmann::json& item, const std::string& what) {
    std::optional<double> number = json_number(item);
    if (number && std::isnan(*number)) {
      if (out.error.empty()) out.error = "the objective value is NaN (" + what + ")";
    } else if (number) {
      out.values.push_back(*number);
    } else if (out.error.empty()) {
      out.error = what + " is not a number (got " + shown(item) + ")";
    }
  };
  const bool has_value = object.contains("value"), has_values = object.contains("values");
  if (has_value && has_values) {
    out.error = "the JSON result has both \"value\" and \"values\"; give one of them";
  } else if (has_values) {
    const nlohmann::json& values = object["values"];
    out.used_keys = {"values"};
    if (!values.is_array()) {
      out.error = "\"values\" is not an array of numbers (got " + shown(values) + ")";
    } else if (values.size() != n_objectives) {
      out.error = "expected " + plural_values(n_objectives) + ", \"values\" holds " +
                  std::to_string(values.size());
    } else {
      for (size_t i = 0; i < values.size(); ++i) {
        number_or_error(values[i], "\"values\"[" + std::to_string(i) + "]");
      }
    }
  } else if (has_value) {
    out.used_keys = {"value"};
    if (n_objectives != 1) {
      out.error = "expected " + plural_values(n_objectives) +
                  ", the JSON result gives one \"value\" (use \"values\": [...]" +
                  (names.empty() ? std::string(")") : " or the objective names as keys)");
    } else {
      number_or_error(object["value"], "\"value\"");
    }
  } else if (!names.empty()) {
    for (const std::string& name : names) {
      if (!object.contains(name)) {
        out.error = "the JSON result lacks objective \"" + name + "\"";
        break;
      }
      out.used_keys.push_back(name);
      number_or_error(object[name], "objective \"" + name + "\"");
    }
  } else {
    out.error = "the JSON result has neither \"value\" nor \"values\"";
  }
  return out;
}

// Reads a report line; on failure, says why in `problem` and returns nullopt.
std::optional<std::pair<int64_t, double>> read_report_line(std::string_view line,
                                                           std::string& problem) {
  auto reject = [&](std::string why) -> std::optional<std::pair<int64_t, double>> {
    problem = std::move(why);
    return std::nullopt;
  };
  line = strip(line);
  if (line.substr(0, kReportPrefix.size()) != kReportPrefix) {
    return reject("it does not start with \"winnow:\"");
  }
  std::string_view rest = line.substr(kReportPrefix.size());
  std::optional<int64_t> step;
  std::optional<double> value;
  auto skip_blanks = [&] {
    while (!rest.empty() && is_blank(rest.front())) rest.remove_prefix(1);
  };
  skip_blanks();
  while (!rest.empty()) {
    size_t key_end = 0;
    while (key_end < rest.size() && !is_blank(rest[key_end]) && rest[key_end] != '=') ++key_end;
    std::string_view key = rest.substr(0, key_end);
    rest.remove_prefix(key_end);
    skip_blanks();
    if (rest.empty() || rest.front() != '=') {
      return reject("'" + std::string(key) + "' is not followed by '='");
    }
    rest.remove_prefix(1);
    skip_blanks();
    size_t value_end = 0;
    while (value_end < rest.size() && !is_blank(rest[value_end])) ++value_end;
    std::string_view text = rest.substr(0, value_end);
    rest.remove_prefix(value_end);
    skip_blanks();
    if ((key == "step" && step) || (key == "value" && value)) {
      return reject("'" + std::string(key) + "' is given twice");
    }
    if (key == "step") {
      step = parse_step(text);
      if (!step) return reject("step '" + std::string(text) + "' is not a whole number >= 0");
    } else if (key == "value") {
      value = parse_number(text);
      // NaN is kept: a run whose loss diverged says so, and the pruners stop it, as Optuna's.
      if (!value) return reject("value '" + std::string(text) + "' is not a number");
    } else {
      return reject("unknown key '" + std::string(key) + "'");
    }
  }
  if (!step && !value) return reject("no step=<int> and no value=<number>");
  if (!step) return reject("no step=<int>");
  if (!value) return reject("no value=<number>");
  return std::pair{*step, *value};
}

}  // namespace

bool is_report_line(std::string_view line) {
  return strip(line).substr(0, kReportPrefix.size()) == kReportPrefix;
}

std::optional<std::pair<int64_t, double>> parse_report_line(std::string_view line) {
  std::string problem;
  return read_report_line(line, problem);
}

std::string report_line_problem(std::string_view line) {
  if (!is_report_line(line)) return "";
  std::string problem;
  read_report_line(line, problem);
  return problem;
}

TrialOutcome parse_result_line(std::string_view line, size_t n_objectives,
                               const std::vector<std::string>& objective_names) {
  line = strip(line);
  const std::string quoted = quote(line);

  if (std::optional<double> number = parse_number(line)) {
    if (std::isnan(*number)) return failed_result("the objective value is NaN: " + quoted);
    if (n_objectives != 1) {
      return failed_result("expected " + plural_values(n_objectives) +
                    ", the result line holds a single number (print a JSON object such as "
                    "{\"values\": [...]}): " +
                    quoted);
    }
    TrialOutcome outcome;
    outcome.values = {*number};
    return outcome;
  }

  if (line.empty() || line.front() != '{') {
    return failed_result("the result line is neither a number nor a JSON object: " + quoted);
  }
  nlohmann::json object;
  try {
    object = nlohmann::json::parse(mark_special_numbers(line));
  } catch (const nlohmann::json::exception& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 9: ...".
    std::string what = e.what();
    size_t bracket = what.find("] ");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    return failed_result("the result line is not valid JSON (" + what + "): " + quoted);
  }
  if (!object.is_object()) {
    return failed_result("the result line is neither a number nor a JSON object: " + quoted);
  }

  Extracted extracted = extract_values(object, n_objectives, objective_names);
  if (!extracted.error.empty()) return failed_result(extracted.error + ": " + quoted);
  TrialOutcome outcome;
  outcome.values = std::move(extracted.values);
  // "constraints": a number or a list of numbers, each feasible when <= 0.
  if (auto it = object.find("constraints"); it != object.end()) {
    const nlohmann::json& given = *it;
    std::vector<nlohmann::json> items =
        given.is_array() ? given.get<std::vector<nlohmann::json>>() : std::vector{given};
    for (size_t i = 0; i < items.size(); ++i) {
      std::optional<double> number = json_number(items[i]);
      if (!number || std::isnan(*number)) {
        return failed_result("\"constraints\" must be a number or a list of numbers (feasible when "
                      "<= 0); item " + std::to_string(i + 1) + " is " + shown(items[i]) + ": " +
                      quoted);
      }
      outcome.constraints.push_back(*number);
    }
  }
  for (const auto& [key, item] : object.items()) {
    bool used = key == "constraints" ||
                std::find(extracted.used_keys.begin(), extracted.used_keys.end(), key) !=
                    extracted.used_keys.end();
    // Only numbers are metrics; strings, booleans and nested values are the program's business.
    // A NaN metric is kept (stored as null): the program said it had no value for it.
    if (used) continue;
    if (std::optional<double> number = json_number(item)) outcome.metrics[key] = *number;
  }
  return outcome;
}

}  // namespace winnow
