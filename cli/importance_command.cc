// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "commands.h"
#include "storage_args.h"
#include "validators.h"
#include "winnow/error.h"
#include "winnow/importance.h"

namespace winnow::cli {

Command add_importance_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "importance", "Rate how much each parameter matters to an objective (fANOVA or PED-ANOVA)");
  auto location = std::make_shared<StorageArgs>();
  auto method = std::make_shared<std::string>("fanova");
  auto json = std::make_shared<bool>(false);
  auto params = std::make_shared<std::vector<std::string>>();
  auto options = std::make_shared<ImportanceOptions>();
  command->add_option("location", location->positional,
                      "Storage URL, SQLite file or study file (same as --storage)");
  add_storage_options(*command, *location);
  command->add_option("--method", *method,
                      "fanova: a random forest's functional ANOVA, with its spread over the "
                      "trees; ped-anova: how the best trials' values differ from all (fast)")
      ->check(CLI::IsMember({"fanova", "ped-anova"}))
      ->capture_default_str();
  command->add_option("--objective", options->objective,
                      "Which objective of a multi-objective study, from 0")
      ->capture_default_str();
  command->add_option("--params", *params, "Only these parameters (comma-separated)")
      ->delimiter(',');
  command->add_option("--trees", options->n_trees, "fANOVA: trees in the forest")
      ->capture_default_str()
      ->check(at_least(1));
  command->add_option("--max-trials", options->max_trials,
                      "fANOVA: fit on a random sample of this many trials of a larger study "
                      "(0: all)")
      ->capture_default_str();
  command->add_option("--seed", options->seed, "fANOVA: seed of the forest")
      ->transform(seed_value())
      ->capture_default_str();
  command->add_option("--quantile", options->target_quantile,
                      "PED-ANOVA: the best trials are this quantile of the values")
      ->capture_default_str();
  command->add_flag("--json", *json, "Print the result as JSON");
  command->footer(
      "Importances are fractions that sum to 1. A conditional parameter is rated on the trials\n"
      "where it is active, weighted by their share (docs/importance.md).\n"
      "Examples:\n"
      "  winnow importance study.db\n"
      "  winnow importance --storage study.db --study resnet --method ped-anova --json\n"
      "  winnow importance study.db --objective 1 --params lr,depth");
  return [location, method, json, params, options] {
    ResolvedStudies resolved = resolve_studies(*location);
    const StudyRecord& study = single_study(resolved);
    ImportanceOptions chosen = *options;
    chosen.method = *importance_method_from_string(*method);
    chosen.params = *params;
    const ImportanceReport report =
        parameter_importance(study, resolved.storage->trials(study.id), chosen);
    std::cout << (*json ? importance_json(report) + "\n" : importance_table(report));
    return 0;
  };
}

}  // namespace winnow::cli
