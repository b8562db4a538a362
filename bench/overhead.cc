// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Framework overhead of one ask + tell, the cost Winnow adds around an objective, measured with
// the random sampler and a trivial objective (x^2 + y) over a 4-parameter space: a linear float,
// a log float, an int and a categorical. bench/optuna_overhead.py measures the same loop in
// Optuna; bench/compare_overhead.sh runs both and prints the ratio.
//
//   build/bench/overhead                                  # memory and sqlite, 1k/10k/100k trials
//   build/bench/overhead --storage sqlite --trials 100000 --json
//
// Per configuration it prints the mean time of one ask + tell over the whole run and, when the
// run has at least 2,000 trials, the means over its first and last 1,000 trials: their ratio
// shows whether a trial costs more as the study grows (target: last/first <= 2). Each run gets a
// fresh storage (SQLite: a new file in a new temporary folder, removed afterwards); creating the
// study is not timed.
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/error.h"
#include "winnow/space.h"
#include "winnow/storage.h"
#include "winnow/study.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kWindow = 1000;  // trials in the "first" and "last" windows

// Parameters the objective reads but does not use land here, so the reads are not optimised away.
volatile int64_t g_sink = 0;

struct Result {
  std::string storage;
  int64_t trials = 0;
  double total_seconds = 0;
  double mean_us = 0;
  std::optional<double> first_us;  // mean over the first kWindow trials
  std::optional<double> last_us;   // mean over the last kWindow trials
  int runs = 1;                    // runs this is the median of (--repeat)
};

winnow::SearchSpace make_space() {
  winnow::SearchSpace space;
  space.add_float("x", -10.0, 10.0)
      .add_float("y", 1e-3, 1e3)
      .log()
      .add_int("n", 1, 100)
      .add_categorical("c", {std::string("a"), std::string("b"), std::string("c")});
  return space;
}

// A new, empty folder under the system's temporary folder; removed by the destructor.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "winnow-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp(" + pattern + "): " + std::strerror(errno));
    }
    path_ = pattern;
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

double mean_us(const std::vector<Clock::time_point>& marks, int64_t begin, int64_t end) {
  std::chrono::duration<double, std::micro> span = marks[end] - marks[begin];
  return span.count() / static_cast<double>(end - begin);
}

Result run(const std::string& storage_kind, int64_t n_trials, uint64_t seed) {
  std::optional<TemporaryFolder> folder;
  std::string url = "memory";
  if (storage_kind == "sqlite") {
    folder.emplace();
    url = "sqlite://" + (folder->path() / "overhead.db").string();
  }
  std::shared_ptr<winnow::Storage> storage = winnow::open_storage(url);
  winnow::Study study = winnow::Study::create(
      storage, make_space(), {.name = "overhead", .sampler = "random", .seed = seed});

  // marks[i] is taken just before trial i is asked; marks[n] after the last tell. One clock
  // read per trial (~20 ns) is the only instrumentation inside the loop.
  std::vector<Clock::time_point> marks(static_cast<size_t>(n_trials) + 1);
  for (int64_t i = 0; i < n_trials; ++i) {
    marks[i] = Clock::now();
    winnow::Trial trial = study.ask();
    double x = trial.float_param("x");
    double y = trial.float_param("y");
    // Read every parameter, as an objective using Optuna's suggest_* calls does.
    g_sink = trial.int_param("n") + static_cast<int64_t>(trial.string_param("c").size());
    study.tell(trial, x * x + y);
  }
  marks[n_trials] = Clock::now();

  Result result;
  result.storage = storage_kind;
  result.trials = n_trials;
  result.total_seconds = std::chrono::duration<double>(marks[n_trials] - marks[0]).count();
  result.mean_us = mean_us(marks, 0, n_trials);
  if (n_trials >= 2 * kWindow) {
    result.first_us = mean_us(marks, 0, kWindow);
    result.last_us = mean_us(marks, n_trials - kWindow, n_trials);
  }
  return result;
}

// The median of each statistic over repeated runs (the middle run for an odd count; the lower
// of the two middle ones otherwise), which resists the noise of a shared machine.
Result median(std::vector<Result> runs) {
  auto middle = [&](auto field) {
    std::vector<double> values;
    for (const Result& r : runs) values.push_back(field(r));
    std::sort(values.begin(), values.end());
    return values[(values.size() - 1) / 2];
  };
  Result out = runs.front();
  out.total_seconds = middle([](const Result& r) { return r.total_seconds; });
  out.mean_us = middle([](const Result& r) { return r.mean_us; });
  if (out.first_us) {
    out.first_us = middle([](const Result& r) { return *r.first_us; });
    out.last_us = middle([](const Result& r) { return *r.last_us; });
  }
  out.runs = static_cast<int>(runs.size());
  return out;
}

