// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.h"
#include "winnow/error.h"

namespace {

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

CLI::App* find_subcommand(CLI::App& app, const std::string& name) {
  for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  return nullptr;
}

// After CLI11 refused the arguments: the first option the subcommand does not know, with a
// did-you-mean from its own options ("--trails" -> "--trials"), or "" when that is not the problem.
std::string unknown_option_message(CLI::App& command, int argc, char** argv) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
  }
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.rfind("--", 0) != 0) continue;
    std::string name = arg.substr(0, arg.find('='));
    if (name == "--help") continue;
    if (command.get_option_no_throw(name) == nullptr) {
      return "winnow " + command.get_name() + ": unknown option '" + name + "'" +
             winnow::did_you_mean(name, names) + "; see 'winnow help " + command.get_name() + "'";
    }
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"winnow: find the best configuration of anything that can be run and scored"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "winnow 0.1.0");
  app.footer(
      "Examples:\n"
      "  winnow run study.toml --jobs 4          tune; the study lives in study.db beside it\n"
      "  winnow resume study.toml                continue a stopped or killed study\n"
      "  winnow worker --storage postgresql://me@db/winnow --study NAME   one more machine\n"
      "  winnow show study.db                    best trials and a leaderboard\n"
      "  winnow studies study.db                 every study of a storage\n"
      "  winnow export --storage study.db --study quickstart --format csv\n"
      "  winnow importance study.db              which parameters matter\n"
      "  winnow dashboard study.db               plots and trials in a browser\n"
      "  winnow plot history study.db --out history.svg\n"
      "  winnow automl fit train.csv --target class --time-limit 10m --out model.winnow\n"
      "  winnow serve model.winnow --port 8500     predictions over HTTP (POST /predict)\n"
      "Run 'winnow help COMMAND' for the options of a command.");
  std::vector<std::pair<std::string, winnow::cli::Command>> named = {
      {"run", winnow::cli::add_run_command(app, false)},
      {"resume", winnow::cli::add_run_command(app, true)},
      {"worker", winnow::cli::add_worker_command(app)},
      {"show", winnow::cli::add_show_command(app)},
      {"export", winnow::cli::add_export_command(app)},
      {"studies", winnow::cli::add_studies_command(app)},
      {"enqueue", winnow::cli::add_enqueue_command(app)},
      {"ask", winnow::cli::add_ask_command(app)},
      {"tell", winnow::cli::add_tell_command(app)},
      {"delete", winnow::cli::add_delete_command(app)},
      {"rename", winnow::cli::add_rename_command(app)},
      {"copy", winnow::cli::add_copy_command(app)},
      {"automl", winnow::cli::add_automl_command(app)},
      {"importance", winnow::cli::add_importance_command(app)},
      {"dashboard", winnow::cli::add_dashboard_command(app)},
      {"plot", winnow::cli::add_plot_command(app)},
      {"serve", winnow::cli::add_serve_command(app)},
  };
  const std::vector<std::string> commands = subcommand_names(app);

  // `winnow help [COMMAND]`, and a did-you-mean for a misspelt command.
  if (argc >= 2 && std::string(argv[1]) == "help") {
    if (argc == 2) {
      std::cout << app.help();
      return 0;
    }
    if (CLI::App* command = find_subcommand(app, argv[2])) {
      std::cout << command->help();
      return 0;
    }
    std::cerr << "winnow help: no command '" << argv[2] << "'"
              << winnow::did_you_mean(argv[2], commands) << "\n";
    return 2;
  }
  if (argc >= 2 && argv[1][0] != '-' && find_subcommand(app, argv[1]) == nullptr) {
    std::cerr << "winnow: unknown command '" << argv[1] << "'"
              << winnow::did_you_mean(argv[1], commands) << "; commands: ";
    for (size_t i = 0; i < commands.size(); ++i) std::cerr << (i ? ", " : "") << commands[i];
    std::cerr << " ('winnow help' lists them)\n";
    return 2;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0 && argc >= 2) {
      if (CLI::App* command = find_subcommand(app, argv[1])) {
        std::string message = unknown_option_message(*command, argc, argv);
        if (!message.empty()) {
          std::cerr << message << "\n";
          return 2;
        }
      }
    }
    // Help and version print and exit 0; every mistake on the command line exits 2, as usage
    // errors conventionally do, whatever CLI11's own code for it.
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    for (const auto& [name, command] : named) {
      if (app.got_subcommand(name)) return command();
    }
  } catch (const winnow::Error& e) {
    std::cerr << "winnow: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "winnow: internal error: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
