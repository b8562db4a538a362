// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The search-space part of a study file: the [space] section (one table per parameter) and the
// top-level `forbidden` list. Each parameter goes to SearchSpace with its origin ("study.toml:14"),
// so that the space's own checks name the place too. See docs/study-file.md.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "studyfile/typed_values.h"
#include "winnow/space.h"

namespace winnow::document {

class SpaceReader : private TypedValues {
 public:
  // `top_level_hint(key)`: for a top-level key of the study file written among the parameters,
  // what to add to the error; nullopt for any other key.
  using TopLevelHint = std::function<std::optional<std::string>(const std::string& key)>;
  SpaceReader(const std::string& display_name, TopLevelHint top_level_hint)
      : TypedValues(display_name), top_level_hint_(std::move(top_level_hint)) {}

  // [space]: every parameter, in the order written.
  void read(const Node& table, int line, SearchSpace& space) const;
  // `forbidden`: a list of clauses, each with its line as its origin.
  void read_forbidden(const Member& member, SearchSpace& space) const;

 private:
  ParamSpec read_param(const Member& member) const;
  TopLevelHint top_level_hint_;
};

}  // namespace winnow::document
