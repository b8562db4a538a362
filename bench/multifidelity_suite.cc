// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Multi-fidelity benchmark: full-budget search (random, TPE) against budget schedulers
// (Hyperband, ASHA, BOHB) on learning-curve tasks (bench/learning_curves.h), compared on the
// best value reached at the full budget as a function of the total budget consumed.
//
//   build-dev/bench/multifidelity_suite --output mf.jsonl          # every task/method, 5 seeds
//   build-dev/bench/multifidelity_suite --tasks curves --methods asha,tpe --seeds 2
//   build-dev/bench/multifidelity_suite --method "asha-eta4=asha:eta=4/random"
//   build-dev/bench/multifidelity_suite --describe                 # tasks, rank correlations
//   build-dev/bench/multifidelity_suite --self-check               # optimum, checkpoint resume
//   build-dev/bench/multifidelity_suite --evaluate curves --budget 27 --previous-budget 9
//       --sleep-per-unit 0.25 lr=0.001 width=128 reg=0.3 depth=4 optimizer=adam
//   /usr/bin/python3 bench/summarize_multifidelity.py mf.jsonl    # tables and verdicts
//
// Each (task, method, seed) is its own in-memory Study through the public API:
// StudyOptions{.sampler, .seed, .scheduler, .budget = task.budget()} and study.optimize() on one
// thread. Every method gets the same total budget, --budget-limit times the task's maximum budget
// (default 100: a hundred full-budget trainings). "Consumed" counts the work actually done: a
// trial that continues an earlier one at a larger budget (Trial::continues()) resumes from that
// trial's checkpoint and pays only budget - previous_budget; "assigned" adds up the budgets the
// trials were given. The run stops (StopSignal) once the consumed budget reaches the limit.
//
// The incumbent is the best value among trials evaluated at the maximum budget, as in Falkner et
// al. 2018 (BOHB), section 5: a value at a smaller budget is not a result, only a forecast. Each
// run writes one JSON line:
//
//   {"task": "curves", "method": "asha", "scheduler": "asha", "sampler": "random", "seed": 1,
//    "budget_max": 81, "limit": 8100, "consumed": 8112, "assigned": 11313, "trials": 1702,
//    "trials_at_max": 23, "resumed": 540, "not_resumed": 0, "best": 0.061, "regret": 0.011,
//    "incumbent": {"depth": 4, ...},
//    "trajectory": [[consumed, assigned, best, regret], ...],   # one point per new incumbent
//    "trials_by_budget": {"1": 1200, ...}, "seconds": 1.9, "objective_seconds": 0.01, ...}
//
// "regret" (true_final(incumbent) - optimum) is there only for tasks with a known optimum.
// --evaluate is the objective of bench/asha_utilisation.sh: it sleeps (budget - previous_budget)
// * --sleep-per-unit seconds, as a checkpointing trainer would work, then prints the synthetic
// task's value as a JSON result line.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "functions.h"
#include "learning_curves.h"
#include "winnow/error.h"
#include "winnow/scheduler.h"
#include "winnow/storage.h"
#include "winnow/study.h"

