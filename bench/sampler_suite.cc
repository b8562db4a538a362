// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Sampler quality benchmark: runs each (sampler, function, seed) as its own in-memory study of
// --trials trials through the public API (Study::ask / tell) and writes one JSON line per run:
//
//   {"tool": "winnow", "sampler": "tpe", "function": "branin", "seed": 1, "trials": 100,
//    "best": ..., "regret": best - optimum, "ask_ms_mean": ..., "ask_ms_median": ...,
//    "ask_ms_max": ..., "curve_at": [10, 25, 50, 100], "regret_curve": [...], "seconds": ...}
//
// Only study.ask() is timed (that is where the sampler runs, plus a few microseconds of
// in-memory storage), not the objective or tell(). A sampler that throws - at creation (a
// placeholder) or later - gives a line with "error" and the run goes on; so does a proposal
// outside the space. bench/optuna_samplers.py writes the same lines for Optuna and
// bench/summarize_samplers.py compares the two (bench/compare_samplers.sh runs all three).
//
//   build/bench/sampler_suite --samplers random,sobol --seeds 10 --trials 100 --output w.jsonl
//   build/bench/sampler_suite --self-check       # every function at its known minimiser
//   build/bench/sampler_suite --points 5         # random points + values, for functions.py
#include <algorithm>
#include <atomic>
#include <chrono>
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
#include "winnow/error.h"
#include "winnow/sampler.h"
#include "winnow/storage.h"
#include "winnow/study.h"

