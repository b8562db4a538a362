// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "commands.h"
#include "storage_args.h"
#include "winnow/error.h"
#include "winnow/study.h"

namespace winnow::cli {

Command add_show_command(CLI::App& app) {
  auto* command = app.add_subcommand("show", "Show a study: trial counts, the best trial and a leaderboard");
  auto location = std::make_shared<StorageArgs>();
  auto top = std::make_shared<int>(10);
  command->add_option("location", location->positional,
                      "Storage URL, SQLite file or study file (same as --storage)");
  add_storage_options(*command, *location);
  command->add_option("--top", *top, "Rows in the leaderboard")->capture_default_str()->check(CLI::PositiveNumber);
  command->footer(
      "Examples:\n"
      "  winnow show study.db\n"
      "  winnow show --storage sqlite:///data/studies.db --study resnet --top 20\n"
      "  winnow show study.toml                 (the study and storage named by the file)");
  return [location, top] {
    ResolvedStudies resolved = resolve_studies(*location);
    bool first = true;
    for (const StudyRecord& study : resolved.studies) {
      if (!first) std::cout << "\n";
      first = false;
      std::vector<FrozenTrial> trials = resolved.storage->trials(study.id);
      std::cout << study_report(study, trials, *top);
    }
    return 0;
  };
}

Command add_export_command(CLI::App& app) {
  auto* command = app.add_subcommand("export", "Export every trial of a study as CSV or JSON Lines");
  auto location = std::make_shared<StorageArgs>();
  auto format = std::make_shared<std::string>("csv");
  auto output = std::make_shared<std::string>();
  command->add_option("location", location->positional,
                      "Storage URL, SQLite file or study file (same as --storage)");
  add_storage_options(*command, *location);
  command->add_option("--format", *format, "csv or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  command->add_option("-o,--output", *output, "Write to this file instead of standard output");
  command->footer(
      "Columns: number, state, value(s), param_<name>..., metric_<name>..., start, end,\n"
      "duration_s, retry_of, failure_reason. JSON Lines keeps types and adds intermediate values.\n"
      "Examples:\n"
      "  winnow export --storage study.db --study quickstart --format csv > trials.csv\n"
      "  winnow export study.db --format jsonl -o trials.jsonl");
  return [location, format, output] {
    ResolvedStudies resolved = resolve_studies(*location);
    if (resolved.studies.size() != 1) {
      std::string names;
      for (const auto& s : resolved.studies) names += " " + s.name;
      throw Error(resolved.storage->url() + " holds several studies; choose one with --study:" +
                  names);
    }
    const StudyRecord& study = resolved.studies.front();
    std::vector<FrozenTrial> trials = resolved.storage->trials(study.id);
    std::string text = *format == "csv" ? to_csv(make_trial_table(study, trials))
                                        : to_jsonl(study, trials);
    write_output(*output, text);
    return 0;
  };
}

}  // namespace winnow::cli
