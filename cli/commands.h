// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The `winnow` subcommands. Each registers itself on the CLI11 app and returns the function
// that runs it; main.cc turns winnow::Error into a message and exit status 2.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace winnow::cli {

using Command = std::function<int()>;

Command add_run_command(CLI::App& app, bool resume);
Command add_worker_command(CLI::App& app);
Command add_show_command(CLI::App& app);
Command add_export_command(CLI::App& app);
Command add_studies_command(CLI::App& app);
Command add_enqueue_command(CLI::App& app);
Command add_ask_command(CLI::App& app);
Command add_tell_command(CLI::App& app);
Command add_delete_command(CLI::App& app);
Command add_rename_command(CLI::App& app);
Command add_copy_command(CLI::App& app);
Command add_automl_command(CLI::App& app);
Command add_importance_command(CLI::App& app);
Command add_dashboard_command(CLI::App& app);
Command add_plot_command(CLI::App& app);
Command add_serve_command(CLI::App& app);

}  // namespace winnow::cli
