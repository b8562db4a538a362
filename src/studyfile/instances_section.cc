// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "studyfile/instances_section.h"

#include <glob.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "winnow/error.h"

namespace winnow::document {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string>& instances_keys() {
  static const std::vector<std::string> keys = {"train", "test", "features"};
  return keys;
}

const std::vector<std::string>& run_keys() {
  static const std::vector<std::string> keys = {"seed_arg", "cost",       "cutoff",
                                                "par",      "capping",    "exit_codes"};
  return keys;
}

std::string absolute(const fs::path& base, const std::string& path) {
  fs::path full = fs::path(path).is_absolute() ? fs::path(path) : base / path;
  return full.lexically_normal().string();
}

bool has_glob(const std::string& text) {
  return text.find_first_of("*?[") != std::string::npos;
}

// The cells of one CSV line: commas inside double quotes belong to the cell ("" is a quote),
// spaces around a cell are dropped. nullopt when a quote is left open.
std::optional<std::vector<std::string>> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        cell += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        cell += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"' && trim(cell).empty()) {
      quoted = was_quoted = true;
      cell.clear();
    } else if (c == ',') {
      cells.push_back(was_quoted ? cell : trim(cell));
      cell.clear();
      was_quoted = false;
    } else if (!was_quoted || c != ' ') {
      cell += c;
    }
  }
  if (quoted) return std::nullopt;
  cells.push_back(was_quoted ? cell : trim(cell));
  return cells;
}

}  // namespace

bool is_run_key(std::string_view key) {
  return std::find(run_keys().begin(), run_keys().end(), key) != run_keys().end();
}

std::vector<ProblemInstance> InstancesReader::list(const Node& node,
                                                   const std::string& path) const {
  const std::string given = string_value(node, path, false);
  const std::string full = absolute(base_dir_, given);
  std::vector<ProblemInstance> out;
  auto add = [&](const std::string& name, const std::string& file) {
    out.push_back({name, file, {}});
  };
  std::error_code error;
  if (has_glob(given)) {
    glob_t matches{};
    int status = ::glob(full.c_str(), 0, nullptr, &matches);
    if (status == 0) {
      for (size_t i = 0; i < matches.gl_pathc; ++i) {
        std::string file = matches.gl_pathv[i];
        if (fs::is_regular_file(file, error)) add(fs::relative(file, base_dir_, error).string(), file);
      }
    }
    globfree(&matches);
    if (out.empty()) fail(node.line, path, "'" + given + "' matches no file");
  } else if (fs::is_directory(full, error)) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(full, error)) {
      if (entry.is_regular_file() && !entry.path().filename().string().starts_with(".")) {
        files.push_back(entry.path().string());
      }
    }
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) add(fs::relative(file, base_dir_, error).string(), file);
    if (out.empty()) fail(node.line, path, "the directory '" + given + "' holds no file");
  } else if (fs::is_regular_file(full, error)) {
    std::ifstream in(full);
    std::string line;
    const fs::path listing_dir = fs::path(full).parent_path();
    std::map<std::string, int> first_line;  // canonical path -> line
    for (int number = 1; std::getline(in, line); ++number) {
      std::string entry = trim(line);
      if (entry.empty() || entry.starts_with("#")) continue;
      std::string file = absolute(listing_dir, entry);
      const std::string where = given + ":" + std::to_string(number) + ": instance '" + entry + "'";
      if (!fs::exists(file, error)) fail(node.line, path, where + " does not exist");
      // As a glob or a directory would: a folder is no instance.
      if (!fs::is_regular_file(file, error)) fail(node.line, path, where + " is not a file");
      // Named twice, it would weigh twice in every comparison.
      auto [found, inserted] = first_line.emplace(fs::weakly_canonical(file, error).string(), number);
      if (!inserted) {
        fail(node.line, path, where + " is listed already on line " + std::to_string(found->second));
      }
      add(entry, file);
    }
    if (out.empty()) fail(node.line, path, "the listing '" + given + "' names no instance");
  } else {
    fail(node.line, path,
         "'" + given + "' is neither a glob, a directory nor a file listing instances");
  }
  return out;
}

