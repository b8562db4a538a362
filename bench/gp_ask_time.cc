// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Time of one "gp" proposal as a function of the number of complete trials (docs/gp.md).
//
//   gp_ask_time [--dims 10] [--trials 100,200,500,1000] [--asks 10] [--spec gp] [--seed 1]
//
// For each size n, a history of n complete trials (Sobol points of a 10-D Styblinski-Tang
// function) is built and one untimed proposal made; then the proposals at n+1 .. n+asks
// complete trials are timed, each told before the next as a study would, with the sampler's
// notes stored on the trial (the warm start of the next kernel fit). Over `asks` = refit_every
// consecutive proposals past full_fit_until exactly one refits the kernel in full, so the mean
// is the amortised cost and the max the full refit.
// Times are the thread's CPU time (one core), so a busy machine inflates them less than wall
// time; the sampler runs single-threaded.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <string>
#include <vector>

#include "winnow/sampler.h"

namespace {

double styblinski_tang(const winnow::Config& config) {
  double sum = 0.0;
  for (const auto& [name, value] : config) {
    double x = std::get<double>(value);
    sum += 0.5 * (x * x * x * x - 16.0 * x * x + 5.0 * x);
  }
  return sum;
}

// CPU time of this thread: the figure that matters for "one core", and unlike wall time it
// does not grow when other processes share the machine.
double thread_cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) * 1e-6;
}

std::vector<int> parse_list(const char* text) {
  std::vector<int> out;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) out.push_back(std::stoi(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int dims = 10, asks = 10;
  uint64_t seed = 1;
  std::vector<int> sizes = {100, 200, 500, 1000};
  std::string spec = "gp";
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (i + 1 == argc) {
      flag = "--help";  // every flag takes a value
    } else if (flag == "--dims") {
      dims = std::stoi(argv[i + 1]);
    } else if (flag == "--trials") {
      sizes = parse_list(argv[i + 1]);
    } else if (flag == "--asks") {
      asks = std::stoi(argv[i + 1]);
    } else if (flag == "--spec") {
      spec = argv[i + 1];
    } else if (flag == "--seed") {
      seed = std::stoull(argv[i + 1]);
    } else {
      std::fprintf(stderr,
                   "usage: gp_ask_time [--dims D] [--trials N,N,...] [--asks K] [--spec SPEC] "
                   "[--seed S]\n");
      return 2;
    }
  }
  winnow::SearchSpace space;
  for (int j = 0; j < dims; ++j) space.add_float("x" + std::to_string(j), -5.0, 5.0);
  space.validate();
  std::vector<winnow::Direction> directions = {winnow::Direction::kMinimize};

  std::printf("spec %s, %d dims, %d timed asks per size\n", spec.c_str(), dims, asks);
  std::printf("%8s %12s %12s %12s\n", "trials", "mean_cpu_ms", "min_cpu_ms", "max_cpu_ms");
  for (int n : sizes) {
    auto filler = winnow::create_sampler(winnow::SamplerSpec::parse("sobol"), seed);
    auto sampler = winnow::create_sampler(winnow::SamplerSpec::parse(spec), seed);
    std::vector<winnow::FrozenTrial> history;
    auto tell = [&](winnow::Config config, std::map<std::string, std::string> attrs) {
      winnow::FrozenTrial trial;
      trial.number = static_cast<int64_t>(history.size());
      trial.state = winnow::TrialState::kComplete;
      trial.values = {styblinski_tang(config)};
      trial.config = std::move(config);
      trial.user_attrs = std::move(attrs);
      history.push_back(std::move(trial));
    };
    while (static_cast<int>(history.size()) < n) {
      winnow::SampleContext context{space, {}, directions, static_cast<int64_t>(history.size())};
      tell(*filler->sample(context), {});
    }
    // One untimed proposal first, so the timed ones find a stored kernel fit to warm-start
    // from, as they would in a study that used this sampler all along.
    std::vector<double> times;
    for (int k = -1; k < asks; ++k) {
      std::map<std::string, std::string> attrs;
      winnow::SampleContext context{space, history, directions,
                                    static_cast<int64_t>(history.size()), &attrs};
      double start = thread_cpu_ms();
      std::optional<winnow::Config> config = sampler->sample(context);
      if (k >= 0) times.push_back(thread_cpu_ms() - start);
      tell(*config, std::move(attrs));
    }
    double mean = 0.0;
    for (double t : times) mean += t / static_cast<double>(times.size());
    std::printf("%8d %12.1f %12.1f %12.1f\n", n, mean,
                *std::min_element(times.begin(), times.end()),
                *std::max_element(times.begin(), times.end()));
    std::fflush(stdout);
  }
  return 0;
}
