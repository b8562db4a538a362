// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// winnow::automl::fit: the whole AutoML run. The search is a Winnow study over a conditional
// space (the `model` family, its hyperparameters, the preprocessing choices that matter for
// it); each trial fits a pipeline and a model per validation fold, its score is the metric on
// the out-of-fold predictions. The families' portfolios are enqueued first, so strong defaults
// are scored before the sampler starts. After the search, greedy ensemble selection over the
// best trials' out-of-fold predictions gives the weights, and the members' fold models (already
// fitted during the search) become the final model: their predictions are averaged, as
// AutoGluon's bagging does, so no refit is needed and the time limit holds (docs/automl.md).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "automl/data/csv_reader.h"
#include "automl/final_ensemble.h"
#include "automl/memory_watch.h"
#include "automl/prepare.h"
#include "automl/predictor_impl.h"
#include "automl/trial_store.h"
#include "automl/validation.h"
#include "common/param_json.h"
#include "common/strings.h"
#include "winnow/attributes.h"
#include "winnow/error.h"
#include "winnow/study.h"

namespace winnow::automl {
namespace {

using Clock = std::chrono::steady_clock;

// Besides the best trials overall, the best few of every family stay ensemble candidates:
// greedy selection gains most from models that err differently.
constexpr size_t kCandidatesPerFamily = 3;
// Without a terminal, a progress line is printed when the best score improves, and otherwise
// at most once per this many seconds.
constexpr double kPlainProgressSeconds = 5.0;
// With FitOptions::refit, the share of the time limit the search leaves for refitting.
constexpr double kRefitShare = 0.2;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (a + 1) + 0xbf58476d1ce4e5b9ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string megabytes(uint64_t bytes) { return std::to_string(bytes >> 20) + " MB"; }

// `partial` completed with every active parameter's default, so it is a member of the space.
Config complete_config(const SearchSpace& space, const Config& partial) {
  Config config;
  for (const ParamSpec& spec : space.params()) {
    if (!space.is_active(spec.name, config)) continue;
    auto given = partial.find(spec.name);
    if (given != partial.end()) {
      config[spec.name] = space.coerce(spec.name, given->second);
    } else if (spec.default_value) {
      config[spec.name] = *spec.default_value;
    } else {
      config[spec.name] = space.default_config().at(spec.name);
    }
  }
  return config;
}

struct Search {
  const FitOptions& options;
  const Table& features;
  const Target& target;
  const ValidationPlan& plan;
  Target scored_target;
  std::vector<int64_t> position_of_row;  // row -> index in plan.scored
  Metric metric;
  TrialStore& store;
  MemoryWatch& memory;
  int jobs;
  std::optional<Clock::time_point> search_deadline;
  Clock::time_point started = Clock::now();

