// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Multi-objective benchmark: runs each (sampler, problem, seed) as its own in-memory study of a
// fixed number of trials through the public API (Study::ask / tell) and writes one JSON line per
// run with the hypervolume of the final front and at checkpoints:
//
//   {"tool": "winnow", "sampler": "nsga2", "problem": "zdt1", "seed": 1, "trials": 300,
//    "failed_trials": 0, "hypervolume": ..., "front_size": ..., "checkpoints": [50, 100, ...],
//    "hv_curve": [...], "reference": [1.1, 11], "literature_reference": [1.1, 1.1],
//    "literature_hypervolume": ..., "ask_ms_mean": ..., "seconds": ...}
//
// The hypervolume is the exact one of src/analysis/hypervolume.h over the complete (and
// feasible) trials so far, against the problem's fixed reference point (bench/mo_functions.h;
// ZDT also records the final volume against the literature's (1.1, 1.1)).
// An unknown sampler (say nsga2 before it is registered) is reported on stderr and gets one
// line per problem with "error" and "seed": 0; the others run. A sampler that throws later, or
// proposes a configuration outside the space, gives that run an "error" line. A failed
// evaluation (the xgb program failing) is a failed trial, counted in "failed_trials".
// bench/optuna_mo.py writes the same lines for Optuna; bench/summarize_mo.py compares them
// (bench/compare_mo.sh runs everything).
//
//   build/bench/mo_suite --samplers nsga2,motpe,auto,random --seeds 10 --output w.jsonl
//   build/bench/mo_suite --problems zdt1,dtlz2 --trials 100 --seeds 3
//   build/bench/mo_suite --self-check      # known and Pareto-optimal points; xgb's determinism
//   build/bench/mo_suite --points 20       # random points + values, for mo_functions.py
//   build/bench/mo_suite --hv-check        # point sets + hypervolumes, for optuna_mo.py
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/hypervolume.h"
#include "functions.h"
#include "mo_functions.h"
#include "winnow/attributes.h"
#include "winnow/error.h"
#include "winnow/sampler.h"
#include "winnow/storage.h"
#include "winnow/study.h"

