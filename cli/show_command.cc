// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "commands.h"
#include "validators.h"
#include "storage_args.h"
#include "winnow/analysis.h"
#include "winnow/configuration.h"
#include "winnow/error.h"
#include "winnow/study.h"

namespace winnow::cli {
namespace {

// "1.1,1.1" -> {1.1, 1.1}; throws winnow::Error naming `what`.
std::vector<double> parse_number_list(const std::string& text, const std::string& what) {
  std::vector<double> numbers;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos
                                                                      : comma - start);
    char* end = nullptr;
    double value = std::strtod(item.c_str(), &end);
    if (item.empty() || end != item.c_str() + item.size() || !std::isfinite(value)) {
      throw Error(what + ": '" + item + "' is not a finite number (expected e.g. 1.1,1.1)");
    }
    numbers.push_back(value);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return numbers;
}

}  // namespace

Command add_show_command(CLI::App& app) {
  auto* command = app.add_subcommand("show", "Show a study: trial counts, the best trial and a leaderboard");
  auto location = std::make_shared<StorageArgs>();
  auto top = std::make_shared<int>(10);
  auto pareto = std::make_shared<bool>(false);
  auto reference = std::make_shared<std::string>();
  auto trial_number = std::make_shared<std::optional<int64_t>>();
  auto json = std::make_shared<bool>(false);
  command->add_option("location", location->positional,
                      "Storage URL, SQLite file or study file (same as --storage)");
  add_storage_options(*command, *location);
  command->add_option("--top", *top, "Rows in the leaderboard")->capture_default_str()->check(at_least(1));
  command->add_flag("--pareto", *pareto,
                    "The Pareto front (complete, feasible, non-dominated trials) as a table, with "
                    "its hypervolume and the hypervolume after n trials");
  command->add_option("--reference", *reference,
                      "Reference point of the hypervolume, one number per objective, e.g. "
                      "1.1,1.1 (default: worst value + 10% of the range)");
  command->add_option("--trial", *trial_number,
                      "One trial in full: parameters, values, metrics, intermediate values, "
                      "attributes, failure reason");
  command->add_flag("--json", *json,
                    "Algorithm-configuration studies: the incumbent (parameters, cost per "
                    "training and test instance) and every configuration's runs and verdict, "
                    "as JSON");
  command->footer(
      "Examples:\n"
      "  winnow show study.db\n"
      "  winnow show study.db --trial 12\n"
      "  winnow show --storage sqlite:///data/studies.db --study resnet --top 20\n"
      "  winnow show study.toml                 (the study and storage named by the file)\n"
      "  winnow show study.db --pareto --reference 1.0,200");
  return [location, top, pareto, reference, trial_number, json] {
    ResolvedStudies resolved = resolve_studies(*location);
    if (*trial_number) {
      const StudyRecord& study = single_study(resolved);
      std::vector<FrozenTrial> trials = resolved.storage->trials(study.id);
      int64_t n = **trial_number;
      if (n < 0 || n >= static_cast<int64_t>(trials.size())) {
        throw Error("--trial " + std::to_string(n) + ": study '" + study.name + "' has trials 0 to " +
                    std::to_string(static_cast<int64_t>(trials.size()) - 1));
      }
      std::cout << trial_report(study, trials[n]);
      return 0;
    }
    std::optional<std::vector<double>> reference_point;
    if (!reference->empty()) reference_point = parse_number_list(*reference, "--reference");
    // Like export: a storage with several studies needs --study; show lists them.
    if (resolved.studies.size() > 1) {
      std::cout << studies_report(*resolved.storage)
                << "Several studies: choose one with --study NAME.\n";
      return 0;
    }
    for (const StudyRecord& study : resolved.studies) {
      std::vector<FrozenTrial> trials = resolved.storage->trials(study.id);
      if (*json) {
        ConfigurationReport report = configuration_report(study, trials);
        if (!report.is_configuration) {
          throw Error("--json: study '" + study.name + "' has no runs on instances (it is not "
                      "an algorithm-configuration study); use 'winnow export --format jsonl'");
        }
        std::cout << configuration_report_json(report) << "\n";
      } else if (*pareto) {
        std::cout << pareto_report(study, trials, reference_point);
      } else {
        std::cout << study_report(study, trials, *top);
        std::cout << format_configuration_report(configuration_report(study, trials), *top);
      }
    }
    return 0;
  };
}

Command add_export_command(CLI::App& app) {
  auto* command = app.add_subcommand("export", "Export every trial of a study as CSV or JSON Lines");
  auto location = std::make_shared<StorageArgs>();
  auto format = std::make_shared<std::string>("csv");
  auto output = std::make_shared<std::string>();
  auto pareto = std::make_shared<bool>(false);
  command->add_option("location", location->positional,
                      "Storage URL, SQLite file or study file (same as --storage)");
  add_storage_options(*command, *location);
  command->add_option("--format", *format, "csv or jsonl")
      ->check(CLI::IsMember({"csv", "jsonl"}))
      ->capture_default_str();
  command->add_option("-o,--output", *output, "Write to this file instead of standard output");
  command->add_flag("--pareto", *pareto, "Only the trials of the Pareto front");
  command->footer(
      "Columns: number, state, value(s), param_<name>..., metric_<name>..., start, end,\n"
      "duration_s, retry_of, failure_reason. JSON Lines keeps types and adds intermediate values.\n"
      "Examples:\n"
      "  winnow export --storage study.db --study quickstart --format csv > trials.csv\n"
      "  winnow export study.db --format jsonl -o trials.jsonl\n"
      "  winnow export study.db --pareto --format csv -o front.csv");
  return [location, format, output, pareto] {
    check_output_is_not_input(*output, *location);
    ResolvedStudies resolved = resolve_studies(*location);
    const StudyRecord& study = single_study(resolved);
    std::vector<FrozenTrial> trials = resolved.storage->trials(study.id);
    if (*pareto) {
      std::vector<FrozenTrial> front;
      for (size_t index : pareto_front_trials(trials, study.directions)) {
        front.push_back(trials[index]);
      }
      trials = std::move(front);
    }
    std::string text = *format == "csv" ? to_csv(make_trial_table(study, trials))
                                        : to_jsonl(study, trials);
    write_output(*output, text);
    return 0;
  };
}

}  // namespace winnow::cli