  TrialOutcome evaluate(Trial& trial) const;
};

TrialOutcome Search::evaluate(Trial& trial) const {
  const Config& config = trial.config();
  const ModelFamily& family = find_family(param_string(config, "model", ""));
  const PipelineChoices choices = PipelineChoices::from_config(config);
  const double fraction = trial.budget().value_or(1.0);
  const size_t k = target.n_outputs();
  const size_t folds = plan.valid.size();
  // A trial may use at most a third of what is left of the search, so one slow configuration
  // cannot take the whole time limit (the first may use all of it: without one finished trial
  // there is no model).
  std::optional<Clock::time_point> deadline = search_deadline;
  Clock::time_point start = Clock::now();
  if (deadline && !store.empty()) deadline = start + (*deadline - start) / 3;
  std::atomic<bool> memory_stop{false}, time_stop{false};

  std::vector<float> oof(plan.scored.size() * k, 0.0f);
  std::vector<std::vector<float>> fold_predictions(folds);
  std::vector<std::string> fold_bytes(folds);
  std::vector<std::exception_ptr> errors(folds);
  std::atomic<size_t> next{0};
  const int workers = std::max(1, std::min<int>(jobs, static_cast<int>(folds)));
  const int threads_per_fold = std::max(1, jobs / workers);
  auto run_fold = [&](size_t f) {
    FitControl control;
    control.seed = mix_seed(options.seed, static_cast<uint64_t>(trial.number()), f);
    control.threads = threads_per_fold;
    control.should_stop = [&] {
      if (memory.over()) memory_stop = true;
      if (deadline && Clock::now() > *deadline) time_stop = true;
      return memory_stop.load() || time_stop.load();
    };
    // Under a budget scheduler, a trial learns from a fraction of the fold's training rows:
    // the same rows for every trial of a fraction, so that their scores compare.
    std::vector<size_t> subset;
    const std::vector<size_t>* rows = &plan.train[f];
    if (fraction < 1.0 - 1e-9) {
      subset = plan.train[f];
      std::mt19937_64 rng(mix_seed(options.seed, f, 0x51ce));
      std::shuffle(subset.begin(), subset.end(), rng);
      size_t keep = std::max<size_t>(std::min<size_t>(subset.size(), 20),
                                     static_cast<size_t>(std::ceil(fraction * subset.size())));
      subset.resize(keep);
      std::sort(subset.begin(), subset.end());
      rows = &subset;
    }
    Target fold_target = target.select_rows(*rows);
    FoldModel fold;
    Matrix x = fold.pipeline.fit_transform(features, *rows, fold_target, choices);
    DataShape shape{target.task, x.rows, x.cols, target.n_classes()};
    fold.model = family.create(config, shape);
    fold.model->fit(x, fold_target, control);
    x = Matrix();
    control.check();  // predicting the validation rows cannot be interrupted
    Matrix valid = fold.pipeline.transform(features, plan.valid[f]);
    fold_predictions[f].resize(valid.rows * k);
    fold.model->predict(valid, fold_predictions[f]);
    fold_bytes[f] = save_fold_model(fold);
  };
  std::atomic<bool> failed{false};
  auto worker = [&] {
    // After one fold failed or was stopped, the trial has failed: no other fold starts.
    for (size_t f = next++; f < folds && !failed; f = next++) {
      try {
        run_fold(f);
      } catch (...) {
        errors[f] = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
  double fit_seconds = seconds_between(start, Clock::now());

  for (const std::exception_ptr& error : errors) {
    if (!error) continue;
    TrialOutcome failed;
    failed.state = TrialState::kFailed;
    try {
      std::rethrow_exception(error);
    } catch (const FitStopped&) {
      failed.failure_reason =
          memory_stop ? "memory limit reached (" + megabytes(memory.current()) + " in use, limit " +
                            megabytes(memory.limit()) + ")"
                      : "stopped at its time limit (" + format_short(fit_seconds) + " s)";
    } catch (const std::bad_alloc&) {
      failed.failure_reason = "out of memory while fitting " + family.name;
    } catch (const std::exception& e) {
      failed.failure_reason = family.name + ": " + e.what();
    }
    return failed;
  }
  // Each row's predictions averaged over the repetitions, summed in fold order (not in the
  // order the threads finished) so that a seeded fit is reproducible.
  const float share = 1.0f / static_cast<float>(plan.repeats);
  for (size_t f = 0; f < folds; ++f) {
    for (size_t i = 0; i < plan.valid[f].size(); ++i) {
      int64_t scored_position = position_of_row[plan.valid[f][i]];
      if (scored_position < 0) throw std::logic_error("validation row outside the scored rows");
      size_t position = static_cast<size_t>(scored_position);
      for (size_t c = 0; c < k; ++c) oof[position * k + c] += share * fold_predictions[f][i * k + c];
    }
  }
  fold_predictions.clear();
  bool finite = std::all_of(oof.begin(), oof.end(), [](float v) { return std::isfinite(v); });
  double value = finite ? score(metric, scored_target, oof) : std::nan("");
  if (!std::isfinite(value)) {
    TrialOutcome failed;
    failed.state = TrialState::kFailed;
    failed.failure_reason = family.name + " predicted non-finite values";
    return failed;
  }
  StoredTrial stored;
  stored.trial = trial.number();
  stored.score = value;
  stored.loss = greater_is_better(metric) ? -value : value;
  stored.fit_seconds = fit_seconds;
  stored.family = family.name;
  stored.config_json = config_to_json(config).dump();
  stored.oof = std::move(oof);
  stored.fold_models = std::move(fold_bytes);
  store.add(std::move(stored));
  TrialOutcome outcome;
  outcome.values = {value};
  outcome.metrics["fit_seconds"] = fit_seconds;
  return outcome;
}

uint64_t file_fingerprint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  uint64_t hash = 1469598103934665603ULL;
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof(buffer));
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      hash = (hash ^ static_cast<unsigned char>(buffer[i])) * 1099511628211ULL;
    }
  }
  return hash;
}

// <storage file>.automl/<study>/: trial numbers start at 0 in every study, so each study has
// its own folder.
std::string sidecar_directory(const std::string& storage, const std::string& study) {
  if (storage.empty() || storage == "memory" || storage == ":memory:") return {};
  size_t scheme = storage.find("://");
  std::string folder = study;
  for (char& c : folder) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  return (scheme == std::string::npos ? storage : storage.substr(scheme + 3)) + ".automl/" + folder;
}

// The ten best complete trials, best first, as `show` lists them.
nlohmann::json leaderboard(const std::vector<FrozenTrial>& trials, Metric metric) {
  std::vector<const FrozenTrial*> ranked;
  for (const FrozenTrial& trial : trials) {
    if (trial.state == TrialState::kComplete && !trial.values.empty()) ranked.push_back(&trial);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [&](const FrozenTrial* a, const FrozenTrial* b) {
    return greater_is_better(metric) ? a->values[0] > b->values[0] : a->values[0] < b->values[0];
  });
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; i < ranked.size() && i < 10; ++i) {
    auto fit_seconds = ranked[i]->metrics.find("fit_seconds");
    // Under a budget scheduler, a trial that learnt from part of the rows says so.
    std::string model = param_string(ranked[i]->config, "model", "");
    auto budget = ranked[i]->user_attrs.find(std::string(kBudgetAttr));
    if (budget != ranked[i]->user_attrs.end()) {
      double fraction = std::stod(budget->second);
      if (fraction < 1.0 - 1e-9) model += " (" + format_short(fraction) + " of rows)";
    }
    rows.push_back({{"trial", ranked[i]->number},
                    {"model", model},
                    {"score", ranked[i]->values[0]},
                    {"fit_seconds",
                     fit_seconds == ranked[i]->metrics.end() ? 0.0 : fit_seconds->second}});
  }
  return rows;
}

}  // namespace

