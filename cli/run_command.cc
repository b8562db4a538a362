// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// `winnow run`, `winnow resume` and `winnow worker`: load a study file (a worker: the definition
// stored with the study by `run`), open (or create) its study, recover trials left running by a
// dead process, and evaluate the command objective until the study's trial budget, its timeout
// or Ctrl-C.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>

#include "commands.h"
#include "validators.h"
#include "progress.h"
#include "winnow/attributes.h"
#include "winnow/command.h"
#include "winnow/configuration.h"
#include "winnow/error.h"
#include "winnow/scheduler.h"
#include "winnow/study.h"
#include "winnow/study_file.h"

namespace winnow::cli {
namespace {

struct RunArgs {
  std::string file;
  std::string storage;
  std::string study;
  std::optional<int64_t> trials;
  std::optional<int> jobs;
  std::string timeout;
  std::string sampler;
  std::string scheduler;
  std::optional<uint64_t> seed;
  bool requeue = false;
  bool quiet = false;
  std::string durability;
  std::optional<double> target;
  std::optional<int64_t> patience;
  std::optional<int64_t> max_failures;
  std::optional<int64_t> fail_fast;
  std::string lease;
  bool create_only = false;
};

enum class Mode { kRun, kResume, kWorker };

// The settings of `run` a worker must apply as well: stored with the study's definition.
nlohmann::json stored_settings(const RunArgs& args) {
  nlohmann::json json = nlohmann::json::object();
  if (args.trials) json["trials"] = *args.trials;
  if (args.jobs) json["jobs"] = *args.jobs;
  if (!args.timeout.empty()) json["timeout"] = args.timeout;
  if (!args.sampler.empty()) json["sampler"] = args.sampler;
  if (!args.scheduler.empty()) json["scheduler"] = args.scheduler;
  if (args.seed) json["seed"] = *args.seed;
  if (args.requeue) json["requeue_interrupted"] = true;
  if (args.target) json["target"] = *args.target;
  if (args.patience) json["patience"] = *args.patience;
  if (args.max_failures) json["max_failures"] = *args.max_failures;
  if (args.fail_fast) json["fail_fast"] = *args.fail_fast;
  if (!args.lease.empty()) json["lease"] = args.lease;
  return json;
}

// A worker's flags win over the stored settings, which win over the study file.
void adopt_stored_settings(const nlohmann::json& json, RunArgs& args) {
  if (!args.trials && json.contains("trials")) args.trials = json["trials"].get<int64_t>();
  if (!args.jobs && json.contains("jobs")) args.jobs = json["jobs"].get<int>();
  if (args.timeout.empty()) args.timeout = json.value("timeout", "");
  args.sampler = json.value("sampler", "");
  args.scheduler = json.value("scheduler", "");
  if (json.contains("seed")) args.seed = json["seed"].get<uint64_t>();
  args.requeue = args.requeue || json.value("requeue_interrupted", false);
  if (json.contains("target")) args.target = json["target"].get<double>();
  if (json.contains("patience")) args.patience = json["patience"].get<int64_t>();
  if (json.contains("max_failures")) args.max_failures = json["max_failures"].get<int64_t>();
  if (!args.fail_fast && json.contains("fail_fast")) args.fail_fast = json["fail_fast"].get<int64_t>();
  if (args.lease.empty()) args.lease = json.value("lease", "");
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const char* format_name(StudyFileFormat format) {
  switch (format) {
    case StudyFileFormat::kToml: return "toml";
    case StudyFileFormat::kYaml: return "yaml";
    case StudyFileFormat::kJson: return "json";
  }
  return "toml";
}

// The definition `winnow run` stored with the study; empty when there is none.
nlohmann::json stored_definition(const std::optional<StudyRecord>& study) {
  if (!study) return nlohmann::json();
  auto it = study->user_attrs.find(std::string(kStudyDefinitionAttr));
  if (it == study->user_attrs.end()) return nlohmann::json();
  nlohmann::json parsed = nlohmann::json::parse(it->second, nullptr, false);
  return parsed.is_object() ? parsed : nlohmann::json();
}

// The study file a worker runs: the one `winnow run` stored with the study.
StudyFile load_stored_definition(RunArgs& args) {
  if (args.storage.empty() || args.study.empty()) {
    throw Error("winnow worker needs --storage URL and --study NAME");
  }
  std::shared_ptr<Storage> storage = open_storage(args.storage);
  std::optional<StudyRecord> record = storage->find_study(args.study);
  if (!record) {
    std::string names;
    for (const auto& s : storage->list_studies()) names += " " + s.name;
    throw Error("no study '" + args.study + "' in " + storage->url() +
                (names.empty() ? " (it holds no study)" : "; studies:" + names));
  }
  auto stored = record->user_attrs.find(std::string(kStudyDefinitionAttr));
  if (stored == record->user_attrs.end()) {
    throw Error("study '" + args.study + "' in " + storage->url() +
                " has no stored definition for workers: start it with 'winnow run STUDY_FILE "
                "--storage " + storage->url() + "' first (studies made by the Python module or "
                "the C++ API are run by their own programs)");
  }
  nlohmann::json definition;
  try {
    definition = nlohmann::json::parse(stored->second);
    std::string format = definition.at("format").get<std::string>();
    std::string path = definition.at("path").get<std::string>();
    StudyFileFormat parsed = format == "yaml"   ? StudyFileFormat::kYaml
                             : format == "json" ? StudyFileFormat::kJson
                                                : StudyFileFormat::kToml;
    adopt_stored_settings(definition.value("settings", nlohmann::json::object()), args);
    args.file = path;
    return parse_study_file(definition.at("text").get<std::string>(), parsed, path);
  } catch (const nlohmann::json::exception& error) {
    throw Error("study '" + args.study + "': its stored definition is damaged: " + error.what());
  }
}

// A budget scheduler rebuilds its rungs from the stored trials, so it must read them on the
// ladder they ran on: another [budget] or budget scheduler on a resume would put trials on
// stages they were not planned for, and strand others. Throws winnow::Error when they differ.
void check_same_ladder(const nlohmann::json& stored, const StudyFile& file) {
  if (!stored.contains("text") || !stored.contains("format") || !file.study.budget) return;
  StudyFile before;
  try {
    const std::string format = stored["format"].get<std::string>();
    before = parse_study_file(stored["text"].get<std::string>(),
                              format == "yaml"   ? StudyFileFormat::kYaml
                              : format == "json" ? StudyFileFormat::kJson
                                                 : StudyFileFormat::kToml,
                              stored.value("path", std::string("study")));
  } catch (const std::exception&) {
    return;  // a definition this version cannot read says nothing about the ladder
  }
  const nlohmann::json settings = stored.value("settings", nlohmann::json::object());
  const std::string scheduler_before = settings.value("scheduler", before.study.scheduler);
  auto assigns = [](const std::string& spec) {
    return create_scheduler(SamplerSpec::parse(spec), 0)->assigns_budgets();
  };
  if (!before.study.budget || !assigns(scheduler_before) || !assigns(file.study.scheduler)) {
    return;
  }
  const BudgetSpec& was = *before.study.budget;
  const BudgetSpec& now = *file.study.budget;
  std::string change;
  auto differ = [&](const char* key, double a, double b) {
    if (a != b && change.empty()) {
      change = std::string("[budget] ") + key + " " + was.format(a) + " -> " + now.format(b);
    }
  };
  differ("min", was.min, now.min);
  differ("max", was.max, now.max);
  differ("eta", was.eta, now.eta);
  if (change.empty() && SamplerSpec::parse(scheduler_before).name !=
                            SamplerSpec::parse(file.study.scheduler).name) {
    change = "scheduler " + scheduler_before + " -> " + file.study.scheduler;
  }
  if (!change.empty()) {
    throw Error("study '" + file.study.name + "' ran its trials on another ladder (" + change +
                "): its stored rungs would be read on the new one, reopening finished ones and "
                "stranding others. Go on with the study's [budget] and scheduler, or start a "
                "new study with --study NAME");
  }
}

StopSignal* g_stop = nullptr;
std::atomic<int> g_interrupts{0};

void on_interrupt(int) {
  int count = ++g_interrupts;
  if (count == 1) {
    const char message[] =
        "\nwinnow: stopping: running trials are being ended (Ctrl-C again to quit at once)\n";
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, message, sizeof(message) - 1);
    if (g_stop != nullptr) g_stop->request();
  } else {
    kill_all_running_commands();
    const char message[] = "\nwinnow: quitting now; running trials will be marked failed on resume\n";
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, message, sizeof(message) - 1);
    ::_exit(130);
  }
}

void install_signal_handlers() {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

int run(RunArgs args, Mode mode) {
  const bool resume = mode != Mode::kRun;
  std::string file_text;
  StudyFile file;
  if (mode == Mode::kWorker) {
    file = load_stored_definition(args);
  } else {
    file = load_study_file(args.file);
    file_text = read_text(args.file);
  }
  // Flags override the file.
  if (!args.storage.empty()) file.storage = args.storage;
  if (!args.study.empty()) file.study.name = args.study;
  if (args.trials) file.trials = *args.trials;
  if (args.jobs) file.jobs = *args.jobs;
  if (!args.timeout.empty()) file.timeout_seconds = parse_duration(args.timeout, "--timeout");
  if (!args.sampler.empty()) file.study.sampler = args.sampler;
  if (!args.scheduler.empty()) file.study.scheduler = args.scheduler;
  if (args.seed) file.study.seed = *args.seed;
  if (args.requeue) file.requeue_interrupted = true;
  if (!args.durability.empty()) {
    std::optional<Durability> durability = durability_from_string(args.durability);
    if (!durability) {
      throw Error("--durability '" + args.durability + "': expected 'normal' or 'full'");
    }
    file.storage_options.durability = *durability;
  }
  if (args.target) file.stopping.target_value = *args.target;
  if (args.patience) file.stopping.patience = *args.patience;
  if (args.max_failures) file.stopping.max_failures = *args.max_failures;
  if (args.fail_fast) file.stopping.fail_fast = *args.fail_fast;
  if (!args.lease.empty()) {
    file.study.lease_seconds = parse_duration(args.lease, "--lease");
    if (!(file.study.lease_seconds > 0)) throw Error("--lease '" + args.lease + "' must be > 0");
  }
  if (file.study.instances) {
    auto instances = std::make_shared<InstanceSet>(*file.study.instances);
    instances->budget_runs = file.trials;
    file.study.instances = std::move(instances);
  }
  if (file.jobs < 1) throw Error("--jobs = " + std::to_string(file.jobs) + ". Violated constraint: >= 1");

  std::shared_ptr<Storage> storage = open_storage(file.storage, file.storage_options);
  std::optional<StudyRecord> existing = storage->find_study(file.study.name);
  if (resume && !existing) {
    throw Error("nothing to resume: no study '" + file.study.name + "' in " + storage->url() +
                " (start it with 'winnow run " + args.file + "')");
  }
  // The seed belongs to the study: a process given none uses the one stored with it, so that
  // all of them share one sequence and never propose the same configuration. A study created
  // without a seed gets one drawn here and stored.
  const nlohmann::json stored = stored_definition(existing);
  if (stored.contains("settings") && stored["settings"].contains("seed")) {
    const auto stored_seed = stored["settings"]["seed"].get<uint64_t>();
    if (file.study.seed && *file.study.seed != stored_seed) {
      const std::string told = std::to_string(*file.study.seed);
      const std::string kept = std::to_string(stored_seed);
      // Another seed would give this process another sequence than the study's others, which
      // could then propose a configuration twice.
      if (args.seed && mode != Mode::kWorker) {
        throw Error("study '" + file.study.name + "' was created with seed " + kept +
                    "; --seed " + told +
                    " would give this process a sequence of its own. Leave --seed out to go on "
                    "with the study's, or start a new study with --study NAME");
      }
      std::cerr << "winnow: note: study '" << file.study.name << "' was created with seed "
                << kept << "; the study file's seed " << told << " is not used\n";
    }
    file.study.seed = stored_seed;
  }
  if (mode != Mode::kWorker) check_same_ladder(stored, file);
  if (mode == Mode::kRun && stored.empty() && !file.study.seed) {
    file.study.seed = std::random_device{}();
  }
  // A worker runs the study's space as stored: `winnow run` with an edited study file may have
  // widened it since the definition workers read was stored.
  if (mode == Mode::kWorker && existing && !existing->space_json.empty()) {
    file.space = space_from_json(existing->space_json);
  }
  // The runs folder is checked before anything is written to the storage (a widened space, a
  // new study, its definition, its orphans recovered): a run refused here changes nothing.
  std::string runs_dir;
  if (existing) {
    runs_dir = claim_study_runs_dir(file.objective.runs_dir, *existing, storage->url());
  } else {
    check_study_runs_dir_free(file.objective.runs_dir, file.study.name, storage->url());
  }
  Study study = Study::create(storage, file.space, file.study);
  if (!existing) runs_dir = claim_study_runs_dir(file.objective.runs_dir, study.record(), storage->url());
  if (mode == Mode::kRun && stored.empty()) {
    // Workers on other hosts run the study from this alone. Paths in it are absolute already.
    RunArgs settings = args;
    settings.seed = file.study.seed;
    nlohmann::json definition = {
        {"version", 1},
        {"path", std::filesystem::absolute(args.file).lexically_normal().string()},
        {"format", format_name(study_file_format(args.file))},
        {"text", file_text},
        {"settings", stored_settings(settings)}};
    storage->set_study_user_attr(study.id(), kStudyDefinitionAttr, definition.dump());
  }
  // [[enqueue]] configurations the study has not tried or queued yet (one added to the file of
  // a running study is picked up by the next run or resume). Queued before a --create-only
  // return, since the workers that run such a study leave [[enqueue]] to `run`: several
  // starting at once would each queue them.
  int enqueued = 0;
  if (mode != Mode::kWorker) {
    for (const Config& config : file.enqueue) enqueued += study.enqueue_unless_present(config);
  }
  if (existing && enqueued > 0) {
    std::cerr << "winnow: " << enqueued << " new configuration(s) from [[enqueue]] queued\n";
  }
  if (args.create_only) {
    std::cerr << "winnow: study '" << study.name() << "' is ready in " << storage->url()
              << "; start workers with: winnow worker --storage " << storage->url()
              << " --study " << study.name() << "\n";
    return 0;
  }
  for (const std::string& note : study.notes()) std::cerr << "winnow: note: " << note << "\n";
  // A study that retries failures gives a lost trial its second chance too.
  const bool requeue = file.requeue_interrupted || file.retries > 0;
  int recovered = study.recover_orphaned_trials(requeue);
  if (recovered > 0) {
    std::cerr << "winnow: " << recovered << " trial(s) left running by a stopped process were "
              << (requeue ? "put back in the queue" : "marked failed") << "\n";
  }
  int64_t already = study.counted_trials();
  // The test runs at the end of an algorithm-configuration study count among the stored trials
  // but not in its budget of tuning runs: a resume with a larger budget runs all of it.
  int64_t test_runs = 0;
  if (file.study.instances && already > 0) {
    for (const FrozenTrial& trial : study.trials()) {
      test_runs += trial.user_attrs.contains(std::string(kPhaseAttr)) &&
                   !(trial.state == TrialState::kFailed && trial.interrupted);
    }
    already -= test_runs;
  }
  std::vector<std::string> labels = file.study.objective_names;
  if (labels.empty()) {
    for (size_t i = 0; i < file.study.directions.size(); ++i) {
      labels.push_back(file.study.directions.size() == 1 ? "value"
                                                         : "values[" + std::to_string(i) + "]");
    }
  }
  Progress progress(study.name(), file.study.directions.front(), file.trials, already, labels,
                    args.quiet);
  if (already > 0) progress.include_existing(study.trials());

  CommandObjectiveOptions objective_options = file.objective;
  objective_options.runs_dir = runs_dir;
  objective_options.n_objectives = file.study.directions.size();
  objective_options.objective_names = file.study.objective_names;
  objective_options.on_warning = [&progress](const std::string& text) { progress.message(text); };
  Objective objective = make_command_objective(objective_options);

  StopSignal stop;
  g_stop = &stop;
  // Ctrl-C ends the tuning runs and the test runs after them; the handler lets go of `stop`
  // on every way out of this function.
  struct ForgetStopSignal {
    ~ForgetStopSignal() { g_stop = nullptr; }
  } forget_stop_signal;
  install_signal_handlers();
  std::cerr << "winnow: study '" << study.name() << "' in " << storage->url() << ": "
            << already << " trial(s) so far"
            << (file.trials > 0 ? ", running until " + std::to_string(file.trials) : "")
            << " with " << file.jobs << " job(s); trial logs in " << objective_options.runs_dir
            << "\n";
  if (file.trials > 0 && already >= file.trials) {
    std::cerr << "winnow: the study already has its " << file.trials
              << " trials; raise --trials to run more\n";
  }

  OptimizeOptions options;
  options.max_trials_in_study = file.trials > 0 ? file.trials + test_runs : 0;
  options.n_jobs = file.jobs;
  options.timeout_seconds = file.timeout_seconds;
  options.retries = file.retries;
  options.stop = &stop;
  options.stopping = file.stopping;
  options.on_trial_started = [&](const FrozenTrial& t) { progress.started(t); };
  options.on_trial_finished = [&](const FrozenTrial& t) { progress.finished(t); };
  OptimizeResult result = study.optimize(objective, options);
  progress.close();
  if (result.reason == StopReason::kBrokenSetup) {
    std::cerr << "winnow: stopped: " << result.message << "\n";
    return 4;
  }

  const bool budget_spent = result.reason == StopReason::kTrialLimit ||
                            result.reason == StopReason::kExhausted;
  if (file.study.instances && budget_spent && !stop.requested()) {
    int made = evaluate_incumbent_on_test(study, objective, file.jobs, &stop);
    if (made > 0) {
      std::cerr << "winnow: evaluated the incumbent on " << made << " test instance(s)\n";
    }
  }
  std::vector<FrozenTrial> trials = study.trials();
  std::cout << study_report(study.record(), trials, 5);
  if (file.study.instances) {
    std::cout << format_configuration_report(configuration_report(study.record(), trials), 5);
  }
  if (stop.requested()) {
    if (mode == Mode::kWorker) {
      std::cerr << "winnow: stopped; this worker's running trials are recorded as interrupted\n";
    } else {
      std::cerr << "winnow: stopped; continue with 'winnow resume " << args.file << "'\n";
    }
    return 130;
  }
  if (!result.message.empty()) std::cerr << "winnow: stopped: " << result.message << "\n";
  // Stopping on too many failures is not a success either.
  return result.reason == StopReason::kMaxFailures ? 5 : 0;
}

}  // namespace

Command add_worker_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "worker", "Join a study from its storage alone and run its trials until its trial budget");
  auto args = std::make_shared<RunArgs>();
  command->add_option("--storage", args->storage,
                      "Storage URL of the study, e.g. postgresql://user@db-host/winnow")
      ->required();
  command->add_option("--study", args->study, "Study name")->required();
  command->add_option("-j,--jobs", args->jobs,
                      "Trials this worker runs at once (default: the study's jobs)")
      ->check(at_least(1));
  command->add_option("--trials", args->trials,
                      "Total trials of the study (default: as stored by winnow run)")
      ->check(at_least(0));
  command->add_option("--timeout", args->timeout, "Wall-clock limit of this worker, e.g. 2h");
  command->add_option("--lease", args->lease,
                      "Time without a heartbeat after which a running trial counts as lost "
                      "(default: the study's, 5m)");
  command->add_option("--fail-fast", args->fail_fast,
                      "Stop when the first N trials of this worker all fail the same way "
                      "(0 = never)")
      ->check(at_least(0));
  command->add_flag("-q,--quiet", args->quiet, "No progress output");
  command->footer(
      "The study's definition (space, objective command, scheduler, budget, limits) was stored\n"
      "with it by 'winnow run'; paths in it must exist on this host too (a shared file system).\n"
      "Examples:\n"
      "  winnow run study.toml --storage postgresql://me@db-host/winnow   # creates it, runs trials\n"
      "  winnow worker --storage postgresql://me@db-host/winnow --study quickstart --jobs 8\n"
      "Passwords come from PGPASSWORD or ~/.pgpass, never from the URL.");
  return [args] { return run(*args, Mode::kWorker); };
}