void InstancesReader::read_features(const Node& node, const std::string& path,
                                    InstanceSet& set) const {
  const std::string given = string_value(node, path, false);
  const std::string file = absolute(base_dir_, given);
  const fs::path features_dir = fs::path(file).parent_path();
  std::ifstream in(file);
  if (!in) fail(node.line, path, "cannot read '" + given + "'");
  std::string line;
  if (!std::getline(in, line)) fail(node.line, path, "'" + given + "' is empty");
  auto cells_of = [&](const std::string& text, int number) {
    std::optional<std::vector<std::string>> cells = split_csv_line(text);
    if (!cells) {
      fail(node.line, path, given + ":" + std::to_string(number) + ": a quoted cell is not closed");
    }
    return std::move(*cells);
  };
  std::vector<std::string> header = cells_of(line, 1);
  if (header.size() < 2) {
    fail(node.line, path, given + ":1: expected a header 'instance,<feature>,...'");
  }
  set.feature_names.assign(header.begin() + 1, header.end());
  struct Row {
    std::string key;
    int line = 0;
    std::vector<double> values;
  };
  std::vector<Row> rows;
  std::map<std::string, size_t> by_key;
  for (int number = 2; std::getline(in, line); ++number) {
    if (trim(line).empty()) continue;
    std::vector<std::string> cells = cells_of(line, number);
    const std::string where = given + ":" + std::to_string(number);
    if (cells.size() != header.size()) {
      fail(node.line, path, where + ": " + std::to_string(cells.size()) + " cells, the header has " +
                                std::to_string(header.size()));
    }
    Row row{cells[0], number, {}};
    for (size_t c = 1; c < cells.size(); ++c) {
      char* end = nullptr;
      double value = std::strtod(cells[c].c_str(), &end);
      if (cells[c].empty() || end != cells[c].c_str() + cells[c].size()) {
        fail(node.line, path, where + ": feature '" + header[c] + "': '" + cells[c] +
                                  "' is not a number");
      }
      // The forest splits on features: NaN or infinity would break its order.
      if (!std::isfinite(value)) {
        fail(node.line, path, where + ": feature '" + header[c] + "': '" + cells[c] +
                                  "' is not a finite number");
      }
      row.values.push_back(value);
    }
    auto [found, inserted] = by_key.emplace(row.key, rows.size());
    if (!inserted) {
      fail(node.line, path, where + ": instance '" + row.key + "' has a row already on line " +
                                std::to_string(rows[found->second].line));
    }
    rows.push_back(std::move(row));
  }
  // A row names its instance by path (absolute, or relative to the features file or to the
  // study file), or by file name when no other instance has that file name.
  std::map<std::string, size_t> by_path;
  for (size_t r = 0; r < rows.size(); ++r) {
    by_path.emplace(absolute(features_dir, rows[r].key), r);
    by_path.emplace(absolute(base_dir_, rows[r].key), r);
  }
  std::map<std::string, int> file_names;
  for (const auto* instances : {&set.train, &set.test}) {
    for (const ProblemInstance& instance : *instances) {
      ++file_names[fs::path(instance.path).filename().string()];
    }
  }
  auto attach = [&](std::vector<ProblemInstance>& instances, const char* which) {
    for (ProblemInstance& instance : instances) {
      const std::string file_name = fs::path(instance.path).filename().string();
      std::optional<size_t> row;
      if (auto it = by_path.find(instance.path); it != by_path.end()) {
        row = it->second;
      } else if (auto named = by_key.find(file_name); named != by_key.end()) {
        if (file_names[file_name] > 1) {
          fail(node.line, path, given + ":" + std::to_string(rows[named->second].line) + ": '" +
                                    file_name + "' is the file name of several instances ('" +
                                    instance.name + "' among them); name them by path");
        }
        row = named->second;
      }
      if (!row) {
        fail(node.line, path, "'" + given + "' has no row for " + which + " instance '" +
                                  instance.name + "'");
      }
      instance.features = rows[*row].values;
    }
  };
  attach(set.train, "training");
  attach(set.test, "test");
}

