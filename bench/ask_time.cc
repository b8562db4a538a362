// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Ask time of a sampler when the study already holds N complete trials: the cost of the model
// (TPE's Parzen estimators, the GP's fit and acquisition search), without storage or objective.
// It builds the sampler with create_sampler() and calls sample() on a synthetic history of N
// FrozenTrials (state complete, uniformly random configurations of the function's space, their
// true values). After each timed sample() the proposal is appended as a complete trial with its
// value (and any notes the sampler left in trial_attrs), as a study would, so a sampler cannot
// reuse a cached model: ask k of a run sees N + k trials. Each N gets a fresh sampler; its first
// ask (cold: any one-off setup, such as a sampler indexing the history it meets) is also
// reported on its own, and the "warm" figures leave it out: a study keeps its sampler, so
// every ask but the first after a start or resume is a warm one.
//
// --study measures the same through a study in in-memory storage instead: N trials at random
// configurations are asked and told by the `random` sampler (so the model is never asked for
// them), then the study is opened with the sampler under test and each timed Study::ask() is
// followed by an untimed tell of the proposal's value. That adds what the study's ask path
// costs (syncing its cached history from the storage, creating the trial).
//
// --fill SPEC makes the N trials with another sampler than `random`, with the notes it leaves
// on them: a sampler that rebuilds its state from its own notes (nsga2's generations, cmaes's)
// does real work only on a history it made itself. Filling then costs what N asks of SPEC do.
//
//   build/bench/ask_time                                   # tpe and gp, N = 100,200,500,1000
//   build/bench/ask_time --samplers gp --n 200 --asks 30 --json
//   build/bench/ask_time --samplers tpe --n 1000,10000,100000 --study --json
//   build/bench/ask_time --samplers tpe,nsga2 --problem zdt1 --n 1000,10000   # several objectives
//
// bench/optuna_ask_time.py measures Optuna the same way; bench/summarize_samplers.py compares.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "functions.h"
#include "mo_functions.h"
#include "winnow/sampler.h"
#include "winnow/storage.h"
#include "winnow/study.h"

namespace {

using Clock = std::chrono::steady_clock;
using winnow_bench::JsonLine;
using winnow_bench::TestFunction;

// What the asks are timed on: a test function (one objective) or a multi-objective problem.
struct Problem {
  std::string name;
  int dimension = 0;
  winnow::SearchSpace space;
  std::vector<winnow::Direction> directions;
  std::function<std::vector<double>(const winnow::Config&)> evaluate;
};

Problem from_function(const TestFunction& fn) {
  return Problem{fn.name, fn.dimension, fn.space, {winnow::Direction::kMinimize},
                 [evaluate = fn.evaluate](const winnow::Config& c) {
                   return std::vector<double>{evaluate(c)};
                 }};
}

struct Options {
  std::vector<std::string> samplers = {"tpe", "gp"};
  std::vector<int> n_values = {100, 200, 500, 1000};
  int asks = 20;
  double max_seconds = 60;  // per (sampler, N): stop asking after this (at least 3 asks)
  std::optional<Problem> problem;
  uint64_t seed = 1;
  bool json = false;
  bool study = false;  // through an in-memory study (see the top of this file)
  std::string fill = "random";  // the sampler that makes the N trials
};

struct Result {
  std::string sampler;
  int n = 0;
  std::vector<double> ms;      // wall-clock time of each ask, in order
  std::vector<double> cpu_ms;  // CPU time of the asking thread, each ask
  std::string error;
};

// CPU time of the calling thread: unlike wall-clock time, it does not count the time the
// thread waits for a core on a busy machine.
double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
}

// Times one call of `ask` into `result`.
template <typename Ask>
auto timed(Result& result, Ask&& ask) {
  double cpu_before = thread_cpu_ms();
  Clock::time_point before = Clock::now();
  auto answer = ask();
  result.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - before).count());
  result.cpu_ms.push_back(thread_cpu_ms() - cpu_before);
  return answer;
}

winnow::FrozenTrial complete_trial(int64_t number, winnow::Config config,
                                   std::vector<double> values) {
  winnow::FrozenTrial t;
  t.id = number;
  t.number = number;
  t.state = winnow::TrialState::kComplete;
  t.config = std::move(config);
  t.values = std::move(values);
  t.start_time_ms = 1'800'000'000'000 + number * 1000;
  t.end_time_ms = t.start_time_ms + 500;
  return t;
}

// N complete trials at uniformly random configurations (Winnow's random sampler, fixed seed).
std::vector<winnow::FrozenTrial> random_history(const Problem& fn, int n, uint64_t seed,
                                                const std::string& fill) {
  auto sampler = winnow::create_sampler(winnow::SamplerSpec::parse(fill), seed ^ 0xA5C);
  std::vector<winnow::FrozenTrial> history;
  for (int i = 0; i < n; ++i) {
    std::map<std::string, std::string> attrs;
    winnow::SampleContext context{fn.space, history, fn.directions, i, &attrs};
    winnow::Config config = *sampler->sample(context);
    std::vector<double> value = fn.evaluate(config);
    history.push_back(complete_trial(i, std::move(config), value));
    history.back().user_attrs = std::move(attrs);
  }
  return history;
}