namespace {

using Clock = std::chrono::steady_clock;
using winnow_bench::JsonLine;
using winnow_bench::TestFunction;

const std::vector<int> kCurveAt = {10, 25, 50, 100};

struct Options {
  std::vector<std::string> samplers = {"tpe", "gp", "cmaes", "auto", "random", "sobol"};
  std::vector<const TestFunction*> functions;
  int seeds = 10;
  int trials = 100;
  int jobs = 1;
  std::string output = "-";
};

struct Run {
  std::string sampler;
  const TestFunction* function = nullptr;
  int seed = 0;
};

double median_of(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

struct Outcome {
  std::string line;
  std::optional<double> regret;  // absent after an error
  double ask_ms_mean = 0;
};

Outcome run_one(const Run& run, int n_trials) {
  const TestFunction& fn = *run.function;
  std::vector<double> ask_ms, curve;
  std::vector<double> curve_at;
  double best = 0;
  int done = 0;
  std::string error;
  Clock::time_point start = Clock::now();
  try {
    std::shared_ptr<winnow::Storage> storage = winnow::open_storage("memory");
    winnow::Study study = winnow::Study::create(
        storage, fn.space,
        {.name = "bench", .sampler = run.sampler, .seed = static_cast<uint64_t>(run.seed)});
    ask_ms.reserve(n_trials);
    for (int i = 0; i < n_trials; ++i) {
      Clock::time_point before = Clock::now();
      winnow::Trial trial = study.ask();
      ask_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - before).count());
      // A sampler bug, not a user mistake: report it as this run's error.
      try {
        fn.space.check(trial.config());
      } catch (const winnow::Error& e) {
        throw std::runtime_error("trial " + std::to_string(i) +
                                 " is not a member of the space: " + e.what() + " (config " +
                                 winnow_bench::json_config(trial.config()) + ")");
      }
      double value = fn.evaluate(trial.config());
      study.tell(trial, value);
      best = done == 0 ? value : std::min(best, value);
      ++done;
      if (std::find(kCurveAt.begin(), kCurveAt.end(), done) != kCurveAt.end()) {
        curve_at.push_back(done);
        curve.push_back(best - fn.optimum);
      }
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  Outcome outcome;
  JsonLine line;
  line.text("tool", "winnow").text("sampler", run.sampler).text("function", fn.name)
      .integer("seed", run.seed).integer("trials", done);
  if (done > 0) {
    double sum = 0;
    for (double ms : ask_ms) sum += ms;
    outcome.ask_ms_mean = sum / static_cast<double>(ask_ms.size());
    line.number("best", best).number("regret", best - fn.optimum)
        .number("ask_ms_mean", outcome.ask_ms_mean, 6)
        .number("ask_ms_median", median_of(ask_ms), 6)
        .number("ask_ms_max", *std::max_element(ask_ms.begin(), ask_ms.end()), 6);
    std::string at = "[";
    for (size_t i = 0; i < curve_at.size(); ++i) at += (i ? ", " : "") + std::to_string(static_cast<int>(curve_at[i]));
    line.raw("curve_at", at + "]").numbers("regret_curve", curve);
  }
  line.number("seconds", seconds, 6);
  if (!error.empty()) {
    line.text("error", error);
  } else {
    outcome.regret = best - fn.optimum;
  }
  outcome.line = line.str();
  return outcome;
}

[[noreturn]] void usage(const char* program, const std::string& problem) {
  std::cerr << program << ": " << problem << "\n"
            << "usage: " << program
            << " [--samplers SPEC,...] [--functions all|NAME,...] [--seeds N] [--trials N]\n"
               "       [--jobs N] [--output FILE]\n"
               "       " << program << " --self-check | --points N | --list\n"
               "  defaults: --samplers tpe,gp,cmaes,auto,random,sobol --functions all --seeds 10\n"
               "            --trials 100 --jobs 1 --output - (stdout)\n"
               "  Seeds are 1..N. Sampler specs may carry options (tpe:multivariate=false); a\n"
               "  comma followed by key=value continues the previous spec.\n"
               "  --jobs N runs independent runs on N threads (ask times are then not clean).\n"
               "  --self-check evaluates every function at its known minimiser.\n"
               "  --points N prints N random configurations per function (plus the minimiser)\n"
               "  with their values as JSON lines, for bench/functions.py --check-points.\n";
  std::exit(2);
}

int parse_count(const char* program, std::string_view flag, std::string_view text, int min) {
  char* end = nullptr;
  std::string copy(text);
  long value = std::strtol(copy.c_str(), &end, 10);
  if (copy.empty() || *end != '\0' || value < min) {
    usage(program, std::string(flag) + " = '" + copy + "': expected an integer >= " + std::to_string(min));
  }
  return static_cast<int>(value);
}

std::vector<const TestFunction*> parse_functions(const char* program, std::string_view text) {
  std::vector<const TestFunction*> out;
  if (text == "all") {
    for (const TestFunction& fn : winnow_bench::test_functions()) out.push_back(&fn);
    return out;
  }
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string name(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (!name.empty()) {
      const TestFunction* fn = winnow_bench::find_test_function(name);
      if (!fn) {
        std::string known;
        for (const TestFunction& f : winnow_bench::test_functions()) known += " " + f.name;
        usage(program, "--functions: unknown function '" + name + "'; known:" + known);
      }
      out.push_back(fn);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (out.empty()) usage(program, "--functions: no function given");
  return out;
}

int self_check_main() {
  std::string log;
  std::vector<std::string> problems = winnow_bench::self_check(&log);
  std::cout << log;
  for (const std::string& p : problems) std::cerr << "self-check FAILED: " << p << "\n";
  if (problems.empty()) std::cout << "self-check passed: " << winnow_bench::test_functions().size() << " functions\n";
  return problems.empty() ? 0 : 1;
}

// Random members of each space (the random sampler, a fixed seed) and the minimiser, with their
// values, so bench/functions.py can check that it computes the same numbers.
int points_main(int n) {
  for (const TestFunction& fn : winnow_bench::test_functions()) {
    std::unique_ptr<winnow::Sampler> sampler = winnow::create_sampler(winnow::SamplerSpec::parse("random"), 20261124);
    std::vector<winnow::Direction> directions = {winnow::Direction::kMinimize};
    std::vector<winnow::Config> configs = {fn.minimiser};
    for (int i = 0; i < n; ++i) {
      winnow::SampleContext context{fn.space, {}, directions, i};
      configs.push_back(*sampler->sample(context));
    }
    for (const winnow::Config& config : configs) {
      std::cout << JsonLine().text("function", fn.name).raw("config", winnow_bench::json_config(config))
                       .number("value", fn.evaluate(config)).str() << "\n";
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (const TestFunction& fn : winnow_bench::test_functions()) options.functions.push_back(&fn);
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage(argv[0], std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--samplers") {
      options.samplers = winnow_bench::split_sampler_specs(value());
      if (options.samplers.empty()) usage(argv[0], "--samplers: no sampler given");
    } else if (arg == "--functions") {
      options.functions = parse_functions(argv[0], value());
    } else if (arg == "--seeds") {
      options.seeds = parse_count(argv[0], arg, value(), 1);
    } else if (arg == "--trials") {
      options.trials = parse_count(argv[0], arg, value(), 1);
    } else if (arg == "--jobs") {
      options.jobs = parse_count(argv[0], arg, value(), 1);
    } else if (arg == "--output") {
      options.output = value();
    } else if (arg == "--self-check") {
      return self_check_main();
    } else if (arg == "--points") {
      return points_main(parse_count(argv[0], arg, value(), 0));
    } else if (arg == "--list") {
      for (const TestFunction& fn : winnow_bench::test_functions()) {
        std::printf("%-17s d=%-3d optimum=%-22.17g %s\n", fn.name.c_str(), fn.dimension, fn.optimum, fn.domain.c_str());
      }
      return 0;
    } else if (arg == "-h" || arg == "--help") {
      usage(argv[0], "compares samplers on test functions with known optima");
    } else {
      usage(argv[0], "unknown argument '" + std::string(arg) + "'");
    }
  }

  // Spec typos and placeholder samplers are reported once here; their runs still produce
  // error lines so the summary shows them.
  for (const std::string& spec : options.samplers) {
    try {
      winnow::create_sampler(winnow::SamplerSpec::parse(spec), 1);
    } catch (const std::exception& e) {
      std::cerr << "warning: sampler '" << spec << "': " << e.what()
                << " (its runs will be recorded as errors)\n";
    }
  }

  FILE* out = stdout;
  if (options.output != "-") {
    out = std::fopen(options.output.c_str(), "w");
    if (!out) {
      std::perror(options.output.c_str());
      return 1;
    }
  }

  std::vector<Run> runs;
  for (const std::string& spec : options.samplers) {
    for (const TestFunction* fn : options.functions) {
      for (int seed = 1; seed <= options.seeds; ++seed) runs.push_back({spec, fn, seed});
    }
  }

  // Runs are independent studies; workers take the next one from a shared counter and write
  // each line as soon as it is done (flushed, so a long run can be watched and survives a kill).
  std::atomic<size_t> next{0};
  std::mutex mutex;
  std::map<std::pair<std::string, std::string>, std::vector<Outcome>> groups;
  auto worker = [&]() {
    for (size_t i = next++; i < runs.size(); i = next++) {
      Outcome outcome = run_one(runs[i], options.trials);
      std::lock_guard lock(mutex);
      std::fprintf(out, "%s\n", outcome.line.c_str());
      std::fflush(out);
      auto& group = groups[{runs[i].sampler, runs[i].function->name}];
      group.push_back(outcome);
      if (static_cast<int>(group.size()) == options.seeds) {
        std::vector<double> regrets;
        double ask_sum = 0;
        for (const Outcome& o : group) {
          if (o.regret) regrets.push_back(*o.regret);
          ask_sum += o.ask_ms_mean;
        }
        if (regrets.empty()) {
          std::fprintf(stderr, "%-24s %-17s error\n", runs[i].sampler.c_str(), runs[i].function->name.c_str());
        } else {
          std::fprintf(stderr, "%-24s %-17s median regret %-11.4g mean ask %.3f ms%s\n",
                       runs[i].sampler.c_str(), runs[i].function->name.c_str(), median_of(regrets),
                       ask_sum / static_cast<double>(group.size()), regrets.size() < group.size() ? " (some runs failed)" : "");
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int j = 1; j < options.jobs; ++j) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
  if (out != stdout) std::fclose(out);
  return 0;
}
