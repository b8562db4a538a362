// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "storage_args.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "winnow/error.h"
#include "winnow/study_file.h"

namespace winnow::cli {

void add_storage_options(CLI::App& command, StorageArgs& args) {
  command.add_option("--storage", args.storage,
                     "Storage URL: sqlite:///path.db, a plain path (SQLite) or memory");
  command.add_option("--study", args.study, "Study name (default: the only study in the storage)");
}

StorageOptions interactive_storage_options() {
  StorageOptions options;
  // Someone waits at a terminal: an unreachable server is reported after a short while, where
  // a worker would wait out an outage.
  options.reconnect_seconds = 10;
  return options;
}

namespace {

bool is_study_file(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  return ext == ".toml" || ext == ".yaml" || ext == ".yml" || ext == ".json";
}

}  // namespace

ResolvedStudies resolve_studies(const StorageArgs& args, bool allow_empty) {
  if (!args.positional.empty() && !args.storage.empty()) {
    throw Error("give the storage either as an argument or with --storage, not both");
  }
  std::string url = args.storage.empty() ? args.positional : args.storage;
  std::string study = args.study;
  if (url.empty()) throw Error("no storage given: pass a SQLite file, a study file or --storage URL");
  if (is_study_file(url)) {
    StudyFile file = load_study_file(url);
    url = file.storage;
    if (study.empty()) study = file.study.name;
  } else if (url.find("://") == std::string::npos && url != "memory" &&
             !std::filesystem::exists(url)) {
    throw Error("no such storage file: " + url);
  }
  ResolvedStudies resolved;
  resolved.storage = open_storage(url, interactive_storage_options());
  if (!study.empty()) {
    std::optional<StudyRecord> record = resolved.storage->find_study(study);
    if (!record) {
      std::string names;
      for (const auto& s : resolved.storage->list_studies()) names += " " + s.name;
      throw Error("no study '" + study + "' in " + resolved.storage->url() +
                  (names.empty() ? " (it holds no study)" : "; studies:" + names));
    }
    resolved.studies.push_back(*record);
  } else {
    resolved.studies = resolved.storage->list_studies();
    if (resolved.studies.empty() && !allow_empty) throw Error(resolved.storage->url() + " holds no study");
  }
  return resolved;
}

void check_output_is_not_input(const std::string& output, const StorageArgs& input) {
  std::error_code error;
  for (const std::string& path : {input.positional, input.storage}) {
    if (output.empty() || path.empty()) continue;
    if (std::filesystem::equivalent(output, path, error)) {
      throw Error("refusing to write over " + output + ", the study's own file; choose another "
                  "output file");
    }
  }
}

void write_output(const std::string& path, const std::string& text) {
  if (path.empty()) {
    std::cout << text << std::flush;
    return;
  }
  // An output named like the study's own file (`export study.db -o study.db`) would replace
  // every trial with a report of them.
  if (std::FILE* existing = std::fopen(path.c_str(), "rb")) {
    char header[16] = {};
    const size_t read = std::fread(header, 1, sizeof(header), existing);
    std::fclose(existing);
    if (read == sizeof(header) && std::memcmp(header, "SQLite format 3", 16) == 0) {
      throw Error("refusing to write over " + path +
                  ", a SQLite database (a study's storage?); choose another output file");
    }
  }
  // Written with stdio so that the reason of a failure (errno) can be told.
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) throw Error("cannot write " + path + ": " + std::strerror(errno));
  bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  int error = errno;
  if (std::fclose(file) != 0 && written) {
    written = false;
    error = errno;
  }
  if (!written) throw Error("cannot write " + path + ": " + std::strerror(error));
}

const StudyRecord& single_study(const ResolvedStudies& resolved) {
  if (resolved.studies.size() != 1) {
    std::string names;
    for (const auto& s : resolved.studies) names += " " + s.name;
    throw Error(resolved.storage->url() + " holds several studies; choose one with --study NAME:" +
                names + " ('winnow studies' lists them)");
  }
  return resolved.studies.front();
}

}  // namespace winnow::cli