namespace {

using Clock = std::chrono::steady_clock;
using winnow_bench::JsonLine;
using winnow_bench::MultiObjectiveProblem;

struct Options {
  std::vector<std::string> samplers = {"nsga2", "motpe", "auto", "random"};
  std::vector<std::string> problems;  // empty: all
  int seeds = 10;
  int trials = 0;  // 0: each problem's default_trials
  std::vector<int> checkpoints = {50, 100, 200, 300};
  std::string output = "-";
  std::string xgb_objective;
};

double median_of(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Exact hypervolume of row-major points (every objective minimised).
double hypervolume_of(const std::vector<double>& points, const std::vector<double>& reference) {
  return winnow::exact_hypervolume(points, reference.size(), reference);
}

// The number of points no other point dominates (duplicates count once each).
int front_size(const std::vector<double>& points, size_t m) {
  size_t n = points.size() / m;
  int count = 0;
  for (size_t i = 0; i < n; ++i) {
    bool dominated = false;
    for (size_t j = 0; j < n && !dominated; ++j) {
      if (i == j) continue;
      bool no_worse = true, better = false;
      for (size_t k = 0; k < m; ++k) {
        no_worse = no_worse && points[j * m + k] <= points[i * m + k];
        better = better || points[j * m + k] < points[i * m + k];
      }
      dominated = no_worse && better;
    }
    count += !dominated;
  }
  return count;
}

struct Outcome {
  std::string line;
  std::optional<double> hypervolume;  // absent after an error
};

Outcome run_one(const std::string& sampler, const MultiObjectiveProblem& problem, int seed,
                int n_trials, const std::vector<int>& checkpoints) {
  const size_t m = problem.reference.size();
  std::vector<double> points;  // values of the complete trials, row-major
  std::vector<int> curve_at;
  std::vector<double> curve;
  double ask_ms = 0;
  int done = 0, failed = 0;
  std::string error;
  // Which sampler proposed how many trials (a composite's choice, "winnow.sampler"), in order of
  // first use, so a portfolio's shares can be read from the raw results.
  std::vector<std::pair<std::string, int>> proposed_by;
  Clock::time_point start = Clock::now();
  try {
    winnow::Study study = winnow::Study::create(
        winnow::open_storage("memory"), problem.space,
        {.name = "bench",
         .directions = std::vector<winnow::Direction>(m, winnow::Direction::kMinimize),
         .objective_names = problem.objective_names,
         .sampler = sampler,
         .seed = static_cast<uint64_t>(seed)});
    for (int i = 0; i < n_trials; ++i) {
      Clock::time_point before = Clock::now();
      winnow::Trial trial = study.ask();
      ask_ms += std::chrono::duration<double, std::milli>(Clock::now() - before).count();
      try {  // a sampler bug, not a user mistake: this run's error
        problem.space.check(trial.config());
      } catch (const winnow::Error& e) {
        throw std::runtime_error("trial " + std::to_string(i) + " is not a member of the space: " +
                                 e.what() + " (config " + winnow_bench::json_config(trial.config()) + ")");
      }
      std::vector<double> values;
      try {
        values = problem.evaluate(trial.config());
      } catch (const std::runtime_error& e) {
        study.tell_failed(trial, e.what());
        ++failed;
      }
      if (!values.empty()) {
        study.tell(trial, values);
        // The front holds complete, feasible trials (these problems have no constraints, and
        // tell() fails a trial with a NaN value).
        const winnow::FrozenTrial& record = trial.record();
        if (record.state == winnow::TrialState::kComplete && record.feasible()) {
          points.insert(points.end(), values.begin(), values.end());
        }
      }
      auto by = trial.record().user_attrs.find(std::string(winnow::kSamplerAttr));
      std::string name = by == trial.record().user_attrs.end() ? sampler : by->second;
      auto slot = std::find_if(proposed_by.begin(), proposed_by.end(),
                               [&](const auto& entry) { return entry.first == name; });
      if (slot == proposed_by.end()) slot = proposed_by.insert(proposed_by.end(), {name, 0});
      ++slot->second;
      ++done;
      if (std::find(checkpoints.begin(), checkpoints.end(), done) != checkpoints.end() || done == n_trials) {
        curve_at.push_back(done);
        curve.push_back(hypervolume_of(points, problem.reference));
      }
    }
    if (failed == done && done > 0) error = "every trial failed";
  } catch (const std::exception& e) {
    error = e.what();
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  Outcome outcome;
  JsonLine line;
  line.text("tool", "winnow").text("sampler", sampler).text("problem", problem.name)
      .integer("seed", seed).integer("trials", done).integer("failed_trials", failed);
  if (error.empty()) {
    outcome.hypervolume = curve.back();
    line.number("hypervolume", curve.back()).integer("front_size", front_size(points, m));
    std::string at = "[";
    for (size_t i = 0; i < curve_at.size(); ++i) at += (i ? ", " : "") + std::to_string(curve_at[i]);
    line.raw("checkpoints", at + "]").numbers("hv_curve", curve).numbers("reference", problem.reference);
    if (!problem.literature_reference.empty()) {
      line.numbers("literature_reference", problem.literature_reference)
          .number("literature_hypervolume", hypervolume_of(points, problem.literature_reference));
    }
    line.number("ask_ms_mean", done ? ask_ms / done : 0.0, 6);
    std::string counts = "{";
    for (const auto& [name, count] : proposed_by) {
      // A composite's attribute is already a JSON string; a plain sampler's name is not.
      std::string key = name.starts_with('"') ? name : winnow_bench::json_string(name);
      counts += (counts.size() > 1 ? ", " : "") + key + ": " + std::to_string(count);
    }
    line.raw("proposed_by", counts + "}");
  }
  line.number("seconds", seconds, 6);
  if (!error.empty()) line.text("error", error);
  outcome.line = line.str();
  return outcome;
}

[[noreturn]] void usage(const char* program, const std::string& problem) {
  std::cerr << program << ": " << problem << "\n"
            << "usage: " << program
            << " [--samplers SPEC,...] [--problems all|NAME,...] [--seeds N] [--trials N]\n"
               "       [--checkpoints N,...] [--xgb-objective PATH] [--output FILE]\n"
               "       " << program << " --self-check | --points N | --hv-check | --list\n"
               "  defaults: --samplers nsga2,motpe,auto,random --problems all --seeds 10\n"
               "            --trials 300 (every problem)\n"
               "            --checkpoints 50,100,200,300 (the final trial is always one)\n"
               "            --xgb-objective: xgb_tradeoff_objective next to this program\n"
               "            --output - (stdout)\n"
               "  Seeds are 1..N; runs are sequential (one core).\n"
               "  --self-check checks known points, the fronts and the xgb programs' determinism.\n"
               "  --points N prints N random configurations per problem (xgb, xgb_cls: 3) with\n"
               "  their objectives and reference points as JSON lines, for\n"
               "  mo_functions.py --check-points.\n"
               "  --hv-check prints fixed point sets with their hypervolumes, for\n"
               "  bench/optuna_mo.py --check-hypervolume.\n";
  std::exit(2);
}

int parse_count(const char* program, std::string_view flag, std::string_view text, int min) {
  std::string copy(text);
  char* end = nullptr;
  long value = std::strtol(copy.c_str(), &end, 10);
  if (copy.empty() || *end != '\0' || value < min) {
    usage(program, std::string(flag) + " = '" + copy + "': expected an integer >= " + std::to_string(min));
  }
  return static_cast<int>(value);
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

int self_check_main(const std::vector<MultiObjectiveProblem>& problems) {
  std::string log;
  std::vector<std::string> failures = winnow_bench::multi_objective_self_check(problems, &log);
  // The exact hypervolume of a dense sample of each analytic front (a grid of the problem's
  // Pareto-optimal configurations) approaches the known one.
  for (const MultiObjectiveProblem& p : problems) {
    if (!p.best_hypervolume || !p.pareto_config) continue;
    std::vector<double> points;
    const int n = p.reference.size() == 2 ? 20001 : 201;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < (p.reference.size() == 2 ? 1 : n); ++j) {
        std::vector<double> t = {i / (n - 1.0)};
        if (p.reference.size() == 3) t.push_back(j / (n - 1.0));
        std::vector<double> f = p.evaluate(p.pareto_config(t));
        points.insert(points.end(), f.begin(), f.end());
      }
    }
    std::vector<std::pair<std::vector<double>, double>> checks = {{p.reference, *p.best_hypervolume}};
    if (!p.literature_reference.empty()) checks.push_back({p.literature_reference, *p.best_literature_hypervolume});
    for (const auto& [reference, best] : checks) {
      double hv = hypervolume_of(points, reference);
      double gap = best - hv;
      // A grid of a curve converges as 1/n, of a surface as 1/sqrt(points): 2e-3 and 5e-3, or
      // 2e-4 and 1e-3 of the volume where that is more (the gap grows with the reference box).
      const bool two = reference.size() == 2;
      bool ok = gap >= -1e-6 * std::max(1.0, best) &&
                gap < std::max(two ? 2e-3 : 5e-3, (two ? 2e-4 : 1e-3) * best);
      log += p.name + " hypervolume of " + std::to_string(points.size() / reference.size()) +
             " front points w.r.t. (" + winnow_bench::json_number(reference[0], 3) + ", " +
             winnow_bench::json_number(reference[1], 3) + (reference.size() > 2 ? ", ...) " : ") ") +
             winnow_bench::json_number(hv, 8) + ", true front " + winnow_bench::json_number(best, 8) +
             (ok ? "" : "  <- too far") + "\n";
      if (!ok) failures.push_back(p.name + ": a dense sample of the front has hypervolume " + std::to_string(hv));
    }
  }
  std::cout << log;
  for (const std::string& f : failures) std::cerr << "self-check FAILED: " << f << "\n";
  if (failures.empty()) std::cout << "self-check passed: " << problems.size() << " problems\n";
  return failures.empty() ? 0 : 1;
}

int points_main(const std::vector<MultiObjectiveProblem>& problems, int n) {
  for (const MultiObjectiveProblem& p : problems) {
    std::unique_ptr<winnow::Sampler> sampler =
        winnow::create_sampler(winnow::SamplerSpec::parse("random"), 20261124);
    std::vector<winnow::Direction> directions(p.reference.size(), winnow::Direction::kMinimize);
    int count = p.name.starts_with("xgb") ? std::min(n, 3) : n;
    for (int i = 0; i < count; ++i) {
      winnow::SampleContext context{p.space, {}, directions, i};
      winnow::Config config = *sampler->sample(context);
      JsonLine line;
      line.text("problem", p.name).raw("config", winnow_bench::json_config(config))
          .numbers("values", p.evaluate(config)).numbers("reference", p.reference);
      if (!p.literature_reference.empty()) line.numbers("literature_reference", p.literature_reference);
      std::cout << line.str() << "\n";
    }
  }
  return 0;
}

// Point sets for the Python hypervolume's cross-check: random clouds, fronts (every point
// non-dominated), points outside or on the reference, duplicates and negative coordinates.
int hv_check_main() {
  std::mt19937_64 engine(7);
  auto uniform = [&engine] { return static_cast<double>(engine() >> 11) * 0x1.0p-53; };
  int cases = 0;
  for (size_t m : {2, 3}) {
    for (int n : {1, 2, 7, 40, 300}) {
      for (int kind = 0; kind < 3; ++kind) {
        std::vector<double> reference(m, 1.1), points;
        for (int i = 0; i < n; ++i) {
          std::vector<double> p(m);
          if (kind == 0) {  // a cloud over [-0.2, 1.3]^m: some outside the reference
            for (double& v : p) v = -0.2 + 1.5 * uniform();
          } else if (kind == 1) {  // on the unit sphere: all non-dominated
            double norm = 0;
            for (double& v : p) {
              v = 0.05 + uniform();
              norm += v * v;
            }
            for (double& v : p) v /= std::sqrt(norm);
          } else {  // a coarse grid: duplicates and coordinates equal to the reference
            for (double& v : p) v = 0.1 * static_cast<int>(uniform() * 12);
          }
          points.insert(points.end(), p.begin(), p.end());
        }
        std::vector<std::vector<double>> rows;
        for (int i = 0; i < n; ++i) rows.emplace_back(points.begin() + i * m, points.begin() + (i + 1) * m);
        std::string list = "[";
        for (size_t i = 0; i < rows.size(); ++i) {
          list += (i ? ", " : "") + std::string("[");
          for (size_t k = 0; k < m; ++k) list += (k ? ", " : "") + winnow_bench::json_number(rows[i][k]);
          list += "]";
        }
        std::cout << JsonLine().integer("n_objectives", static_cast<int64_t>(m)).numbers("reference", reference)
                         .raw("points", list + "]").number("hypervolume", hypervolume_of(points, reference)).str()
                  << "\n";
        ++cases;
      }
    }
  }
  std::cerr << "hv-check: " << cases << " point sets\n";
  return 0;
}

std::string default_xgb_objective() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "xgb_tradeoff_objective";
  return (self.parent_path() / "xgb_tradeoff_objective").string();
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  options.xgb_objective = default_xgb_objective();
  enum class Mode { kRun, kSelfCheck, kPoints, kHvCheck, kList } mode = Mode::kRun;
  int points = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage(argv[0], std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--samplers") {
      options.samplers = winnow_bench::split_sampler_specs(value());
      if (options.samplers.empty()) usage(argv[0], "--samplers: no sampler given");
    } else if (arg == "--problems") {
      std::string_view text = value();
      options.problems = text == "all" ? std::vector<std::string>{} : split(text);
    } else if (arg == "--seeds") {
      options.seeds = parse_count(argv[0], arg, value(), 1);
    } else if (arg == "--trials") {
      options.trials = parse_count(argv[0], arg, value(), 1);
    } else if (arg == "--checkpoints") {
      options.checkpoints.clear();
      for (const std::string& piece : split(value())) options.checkpoints.push_back(parse_count(argv[0], arg, piece, 1));
    } else if (arg == "--xgb-objective") {
      options.xgb_objective = value();
    } else if (arg == "--output") {
      options.output = value();
    } else if (arg == "--self-check") {
      mode = Mode::kSelfCheck;
    } else if (arg == "--points") {
      mode = Mode::kPoints;
      points = parse_count(argv[0], arg, value(), 0);
    } else if (arg == "--hv-check") {
      mode = Mode::kHvCheck;
    } else if (arg == "--list") {
      mode = Mode::kList;
    } else if (arg == "-h" || arg == "--help") {
      usage(argv[0], "compares multi-objective samplers by the hypervolume of their fronts");
    } else {
      usage(argv[0], "unknown argument '" + std::string(arg) + "'");
    }
  }

