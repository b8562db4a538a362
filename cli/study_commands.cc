// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Commands that manage studies and drive trials by hand:
//   winnow studies STORAGE                 one line per study
//   winnow delete / rename / copy          manage studies, also between storages
//   winnow enqueue study.toml k=v ...      queue a configuration
//   winnow ask study.toml [--json]         start a trial, print its parameters
//   winnow tell study.toml --trial N ...   finish it with values, pruned or failed
// `ask` and `tell` let a shell script or a cluster scheduler run the objective itself.
#include <CLI/CLI.hpp>
#include <charconv>
#include <optional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "commands.h"
#include "storage_args.h"
#include "validators.h"
#include "winnow/error.h"
#include "winnow/study.h"
#include "winnow/study_file.h"

namespace winnow::cli {
namespace {

// Text from the command line as the most specific value it reads as: an integer, a number,
// true/false, else a string. SearchSpace::coerce then brings it to the parameter's type.
ParamValue parse_cli_value(const std::string& text) {
  int64_t integer = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), integer);
  if (error == std::errc() && end == text.data() + text.size()) return integer;
  char* number_end = nullptr;
  double number = std::strtod(text.c_str(), &number_end);
  if (!text.empty() && number_end == text.c_str() + text.size()) return number;
  if (text == "true") return true;
  if (text == "false") return false;
  return text;
}

// "lr=0.01 layers=3" -> a configuration of the file's space; winnow::Error names a bad item.
Config parse_assignments(const std::vector<std::string>& items, const SearchSpace& space) {
  Config config;
  for (const std::string& item : items) {
    size_t equals = item.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw Error("'" + item + "': expected name=value, e.g. lr=0.01");
    }
    std::string name = item.substr(0, equals);
    if (space.find(name) == nullptr) {
      std::vector<std::string> names;
      for (const ParamSpec& spec : space.params()) names.push_back(spec.name);
      throw Error("'" + item + "': the space has no parameter '" + name + "'" +
                  did_you_mean(name, names));
    }
    const std::string text = item.substr(equals + 1);
    const ParamSpec& spec = *space.find(name);
    // A string choice is picked by its text even when that reads as a number or a boolean
    // ("1e-3", "007", "true"); in quotes ("1") it is picked over a number choice of that value.
    auto string_choice = [&](const std::string& wanted) -> std::optional<ParamValue> {
      for (const ParamValue& choice : spec.choices) {
        if (const auto* s = std::get_if<std::string>(&choice); s != nullptr && *s == wanted) {
          return choice;
        }
      }
      return std::nullopt;
    };
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
      if (auto chosen = string_choice(text.substr(1, text.size() - 2))) {
        config[name] = *chosen;
        continue;
      }
    }
    try {
      config[name] = space.coerce(name, parse_cli_value(text));
    } catch (const Error&) {
      std::optional<ParamValue> chosen = string_choice(text);
      if (!chosen) throw;
      config[name] = *chosen;
    }
  }
  return config;
}

// A study file, and flags that override its storage and study name.
struct FileStudyArgs {
  std::string file;
  std::string storage;
  std::string study;
};

void add_file_study_options(CLI::App& command, FileStudyArgs& args) {
  command.add_option("file", args.file, "Study file (.toml, .yaml, .json)")->required();
  command.add_option("--storage", args.storage, "Storage URL (default: the file's)");
  command.add_option("--study", args.study, "Study name (default: the file's)");
}

// Opens the study a study file describes (creating it when new, as `run` would); `trials`, when
// given, receives the file's trial budget.
StudyFile load_file_study(const FileStudyArgs& args) {
  StudyFile file = load_study_file(args.file);
  if (!args.storage.empty()) file.storage = args.storage;
  if (!args.study.empty()) file.study.name = args.study;
  return file;
}

Study open_file_study(const StudyFile& file) {
  return Study::create(open_storage(file.storage, file.storage_options), file.space, file.study);
}

Study open_file_study(const FileStudyArgs& args, int64_t* trials = nullptr) {
  StudyFile file = load_file_study(args);
  if (trials != nullptr) *trials = file.trials;
  return open_file_study(file);
}

std::string describe_config(const Config& config) {
  std::string text;
  for (const auto& [name, value] : config) {
    text += (text.empty() ? "" : " ") + name + "=" + to_string(value);
  }
  return text;
}

}  // namespace

Command add_studies_command(CLI::App& app) {
  auto* command = app.add_subcommand("studies", "List the studies of a storage");
  auto location = std::make_shared<StorageArgs>();
  command->add_option("location", location->positional, "Storage URL or SQLite file");
  command->add_option("--storage", location->storage, "Storage URL (same as the argument)");
  command->footer("Example:\n  winnow studies study.db");
  return [location] {
    ResolvedStudies resolved = resolve_studies(*location, /*allow_empty=*/true);
    std::cout << studies_report(*resolved.storage);
    return 0;
  };
}