namespace {

using Clock = std::chrono::steady_clock;
using winnow_bench::JsonLine;
using winnow_bench::LearningTask;

struct Method {
  std::string name;       // "asha", ...
  std::string scheduler;  // scheduler spec
  std::string sampler;    // sampler spec
};

// The methods of the issue: random and TPE at the full budget, Hyperband and ASHA with random
// configurations (as in Li et al. 2017 and 2020), ASHA with TPE proposing the new
// configurations, and BOHB (Hyperband's budgets, TPE-like model fitted per budget).
const std::vector<Method>& known_methods() {
  static const std::vector<Method> methods = {
      {"random", "none", "random"},       {"tpe", "none", "tpe"},
      {"hyperband", "hyperband", "random"}, {"asha", "asha", "random"},
      {"asha-tpe", "asha", "tpe"},        {"bohb", "bohb", "tpe"},
  };
  return methods;
}

struct Options {
  std::vector<std::string> tasks;
  std::vector<Method> methods;
  int seeds = 5;
  double budget_limit = 100;  // in units of the task's maximum budget
  double max_seconds = 0;     // per run; 0 = none
  std::optional<winnow::BudgetSpec> ladder;  // replaces the tasks' budget ladders
  std::string output = "-";
};

// "MIN,MAX,ETA" -> a budget spec (integer when all three are whole numbers); nullopt if malformed.
std::optional<winnow::BudgetSpec> parse_ladder(std::string_view text) {
  double v[3];
  std::string rest(text);
  for (int i = 0; i < 3; ++i) {
    char* end = nullptr;
    v[i] = std::strtod(rest.c_str(), &end);
    if (end == rest.c_str() || (i < 2 ? *end != ',' : *end != '\0')) return std::nullopt;
    rest = i < 2 ? std::string(end + 1) : "";
  }
  winnow::BudgetSpec spec{.min = v[0], .max = v[1], .eta = v[2],
                          .integer = v[0] == std::floor(v[0]) && v[1] == std::floor(v[1])};
  try {
    spec.validate();
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return spec;
}

double median_of(std::vector<double> values) {
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

std::string format_budget(double b) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", b);
  return buffer;
}

struct RunResult {
  std::string line;
  std::optional<double> best, regret;
  double seconds = 0;
};

// What the objective saw of one trial, by trial number.
struct TrialWork {
  double budget = 0, previous = 0, work = 0;
  bool resumed = false;
};

RunResult run_one(const LearningTask& task, const Method& method, int seed, const Options& options) {
  const winnow::BudgetSpec& budget = task.budget();
  const double limit = options.budget_limit * budget.max;
  std::unique_ptr<winnow_bench::TaskRun> evaluator = task.start_run();

  std::mutex mutex;
  std::map<int64_t, TrialWork> work_by_trial;
  double consumed = 0, assigned = 0, objective_seconds = 0;
  int64_t trials = 0, at_max = 0, resumed = 0, not_resumed = 0, failed = 0, other = 0;
  std::map<double, int64_t> by_budget;
  std::optional<double> best, best_regret;
  winnow::Config incumbent;
  std::vector<std::vector<double>> trajectory;
  std::string first_failure, error;
  winnow::StopSignal stop;
  Clock::time_point start = Clock::now();

  auto objective = [&](winnow::Trial& trial) -> double {
    double b = trial.budget().value_or(budget.max);
    double previous = trial.previous_budget();
    Clock::time_point before = Clock::now();
    winnow_bench::Evaluation e = evaluator->evaluate(trial.config(), b, previous, trial.lineage());
    std::lock_guard lock(mutex);
    objective_seconds += std::chrono::duration<double>(Clock::now() - before).count();
    work_by_trial[trial.number()] = {b, previous, e.work, e.resumed};
    return e.value;
  };

  winnow::OptimizeOptions optimize;
  optimize.n_jobs = 1;
  optimize.timeout_seconds = options.max_seconds;
  optimize.stop = &stop;
  optimize.on_trial_finished = [&](const winnow::FrozenTrial& t) {
    std::lock_guard lock(mutex);
    auto it = work_by_trial.find(t.number);
    if (it != work_by_trial.end()) {
      const TrialWork& w = it->second;
      consumed += w.work;
      assigned += w.budget;
      ++by_budget[w.budget];
      if (w.previous > 0) ++(w.resumed ? resumed : not_resumed);
      if (t.state == winnow::TrialState::kComplete && !t.values.empty() && w.budget >= budget.max) {
        ++at_max;
        double value = t.values[0];
        if (!best || value < *best) {
          best = value;
          incumbent = t.config;
          if (std::optional<double> f = task.true_final(t.config); f && task.optimum()) {
            best_regret = *f - *task.optimum();
          }
          std::vector<double> point = {consumed, assigned, value};
          if (best_regret) point.push_back(*best_regret);
          trajectory.push_back(std::move(point));
        }
      }
      work_by_trial.erase(it);
    } else {
      ++other;  // failed before the objective returned
    }
    ++trials;
    if (t.state == winnow::TrialState::kFailed) {
      if (failed++ == 0) first_failure = t.failure_reason;
      // A task that fails every time would otherwise spin without consuming budget.
      if (failed >= 20 && failed * 2 > trials) {
        error = "most trials failed; first failure: " + first_failure;
        stop.request();
      }
    }
    if (consumed >= limit) stop.request();
  };

  try {
    std::shared_ptr<winnow::Storage> storage = winnow::open_storage("memory");
    winnow::Study study = winnow::Study::create(
        storage, task.space(),
        {.name = "bench", .sampler = method.sampler, .seed = static_cast<uint64_t>(seed),
         .scheduler = method.scheduler, .budget = budget});
    winnow::Objective wrapped = [&](winnow::Trial& trial) -> winnow::TrialOutcome {
      return winnow::TrialOutcome{.values = {objective(trial)}};
    };
    study.optimize(wrapped, optimize);
  } catch (const std::exception& e) {
    error = e.what();
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  JsonLine line;
  line.text("task", task.name()).text("method", method.name).text("scheduler", method.scheduler)
      .text("sampler", method.sampler).integer("seed", seed).number("budget_min", budget.min)
      .number("budget_max", budget.max).number("budget_eta", budget.eta).number("limit", limit)
      .number("consumed", consumed).number("assigned", assigned).integer("trials", trials)
      .integer("trials_at_max", at_max).integer("resumed", resumed)
      .integer("not_resumed", not_resumed).integer("failed", failed);
  if (best) line.number("best", *best);
  if (best_regret) line.number("regret", *best_regret);
  if (task.optimum()) line.number("optimum", *task.optimum());
  if (best) line.raw("incumbent", winnow_bench::json_config(incumbent));
  std::string points = "[";
  for (size_t i = 0; i < trajectory.size(); ++i) {
    points += i ? ", [" : "[";
    for (size_t j = 0; j < trajectory[i].size(); ++j) {
      points += (j ? ", " : "") + winnow_bench::json_number(trajectory[i][j], 10);
    }
    points += "]";
  }
  line.raw("trajectory", points + "]");
  std::string counts = "{";
  for (const auto& [b, n] : by_budget) {
    counts += (counts.size() > 1 ? ", " : "") + winnow_bench::json_string(format_budget(b)) + ": " +
              std::to_string(n);
  }
  line.raw("trials_by_budget", counts + "}");
  line.number("seconds", seconds, 6).number("objective_seconds", objective_seconds, 6)
      .integer("checkpoints_left", static_cast<int64_t>(evaluator->checkpoints()))
      .integer("checkpoint_bytes_left", static_cast<int64_t>(evaluator->checkpoint_bytes()));
  if (!first_failure.empty()) line.text("first_failure", first_failure);
  if (!error.empty()) line.text("error", error);

  RunResult result;
  result.line = line.str();
  if (error.empty()) {
    result.best = best;
    result.regret = best_regret;
  }
  result.seconds = seconds;
  return result;
}

// --- --describe, --self-check, --evaluate

int describe_main(const Options& options, int n) {
  for (const std::string& name : options.tasks) {
    std::unique_ptr<LearningTask> task =
        winnow_bench::make_learning_task(name, options.ladder ? &*options.ladder : nullptr);
    const winnow::BudgetSpec& b = task->budget();
    std::printf("%s: %s\n", name.c_str(), task->description().c_str());
    std::printf("  rungs:");
    for (int r = 0; r < b.n_rungs(); ++r) std::printf(" %s", b.format(b.rung_budget(r)).c_str());
    std::printf(" %s\n", b.name.c_str());
    Clock::time_point start = Clock::now();
    std::vector<double> rho = winnow_bench::learning_curve_rank_correlations(*task, n, 1);
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("  Spearman rank correlation with the value at %s, %d random configurations:",
                b.format(b.max).c_str(), n);
    for (int r = 0; r < b.n_rungs(); ++r) {
      std::printf(" %s: %.3f", b.format(b.rung_budget(r)).c_str(), rho[r]);
    }
    std::printf("\n  (%.2f s for %d full-budget evaluations, %.2f ms per unit of budget)\n", seconds,
                n, 1000 * seconds / (n * b.max));
  }
  return 0;
}

int self_check_main() {
  std::vector<std::string> problems;
  for (const std::string& name : winnow_bench::learning_task_names()) {
    std::unique_ptr<LearningTask> task = winnow_bench::make_learning_task(name);
    const winnow::BudgetSpec& b = task->budget();
    std::unique_ptr<winnow_bench::TaskRun> run = task->start_run();
    if (task->optimum() && task->minimiser()) {
      task->space().check(*task->minimiser());
      double at_max = *task->true_final(*task->minimiser());
      std::printf("%s: true value at the minimiser %.17g, optimum %.17g\n", name.c_str(), at_max,
                  *task->optimum());
      if (std::abs(at_max - *task->optimum()) > 1e-12) problems.push_back(name + ": minimiser misses the optimum");
      // No configuration beats the optimum, and curves decrease with the budget (noise-free).
      std::unique_ptr<winnow::Sampler> sampler =
          winnow::create_sampler(winnow::SamplerSpec::parse("random"), 7);
      std::vector<winnow::Direction> directions = {winnow::Direction::kMinimize};
      for (int i = 0; i < 20000; ++i) {
        winnow::SampleContext context{task->space(), {}, directions, i};
        winnow::Config config = *sampler->sample(context);
        double f = *task->true_final(config);
        if (f < *task->optimum()) {
          problems.push_back(name + ": " + winnow_bench::json_config(config) + " beats the optimum");
          break;
        }
        if (name == "curves") {
          double previous = INFINITY;
          for (int r = 0; r < b.n_rungs(); ++r) {
            double v = run->evaluate(config, b.rung_budget(r), 0, i).value;
            if (v > previous + 1e-12) {
              problems.push_back(name + ": curve of " + winnow_bench::json_config(config) + " rises");
              break;
            }
            previous = v;
          }
          if (std::abs(previous - f) > 1e-12) problems.push_back(name + ": value at max != final");
        }
      }
    }
    // Resuming from a checkpoint pays only the new work and gives what training at once gives
    // (tasks whose resume is not exact: when they do not subsample, checked below), and the
    // same path always gives the same value.
    winnow::Config config = task->minimiser() ? *task->minimiser() : task->space().default_config();
    double middle = b.rung_budget(std::max(0, b.n_rungs() - 2));
    auto check_resume = [&](const winnow::Config& c, bool exact, int64_t lineage) {
      winnow_bench::Evaluation straight = run->evaluate(c, b.max, 0, lineage);
      winnow_bench::Evaluation first = run->evaluate(c, middle, 0, lineage + 1);
      winnow_bench::Evaluation resumed = run->evaluate(c, b.max, middle, lineage + 1);
      run->evaluate(c, middle, 0, lineage + 2);
      winnow_bench::Evaluation again = run->evaluate(c, b.max, middle, lineage + 2);
      std::printf("%s: %s: %s at once %.17g (work %g); %s then %s: %.17g (work %g + %g, resumed "
                  "%s)\n",
                  name.c_str(), winnow_bench::json_config(c).c_str(), b.format(b.max).c_str(),
                  straight.value, straight.work, b.format(middle).c_str(), b.format(b.max).c_str(),
                  resumed.value, first.work, resumed.work, resumed.resumed ? "yes" : "no");
      if (!resumed.resumed || resumed.work != b.max - middle) {
        problems.push_back(name + ": continuation did not resume from the checkpoint");
      }
      if (again.value != resumed.value) problems.push_back(name + ": resuming is not deterministic");
      if (exact && std::abs(resumed.value - straight.value) >
                       1e-6 * std::max(1.0, std::abs(straight.value))) {
        problems.push_back(name + ": resumed training differs from training at once");
      }
    };
    check_resume(config, task->resume_is_exact(), 1000000);
    if (!task->resume_is_exact() && task->space().find("subsample") &&
        task->space().find("colsample_bytree")) {
      config["subsample"] = 1.0;
      config["colsample_bytree"] = 1.0;
      check_resume(config, true, 1000010);
    }
  }
  for (const std::string& p : problems) std::fprintf(stderr, "self-check FAILED: %s\n", p.c_str());
  if (problems.empty()) std::printf("self-check passed\n");
  return problems.empty() ? 0 : 1;
}

[[noreturn]] void usage(const char* program, const std::string& problem);

// --evaluate TASK --budget B [--previous-budget P] [--sleep-per-unit S] [--ladder MIN,MAX,ETA]
//   name=value ...
int evaluate_main(const char* program, int argc, char** argv, int first) {
  std::string task_name;
  double budget = NAN, previous = 0, sleep_per_unit = 0;
  std::optional<winnow::BudgetSpec> ladder;
  winnow::Config raw;
  for (int i = first; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(program, std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--evaluate") {
      task_name = value();
    } else if (arg == "--budget") {
      budget = std::atof(value().c_str());
    } else if (arg == "--previous-budget") {
      std::string v = value();
      previous = v.empty() ? 0 : std::atof(v.c_str());
    } else if (arg == "--sleep-per-unit") {
      sleep_per_unit = std::atof(value().c_str());
    } else if (arg == "--ladder") {
      std::string text = value();
      ladder = parse_ladder(text);
      if (!ladder) usage(program, "--ladder '" + text + "': expected MIN,MAX,ETA with 0 < MIN <= MAX, ETA >= 2");
    } else if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      raw[std::string(arg.substr(0, eq))] = std::string(arg.substr(eq + 1));
    } else {
      usage(program, "--evaluate: unexpected argument '" + std::string(arg) + "'");
    }
  }
  std::unique_ptr<LearningTask> task =
      winnow_bench::make_learning_task(task_name, ladder ? &*ladder : nullptr);
  if (!task) usage(program, "--evaluate: unknown task '" + task_name + "'");
  if (!(budget > 0)) usage(program, "--evaluate needs --budget > 0");
  winnow::Config config;
  for (const auto& [name, value] : raw) config[name] = task->space().coerce(name, value);
  task->space().check(config);
  double work = std::max(0.0, budget - previous);
  if (sleep_per_unit > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(work * sleep_per_unit));
  }
  // The synthetic curve needs no checkpoint; a real task would train from scratch here.
  winnow_bench::Evaluation e = task->start_run()->evaluate(config, budget, previous, 0);
  std::printf("{\"value\": %s, \"work\": %s}\n", winnow_bench::json_number(e.value).c_str(),
              winnow_bench::json_number(work).c_str());
  return 0;
}

[[noreturn]] void usage(const char* program, const std::string& problem) {
  std::string tasks, methods;
  for (const std::string& t : winnow_bench::learning_task_names()) tasks += " " + t;
  for (const Method& m : known_methods()) methods += " " + m.name;
  std::cerr << program << ": " << problem << "\n"
            << "usage: " << program
            << " [--tasks all|NAME,...] [--methods all|NAME,...] [--method NAME=SCHEDULER/SAMPLER]\n"
               "       [--seeds N] [--budget-limit X] [--ladder MIN,MAX,ETA] [--max-seconds S]\n"
               "       [--output FILE]\n"
               "       " << program << " --describe [--configs N] [--tasks ...] | --self-check | --list\n"
               "       " << program << " --evaluate TASK --budget B [--previous-budget P]"
               " [--sleep-per-unit S]\n"
               "       [--ladder MIN,MAX,ETA] name=value ...\n"
               "  tasks:" << tasks << " (default: curves, xgboost when built with it)\n"
               "  methods:" << methods << " (default: all)\n"
               "  --method adds a method by its scheduler and sampler specs (repeatable), e.g.\n"
               "    --method \"asha-eta4=asha:eta=4/random\"\n"
               "  --seeds N: seeds 1..N (default 5). --budget-limit X: each run stops once it has\n"
               "  consumed X times the task's maximum budget (default 100).\n"
               "  --ladder MIN,MAX,ETA replaces the tasks' budget ladders (default 1,81,3).\n"
               "  --max-seconds S: wall-clock limit per run (default none).\n";
  std::exit(2);
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string piece(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (!piece.empty()) out.push_back(piece);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  options.tasks = {"curves"};
  if (winnow_bench::have_xgboost()) options.tasks.push_back("xgboost");
  bool methods_given = false, describe = false;
  int describe_configs = 200;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage(argv[0], std::string(arg) + " needs a value");
      return argv[++i];
    };
    auto count = [&](int min) {
      std::string text(value());
      char* end = nullptr;
      long n = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || n < min) {
        usage(argv[0], std::string(arg) + " = '" + text + "': expected an integer >= " + std::to_string(min));
      }
      return static_cast<int>(n);
    };
    auto positive = [&]() {
      std::string text(value());
      char* end = nullptr;
      double x = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !(x >= 0)) {
        usage(argv[0], std::string(arg) + " = '" + text + "': expected a number >= 0");
      }
      return x;
    };
    if (arg == "--tasks") {
      std::string_view text = value();
      options.tasks = text == "all" ? winnow_bench::learning_task_names() : split(text);
      for (const std::string& t : options.tasks) {
        if (!winnow_bench::make_learning_task(t)) usage(argv[0], "--tasks: unknown or unavailable task '" + t + "'");
      }
    } else if (arg == "--methods") {
      std::string_view text = value();
      if (!methods_given) options.methods.clear();
      methods_given = true;
      for (const std::string& name : text == "all" ? std::vector<std::string>{} : split(text)) {
        auto it = std::find_if(known_methods().begin(), known_methods().end(),
                               [&](const Method& m) { return m.name == name; });
        if (it == known_methods().end()) usage(argv[0], "--methods: unknown method '" + name + "'");
        options.methods.push_back(*it);
      }
      if (text == "all") options.methods.insert(options.methods.end(), known_methods().begin(), known_methods().end());
    } else if (arg == "--method") {
      std::string text(value());
      size_t eq = text.find('='), slash = text.rfind('/');
      if (eq == std::string::npos || slash == std::string::npos || slash < eq) {
        usage(argv[0], "--method '" + text + "': expected NAME=SCHEDULER/SAMPLER");
      }
      if (!methods_given) options.methods.clear();
      methods_given = true;
      options.methods.push_back({text.substr(0, eq), text.substr(eq + 1, slash - eq - 1), text.substr(slash + 1)});
    } else if (arg == "--seeds") {
      options.seeds = count(1);
    } else if (arg == "--budget-limit") {
      options.budget_limit = positive();
    } else if (arg == "--ladder") {
      std::string text(value());
      options.ladder = parse_ladder(text);
      if (!options.ladder) usage(argv[0], "--ladder '" + text + "': expected MIN,MAX,ETA with 0 < MIN <= MAX, ETA >= 2");
    } else if (arg == "--max-seconds") {
      options.max_seconds = positive();
    } else if (arg == "--output") {
      options.output = value();
    } else if (arg == "--describe") {
      describe = true;
    } else if (arg == "--configs") {
      describe_configs = count(2);
    } else if (arg == "--self-check") {
      return self_check_main();
    } else if (arg == "--evaluate") {
      return evaluate_main(argv[0], argc, argv, i);
    } else if (arg == "--list") {
      for (const std::string& t : winnow_bench::learning_task_names()) {
        std::printf("task   %-14s %s\n", t.c_str(), winnow_bench::make_learning_task(t)->description().c_str());
      }
      for (const Method& m : known_methods()) {
        std::printf("method %-14s scheduler %-10s sampler %s\n", m.name.c_str(), m.scheduler.c_str(), m.sampler.c_str());
      }
      return 0;
    } else if (arg == "-h" || arg == "--help") {
      usage(argv[0], "compares budget schedulers with full-budget search on learning curves");
    } else {
      usage(argv[0], "unknown argument '" + std::string(arg) + "'");
    }
  }
  if (!methods_given) options.methods = known_methods();
  if (describe) return describe_main(options, describe_configs);

  FILE* out = stdout;
  if (options.output != "-") {
    out = std::fopen(options.output.c_str(), "w");
    if (!out) {
      std::perror(options.output.c_str());
      return 1;
    }
  }
  for (const std::string& task_name : options.tasks) {
    std::unique_ptr<LearningTask> task =
        winnow_bench::make_learning_task(task_name, options.ladder ? &*options.ladder : nullptr);
    std::fprintf(stderr, "%s: %s\n", task_name.c_str(), task->description().c_str());
    for (const Method& method : options.methods) {
      std::vector<double> bests, regrets, seconds;
      int errors = 0;
      for (int seed = 1; seed <= options.seeds; ++seed) {
        RunResult r = run_one(*task, method, seed, options);
        // Flushed per run, so a long benchmark can be watched and survives a kill.
        std::fprintf(out, "%s\n", r.line.c_str());
        std::fflush(out);
        if (r.best) bests.push_back(*r.best);
        if (r.regret) regrets.push_back(*r.regret);
        if (!r.best) ++errors;
        seconds.push_back(r.seconds);
      }
      std::fprintf(stderr, "  %-12s median best %-10.5g median regret %-10.4g median run %.2f s%s\n",
                   method.name.c_str(), median_of(bests), median_of(regrets), median_of(seconds),
                   errors ? (" (" + std::to_string(errors) + " runs without a result)").c_str() : "");
    }
  }
  if (out != stdout) std::fclose(out);
  return 0;
}