std::string format(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

void print_table(const std::vector<Result>& results) {
  if (!results.empty() && results.front().runs > 1) {
    std::printf("(each statistic: the median of %d runs)\n", results.front().runs);
  }
  std::printf("%-8s %9s %10s %12s %14s %13s %11s\n", "storage", "trials", "total s",
              "mean us", "first 1k us", "last 1k us", "last/first");
  for (const Result& r : results) {
    std::string first = r.first_us ? format(*r.first_us, 2) : "-";
    std::string last = r.last_us ? format(*r.last_us, 2) : "-";
    std::string ratio = r.first_us ? format(*r.last_us / *r.first_us, 2) : "-";
    std::printf("%-8s %9lld %10.3f %12.2f %14s %13s %11s\n", r.storage.c_str(),
                static_cast<long long>(r.trials), r.total_seconds, r.mean_us, first.c_str(),
                last.c_str(), ratio.c_str());
  }
}

void print_json(const std::vector<Result>& results) {
  for (const Result& r : results) {
    std::printf("{\"impl\": \"winnow\", \"storage\": \"%s\", \"trials\": %lld, "
                "\"runs\": %d, \"total_s\": %.6f, \"mean_us\": %.4f",
                r.storage.c_str(), static_cast<long long>(r.trials), r.runs, r.total_seconds,
                r.mean_us);
    if (r.first_us) std::printf(", \"first1k_us\": %.4f, \"last1k_us\": %.4f", *r.first_us, *r.last_us);
    std::printf("}\n");
  }
}

[[noreturn]] void usage(const char* program, const std::string& problem) {
  std::cerr << program << ": " << problem << "\n"
            << "usage: " << program
            << " [--storage memory|sqlite|all] [--trials N[,N...]] [--repeat R] [--seed S]"
               " [--json]\n"
               "  defaults: --storage all --trials 1000,10000,100000 --repeat 1 --seed 1\n"
               "  --repeat R runs each configuration R times (seeds S, S+1, ...) and reports the\n"
               "  median of each statistic\n"
               "  --json prints one JSON object per configuration instead of the table\n";
  std::exit(2);
}

std::vector<int64_t> parse_counts(const char* program, std::string_view text) {
  std::vector<int64_t> counts;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string piece(text.substr(0, comma));
    char* end = nullptr;
    long long value = std::strtoll(piece.c_str(), &end, 10);
    if (piece.empty() || *end != '\0' || value < 1) usage(program, "--trials: bad count '" + piece + "'");
    counts.push_back(value);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  if (counts.empty()) usage(program, "--trials: no count given");
  return counts;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> storages = {"memory", "sqlite"};
  std::vector<int64_t> counts = {1000, 10000, 100000};
  uint64_t seed = 1;
  int repeat = 1;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage(argv[0], std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--storage") {
      std::string_view kind = value();
      if (kind == "all") {
        storages = {"memory", "sqlite"};
      } else if (kind == "memory" || kind == "sqlite") {
        storages = {std::string(kind)};
      } else {
        usage(argv[0], "--storage: expected memory, sqlite or all, got '" + std::string(kind) + "'");
      }
    } else if (arg == "--trials") {
      counts = parse_counts(argv[0], value());
    } else if (arg == "--repeat") {
      repeat = std::atoi(std::string(value()).c_str());
      if (repeat < 1) usage(argv[0], "--repeat: expected a count >= 1");
    } else if (arg == "--seed") {
      seed = std::strtoull(std::string(value()).c_str(), nullptr, 10);
    } else if (arg == "--json") {
      json = true;
    } else if (arg == "-h" || arg == "--help") {
      usage(argv[0], "measures the overhead of ask + tell");
    } else {
      usage(argv[0], "unknown argument '" + std::string(arg) + "'");
    }
  }

  std::vector<Result> results;
  try {
    for (const std::string& storage : storages) {
      for (int64_t count : counts) {
        std::vector<Result> runs;
        for (int r = 0; r < repeat; ++r) runs.push_back(run(storage, count, seed + r));
        results.push_back(median(runs));
        if (!json) std::cerr << "done: " << storage << " " << count << " trials\n";
      }
    }
  } catch (const std::exception& error) {
    std::cerr << argv[0] << ": " << error.what() << "\n";
    return 1;
  }
  if (json) {
    print_json(results);
  } else {
    print_table(results);
  }
  return 0;
}
