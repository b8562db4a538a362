// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.h"
#include "winnow/error.h"

int main(int argc, char** argv) {
  CLI::App app{"winnow: find the best configuration of anything that can be run and scored"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "winnow 0.1.0");
  app.footer(
      "Examples:\n"
      "  winnow run study.toml --jobs 4          tune; the study lives in study.db beside it\n"
      "  winnow resume study.toml                continue a stopped or killed study\n"
      "  winnow show study.db                    best trials and a leaderboard\n"
      "  winnow export --storage study.db --study quickstart --format csv\n"
      "Run 'winnow COMMAND --help' for the options of a command.");
  std::vector<std::pair<std::string, winnow::cli::Command>> named = {
      {"run", winnow::cli::add_run_command(app, false)},
      {"resume", winnow::cli::add_run_command(app, true)},
      {"show", winnow::cli::add_show_command(app)},
      {"export", winnow::cli::add_export_command(app)},
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
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