Command add_run_command(CLI::App& app, bool resume) {
  auto* command = app.add_subcommand(
      resume ? "resume" : "run",
      resume ? "Continue a study that was stopped or killed, until its trial budget"
             : "Run a study file: evaluate its objective command until the trial budget");
  auto args = std::make_shared<RunArgs>();
  command->add_option("file", args->file, "Study file (.toml, .yaml, .json)")->required();
  command->add_option("--storage", args->storage,
                      "Storage URL (sqlite:///path.db, a plain path, or memory); default: "
                      "<study file stem>.db beside the file");
  command->add_option("--study", args->study, "Study name (default: [study] name)");
  command->add_option("--trials", args->trials, "Total trials of the study (default: [study] trials)")
      ->check(at_least(0));
  command->add_option("-j,--jobs", args->jobs, "Trials run at once (default: [study] jobs or 1)");
  command->add_option("--timeout", args->timeout, "Wall-clock limit of this run, e.g. 30m, 2h");
  command->add_option("--sampler", args->sampler, "Sampler spec (default auto), e.g. tpe, gp, cmaes, nsga2, motpe, sobol, random, grid:resolution=5");
  command->add_option("--scheduler", args->scheduler,
                      "Scheduler spec (default none): median, percentile, sh, hyperband, asha, "
                      "bohb, e.g. median:warmup_steps=5 (budget schedulers need a [budget])");
  command->add_option("--seed", args->seed, "Sampler seed")
      ->transform(seed_value());
  command->add_flag("--requeue-interrupted", args->requeue,
                    "Put trials left running by a killed process back in the queue instead of "
                    "marking them failed");
  command->add_flag("-q,--quiet", args->quiet, "No progress output");
  command->add_option("--durability", args->durability,
                      "normal (default) or full: also survive a power cut (a disk flush per "
                      "commit)");
  command->add_option("--target", args->target,
                      "Stop once a trial reaches this value (single objective)");
  command->add_option("--patience", args->patience,
                      "Stop after this many complete trials without improvement")
      ->check(at_least(1));
  command->add_option("--max-failures", args->max_failures,
                      "Stop after this many failed trials in the run")
      ->check(at_least(1));
  command->add_option("--fail-fast", args->fail_fast,
                      "Stop when the first N trials all fail the same way (default 5; 0 = never)")
      ->check(at_least(0));
  command->footer(resume ? "Examples:\n"
                           "  winnow resume study.toml\n"
                           "  winnow resume study.toml --trials 200 --jobs 8 --requeue-interrupted"
                         : "Examples:\n"
                           "  winnow run study.toml\n"
                           "  winnow run study.toml --jobs 4 --trials 100 --sampler sobol --seed 7\n"
                           "  winnow run train.toml --scheduler asha --jobs 8\n"
                           "  winnow run study.yaml --storage sqlite:///shared/studies.db --study lr-sweep\n"
                           "Ctrl-C stops cleanly (running trials are ended and recorded); a second\n"
                           "Ctrl-C quits at once.");
  command->add_option("--lease", args->lease,
                      "Time without a heartbeat after which a running trial counts as lost and "
                      "another process may take it (default 5m; [study] lease)");
  if (!resume) {
    command->add_flag("--create-only", args->create_only,
                      "Create the study and store its definition for 'winnow worker', run no "
                      "trial");
  }
  return [args, resume] { return run(*args, resume ? Mode::kResume : Mode::kRun); };
}

}  // namespace winnow::cli
