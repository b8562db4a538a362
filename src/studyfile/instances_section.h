// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The algorithm-configuration part of a study file: the [instances] section (train, test,
// features) and the run keys of [objective] (seed_arg, cost, cutoff, par, capping,
// exit_codes). See docs/configuration.md.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "studyfile/typed_values.h"
#include "winnow/command.h"
#include "winnow/instances.h"

namespace winnow::document {

// Keys of [objective] read here rather than by the study-file interpreter.
bool is_run_key(std::string_view key);

class InstancesReader : private TypedValues {
 public:
  InstancesReader(const std::string& display_name, std::filesystem::path base_dir)
      : TypedValues(display_name), base_dir_(std::move(base_dir)) {}

  // [instances]: instance lists are a glob, a directory (its files) or a file listing one path
  // per line; paths are taken from the study file's folder (a listing's from its own).
  std::shared_ptr<InstanceSet> read(const Node& table, int line) const;
  // The run keys of [objective] into `options` and `instances` (null without [instances],
  // where only exit_codes is allowed).
  void read_run_keys(const Node& objective, InstanceSet* instances,
                     CommandObjectiveOptions& options) const;

 private:
  std::vector<ProblemInstance> list(const Node& node, const std::string& path) const;
  void read_features(const Node& node, const std::string& path, InstanceSet& set) const;
  std::filesystem::path base_dir_;
};

}  // namespace winnow::document