Predictor fit(const std::string& csv_path, const FitOptions& options) {
  const Clock::time_point started = Clock::now();
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  if (options.target.empty()) throw Error("--target is required: the column to predict");
  if (options.time_limit_seconds < 0) throw Error("--time-limit must be positive");
  if (options.time_limit_seconds == 0 && options.trials <= 0) {
    throw Error("give a --time-limit or a number of --trials");
  }
  if (options.ensemble_rounds < 1) throw Error("ensemble_rounds must be at least 1");
  if (!(options.infer_limit_seconds >= 0)) throw Error("--infer-limit must be positive");
  if (options.infer_batch != 1 && options.infer_batch != 1000) {
    throw Error("--infer-batch must be 1 or 1000 (the batch sizes costs are measured at), not " +
                std::to_string(options.infer_batch));
  }
  if (options.front_method != "greedy" && options.front_method != "nsga2") {
    throw Error("--front-method must be greedy or nsga2, not '" + options.front_method + "'");
  }
  std::optional<Clock::time_point> end;
  if (options.time_limit_seconds > 0) {
    end = started + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(options.time_limit_seconds));
  }

  CsvOptions csv;
  csv.delimiter = options.delimiter;
  csv.categorical = options.categorical_columns;
  csv.numeric = options.numeric_columns;
  csv.ignore = options.ignored_columns;
  csv.keep_stray_texts = {options.target};
  PreparedData data = prepare_training_data(read_csv(csv_path, csv), options.target, options.task);
  const double read_seconds = seconds_between(started, Clock::now());
  for (const std::string& note : data.notes) log(note);
  const Task task = data.target.task;
  const Metric metric = options.metric.empty() ? default_metric(task)
                                               : metric_from_string(options.metric, task);
  const int jobs = options.jobs > 0 ? options.jobs
                                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const uint64_t memory_limit =
      options.memory_limit_bytes > 0 ? options.memory_limit_bytes : machine_bytes() / 5 * 4;
  ValidationPlan plan = plan_validation(data.target, data.features.columns.size(), options.seed);
  log("data: " + std::to_string(data.features.rows) + " rows, " +
      std::to_string(data.features.columns.size()) + " feature columns; " +
      std::string(to_string(task)) + " task, metric " + std::string(to_string(metric)) + ", " +
      plan.describe());

  // The space: the family, its hyperparameters, the preprocessing that matters for it.
  DataShape shape{task, plan.train.front().size(), data.features.columns.size(),
                  data.target.n_classes()};
  std::vector<const ModelFamily*> families;
  for (const ModelFamily& family : model_families()) {
    bool wanted = options.models.empty() ||
                  std::find(options.models.begin(), options.models.end(), family.name) !=
                      options.models.end();
    if (wanted && family.applicable(shape)) families.push_back(&family);
  }
  for (const std::string& name : options.models) find_family(name);  // unknown names throw
  if (families.empty()) throw Error("no model family suits this data with --models as given");
  SearchSpace space;
  std::vector<ParamValue> names;
  std::vector<std::string> scaled;
  for (const ModelFamily* family : families) {
    names.emplace_back(family->name);
    if (family->wants_scaling) scaled.push_back("'" + family->name + "'");
  }
  space.add_categorical("model", names).default_value(names.front());
  PipelineShape pipeline = pipeline_shape(data.features);
  add_pipeline_params(space, pipeline,
                      scaled.empty() ? std::string() : "model in [" + join(scaled, ", ") + "]");
  for (const ModelFamily* family : families) {
    family->add_params(space, "model == '" + family->name + "'", shape);
  }
  space.validate();

  StudyOptions study_options;
  study_options.name = options.study_name;
  study_options.directions = {greater_is_better(metric) ? Direction::kMaximize : Direction::kMinimize};
  study_options.objective_names = {std::string(to_string(metric))};
  study_options.sampler = options.sampler;
  study_options.seed = options.seed;
  if (options.scheduler != "none") {
    // The budget is the fraction of each fold's training rows a trial learns from.
    BudgetSpec rows;
    rows.name = "row_fraction";
    rows.min = 0.11;  // the ladder is 1/9, 1/3, 1 (max * eta^-k down to the first >= min)
    rows.max = 1.0;
    rows.eta = 3.0;
    rows.integer = false;
    study_options.scheduler = options.scheduler;
    study_options.budget = rows;
  }
  std::shared_ptr<Storage> storage = open_storage(options.storage.empty() ? "memory" : options.storage);
  Study study = Study::create(storage, space, study_options);
  // A study resumed with other data or columns would mix scores of different problems, and its
  // kept fold pipelines would read the wrong columns.
  std::vector<std::string> columns;
  for (const Column& column : data.features.columns) {
    columns.push_back(column.name + ":" + std::string(to_string(column.type)));
  }
  nlohmann::json fingerprint = {{"data", std::to_string(file_fingerprint(csv_path))},
                                {"columns", columns},
                                {"target", options.target},
                                {"task", std::string(to_string(task))},
                                {"metric", std::string(to_string(metric))},
                                {"seed", options.seed}};
  StudyRecord record = study.record();
  auto stored = record.user_attrs.find("automl");
  if (stored != record.user_attrs.end() && nlohmann::json::parse(stored->second) != fingerprint) {
    throw Error("study '" + options.study_name + "' in " + options.storage +
                " was fitted on other data or options; use another --storage or study name");
  }
  study.set_user_attr("automl", fingerprint.dump());
  study.recover_orphaned_trials(false);

  TrialStore store(static_cast<size_t>(std::max(1, options.ensemble_candidates)),
                   kCandidatesPerFamily, memory_limit / 4,
                   sidecar_directory(options.storage, options.study_name));
  std::vector<int64_t> complete;
  for (const FrozenTrial& trial : study.trials()) {
    if (trial.state == TrialState::kComplete) complete.push_back(trial.number);
  }
  if (!complete.empty()) {
    size_t found = store.load(complete, plan.scored.size() * data.target.n_outputs());
    log("resuming study '" + options.study_name + "': " + std::to_string(complete.size()) +
        " complete trials, " + std::to_string(found) + " kept for the ensemble");
  }

  // Each family's portfolio, round-robin: every family's best default before any second one.
  size_t longest = 0;
  std::vector<std::vector<Config>> portfolios;
  for (const ModelFamily* family : families) {
    portfolios.push_back(family->portfolio(shape));
    longest = std::max(longest, portfolios.back().size());
  }
  // With a trial budget, no more than it can run (the rest would stay queued in the study).
  int64_t queue_room = options.trials > 0 ? options.trials - study.counted_trials()
                                          : std::numeric_limits<int64_t>::max();
  for (size_t round = 0; round < longest; ++round) {
    for (size_t f = 0; f < families.size(); ++f) {
      if (round >= portfolios[f].size() || queue_room <= 0) continue;
      --queue_room;
      Config partial = portfolios[f][round];
      partial["model"] = families[f]->name;
      study.enqueue_unless_present(complete_config(space, partial));
    }
  }

  // Time left for the ensemble, the refit if asked for, and the model file.
  const double reserve = options.refit ? kRefitShare * options.time_limit_seconds
                                       : std::min(30.0, 1.0 + 0.03 * options.time_limit_seconds);
  MemoryWatch memory(memory_limit);
  Search search{options, data.features, data.target, plan, data.target.select_rows(plan.scored),
                std::vector<int64_t>(data.target.size(), -1), metric, store, memory, jobs, {}};
  for (size_t i = 0; i < plan.scored.size(); ++i) {
    search.position_of_row[plan.scored[i]] = static_cast<int64_t>(i);
  }
  if (end) {
    search.search_deadline =
        *end - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(reserve));
  }

  OptimizeOptions optimize;
  optimize.n_jobs = 1;  // folds run in parallel instead, so a seeded run is reproducible
  if (options.trials > 0) optimize.max_trials_in_study = options.trials;
  if (search.search_deadline) {
    optimize.timeout_seconds = std::max(0.0, seconds_between(Clock::now(), *search.search_deadline));
  }
  optimize.stopping.fail_fast = 0;
  int64_t finished = 0;
  Clock::time_point last_line = Clock::now();
  double best = std::nan("");
  std::string best_family;
  optimize.on_trial_finished = [&](const FrozenTrial& trial) {
    ++finished;
    bool improved = false;
    if (trial.state == TrialState::kComplete && !trial.values.empty()) {
      double value = trial.values[0];
      improved = std::isnan(best) || (greater_is_better(metric) ? value > best : value < best);
      if (improved) {
        best = value;
        best_family = param_string(trial.config, "model", "");
      }
    }
    if (!options.live_progress && !improved &&
        seconds_between(last_line, Clock::now()) < kPlainProgressSeconds) {
      return;
    }
    last_line = Clock::now();
    std::string elapsed = format_short(seconds_between(started, Clock::now())) + " s" +
                          (end ? " of " + format_short(options.time_limit_seconds) + " s" : "");
    std::string status = "trial " + std::to_string(trial.number) + " " +
                         param_string(trial.config, "model", "") + " " +
                         (trial.state == TrialState::kComplete
                              ? std::string(to_string(metric)) + " " + format_short(trial.values[0])
                              : "failed: " + trial.failure_reason);
    std::string best_text = std::isnan(best) ? "none yet"
                                             : format_short(best) + " (" + best_family + ")";
    if (options.live_progress) {
      log("\r" + elapsed + " | " + std::to_string(finished) + " trials | best " + best_text +
          " | memory " + megabytes(memory.current()));
    } else {
      log(elapsed + ": " + std::to_string(finished) + " trials, last " + status + "; best " +
          best_text);
    }
  };
  Clock::time_point search_start = Clock::now();
  bool nothing_left = false;
  if (options.trials > 0 && study.counted_trials() >= options.trials) nothing_left = true;
  if (!nothing_left && (!search.search_deadline || Clock::now() < *search.search_deadline)) {
    study.optimize([&](Trial& trial) { return search.evaluate(trial); }, optimize);
  }
  if (options.live_progress) log("\n");
  const double search_seconds = seconds_between(search_start, Clock::now());

  // Ensemble selection over the kept trials.
  Clock::time_point ensemble_start = Clock::now();
  std::vector<const StoredTrial*> candidates = store.best();
  if (candidates.empty()) {
    std::string why;
    for (const FrozenTrial& trial : study.trials()) {
      if (trial.state == TrialState::kFailed) why = trial.failure_reason;
    }
    throw Error("no model finished within the limits" +
                (why.empty() ? std::string() : " (last failure: " + why + ")") +
                "; raise --time-limit or --memory-limit");
  }
  auto impl = std::make_unique<Predictor::Impl>();
  impl->schema = Schema::of(data.features);
  impl->task = task;
  impl->metric = metric;
  impl->target = options.target;
  impl->classes = data.target.class_names;
  FinalEnsembleOptions final_options;
  final_options.rounds = options.ensemble_rounds;
  final_options.front_method = options.front_method;
  final_options.infer_limit_seconds = options.infer_limit_seconds;
  final_options.infer_batch = options.infer_batch;
  final_options.seed = options.seed;
  final_options.end = end;
  final_options.log = log;
  build_final_ensemble(*impl, candidates, data.features, search.scored_target, final_options);
  const double ensemble_seconds = seconds_between(ensemble_start, Clock::now());

  Clock::time_point refit_start = Clock::now();
  int refitted = 0;
  std::vector<size_t> refitted_members;
  if (options.refit) {
    std::vector<size_t> all_rows(data.target.size());
    for (size_t i = 0; i < all_rows.size(); ++i) all_rows[i] = i;
    for (size_t m = 0; m < impl->members.size(); ++m) {
      EnsembleMember& member = impl->members[m];
      if (member.weight <= 0) continue;  // the best single trial, kept only for comparison
      if (end && Clock::now() > *end - std::chrono::seconds(1)) {
        log("no time left to refit trial " + std::to_string(member.trial) +
            "; it keeps its fold models");
        continue;
      }
      const ModelFamily& family = find_family(member.family);
      Config config = config_from_json(nlohmann::json::parse(member.config_json));
      FitControl control;
      control.seed = mix_seed(options.seed, static_cast<uint64_t>(member.trial), plan.valid.size());
      control.threads = jobs;
      control.should_stop = [&] {
        // One second is left for writing the model file.
        return memory.over() || (end && Clock::now() > *end - std::chrono::seconds(1));
      };
      try {
        FoldModel whole;
        Matrix x = whole.pipeline.fit_transform(data.features, all_rows, data.target,
                                                PipelineChoices::from_config(config));
        DataShape refit_shape{task, x.rows, x.cols, data.target.n_classes()};
        whole.model = family.create(config, refit_shape);
        whole.model->fit(x, data.target, control);
        member.folds.clear();
        member.folds.push_back(std::move(whole));
        ++refitted;
        refitted_members.push_back(m);
      } catch (const FitStopped&) {
        log("refit of trial " + std::to_string(member.trial) + " (" + member.family +
            ") stopped at the limit; it keeps its fold models");
      } catch (const std::exception& e) {
        // A refit on all rows can fail where the folds did not (memory); the search's result
        // stands.
        log("refit of trial " + std::to_string(member.trial) + " (" + member.family +
            ") failed: " + e.what() + "; it keeps its fold models");
      }
    }
  }
  remeasure_members(*impl, data.features, refitted_members, options.seed);
  const double refit_seconds = seconds_between(refit_start, Clock::now());

  // The summary that `show` prints.
  nlohmann::json summary;
  summary["format_version"] = kModelFormatVersion;
  summary["data"] = {{"source", csv_path},
                     {"rows", data.features.rows},
                     {"features", data.features.columns.size()},
                     {"notes", data.notes}};
  summary["validation"] = plan.describe();
  std::vector<FrozenTrial> trials = study.trials();
  int64_t n_complete = 0, n_failed = 0;
  for (const FrozenTrial& trial : trials) {
    n_complete += trial.state == TrialState::kComplete;
    n_failed += trial.state == TrialState::kFailed;
  }
  summary["trials"] = {{"complete", n_complete}, {"failed", n_failed}};
  summary["leaderboard"] = leaderboard(trials, metric);
  nlohmann::json members = nlohmann::json::array();
  for (const EnsembleMember& member : impl->members) {
    if (member.weight <= 0) continue;
    members.push_back({{"trial", member.trial}, {"model", member.family}, {"weight", member.weight}});
  }
  summary["ensemble"] = {{"score", impl->front[impl->chosen].score},
                         {"members", members},
                         {"best_single", candidates.front()->score},
                         {"best_trial", candidates.front()->trial},
                         {"front_method", options.front_method}};
  if (options.infer_limit_seconds > 0) {
    summary["ensemble"]["infer_limit_seconds"] = options.infer_limit_seconds;
    summary["ensemble"]["infer_batch"] = options.infer_batch;
  }
  summary["study"] = {{"storage", options.storage.empty() ? "memory" : options.storage},
                      {"name", options.study_name}};
  summary["peak_memory_mb"] = memory.peak() >> 20;
  size_t weighted = 0;
  for (const EnsembleMember& member : impl->members) weighted += member.weight > 0;
  summary["final_model"] = options.refit ? "members refit on all rows (" + std::to_string(refitted) +
                                               " of " + std::to_string(weighted) + ")"
                                         : "fold models of each member averaged";
  summary["seconds"] = {{"read", read_seconds},
                        {"search", search_seconds},
                        {"ensemble", ensemble_seconds},
                        {"refit", refit_seconds},
                        {"total", seconds_between(started, Clock::now())}};
  impl->summary = std::move(summary);
  return Predictor(std::move(impl));
}

}  // namespace winnow::automl
