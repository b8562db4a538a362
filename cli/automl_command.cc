// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// `winnow automl fit|show|predict|evaluate`: tabular AutoML from the command line
// (include/winnow/automl.h does the work).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "commands.h"
#include "validators.h"
#include "winnow/automl.h"
#include "winnow/command.h"
#include "winnow/error.h"

namespace winnow::cli {
namespace {

struct AutomlArgs {
  std::string csv;
  std::string model;
  std::string out;
  std::string target;
  std::string task = "auto";
  std::string metric;
  std::string time_limit = "10m";
  int64_t trials = 0;
  int jobs = 0;
  std::string memory_limit;
  uint64_t seed = 0;
  std::string storage;
  std::string study = "automl";
  std::string sampler = "auto";
  std::string scheduler = "none";
  std::vector<std::string> models, categorical, numeric, ignore;
  bool quiet = false;
  bool proba = false;
  bool best_single = false;
  bool refit = false;
  bool time_limit_given = false;
  bool json = false;
  bool front = false;
  std::string infer_limit;
  int infer_batch = 1;
  std::string front_method = "greedy";
};

// --infer-limit for predict and evaluate: keeps the model's ensemble if it answers within the
// limit, else switches to the most accurate ensemble of its front that does.
void apply_infer_limit(automl::Predictor& model, const AutomlArgs& args) {
  if (args.infer_limit.empty()) return;
  double limit = parse_duration(args.infer_limit, "--infer-limit");
  if (!model.choose_within(limit, args.infer_batch) && !args.quiet) {
    std::cerr << "note: no ensemble of the model answers within " << args.infer_limit
              << " per row at " << args.infer_batch
              << " rows per call on the machine that fitted it; using the fastest\n";
  }
}

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const std::string& item : items) {
    size_t start = 0;
    while (start <= item.size()) {
      size_t comma = item.find(',', start);
      if (comma == std::string::npos) comma = item.size();
      if (comma > start) out.push_back(item.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

// A CSV cell: quoted when it holds the delimiter, a quote or a line break.
std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string format_number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.9g", value);
  return text;
}

void print_notes(const std::vector<std::string>& notes) {
  for (const std::string& note : notes) std::cerr << "note: " << note << "\n";
}

// A model file that cannot be written is found before the search, not after it: the fit
// writes `path`.tmp and renames it onto `path` (Predictor::save).
void check_model_file_writable(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw Error("--out " + path + " is a directory; name the model file to write");
  }
  const std::string probe_path = path + ".tmp";
  const bool existed = std::filesystem::exists(probe_path, error);
  std::ofstream probe(probe_path, std::ios::binary | std::ios::app);
  if (!probe) {
    throw Error("cannot write model file " + path + ": " + std::strerror(errno) +
                " (checked before the search)");
  }
  probe.close();
  if (!existed) std::filesystem::remove(probe_path, error);
}

int run_fit(const AutomlArgs& args) {
  check_model_file_writable(args.out);
  automl::FitOptions options;
  options.target = args.target;
  options.task = args.task;
  options.metric = args.metric;
  options.time_limit_seconds =
      args.time_limit == "none" || args.time_limit == "0" ? 0 : parse_duration(args.time_limit, "--time-limit");
  options.trials = args.trials;
  // With --trials and no --time-limit, the trial budget alone ends the search.
  if (args.trials > 0 && !args.time_limit_given) options.time_limit_seconds = 0;
  options.jobs = args.jobs;
  if (!args.memory_limit.empty()) {
    options.memory_limit_bytes = static_cast<uint64_t>(parse_byte_size(args.memory_limit, "--memory-limit"));
  }
  options.seed = args.seed;
  options.refit = args.refit;
  if (!args.infer_limit.empty()) {
    options.infer_limit_seconds = parse_duration(args.infer_limit, "--infer-limit");
    if (options.infer_limit_seconds <= 0) throw Error("--infer-limit must be positive");
  }
  options.infer_batch = args.infer_batch;
  options.front_method = args.front_method;
  options.storage = args.storage;
  options.study_name = args.study;
  options.sampler = args.sampler;
  options.scheduler = args.scheduler;
  options.models = split_list(args.models);
  options.categorical_columns = split_list(args.categorical);
  options.numeric_columns = split_list(args.numeric);
  options.ignored_columns = split_list(args.ignore);
  options.live_progress = isatty(STDERR_FILENO) != 0;
  if (!args.quiet) {
    options.log = [](const std::string& line) {
      if (!line.empty() && line[0] == '\r') {
        std::cerr << "\r\033[K" << line.substr(1) << std::flush;
      } else if (line == "\n") {
        std::cerr << "\n";
      } else {
        std::cerr << line << "\n";
      }
    };
  }
  automl::Predictor model = automl::fit(args.csv, options);
  model.save(args.out);
  if (!args.quiet) std::cout << model.report() << "Model written to " << args.out << "\n";
  return 0;
}

int run_show(const AutomlArgs& args) {
  automl::Predictor model = automl::Predictor::load(args.model);
  if (args.json) {
    std::cout << model.summary_json() << "\n";
  } else if (args.front) {
    std::cout << model.front_report();
  } else {
    std::cout << model.report();
  }
  return 0;
}

int run_predict(const AutomlArgs& args) {
  automl::Predictor model = automl::Predictor::load(args.model);
  apply_infer_limit(model, args);
  std::vector<std::string> notes;
  automl::Predictions p = model.predict_csv(args.csv, &notes, args.best_single);
  if (!args.quiet) print_notes(notes);
  std::ofstream file;
  if (!args.out.empty() && args.out != "-") {
    file.open(args.out + ".tmp", std::ios::trunc);
    if (!file) throw Error("cannot write " + args.out);
  }
  std::ostream& out = file.is_open() ? static_cast<std::ostream&>(file) : std::cout;
  if (p.classes.empty()) {
    out << csv_cell(model.target()) << "\n";
    for (double v : p.values) out << format_number(v) << "\n";
  } else if (args.proba) {
    for (size_t c = 0; c < p.classes.size(); ++c) out << (c ? "," : "") << csv_cell(p.classes[c]);
    out << "\n";
    for (size_t r = 0; r < p.rows; ++r) {
      for (size_t c = 0; c < p.classes.size(); ++c) {
        out << (c ? "," : "") << format_number(p.probabilities[r * p.classes.size() + c]);
      }
      out << "\n";
    }
  } else {
    out << csv_cell(model.target()) << "\n";
    for (const std::string& label : p.labels) out << csv_cell(label) << "\n";
  }
  if (file.is_open()) {
    file.close();
    if (!file || std::rename((args.out + ".tmp").c_str(), args.out.c_str()) != 0) {
      throw Error("cannot write " + args.out);
    }
    if (!args.quiet) std::cerr << "wrote " << p.rows << " predictions to " << args.out << "\n";
  }
  return 0;
}

int run_evaluate(const AutomlArgs& args) {
  automl::Predictor model = automl::Predictor::load(args.model);
  apply_infer_limit(model, args);
  std::vector<std::string> notes;
  auto metrics = model.evaluate_csv(args.csv, &notes);
  if (!args.quiet) print_notes(notes);
  if (args.json) {
    std::cout << "{";
    for (size_t i = 0; i < metrics.size(); ++i) {
      std::cout << (i ? ", " : "") << "\"" << metrics[i].first << "\": " << format_number(metrics[i].second);
    }
    std::cout << "}\n";
  } else {
    for (const auto& [name, value] : metrics) std::cout << name << " " << format_number(value) << "\n";
  }
  return 0;
}

}  // namespace

Command add_automl_command(CLI::App& app) {
  auto args = std::make_shared<AutomlArgs>();
  CLI::App* automl = app.add_subcommand("automl", "Tabular AutoML: fit, show, predict, evaluate");
  automl->require_subcommand(1);
  automl->footer(
      "Examples:\n"
      "  winnow automl fit train.csv --target class --time-limit 10m --out model.winnow\n"
      "  winnow automl fit train.csv --target class --infer-limit 2ms --out fast.winnow\n"
      "  winnow automl show model.winnow --front\n"
      "  winnow automl predict model.winnow test.csv --out predictions.csv --proba\n"
      "  winnow automl evaluate model.winnow labelled.csv");

  CLI::App* fit = automl->add_subcommand("fit", "Search preprocessing and models, build an ensemble");
  fit->add_option("csv", args->csv, "Training data (CSV with a header)")->required();
  fit->add_option("--target", args->target, "Column to predict")->required();
  fit->add_option("--out", args->out, "Model file to write")->required();
  fit->add_option("--task", args->task, "auto, binary, multiclass or regression (default auto)");
  fit->add_option("--metric", args->metric,
                  "roc_auc, log_loss, accuracy, balanced_accuracy, f1, rmse, mae, r2 (default: "
                  "roc_auc binary, log_loss multiclass, rmse regression)");
  fit->add_option("--time-limit", args->time_limit,
                  "Wall-clock limit of the whole fit, e.g. 90s, 10m, 1h (default 10m, none "
                  "with --trials)");
  fit->add_option("--trials", args->trials,
                  "Number of trials instead of a time limit (reproducible with --seed)");
  fit->add_option("--jobs", args->jobs, "Threads (default: one per core)");
  fit->add_option("--memory-limit", args->memory_limit,
                  "Resident memory limit, e.g. 4GB (default: 80% of the machine)");
  fit->add_option("--seed", args->seed, "Seed of the search, folds and models (default 0)")
      ->transform(seed_value());
  fit->add_option("--storage", args->storage,
                  "Keep the search as a study in this storage (SQLite path or URL); a fit "
                  "interrupted and started again resumes it");
  fit->add_option("--study", args->study, "Study name in the storage (default automl)");
  fit->add_option("--sampler", args->sampler, "Sampler of the search (default auto)");
  fit->add_option("--scheduler", args->scheduler,
                  "Multi-fidelity over the fraction of training rows: asha, hyperband, sh "
                  "(default none)");
  fit->add_option("--models", args->models,
                  "Only these families: xgboost, random_forest, extra_trees, linear, knn, mlp, svm");
  fit->add_option("--categorical", args->categorical, "Columns to read as categorical");
  fit->add_option("--numeric", args->numeric, "Columns to read as numeric");
  fit->add_option("--ignore", args->ignore, "Columns not to use");
  fit->add_flag("--refit", args->refit,
                "Refit the ensemble's members on all rows (default: average their fold models)");
  fit->add_option("--infer-limit", args->infer_limit,
                  "Keep plain greedy selection's ensemble if its inference time per row "
                  "(preprocessing counted) is within this, e.g. 2ms, 50us, else use the most "
                  "accurate one that is (default: no limit)");
  fit->add_option("--infer-batch", args->infer_batch,
                  "Rows per call the --infer-limit is for: 1 or 1000 (default 1)");
  fit->add_option("--front-method", args->front_method,
                  "How the accuracy/time front of ensembles is built: greedy or nsga2 "
                  "(default greedy)");
  fit->add_flag("--quiet", args->quiet, "Print nothing but errors");

  CLI::App* show = automl->add_subcommand("show", "Leaderboard, ensemble members and weights, times");
  show->add_option("model", args->model, "Model file")->required();
  show->add_flag("--json", args->json, "Print the summary as JSON");
  show->add_flag("--front", args->front,
                 "Print the front of ensembles: accuracy against inference time per row");

  CLI::App* predict = automl->add_subcommand("predict", "Predict the rows of a CSV file");
  predict->add_option("model", args->model, "Model file")->required();
  predict->add_option("csv", args->csv, "Data to predict (CSV with a header)")->required();
  predict->add_option("--out", args->out, "Predictions CSV to write (default: standard output)");
  predict->add_flag("--proba", args->proba, "One probability column per class");
  predict->add_flag("--best-single", args->best_single,
                    "Predict with the best single trial instead of the ensemble");
  predict->add_option("--infer-limit", args->infer_limit,
                      "Keep the model's ensemble if it answers within this time per row, e.g. "
                      "1ms, else predict with the most accurate ensemble of its front that does");
  predict->add_option("--infer-batch", args->infer_batch,
                      "Rows per call the --infer-limit is for: 1 or 1000 (default 1)");
  predict->add_flag("--quiet", args->quiet, "No notes");

  CLI::App* evaluate = automl->add_subcommand("evaluate", "The task's metrics on labelled data");
  evaluate->add_option("model", args->model, "Model file")->required();
  evaluate->add_option("csv", args->csv, "Labelled data (CSV with the target column)")->required();
  evaluate->add_flag("--json", args->json, "Print the metrics as a JSON object");
  evaluate->add_option("--infer-limit", args->infer_limit,
                       "Keep the model's ensemble if it answers within this time per row, else "
                       "evaluate the most accurate one that does");
  evaluate->add_option("--infer-batch", args->infer_batch, "1 or 1000 (default 1)");
  evaluate->add_flag("--quiet", args->quiet, "No notes");

  return [=]() -> int {
    args->time_limit_given = fit->count("--time-limit") > 0;
    if (fit->parsed()) return run_fit(*args);
    if (show->parsed()) return run_show(*args);
    if (predict->parsed()) return run_predict(*args);
    return run_evaluate(*args);
  };
}

}  // namespace winnow::cli