std::shared_ptr<InstanceSet> InstancesReader::read(const Node& table, int line) const {
  expect_kind(table, NodeKind::kTable, "instances", "a table with train (and test, features)");
  for (const Member& member : table.members) {
    if (std::find(instances_keys().begin(), instances_keys().end(), member.key) ==
        instances_keys().end()) {
      fail(member.line, child_path("instances", member.key),
           "unknown key" + did_you_mean(member.key, instances_keys()) +
               "; [instances] takes train, test and features");
    }
  }
  auto set = std::make_shared<InstanceSet>();
  const Member* train = table.find("train");
  if (train == nullptr) {
    fail(line, "instances", "missing 'train': the instances to tune on (a glob, a directory "
                            "or a file listing paths)");
  }
  set->train = list(train->value, "instances.train");
  if (const Member* test = table.find("test")) {
    set->test = list(test->value, "instances.test");
    // Compared as canonical paths: a test glob through a symbolic link names the same files.
    std::error_code error;
    auto canonical = [&](const std::string& file) {
      return fs::weakly_canonical(file, error).string();
    };
    std::set<std::string> training;
    for (const ProblemInstance& instance : set->train) training.insert(canonical(instance.path));
    for (const ProblemInstance& instance : set->test) {
      if (training.contains(canonical(instance.path))) {
        fail(test->line, "instances.test",
             "'" + instance.name + "' is also a training instance: test instances must be "
             "unseen while tuning");
      }
    }
  }
  if (const Member* features = table.find("features")) {
    read_features(features->value, "instances.features", *set);
  }
  return set;
}

void InstancesReader::read_run_keys(const Node& objective, InstanceSet* instances,
                                    CommandObjectiveOptions& options) const {
  for (const Member& member : objective.members) {
    if (!is_run_key(member.key)) continue;
    const std::string path = child_path("objective", member.key);
    if (member.key == "exit_codes") {
      expect_kind(member.value, NodeKind::kList, path, "a list of exit statuses");
      if (member.value.items.empty()) fail(member.line, path, "is empty");
      options.exit_codes.clear();
      for (size_t i = 0; i < member.value.items.size(); ++i) {
        options.exit_codes.push_back(
            static_cast<int>(integer_value(member.value.items[i], item_path(path, i), 0, 255)));
      }
      continue;
    }
    if (instances == nullptr) {
      fail(member.line, path, "belongs to algorithm configuration: add an [instances] section "
                              "with the instances to tune on");
    }
    if (member.key == "seed_arg") {
      options.seed_arg = string_value(member.value, path, false);
      if (options.seed_arg.find("{seed}") == std::string::npos) {
        fail(member.line, path, "must contain {seed}, e.g. \"-rnd-seed={seed}\"");
      }
      // Commands run without a shell, so a space would not split it into two arguments.
      if (options.seed_arg.find_first_of(" \t") != std::string::npos) {
        fail(member.line, path, "'" + options.seed_arg + "' would reach the program as one "
                                "argument, space included: write it as one (\"--seed={seed}\") "
                                "or put \"--seed\", \"{seed}\" in the command instead");
      }
    } else if (member.key == "cost") {
      std::string kind = string_value(member.value, path, false);
      if (kind == "runtime") {
        instances->cost = RunCostKind::kRuntime;
      } else if (kind == "value") {
        instances->cost = RunCostKind::kValue;
      } else {
        fail(member.line, path, "unknown cost '" + kind + "'" +
                                    did_you_mean(kind, {"runtime", "value"}) +
                                    "; expected runtime or value");
      }
    } else if (member.key == "cutoff") {
      instances->cutoff_seconds = duration_value(member.value, path);
      if (!(instances->cutoff_seconds > 0)) fail(member.line, path, "must be longer than 0 s");
    } else if (member.key == "par") {
      instances->par_factor = number_value(member.value, path);
      if (!(instances->par_factor >= 1)) fail(member.line, path, "must be at least 1");
    } else if (member.key == "capping") {
      instances->capping = bool_value(member.value, path);
    }
  }
  if (instances == nullptr) return;
  if (instances->cost == RunCostKind::kRuntime && !(instances->cutoff_seconds > 0)) {
    const Member* cost = objective.find("cost");
    fail(cost->line, "objective.cost",
         "a runtime cost needs a cutoff: add e.g. cutoff = \"10s\" to [objective]");
  }
  bool names_seed = !options.seed_arg.empty();
  for (const std::string& argument : options.command) {
    names_seed = names_seed || argument.find("{seed}") != std::string::npos;
  }
  instances->seeded = names_seed;
  options.instances = true;
  options.cost = instances->cost;
  options.cutoff_seconds = instances->cutoff_seconds;
  options.par_factor = instances->par_factor;
}

}  // namespace winnow::document