Command add_enqueue_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "enqueue", "Queue a configuration: the study's next trial evaluates it before sampling");
  auto args = std::make_shared<FileStudyArgs>();
  auto items = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  add_file_study_options(*command, *args);
  command->add_option("params", *items, "name=value for every active parameter")->required();
  command->add_flag("--force", *force, "Queue it even if the study already has it");
  command->footer("Example:\n  winnow enqueue study.toml lr=0.001 layers=4 optimizer=adam");
  return [args, items, force] {
    // The configuration is checked before the study is opened: a mistake changes no storage.
    StudyFile file = load_file_study(*args);
    Config config = parse_assignments(*items, file.space);
    Study opened = open_file_study(file);
    bool queued = true;
    if (*force) {
      opened.enqueue(config);
    } else {
      queued = opened.enqueue_unless_present(config);
    }
    std::cout << (queued ? "queued: " : "already in the study (use --force to queue it again): ")
              << describe_config(config) << "\n";
    return 0;
  };
}

Command add_ask_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "ask", "Start a trial and print its number and parameters (finish it with 'winnow tell')");
  auto args = std::make_shared<FileStudyArgs>();
  auto json = std::make_shared<bool>(false);
  auto trials = std::make_shared<std::optional<int64_t>>();
  add_file_study_options(*command, *args);
  command->add_flag("--json", *json, "Print {\"number\": N, \"params\": {...}} instead of lines");
  command->add_option("--trials", *trials,
                      "Trial budget of the study, as for run (default: the file's; 0: no limit)")
      ->check(at_least(0));
  command->footer(
      "Prints 'number=N' then one 'name=value' line per parameter. The trial stays running\n"
      "until 'winnow tell'; no process owns it, so a resume never fails it.\n"
      "Example:\n"
      "  eval \"$(winnow ask study.toml | sed 's/^/export WINNOW_/')\"\n"
      "  winnow tell study.toml --trial \"$WINNOW_number\" --value \"$(./train.sh)\"");
  return [args, json, trials] {
    int64_t budget = 0;
    Study opened = open_file_study(*args, &budget);
    if (*trials) budget = **trials;
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    // The budget holds for asked trials as for run's: checked and claimed in one step.
    std::optional<Trial> trial = opened.try_ask(budget, std::string("ask@") + host);
    if (!trial && budget > 0 && opened.counted_trials() >= budget) {
      throw Error("study '" + opened.name() + "' already holds its " + std::to_string(budget) +
                  " trials; raise trials, or pass --trials N (0 for no limit)");
    }
    if (!trial) throw Error("study '" + opened.name() + "': the sampler has nothing left to propose");
    if (*json) {
      nlohmann::json params = nlohmann::json::object();
      for (const auto& [name, value] : trial->config()) {
        std::visit([&](const auto& v) { params[name] = v; }, value);
      }
      std::cout << nlohmann::json{{"number", trial->number()}, {"params", params}}.dump() << "\n";
    } else {
      std::cout << "number=" << trial->number() << "\n";
      for (const auto& [name, value] : trial->config()) {
        std::cout << name << "=" << to_string(value) << "\n";
      }
    }
    return 0;
  };
}

Command add_tell_command(CLI::App& app) {
  auto* command = app.add_subcommand("tell", "Finish a trial started with 'winnow ask'");
  auto args = std::make_shared<FileStudyArgs>();
  auto number = std::make_shared<int64_t>(-1);
  auto values = std::make_shared<std::vector<double>>();
  auto state = std::make_shared<std::string>("complete");
  auto reason = std::make_shared<std::string>();
  add_file_study_options(*command, *args);
  command->add_option("--trial", *number, "Number of the trial")->required();
  command->add_option("--value,--values", *values, "One value per objective")
      ->delimiter(',')
      ->check(CLI::Validator(
          [](std::string& text) {
            // CLI11 reads an empty text as 0, a value nobody measured.
            return text.find_first_not_of(" \t") == std::string::npos ? std::string("empty value")
                                                                        : std::string();
          },
          "NUMBER"));
  command->add_option("--state", *state, "complete (default), pruned or failed")
      ->check(CLI::IsMember({"complete", "pruned", "failed"}));
  command->add_option("--reason", *reason, "Why it failed (with --state failed)");
  command->footer(
      "Examples:\n"
      "  winnow tell study.toml --trial 7 --value 0.031\n"
      "  winnow tell study.toml --trial 8 --values 0.2,35   (two objectives)\n"
      "  winnow tell study.toml --trial 9 --state failed --reason \"out of memory\"");
  return [args, number, values, state, reason] {
    Study opened = open_file_study(*args);
    std::optional<Trial> trial = opened.running_trial(*number);
    if (!trial) {
      throw Error("study '" + opened.name() + "' has no running trial " + std::to_string(*number) +
                  " (see 'winnow show " + args->file + " --trial " + std::to_string(*number) + "')");
    }
    TrialOutcome outcome;
    if (*state == "complete") {
      if (values->size() != opened.options().directions.size()) {
        throw Error("--value: the study has " +
                    std::to_string(opened.options().directions.size()) + " objective(s), got " +
                    std::to_string(values->size()) + " value(s)");
      }
      outcome.values = *values;
    } else if (*state == "pruned") {
      outcome.state = TrialState::kPruned;
    } else {
      outcome.state = TrialState::kFailed;
      outcome.failure_reason = reason->empty() ? "failed (told by 'winnow tell')" : *reason;
    }
    opened.tell(*trial, outcome);
    std::cout << "trial " << *number << ": " << to_string(trial->record().state) << "\n";
    return 0;
  };
}

