// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The study-file schema (docs/study-file.md), interpreted once over the document tree that the
// TOML, YAML and JSON readers produce, so the three formats accept the same keys and fail with the
// same messages: "study.toml:14: space.lr.low: expected a number, got a string ("0.1")".
//
// Rules about the space itself (low < high, log bounds, choices, conditions, duplicate names,
// forbidden clauses) are SearchSpace::validate()'s: this file hands it each parameter with its
// origin ("study.toml:14") so that its messages carry the place too.
#include "winnow/study_file.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "common/strings.h"
#include "studyfile/document.h"
#include "studyfile/instances_section.h"
#include "studyfile/space_section.h"
#include "studyfile/typed_values.h"
#include "winnow/error.h"
#include "winnow/sampler.h"
#include "winnow/scheduler.h"
#include "schedulers/registry.h"
#include "study/metric_limits.h"
#include "winnow/trial.h"

namespace winnow {
namespace {

namespace fs = std::filesystem;
using document::child_path;
using document::describe;
using document::item_path;
using document::Member;
using document::Node;
using document::NodeKind;
using KeyList = std::vector<std::string>;

const KeyList& top_level_keys() {
  static const KeyList keys = {"study", "budget",    "objective", "space",
                               "forbidden", "enqueue", "instances"};
  return keys;
}
const KeyList& study_keys() {
  static const KeyList keys = {"name",   "direction", "directions", "objectives",
                               "sampler", "scheduler", "seed",     "trials",     "jobs",
                               "timeout", "storage",  "requeue_interrupted", "constraints",
                               "durability", "target", "patience", "max_failures", "fail_fast",
                               "lease", "budget_runs"};
  return keys;
}
const KeyList& budget_keys() {
  static const KeyList keys = {"name", "min", "max", "eta"};
  return keys;
}
const KeyList& objective_keys() {
  static const KeyList keys = {"command", "working_dir", "timeout",    "memory_limit",  "retries",
                               "env",     "runs_dir",    "kill_grace", "log_tail_lines",
                               "seed_arg", "cost",       "cutoff",     "par",
                               "capping", "exit_codes"};
  return keys;
}

bool contains(const KeyList& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// A relative `path` is taken from `base`; the result is absolute and normalised, because the
// runner hands these paths to programs that run in another working directory.
std::string resolve_path(const fs::path& base, const std::string& path) {
  fs::path full = fs::path(path).is_absolute() ? fs::path(path) : base / path;
  std::string text = full.lexically_normal().string();
  if (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

class StudyFileInterpreter : private document::TypedValues {
 public:
  StudyFileInterpreter(const std::string& display_name, StudyFileFormat format)
      : TypedValues(display_name), display_name_(display_name), format_(format) {
    fs::path name(display_name);
    stem_ = name.stem().string();
    if (stem_.empty()) stem_ = "study";
    base_dir_ = fs::absolute(name.parent_path().empty() ? fs::path(".") : name.parent_path());
  }

  StudyFile interpret(const Node& root) {
    StudyFile out;
    out.path = display_name_;
    check_keys(root, "", top_level_keys());
    read_study(section(root, "study"), out);
    read_budget(root, out);
    const Member* objective = root.find("objective");
    if (objective == nullptr) {
      fail(1, "", "missing section 'objective' (it needs at least 'command', the program to run)");
    }
    read_objective(*section(root, "objective"), objective->line, out);
    read_instances(root, *section(root, "objective"), out);
    const Member* space = root.find("space");
    if (space == nullptr) fail(1, "", "missing section 'space': define at least one parameter");
    const document::SpaceReader space_reader(
        display_name_, [this](const std::string& key) -> std::optional<std::string> {
          if (!contains(top_level_keys(), key)) return std::nullopt;
          return top_level_hint(key);
        });
    space_reader.read(*section(root, "space"), space->line, out.space);
    if (const Member* forbidden = root.find("forbidden")) {
      space_reader.read_forbidden(*forbidden, out.space);
    }
    try {
      out.space.validate();
    } catch (const Error& error) {
      // Messages about one parameter or clause start with its origin; name the file in the rest.
      if (std::string_view(error.what()).starts_with(display_name_ + ":")) throw;
      throw Error(display_name_ + ": " + error.what());
    }
    if (const Member* enqueue = root.find("enqueue")) read_enqueue(*enqueue, out);
    const Member* command = objective->value.find("command");
    try {
      check_command_template(out.objective, out.space);
    } catch (const Error& error) {
      fail(command->line, "objective.command", error.what());
    }
    return out;
  }

 private:
  // --- Tables and keys -------------------------------------------------------------------------

  // The value of section `key` of the root, or nullptr when absent; it must be a table.
  const Node* section(const Node& root, std::string_view key) const {
    const Member* member = root.find(key);
    if (member == nullptr) return nullptr;
    if (!member->value.is_table()) {
      fail(member->line, member->key, "expected a table, got " + describe(member->value));
    }
    return &member->value;
  }

  void check_keys(const Node& table, const std::string& path, const KeyList& allowed) const {
    for (const Member& member : table.members) {
      if (contains(allowed, member.key)) continue;
      std::string message = "unknown key '" + member.key + "'";
      std::string suggestion = did_you_mean(member.key, allowed);
      // A key of another section is more likely misplaced than misspelt.
      if (!suggestion.empty()) {
        message += suggestion;
      } else if (path != "study" && contains(study_keys(), member.key)) {
        message += " ('" + member.key + "' belongs in section 'study')";
      } else if (path != "objective" && contains(objective_keys(), member.key)) {
        message += " ('" + member.key + "' belongs in section 'objective')";
      } else if (!path.empty() && contains(top_level_keys(), member.key)) {
        message += top_level_hint(member.key);
      } else {
        message += "; expected one of: " + join(allowed, ", ");
      }
      fail(member.line, path, message);
    }
  }

  // In TOML every key after a [section] header belongs to that section, which is how top-level
  // keys such as `forbidden` end up in the wrong place.
  std::string top_level_hint(const std::string& key) const {
    if (format_ == StudyFileFormat::kToml) {
      return " ('" + key + "' is a top-level key: in TOML, put it before the first [section])";
    }
    return " ('" + key + "' belongs at the top level)";
  }

  // --- Sections --------------------------------------------------------------------------------

  void read_study(const Node* table, StudyFile& out) const {
    StudyOptions& options = out.study;
    options.name = stem_;
    out.storage = resolve_path(base_dir_, stem_ + ".db");
    if (table == nullptr) return;
    check_keys(*table, "study", study_keys());
    const Member* direction = table->find("direction");
    const Member* directions = table->find("directions");
    if (direction != nullptr && directions != nullptr) {
      fail(std::max(direction->line, directions->line), "study",
           "give either 'direction' (one objective) or 'directions', not both");
    }
    if (direction != nullptr) {
      options.directions = {direction_value(direction->value, "study.direction")};
    } else if (directions != nullptr) {
      expect_kind(directions->value, NodeKind::kList, "study.directions", "a list of directions");
      if (directions->value.items.empty()) fail(directions->line, "study.directions", "is empty");
      options.directions.clear();
      for (size_t i = 0; i < directions->value.items.size(); ++i) {
        options.directions.push_back(
            direction_value(directions->value.items[i], item_path("study.directions", i)));
      }
    }
    for (const Member& member : table->members) {
      const std::string path = child_path("study", member.key);
      const Node& value = member.value;
      if (member.key == "name") {
        options.name = string_value(value, path, false);
      } else if (member.key == "objectives") {
        options.objective_names = string_list(value, path);
        for (size_t i = 0; i < options.objective_names.size(); ++i) {
          const std::string& name = options.objective_names[i];
          if (std::count(options.objective_names.begin(), options.objective_names.begin() + i,
                         name) > 0) {
            fail(value.items[i].line, item_path(path, i), "'" + name + "' is listed twice");
          }
        }
        if (options.objective_names.size() != options.directions.size()) {
          fail(member.line, path,
               "names " + std::to_string(options.objective_names.size()) +
                   " objectives but there are " + std::to_string(options.directions.size()) +
                   " directions (give 'directions' with one entry per objective)");
        }
      } else if (member.key == "sampler") {
        options.sampler = string_value(value, path, false);
      } else if (member.key == "scheduler") {
        options.scheduler = string_value(value, path, false);
      } else if (member.key == "constraints") {
        options.constraints = string_list(value, path);
        for (size_t i = 0; i < options.constraints.size(); ++i) {
          try {
            (void)parse_metric_limit(options.constraints[i]);
          } catch (const Error& error) {
            fail(value.items[i].line, item_path(path, i), error.what());
          }
        }
      } else if (member.key == "seed") {
        options.seed = static_cast<uint64_t>(integer_value(value, path, 0));
      } else if (member.key == "trials" || member.key == "budget_runs") {
        if (member.key == "budget_runs" && table->find("trials") != nullptr) {
          fail(member.line, path, "give either 'trials' or 'budget_runs' (the same budget)");
        }
        out.trials = integer_value(value, path, 0);
      } else if (member.key == "jobs") {
        out.jobs = static_cast<int>(integer_value(value, path, 1, 1 << 16));
      } else if (member.key == "timeout") {
        out.timeout_seconds = duration_value(value, path);
      } else if (member.key == "storage") {
        out.storage = resolve_storage(string_value(value, path, false));
      } else if (member.key == "requeue_interrupted") {
        out.requeue_interrupted = bool_value(value, path);
      } else if (member.key == "lease") {
        options.lease_seconds = duration_value(value, path);
        if (!(options.lease_seconds > 0)) fail(member.line, path, "must be longer than 0 s");
      } else if (member.key == "durability") {
        std::string text = string_value(value, path, false);
        std::optional<Durability> durability = durability_from_string(text);
        if (!durability) {
          fail(member.line, path, "'" + text + "' is not a durability (\"normal\" or \"full\")");
        }
        out.storage_options.durability = *durability;
      } else if (member.key == "target") {
        out.stopping.target_value = number_value(value, path);
      } else if (member.key == "patience") {
        out.stopping.patience = integer_value(value, path, 1);
      } else if (member.key == "max_failures") {
        out.stopping.max_failures = integer_value(value, path, 1);
      } else if (member.key == "fail_fast") {
        out.stopping.fail_fast = integer_value(value, path, 0);
      }
    }
    if (const Member* sampler = table->find("sampler")) {
      // Creating the sampler checks its name and options now, where the line is known, instead
      // of when the study starts.
      try {
        (void)create_sampler(SamplerSpec::parse(options.sampler), options.seed.value_or(0));
      } catch (const Error& error) {
        fail(sampler->value.line, "study.sampler", error.what());
      }
    }
  }

  // [budget]: min, max, eta, name. Whole numbers make an integer budget (epochs, rounds); a
  // decimal point anywhere makes it continuous (a data fraction, seconds).
  void read_budget(const Node& root, StudyFile& out) const {
    const Member* member = root.find("budget");
    StudyOptions& options = out.study;
    std::unique_ptr<Scheduler> scheduler;
    try {
      scheduler = create_scheduler(parse_scheduler_spec(options.scheduler), 0);
    } catch (const Error& error) {
      const std::string message = error.what();
      const Member* study = root.find("study");
      const Member* key = study != nullptr && study->value.is_table()
                              ? study->value.find("scheduler")
                              : nullptr;
      fail(key != nullptr ? key->value.line : 1, "study.scheduler", message);
    }
    if (scheduler->assigns_budgets()) {
      try {
        check_sampler_for_budget_scheduler(SamplerSpec::parse(options.sampler).name,
                                           scheduler->name());
      } catch (const Error& error) {
        const Member* key = root.find("study")->value.find("sampler");
        fail(key->value.line, "study.sampler", error.what());
      }
      if (options.directions.size() != 1) {
        const Member* key = root.find("study")->value.find("scheduler");
        fail(key->value.line, "study.scheduler",
             "scheduler '" + std::string(scheduler->name()) +
                 "' compares trials on one objective, but the study has " +
                 std::to_string(options.directions.size()));
      }
    }
    if (member == nullptr) {
      if (scheduler->assigns_budgets()) {
        const Member* key = root.find("study")->value.find("scheduler");
        fail(key->value.line, "study.scheduler",
             "scheduler '" + std::string(scheduler->name()) +
                 "' gives trials budgets: add a [budget] table with min and max (and eta, "
                 "default 3), e.g. min = 1, max = 81 for epochs");
      }
      return;
    }
    const Node& table = *section(root, "budget");
    check_keys(table, "budget", budget_keys());
    BudgetSpec budget;
    bool any_float = false;
    const Member* min = table.find("min");
    const Member* max = table.find("max");
    if (max == nullptr) fail(member->line, "budget", "missing 'max', the largest budget a trial gets");
    for (const Member& key : table.members) {
      const std::string path = child_path("budget", key.key);
      if (key.key == "name") {
        budget.name = string_value(key.value, path, false);
      } else if (key.key == "eta") {
        budget.eta = number_value(key.value, path);
        if (budget.eta < 2) fail(key.line, path, "must be at least 2, got " + format_double(budget.eta));
      } else {
        double number = number_value(key.value, path);
        if (!(number > 0)) fail(key.line, path, "must be > 0, got " + format_double(number));
        any_float |= key.value.kind == NodeKind::kFloat;
        (key.key == "min" ? budget.min : budget.max) = number;
      }
    }
    if (min == nullptr) budget.min = std::min(1.0, budget.max);
    budget.integer = !any_float;
    if (budget.max < budget.min) {
      fail(max->line, "budget.max",
           "must be at least budget.min (" + format_double(budget.min) + "), got " +
               format_double(budget.max));
    }
    try {
      budget.validate();
    } catch (const Error& error) {
      fail(member->line, "budget", error.what());
    }
    options.budget = budget;
  }

  Direction direction_value(const Node& node, const std::string& path) const {
    std::string text = string_value(node, path, true);
    if (std::optional<Direction> direction = direction_from_string(text)) return *direction;
    fail(node.line, path,
         "unknown direction '" + text + "'" + did_you_mean(text, {"minimize", "maximize"}) +
             "; expected minimize or maximize");
  }

  // "memory" and URLs of other schemes are kept; SQLite paths are taken from the file's folder.
  std::string resolve_storage(const std::string& url) const {
    constexpr std::string_view kSqlite = "sqlite://";
    if (url == "memory") return url;
    if (url.starts_with(kSqlite)) {
      std::string path = url.substr(kSqlite.size());
      if (path.starts_with("/")) return url;
      return std::string(kSqlite) + resolve_path(base_dir_, path);  // sqlite:///abs/path
    }
    if (url.find("://") != std::string::npos) return url;
    return resolve_path(base_dir_, url);
  }

  void read_objective(const Node& table, int line, StudyFile& out) const {
    CommandObjectiveOptions& options = out.objective;
    check_keys(table, "objective", objective_keys());
    const Member* command = table.find("command");
    if (command == nullptr) {
      fail(line, "objective", "missing 'command', the program and its arguments as a list");
    }
    expect_kind(command->value, NodeKind::kList, "objective.command",
                "a list: the program and its arguments, each one entry (no shell is used)");
    if (command->value.items.empty()) {
      fail(command->line, "objective.command", "is empty: give at least the program to run");
    }
    for (size_t i = 0; i < command->value.items.size(); ++i) {
      std::string path = item_path("objective.command", i);
      options.command.push_back(text_value(command->value.items[i], path));
      if (i == 0 && options.command[0].empty()) {
        fail(command->value.items[0].line, path, "the program must not be empty");
      }
    }
    options.working_dir = resolve_path(base_dir_, ".");
    options.runs_dir = resolve_path(base_dir_, stem_ + "-runs");
    options.objective_names = out.study.objective_names;
    options.n_objectives = out.study.directions.size();
    options.budget = out.study.budget;
    for (const Member& member : table.members) {
      const std::string path = child_path("objective", member.key);
      const Node& value = member.value;
      if (member.key == "working_dir") {
        options.working_dir = resolve_path(base_dir_, string_value(value, path, false));
      } else if (member.key == "runs_dir") {
        options.runs_dir = resolve_path(base_dir_, string_value(value, path, false));
      } else if (member.key == "timeout") {
        options.timeout_seconds = duration_value(value, path);
      } else if (member.key == "kill_grace") {
        options.kill_grace_seconds = duration_value(value, path);
      } else if (member.key == "memory_limit") {
        if (value.kind == NodeKind::kString) {
          try {
            options.memory_limit_bytes = parse_byte_size(value.text, path);
          } catch (const Error& error) {
            fail(value.line, "", error.what());  // the message names `path` already
          }
        } else {
          options.memory_limit_bytes = integer_value(value, path, 0);
        }
      } else if (member.key == "retries") {
        out.retries = static_cast<int>(integer_value(value, path, 0, 1000));
      } else if (member.key == "log_tail_lines") {
        options.log_tail_lines = static_cast<int>(integer_value(value, path, 0, 100000));
      } else if (member.key == "env") {
        expect_kind(value, NodeKind::kTable, path, "a table of variable names to values");
        for (const Member& variable : value.members) {
          if (variable.key.empty() || variable.key.find('=') != std::string::npos) {
            fail(variable.line, path, "invalid environment variable name '" + variable.key + "'");
          }
          options.env[variable.key] =
              text_value(variable.value, child_path(path, variable.key));
        }
      }
    }
  }

  void read_instances(const Node& root, const Node& objective, StudyFile& out) const {
    document::InstancesReader reader(display_name_, base_dir_);
    std::shared_ptr<InstanceSet> instances;
    if (const Member* member = root.find("instances")) {
      instances = reader.read(member->value, member->line);
      if (out.study.directions.size() != 1) {
        fail(member->line, "instances",
             "algorithm configuration minimises one cost per run; the study has " +
                 std::to_string(out.study.directions.size()) + " objectives");
      }
    }
    reader.read_run_keys(objective, instances.get(), out.objective);
    if (instances && instances->cost == RunCostKind::kRuntime &&
        out.study.directions.front() == Direction::kMaximize) {
      // Capping and PAR-k penalties assume less is better: maximised, every challenger would be
      // capped at once.
      const Member* study = root.find("study");
      const Member* key = study == nullptr ? nullptr
                          : study->value.find("directions") != nullptr
                              ? study->value.find("directions")
                              : study->value.find("direction");
      fail(key != nullptr ? key->line : 1, key != nullptr ? "study." + key->key : "study",
           "a runtime cost is minimised: use directions = [\"minimize\"], or print a value to "
           "maximise with cost = \"value\"");
    }
    const std::string sampler = SamplerSpec::parse(out.study.sampler).name;
    if (!instances && sampler_traits(sampler).configures_runs) {
      const Member* study = root.find("study");
      const Member* key = study != nullptr ? study->value.find("sampler") : nullptr;
      fail(key != nullptr ? key->line : 1, "study.sampler",
           "'" + sampler + "' races configurations over instances: add an [instances] section "
           "(train = \"instances/*.cnf\", ...) to the study file");
    }
    if (instances) {
      if (out.retries > 0) {
        const Member* retries = objective.find("retries");
        fail(retries != nullptr ? retries->line : 1, "objective.retries",
             "a study with [instances] does not retry runs: a run that fails is a result, and "
             "costs what the cost rules give a failure; remove retries");
      }
      instances->budget_runs = out.trials;
      out.study.instances = instances;
    }
  }

  void read_enqueue(const Member& member, StudyFile& out) const {
    expect_kind(member.value, NodeKind::kList, "enqueue", "a list of configurations (tables)");
    for (size_t i = 0; i < member.value.items.size(); ++i) {
      const Node& entry = member.value.items[i];
      const std::string path = item_path("enqueue", i);
      expect_kind(entry, NodeKind::kTable, path, "a table of parameter values");
      Config config;
      for (const Member& param : entry.members) {
        ParamValue value = scalar_value(param.value, child_path(path, param.key));
        try {
          // coerce() names the parameter (and suggests one when the name is unknown).
          config[param.key] = out.space.coerce(param.key, value);
        } catch (const Error& error) {
          fail(param.line, path, error.what());
        }
      }
      try {
        out.space.check(config);
      } catch (const Error& error) {
        fail(entry.line, path, error.what());
      }
      out.enqueue.push_back(std::move(config));
    }
  }

  const std::string& display_name_;
  StudyFileFormat format_;
  std::string stem_;
  fs::path base_dir_;
};

}  // namespace

StudyFileFormat study_file_format(const std::string& path) {
  std::string extension = fs::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".toml") return StudyFileFormat::kToml;
  if (extension == ".yaml" || extension == ".yml") return StudyFileFormat::kYaml;
  if (extension == ".json") return StudyFileFormat::kJson;
  throw Error(path + ": unknown study file format '" + extension +
              "' (expected .toml, .yaml, .yml or .json)");
}

StudyFile load_study_file(const std::string& path) {
  StudyFileFormat format = study_file_format(path);
  std::error_code error;
  if (fs::is_directory(path, error)) throw Error(path + ": is a directory, not a study file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot read study file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(path + ": cannot read study file: " + std::strerror(errno));
  return parse_study_file(text.str(), format, path);
}

// Relative paths in the file are taken from the folder of `display_name`, which load_study_file
// sets to the file's path; a bare name such as "study.toml" means the current directory.
StudyFile parse_study_file(std::string_view text, StudyFileFormat format,
                           const std::string& display_name) {
  document::Node root;
  switch (format) {
    case StudyFileFormat::kToml: root = document::read_toml(text, display_name); break;
    case StudyFileFormat::kYaml: root = document::read_yaml(text, display_name); break;
    case StudyFileFormat::kJson: root = document::read_json(text, display_name); break;
  }
  return StudyFileInterpreter(display_name, format).interpret(root);
}

}  // namespace winnow