Result measure(const std::string& spec, const Problem& fn,
               const std::vector<winnow::FrozenTrial>& base, int n, const Options& options) {
  Result result{spec, n, {}, {}, {}};
  try {
    auto sampler = winnow::create_sampler(winnow::SamplerSpec::parse(spec), options.seed);
    std::vector<winnow::FrozenTrial> history(base.begin(), base.begin() + n);
    const std::vector<winnow::Direction>& directions = fn.directions;
    Clock::time_point start = Clock::now();
    for (int a = 0; a < options.asks; ++a) {
      if (a >= 3 && std::chrono::duration<double>(Clock::now() - start).count() > options.max_seconds) break;
      std::map<std::string, std::string> attrs;
      winnow::SampleContext context{fn.space, history, directions,
                                    static_cast<int64_t>(history.size()), &attrs};
      std::optional<winnow::Config> config =
          timed(result, [&] { return sampler->sample(context); });
      if (!config) throw std::runtime_error("the sampler had nothing to propose");
      std::vector<double> value = fn.evaluate(*config);
      winnow::FrozenTrial t = complete_trial(static_cast<int64_t>(history.size()), *config, value);
      t.user_attrs = std::move(attrs);
      history.push_back(std::move(t));
    }
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

// The same through a study: `n` random trials told, then the study opened with `spec`.
Result measure_study(const std::string& spec, const Problem& fn, int n,
                     const Options& options) {
  Result result{spec, n, {}, {}, {}};
  try {
    std::shared_ptr<winnow::Storage> storage = winnow::open_storage("memory");
    winnow::StudyOptions study_options{.name = "ask_time", .directions = fn.directions,
                                       .sampler = options.fill, .seed = options.seed ^ 0xA5C};
    {
      winnow::Study filler = winnow::Study::create(storage, fn.space, study_options);
      for (int i = 0; i < n; ++i) {
        winnow::Trial trial = filler.ask();
        filler.tell(trial, fn.evaluate(trial.config()));
      }
    }
    study_options.sampler = spec;
    study_options.seed = options.seed;
    winnow::Study study = winnow::Study::create(storage, fn.space, study_options);
    Clock::time_point start = Clock::now();
    for (int a = 0; a < options.asks; ++a) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      if (a >= 3 && elapsed > options.max_seconds) break;
      winnow::Trial trial = timed(result, [&] { return study.ask(); });
      study.tell(trial, fn.evaluate(trial.config()));
    }
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

double mean_of(const std::vector<double>& v, size_t from = 0) {
  if (v.size() <= from) return std::nan("");
  double sum = 0;
  for (size_t i = from; i < v.size(); ++i) sum += v[i];
  return sum / static_cast<double>(v.size() - from);
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string json_line(const Result& r, const Problem& fn, const Options& options) {
  JsonLine line;
  line.text("tool", "winnow").text("sampler", r.sampler).text("function", fn.name)
      .integer("dimension", fn.dimension)
      .integer("objectives", static_cast<int64_t>(fn.directions.size()))
      .integer("n_trials", r.n)
      .integer("asks", static_cast<int64_t>(r.ms.size()))
      .text("through", options.study ? "study" : "sampler")
      .text("fill", options.fill);
  if (!r.ms.empty()) {
    line.number("ask_ms_median", median_of(r.ms), 6)
        .number("ask_ms_mean", mean_of(r.ms), 6)
        .number("ask_ms_min", *std::min_element(r.ms.begin(), r.ms.end()), 6)
        .number("ask_ms_max", *std::max_element(r.ms.begin(), r.ms.end()), 6)
        .number("first_ask_ms", r.ms.front(), 6)
        .number("warm_ask_ms_mean", mean_of(r.ms, 1), 6)
        .number("warm_ask_ms_median",
                r.ms.size() > 1 ? median_of({r.ms.begin() + 1, r.ms.end()}) : std::nan(""), 6)
        .number("warm_cpu_ms_mean", mean_of(r.cpu_ms, 1), 6)
        .number("first_cpu_ms", r.cpu_ms.front(), 6);
  }
  if (!r.error.empty()) line.text("error", r.error);
  return line.str();
}

[[noreturn]] void usage(const char* program, const std::string& problem) {
  std::cerr << program << ": " << problem << "\n"
            << "usage: " << program
            << " [--samplers SPEC,...] [--n N,...] [--asks K] [--max-seconds S]\n"
               "       [--function NAME | --problem NAME] [--fill SPEC] [--seed S] [--study]\n"
               "       [--json]\n"
               "  defaults: --samplers tpe,gp --n 100,200,500,1000 --asks 20 --max-seconds 60\n"
               "            --function rosenbrock10 --seed 1\n"
               "  --max-seconds S stops asking for one (sampler, N) after S seconds (>= 3 asks).\n"
               "  --problem NAME times a multi-objective problem of mo_suite (zdt1, dtlz2, ...).\n"
               "  --study asks through an in-memory study filled with N random trials.\n"
               "  --fill SPEC makes the N trials with SPEC (default random), notes included.\n"
               "  --json prints one JSON object per (sampler, N) instead of the table.\n";
  std::exit(2);
}

std::vector<int> parse_counts(const char* program, std::string_view text) {
  std::vector<int> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string piece(text.substr(0, comma));
    char* end = nullptr;
    long value = std::strtol(piece.c_str(), &end, 10);
    if (piece.empty() || *end != '\0' || value < 1) usage(program, "--n: bad count '" + piece + "'");
    out.push_back(static_cast<int>(value));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  if (out.empty()) usage(program, "--n: no count given");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  options.problem = from_function(*winnow_bench::find_test_function("rosenbrock10"));
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(argv[0], std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--samplers") {
      options.samplers = winnow_bench::split_sampler_specs(value());
      if (options.samplers.empty()) usage(argv[0], "--samplers: no sampler given");
    } else if (arg == "--n") {
      options.n_values = parse_counts(argv[0], value());
    } else if (arg == "--asks") {
      options.asks = std::atoi(value().c_str());
      if (options.asks < 1) usage(argv[0], "--asks: expected a count >= 1");
    } else if (arg == "--max-seconds") {
      options.max_seconds = std::atof(value().c_str());
      if (!(options.max_seconds > 0)) usage(argv[0], "--max-seconds: expected a positive number");
    } else if (arg == "--function") {
      std::string name = value();
      const TestFunction* function = winnow_bench::find_test_function(name);
      if (!function) {
        usage(argv[0], "--function: unknown function '" + name + "' (see sampler_suite --list)");
      }
      options.problem = from_function(*function);
    } else if (arg == "--problem") {
      std::string name = value();
      options.problem.reset();
      for (winnow_bench::MultiObjectiveProblem& p : winnow_bench::multi_objective_problems({})) {
        if (p.name == name && !name.starts_with("xgb")) {  // not the subprocess ones
          options.problem = Problem{p.name, p.dimension, p.space,
                                    std::vector<winnow::Direction>(p.objective_names.size(),
                                                                   winnow::Direction::kMinimize),
                                    p.evaluate};
        }
      }
      if (!options.problem) {
        usage(argv[0], "--problem: unknown or unsupported problem '" + name + "'");
      }
    } else if (arg == "--seed") {
      options.seed = std::strtoull(value().c_str(), nullptr, 10);
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "--study") {
      options.study = true;
    } else if (arg == "--fill") {
      options.fill = value();
    } else if (arg == "-h" || arg == "--help") {
      usage(argv[0], "measures a sampler's ask time with N complete trials in the study");
    } else {
      usage(argv[0], "unknown argument '" + std::string(arg) + "'");
    }
  }

  const Problem& fn = *options.problem;
  int largest = *std::max_element(options.n_values.begin(), options.n_values.end());
  std::vector<winnow::FrozenTrial> base;
  if (!options.study) base = random_history(fn, largest, options.seed, options.fill);

  if (!options.json) {
    std::printf("function %s (d = %d); each row: a fresh %s, N complete random trials, up to "
                "%d asks; warm: all but the first\n", fn.name.c_str(), fn.dimension,
                options.study ? "in-memory study" : "sampler", options.asks);
    std::printf("%-24s %7s %5s %10s %10s %10s %10s %10s\n", "sampler", "N", "asks", "median ms",
                "mean ms", "warm ms", "warm cpu", "first ms");
  }
  for (const std::string& spec : options.samplers) {
    for (int n : options.n_values) {
      Result r = options.study ? measure_study(spec, fn, n, options)
                               : measure(spec, fn, base, n, options);
      if (options.json) {
        std::printf("%s\n", json_line(r, fn, options).c_str());
      } else if (r.ms.empty()) {
        std::printf("%-24s %7d  error: %s\n", spec.c_str(), n, r.error.c_str());
      } else {
        std::printf("%-24s %7d %5zu %10.3f %10.3f %10.3f %10.3f %10.3f%s%s\n", spec.c_str(), n,
                    r.ms.size(), median_of(r.ms), mean_of(r.ms), mean_of(r.ms, 1),
                    mean_of(r.cpu_ms, 1), r.ms.front(), r.error.empty() ? "" : "  error: ",
                    r.error.c_str());
      }
      std::fflush(stdout);
    }
  }
  return 0;
}
