// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Command templates: the placeholders of a command objective's arguments, checked against the
// space and expanded for each trial, and the numbers with units its options take.
#include "runner/command_template.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <map>

#include "common/strings.h"
#include "winnow/error.h"

namespace winnow {
namespace {

// {instance} and {seed} are built in only for algorithm configuration, so an ordinary study
// may still name a parameter "seed".
std::vector<std::string> built_in_placeholders(bool instances) {
  std::vector<std::string> names = {"trial",          "trial_id", "trial_dir", "params_file",
                                    "checkpoint_dir", "budget",   "previous_budget"};
  if (instances) {
    names.push_back("instance");
    names.push_back("seed");
  }
  return names;
}

// Placeholders that only have a value when the study has a budget.
bool needs_budget(std::string_view placeholder) {
  return placeholder == "budget" || placeholder == "previous_budget";
}

// ---- Command templates ----

// One argument split into literal text and placeholder names.
struct TemplatePiece {
  bool is_placeholder = false;
  std::string text;  // literal text, or the placeholder's name
};

// Throws winnow::Error naming the argument for an unbalanced brace or an empty "{}".
std::vector<TemplatePiece> parse_argument(const std::string& argument, size_t index) {
  auto fail = [&](const std::string& rule) -> Error {
    return Error("command argument " + std::to_string(index + 1) + " '" + argument + "': " +
                 rule + " (write \"{{\" or \"}}\" for a literal brace)");
  };
  std::vector<TemplatePiece> pieces;
  std::string literal;
  for (size_t i = 0; i < argument.size(); ++i) {
    char c = argument[i];
    if (c == '}') {
      if (i + 1 < argument.size() && argument[i + 1] == '}') {
        literal += '}';
        ++i;
        continue;
      }
      throw fail("unbalanced '}' at position " + std::to_string(i + 1));
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    if (i + 1 < argument.size() && argument[i + 1] == '{') {
      literal += '{';
      ++i;
      continue;
    }
    size_t close = argument.find_first_of("{}", i + 1);
    if (close == std::string::npos || argument[close] != '}') {
      throw fail("unbalanced '{' at position " + std::to_string(i + 1));
    }
    if (close == i + 1) throw fail("empty placeholder \"{}\"");
    if (!literal.empty()) pieces.push_back({false, std::move(literal)});
    literal.clear();
    pieces.push_back({true, argument.substr(i + 1, close - i - 1)});
    i = close;
  }
  if (!literal.empty() || pieces.empty()) pieces.push_back({false, std::move(literal)});
  return pieces;
}

Error missing_budget(const std::string& argument, size_t index, const std::string& placeholder) {
  return Error("command argument " + std::to_string(index + 1) + " '" + argument +
               "': the study has no [budget] section; add [budget] min/max or remove {" +
               placeholder + "}");
}

// ---- Numbers with units ----

struct Unit {
  std::string_view name;
  double factor;
};

// "<number><unit>" with optional blanks between; the unit is looked up case-insensitively.
double parse_with_unit(const std::string& text, const std::string& what,
                       const std::vector<Unit>& units, std::string_view examples,
                       std::string_view kind) {
  auto fail = [&]() -> Error {
    return Error(what + ": '" + text + "' is not " + std::string(kind) + " (examples: " +
                 std::string(examples) + ")");
  };
  std::string trimmed = trim(text);
  const char* begin = trimmed.data();
  const char* end = begin + trimmed.size();
  double number = 0;
  // chars_format::fixed: exponents are not needed for durations or sizes, and "1e3" would read
  // oddly next to units. It still reads "inf" and "nan", hence the isfinite check.
  auto [number_end, error] = std::from_chars(begin, end, number, std::chars_format::fixed);
  if (error != std::errc() || number_end == begin || !std::isfinite(number)) throw fail();
  std::string unit = trim(std::string_view(number_end, static_cast<size_t>(end - number_end)));
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const Unit& candidate : units) {
    if (candidate.name == unit) {
      if (number < 0) throw Error(what + ": '" + text + "' must not be negative");
      return number * candidate.factor;
    }
  }
  throw fail();
}

}  // namespace

void check_budget_placeholders(const CommandObjectiveOptions& options) {
  for (size_t i = 0; i < options.command.size(); ++i) {
    for (const TemplatePiece& piece : parse_argument(options.command[i], i)) {
      // Without a value the argument would silently be left out.
      if (piece.is_placeholder && needs_budget(piece.text) && !options.budget) {
        throw missing_budget(options.command[i], i, piece.text);
      }
    }
  }
}

double parse_duration(const std::string& text, const std::string& what) {
  static const std::vector<Unit> units = {{"", 1},     {"s", 1},      {"sec", 1}, {"ms", 1e-3},
                                          {"us", 1e-6}, {"m", 60},   {"min", 60},   {"h", 3600}};
  return parse_with_unit(text, what, units, "90, 1.5s, 500ms, 200us, 2m, 1h", "a duration");
}

int64_t parse_byte_size(const std::string& text, const std::string& what) {
  static const std::vector<Unit> units = {
      {"", 1},           {"b", 1},          {"kb", 1e3},       {"mb", 1e6},
      {"gb", 1e9},       {"tb", 1e12},      {"k", 0x1p10},     {"kib", 0x1p10},
      {"m", 0x1p20},     {"mib", 0x1p20},   {"g", 0x1p30},     {"gib", 0x1p30},
      {"t", 0x1p40},     {"tib", 0x1p40}};
  double bytes =
      parse_with_unit(text, what, units, "512MB, 2GiB, 1.5GB, 1000000", "a size in bytes");
  // 2^63 is the first double past int64's range.
  if (bytes >= 0x1p63) throw Error(what + ": '" + text + "' is too large");
  return static_cast<int64_t>(std::llround(bytes));
}

std::vector<std::string> expand_command(const std::vector<std::string>& command,
                                        const Config& config,
                                        const CommandPlaceholders& placeholders) {
  // The built-in placeholders (as in built_in_placeholders()); nullopt where there is no value.
  std::map<std::string, std::optional<std::string>, std::less<>> built_ins = {
      {"trial", std::to_string(placeholders.trial)},
      {"trial_id", placeholders.trial_id ? std::optional(std::to_string(*placeholders.trial_id))
                                         : std::nullopt},
      {"trial_dir", placeholders.trial_dir},
      {"params_file", placeholders.params_file},
      {"checkpoint_dir", placeholders.checkpoint_dir},
      {"budget", placeholders.budget},
      {"previous_budget", placeholders.previous_budget}};
  if (placeholders.instances) {
    built_ins["instance"] = placeholders.instance;
    built_ins["seed"] = placeholders.seed;
  }
  std::vector<std::string> argv;
  argv.reserve(command.size());
  for (size_t i = 0; i < command.size(); ++i) {
    std::string expanded;
    bool keep = true;
    for (const TemplatePiece& piece : parse_argument(command[i], i)) {
      if (!piece.is_placeholder) {
        expanded += piece.text;
      } else if (auto built_in = built_ins.find(piece.text); built_in != built_ins.end()) {
        if (built_in->second) {
          expanded += *built_in->second;
        } else {
          keep = false;  // e.g. {trial_id} without a trial id
        }
      } else if (auto param = config.find(piece.text); param != config.end()) {
        expanded += to_string(param->second);
      } else {
        keep = false;  // an inactive parameter: "--momentum={momentum}" has nothing to say
      }
    }
    if (keep) argv.push_back(std::move(expanded));
  }
  return argv;
}

std::string env_name_for_param(const std::string& name) {
  std::string out = "WINNOW_PARAM_";
  for (unsigned char c : name) out += std::isalnum(c) ? static_cast<char>(std::toupper(c)) : '_';
  return out;
}

namespace {

// Two parameters whose variables would share a name: the program would see one value only.
void check_env_names(const SearchSpace& space) {
  std::map<std::string, std::string> first_with;
  for (const ParamSpec& param : space.params()) {
    auto [it, inserted] = first_with.emplace(env_name_for_param(param.name), param.name);
    if (!inserted) {
      throw Error("parameters '" + it->second + "' and '" + param.name +
                  "' would both reach the program as " + it->first + "; rename one of them");
    }
  }
}

bool is_shell(const std::string& program) {
  const std::string name = program.substr(program.find_last_of('/') + 1);
  return name == "sh" || name == "bash" || name == "dash" || name == "zsh" || name == "ksh";
}

// Characters a shell reads as words, quotes, expansions or operators.
bool shell_interprets(const std::string& text) {
  return text.find_first_of(" \t\n'\"`$;&|<>()*?[]{}~#!\\") != std::string::npos;
}

// A placeholder inside a `sh -c` script is pasted into the script's text, where the shell
// interprets it: harmless for numbers, not for a choice such as "a; rm -rf b". Warned about
// (not refused: such a script may want the shell's reading) with the way to pass it literally.
void warn_about_shell_scripts(const CommandObjectiveOptions& options, const SearchSpace& space) {
  if (options.command.size() < 3 || !is_shell(options.command[0])) return;
  for (size_t i = 2; i < options.command.size(); ++i) {
    if (options.command[i - 1] != "-c") continue;
    for (const TemplatePiece& piece : parse_argument(options.command[i], i)) {
      const ParamSpec* param = piece.is_placeholder ? space.find(piece.text) : nullptr;
      if (param == nullptr) continue;
      for (const ParamValue& choice : param->choices) {
        const std::string text = to_string(choice);
        if (!shell_interprets(text)) continue;
        std::cerr << "winnow: warning: command argument " << i + 1 << ": {" << piece.text
                  << "} is pasted into a " << options.command[0]
                  << " script, whose shell interprets its choice '" << text
                  << "'; pass it as an argument instead (\"$1\" in the script, \"{"
                  << piece.text << "}\" after it)\n";
        break;
      }
    }
  }
}

}  // namespace

void check_command_template(const CommandObjectiveOptions& options, const SearchSpace& space) {
  if (options.command.empty()) throw Error("the command is empty");
  check_env_names(space);
  const std::vector<std::string> built_ins = built_in_placeholders(options.instances);
  std::vector<std::string> known = built_ins;
  for (const ParamSpec& param : space.params()) known.push_back(param.name);
  std::vector<std::string> command = options.command;
  if (!options.seed_arg.empty()) command.push_back(options.seed_arg);
  for (size_t i = 0; i < command.size(); ++i) {
    auto fail = [&](const std::string& rule) {
      return Error((i < options.command.size() ? "command argument " + std::to_string(i + 1)
                                               : std::string("seed_arg")) +
                   " '" + command[i] + "': " + rule);
    };
    for (const TemplatePiece& piece : parse_argument(command[i], i)) {
      if (!piece.is_placeholder) continue;
      if (std::find(built_ins.begin(), built_ins.end(), piece.text) != built_ins.end()) {
        if (space.find(piece.text) != nullptr) {
          throw fail("{" + piece.text + "} is ambiguous: the space has a parameter '" +
                     piece.text + "' and {" + piece.text +
                     "} is a built-in placeholder (which wins); rename the parameter");
        }
        if (needs_budget(piece.text) && !options.budget) {
          throw missing_budget(command[i], i, piece.text);
        }
        continue;
      }
      if (std::find(known.begin(), known.end(), piece.text) != known.end()) continue;
      throw fail("unknown placeholder {" + piece.text + "}" + did_you_mean(piece.text, known) +
                 "; placeholders are the parameters of the space and {trial}, {trial_id}, " +
                 "{trial_dir}, {params_file}, {checkpoint_dir}, {budget}, {previous_budget}" +
                 (options.instances ? ", {instance}, {seed}" : ""));
    }
  }
  warn_about_shell_scripts(options, space);
}

}  // namespace winnow
