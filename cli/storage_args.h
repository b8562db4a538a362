// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// How `show` and `export` find their study: --storage URL (or a positional location, which may
// also be a study file naming its storage) and --study NAME (optional when the storage holds one
// study).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "winnow/storage.h"

namespace CLI {
class App;
}

namespace winnow::cli {

struct StorageArgs {
  std::string positional;
  std::string storage;
  std::string study;
};

void add_storage_options(CLI::App& command, StorageArgs& args);

struct ResolvedStudies {
  std::shared_ptr<Storage> storage;
  std::vector<StudyRecord> studies;  // the one asked for, or every study when none was named
};
// Throws winnow::Error for a storage without studies unless `allow_empty`.
ResolvedStudies resolve_studies(const StorageArgs& args, bool allow_empty = false);

// How the commands people run at a terminal (show, studies, export ...) open a storage: they
// give up on an unreachable PostgreSQL server sooner than run and worker do.
StorageOptions interactive_storage_options();

// The one study asked for; throws winnow::Error listing the studies when the storage holds
// several and none was named.
const StudyRecord& single_study(const ResolvedStudies& resolved);

// Throws when `output` is the file `input` names (the study file or SQLite storage).
void check_output_is_not_input(const std::string& output, const StorageArgs& input);
// Writes to `path`, or standard output when it is empty; throws winnow::Error on I/O failure
// and refuses to write over a SQLite database.
void write_output(const std::string& path, const std::string& text);

}  // namespace winnow::cli