Command add_delete_command(CLI::App& app) {
  auto* command = app.add_subcommand("delete", "Delete a study and all its trials");
  auto location = std::make_shared<StorageArgs>();
  auto yes = std::make_shared<bool>(false);
  command->add_option("location", location->positional, "Storage URL or SQLite file");
  add_storage_options(*command, *location);
  command->add_flag("--yes", *yes, "Really delete (without it, only says what would go)");
  command->footer("Example:\n  winnow delete study.db --study old-sweep --yes");
  return [location, yes] {
    if (location->study.empty()) throw Error("delete: name the study with --study NAME");
    ResolvedStudies resolved = resolve_studies(*location);
    const StudyRecord& study = single_study(resolved);
    size_t trials = resolved.storage->trials(study.id).size();
    if (!*yes) {
      std::cout << "would delete study '" << study.name << "' and its " << trials
                << " trial(s) from " << resolved.storage->url() << "; add --yes to do it\n";
      return 1;
    }
    resolved.storage->delete_study(study.id);
    std::cout << "deleted study '" << study.name << "' and its " << trials << " trial(s)\n";
    return 0;
  };
}

Command add_rename_command(CLI::App& app) {
  auto* command = app.add_subcommand("rename", "Rename a study");
  auto location = std::make_shared<StorageArgs>();
  auto new_name = std::make_shared<std::string>();
  command->add_option("location", location->positional, "Storage URL or SQLite file");
  add_storage_options(*command, *location);
  command->add_option("--to", *new_name, "The new name")->required();
  command->footer("Example:\n  winnow rename study.db --study lr-sweep --to lr-sweep-v1");
  return [location, new_name] {
    ResolvedStudies resolved = resolve_studies(*location);
    const StudyRecord& study = single_study(resolved);
    resolved.storage->rename_study(study.id, *new_name);
    std::cout << "renamed study '" << study.name << "' to '" << *new_name << "'\n";
    return 0;
  };
}

Command add_copy_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "copy", "Copy a study with all its trials, within a storage or into another one");
  auto location = std::make_shared<StorageArgs>();
  auto target = std::make_shared<std::string>();
  auto as = std::make_shared<std::string>();
  command->add_option("location", location->positional, "Storage URL or SQLite file");
  add_storage_options(*command, *location);
  command->add_option("--to", *target, "Storage to copy into (default: the same one)");
  command->add_option("--as", *as, "Name of the copy (default: the same name)");
  command->footer(
      "Trials keep their numbers, states, values, parameters, metrics, constraints,\n"
      "intermediate values, attributes and failure reasons; their start and end times are\n"
      "those of the copy. A trial that was running is copied as failed and interrupted.\n"
      "Examples:\n"
      "  winnow copy study.db --study sweep --to sqlite:///archive/all.db\n"
      "  winnow copy study.db --study sweep --as sweep-backup");
  return [location, target, as] {
    ResolvedStudies resolved = resolve_studies(*location);
    const StudyRecord& study = single_study(resolved);
    std::shared_ptr<Storage> destination =
        target->empty() ? resolved.storage
                        : std::shared_ptr<Storage>(
                              open_storage(*target, interactive_storage_options()));
    StudyRecord copy = study;
    copy.name = as->empty() ? study.name : *as;
    if (destination->url() == resolved.storage->url() && copy.name == study.name) {
      throw Error("copy: the copy needs another name (--as) or another storage (--to)");
    }
    int64_t copied = copy_study(*resolved.storage, study, *destination, copy);
    std::cout << "copied study '" << study.name << "' (" << copied << " trial(s)) to '"
              << copy.name << "' in " << destination->url() << "\n";
    return 0;
  };
}

}  // namespace winnow::cli
