// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Study files: TOML, YAML or JSON with one schema (docs/study-file.md). Every error
// names the file, the line and the key or parameter at fault.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/command.h"
#include "winnow/space.h"
#include "winnow/study.h"

namespace winnow {

struct StudyFile {
  std::string path;              // as given
  StudyOptions study;            // [study] name, directions, objectives, sampler, seed
  int64_t trials = 0;            // [study] trials: total trials of the study (0 = until stopped)
  int jobs = 1;                  // [study] jobs
  double timeout_seconds = 0;    // [study] timeout: wall-clock limit of a run
  int retries = 0;               // [objective] retries
  std::string storage;           // [study] storage URL; "" = <file stem>.db beside the file
  StorageOptions storage_options;  // [study] durability
  StoppingRules stopping;        // [study] target, patience, max_failures, fail_fast
  bool requeue_interrupted = false;  // [study] requeue_interrupted
  SearchSpace space;             // [space] and [[forbidden]]
  CommandObjectiveOptions objective;  // [objective]
  std::vector<Config> enqueue;   // [[enqueue]]: configurations to try first
};

enum class StudyFileFormat { kToml, kYaml, kJson };

// The format of a study file from its extension (.toml, .yaml/.yml, .json); throws
// winnow::Error for another one.
StudyFileFormat study_file_format(const std::string& path);

// Reads and validates a study file; the format comes from the extension (.toml, .yaml/.yml,
// .json). Relative paths in it (working_dir, runs_dir, storage) are made relative to the file's
// folder.
StudyFile load_study_file(const std::string& path);
// The same from text; `display_name` is used in error messages.
StudyFile parse_study_file(std::string_view text, StudyFileFormat format,
                           const std::string& display_name);

}  // namespace winnow