  std::vector<MultiObjectiveProblem> all = winnow_bench::multi_objective_problems({.xgb_objective = options.xgb_objective});
  std::vector<const MultiObjectiveProblem*> problems;
  if (options.problems.empty()) {
    for (const MultiObjectiveProblem& p : all) problems.push_back(&p);
  } else {
    for (const std::string& name : options.problems) {
      auto it = std::find_if(all.begin(), all.end(), [&](const MultiObjectiveProblem& p) { return p.name == name; });
      if (it == all.end()) {
        std::string known;
        for (const MultiObjectiveProblem& p : all) known += " " + p.name;
        usage(argv[0], "--problems: unknown problem '" + name + "'; known:" + known);
      }
      problems.push_back(&*it);
    }
  }
  std::vector<MultiObjectiveProblem> selected;
  for (const MultiObjectiveProblem* p : problems) selected.push_back(*p);

  switch (mode) {
    case Mode::kSelfCheck: return self_check_main(selected);
    case Mode::kPoints: return points_main(selected, points);
    case Mode::kHvCheck: return hv_check_main();
    case Mode::kList:
      for (const MultiObjectiveProblem& p : selected) {
        auto text = [](const std::vector<double>& point) {
          std::string out;
          for (double r : point) out += (out.empty() ? "" : ", ") + winnow_bench::json_number(r, 6);
          return "(" + out + ")";
        };
        std::printf("%-6s d=%-3d m=%zu trials=%-4d reference=%s best_hv=%s", p.name.c_str(), p.dimension,
                    p.reference.size(), p.default_trials, text(p.reference).c_str(),
                    p.best_hypervolume ? winnow_bench::json_number(*p.best_hypervolume, 8).c_str() : "-");
        if (!p.literature_reference.empty()) {
          std::printf(" literature=%s best_hv=%s", text(p.literature_reference).c_str(),
                      winnow_bench::json_number(*p.best_literature_hypervolume, 8).c_str());
        }
        std::printf("\n  %s\n", p.domain.c_str());
      }
      return 0;
    case Mode::kRun: break;
  }

