// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "studyfile/instances_section.h"

#include <glob.h>

#include <algorithm>
#include <fstream>
#include <map>
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

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) cells.push_back(trim(cell));
  if (!line.empty() && line.back() == ',') cells.emplace_back();
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
  std::ifstream in(file);
  if (!in) fail(node.line, path, "cannot read '" + given + "'");
  std::string line;
  if (!std::getline(in, line)) fail(node.line, path, "'" + given + "' is empty");
  std::vector<std::string> header = split_csv_line(line);
  if (header.size() < 2) {
    fail(node.line, path, given + ":1: expected a header 'instance,<feature>,...'");
  }
  set.feature_names.assign(header.begin() + 1, header.end());
  std::map<std::string, std::vector<double>> rows;
  for (int number = 2; std::getline(in, line); ++number) {
    if (trim(line).empty()) continue;
    std::vector<std::string> cells = split_csv_line(line);
    const std::string where = given + ":" + std::to_string(number);
    if (cells.size() != header.size()) {
      fail(node.line, path, where + ": " + std::to_string(cells.size()) + " cells, the header has " +
                                std::to_string(header.size()));
    }
    std::vector<double> values;
    for (size_t c = 1; c < cells.size(); ++c) {
      char* end = nullptr;
      double value = std::strtod(cells[c].c_str(), &end);
      if (cells[c].empty() || end != cells[c].c_str() + cells[c].size()) {
        fail(node.line, path, where + ": feature '" + header[c] + "': '" + cells[c] +
                                  "' is not a number");
      }
      values.push_back(value);
    }
    rows[cells[0]] = std::move(values);
  }
  // A row names its instance as listed, by path, or by file name.
  auto attach = [&](std::vector<ProblemInstance>& instances, const char* which) {
    for (ProblemInstance& instance : instances) {
      for (const std::string& key :
           {instance.name, instance.path, fs::path(instance.path).filename().string()}) {
        auto it = rows.find(key);
        if (it != rows.end()) {
          instance.features = it->second;
          break;
        }
      }
      if (instance.features.empty()) {
        fail(node.line, path, "'" + given + "' has no row for " + which + " instance '" +
                                  instance.name + "'");
      }
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