  FILE* out = stdout;
  if (options.output != "-") {
    out = std::fopen(options.output.c_str(), "w");
    if (!out) {
      std::perror(options.output.c_str());
      return 1;
    }
  }
  auto emit = [&](const std::string& line) {
    std::fprintf(out, "%s\n", line.c_str());
    std::fflush(out);  // a long run can be watched, and survives a kill
  };

  for (const std::string& spec : options.samplers) {
    // An unknown sampler (or a bad spec) is reported once and skipped; the others run.
    try {
      winnow::create_sampler(winnow::SamplerSpec::parse(spec), 1);
    } catch (const std::exception& e) {
      std::cerr << "warning: sampler '" << spec << "' skipped: " << e.what() << "\n";
      for (const MultiObjectiveProblem& p : selected) {
        emit(JsonLine().text("tool", "winnow").text("sampler", spec).text("problem", p.name).integer("seed", 0)
                 .integer("trials", 0).text("error", std::string("sampler not available: ") + e.what()).str());
      }
      continue;
    }
    for (const MultiObjectiveProblem& p : selected) {
      int n_trials = options.trials > 0 ? options.trials : p.default_trials;
      std::vector<double> hypervolumes;
      int errors = 0;
      std::string first_error;
      for (int seed = 1; seed <= options.seeds; ++seed) {
        Outcome outcome = run_one(spec, p, seed, n_trials, options.checkpoints);
        emit(outcome.line);
        if (outcome.hypervolume) {
          hypervolumes.push_back(*outcome.hypervolume);
        } else if (errors++ == 0) {
          first_error = outcome.line;
        }
      }
      if (hypervolumes.empty()) {
        std::fprintf(stderr, "%-22s %-6s error: %s\n", spec.c_str(), p.name.c_str(), first_error.c_str());
      } else {
        std::fprintf(stderr, "%-22s %-6s median hypervolume %-12.6g over %zu seeds, %d trials%s\n", spec.c_str(),
                     p.name.c_str(), median_of(hypervolumes), hypervolumes.size(), n_trials,
                     errors ? " (some runs failed)" : "");
      }
    }
  }
  if (out != stdout) std::fclose(out);
  return 0;
}
