// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The target algorithm of the "de" algorithm-configuration scenario: differential evolution
// (Storn & Price 1997, "Differential evolution - a simple and efficient heuristic for global
// optimization over continuous spaces", J. Global Optim. 11) on a shifted, optionally rotated
// test function, with a fixed budget of function evaluations.
//
//   de_solver [--pop-size=N] [--f=F] [--cr=CR] [--strategy=rand1|best1|current-to-best1|rand2]
//             [--crossover=bin|exp] [--restart=off|on] [--patience=G] [--seed=S]
//             [--evals-per-dim=E] INSTANCE
//
// INSTANCE is a text file of key=value words, e.g. `function=rastrigin dim=10 shift_seed=3
// rotate=1` (bench/configuration/make_instances.py writes them). The search box is [-5, 5]^dim;
// the optimum x* = o is drawn from [-4, 4]^dim by shift_seed, and with rotate=1 the function is
// evaluated at R (x - o) for a random orthogonal R drawn from the same seed, so every instance
// has f(x*) = 0. The last line on stdout is the cost, log10(1e-8 + best f found): a number
// Winnow (cost = "value") and irace both minimise. Same arguments, same output: the random
// numbers are drawn by this file's own generator and transforms, not by <random>'s
// distributions, whose output differs between standard libraries.
//
// Deviations from textbook DE, each a parameter: the exponential crossover and the rand/2 and
// current-to-best/1 mutations follow Price, Storn & Lampinen (2005), "Differential Evolution: A
// Practical Approach", ch. 2; restart=on re-draws the whole population after `patience`
// generations without improvement of the best (the best found so far is kept as the result).
// A mutant coordinate outside the box is set halfway between the base vector's coordinate and
// the bound it crossed (the "bounce-back" of the same book).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <numbers>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr double kLow = -5.0;
constexpr double kHigh = 5.0;
constexpr double kShift = 4.0;  // the optimum lies in [-kShift, kShift]^dim

// SplitMix64 (Steele, Lea & Flood 2014): small, fast and the same on every platform.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
  double normal() {  // Box-Muller; one value per call keeps the stream simple
    double u = 1.0 - uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * uniform());
  }

 private:
  uint64_t state_;
};

enum class Function { kSphere, kEllipsoid, kRosenbrock, kRastrigin, kAckley, kGriewank, kSchwefel };

Function parse_function(const std::string& name) {
  static const std::map<std::string, Function> names = {
      {"sphere", Function::kSphere},         {"ellipsoid", Function::kEllipsoid},
      {"rosenbrock", Function::kRosenbrock}, {"rastrigin", Function::kRastrigin},
      {"ackley", Function::kAckley},         {"griewank", Function::kGriewank},
      {"schwefel", Function::kSchwefel}};
  auto it = names.find(name);
  if (it == names.end()) throw std::runtime_error("unknown function '" + name + "'");
  return it->second;
}

// A test function with its optimum moved to `shift` and its axes turned by `rotation`.
class Problem {
 public:
  Problem(Function function, int dim, uint64_t shift_seed, bool rotate)
      : function_(function), dim_(dim), shift_(dim), z_(dim), y_(dim) {
    Random random(shift_seed * 0x2545f4914f6cdd1dULL + 17);
    for (double& s : shift_) s = random.uniform(-kShift, kShift);
    if (rotate) rotation_ = random_rotation(random);
  }

  int dim() const { return dim_; }

  double operator()(const std::vector<double>& x) {
    for (int i = 0; i < dim_; ++i) y_[i] = x[i] - shift_[i];
    if (rotation_.empty()) {
      z_ = y_;
    } else {
      for (int i = 0; i < dim_; ++i) {
        double sum = 0;
        const double* row = &rotation_[static_cast<size_t>(i) * dim_];
        for (int j = 0; j < dim_; ++j) sum += row[j] * y_[j];
        z_[i] = sum;
      }
    }
    return std::max(0.0, value(z_));
  }

 private:
  // Gram-Schmidt on a Gaussian matrix: a random orthogonal matrix, row-major.
  std::vector<double> random_rotation(Random& random) const {
    std::vector<double> m(static_cast<size_t>(dim_) * dim_);
    for (double& v : m) v = random.normal();
    for (int i = 0; i < dim_; ++i) {
      double* row = &m[static_cast<size_t>(i) * dim_];
      for (int k = 0; k < i; ++k) {
        const double* previous = &m[static_cast<size_t>(k) * dim_];
        double dot = 0;
        for (int j = 0; j < dim_; ++j) dot += row[j] * previous[j];
        for (int j = 0; j < dim_; ++j) row[j] -= dot * previous[j];
      }
      double norm = 0;
      for (int j = 0; j < dim_; ++j) norm += row[j] * row[j];
      norm = std::sqrt(norm);
      for (int j = 0; j < dim_; ++j) row[j] /= norm;
    }
    return m;
  }

  // Every function has its minimum 0 at z = 0.
  double value(const std::vector<double>& z) const {
    const double n = dim_;
    double sum = 0;
    switch (function_) {
      case Function::kSphere:
        for (double v : z) sum += v * v;
        return sum;
      case Function::kEllipsoid:  // condition number 1e6
        for (int i = 0; i < dim_; ++i) {
          sum += std::pow(1e6, dim_ > 1 ? i / (n - 1) : 0.0) * z[i] * z[i];
        }
        return sum;
      case Function::kRosenbrock:  // optimum moved from (1, ..., 1) to 0
        for (int i = 0; i + 1 < dim_; ++i) {
          double a = z[i] + 1, b = z[i + 1] + 1;
          sum += 100 * (b - a * a) * (b - a * a) + (a - 1) * (a - 1);
        }
        return sum;
      case Function::kRastrigin:
        for (double v : z) sum += v * v - 10 * std::cos(2 * std::numbers::pi * v);
        return 10 * n + sum;
      case Function::kAckley: {
        double cosines = 0;
        for (double v : z) {
          sum += v * v;
          cosines += std::cos(2 * std::numbers::pi * v);
        }
        return -20 * std::exp(-0.2 * std::sqrt(sum / n)) - std::exp(cosines / n) + 20 +
               std::numbers::e;
      }
      case Function::kGriewank: {  // z scaled by 100: [-5, 5] covers Griewank's usual range
        double product = 1;
        for (int i = 0; i < dim_; ++i) {
          double w = 100 * z[i];
          sum += w * w / 4000;
          product *= std::cos(w / std::sqrt(i + 1.0));
        }
        return 1 + sum - product;
      }
      case Function::kSchwefel: {
        // Schwefel 2.26 with its optimum (420.9687...) moved to z = 0 and z scaled by 100. A
        // coordinate outside Schwefel's domain [-500, 500] counts as the nearest bound plus
        // (|w| - 500)^2, which keeps the minimum inside (as CEC 2014's modified Schwefel does).
        constexpr double kOptimum = 420.968746;
        constexpr double kMinimumPerDim = 418.98288727243369;
        for (double v : z) {
          const double w = 100 * v + kOptimum;
          const double inside = std::clamp(w, -500.0, 500.0);
          const double excess = std::abs(w) - std::abs(inside);
          sum += -inside * std::sin(std::sqrt(std::abs(inside))) + excess * excess;
        }
        return kMinimumPerDim * n + sum;
      }
    }
    return 0;
  }

  Function function_;
  int dim_;
  std::vector<double> shift_;
  std::vector<double> rotation_;  // empty: not rotated
  std::vector<double> z_, y_;     // scratch
};

enum class Strategy { kRand1, kBest1, kCurrentToBest1, kRand2 };

struct Options {
  int pop_size = 50;
  double f = 0.5;
  double cr = 0.9;
  Strategy strategy = Strategy::kRand1;
  bool exponential_crossover = false;
  bool restart = false;
  int patience = 30;
  uint64_t seed = 1;
  int evals_per_dim = 1000;
};

// Distinct population indices other than `exclude`, chosen uniformly.
void pick_distinct(Random& random, int pop_size, int exclude, int count, int* out) {
  for (int k = 0; k < count; ++k) {
    int candidate;
    do {
      candidate = random.below(pop_size);
    } while (candidate == exclude || std::find(out, out + k, candidate) != out + k);
    out[k] = candidate;
  }
}

double differential_evolution(Problem& problem, const Options& options) {
  const int dim = problem.dim();
  const int np = options.pop_size;
  const int64_t budget = static_cast<int64_t>(options.evals_per_dim) * dim;
  Random random(options.seed);
  std::vector<std::vector<double>> pop(np, std::vector<double>(dim)), next = pop;
  std::vector<double> fitness(np), trial(dim);
  int64_t evals = 0;
  double best_ever = std::numeric_limits<double>::infinity();

  auto initialise = [&] {
    for (int i = 0; i < np && evals < budget; ++i) {
      for (double& v : pop[i]) v = random.uniform(kLow, kHigh);
      fitness[i] = problem(pop[i]);
      ++evals;
      best_ever = std::min(best_ever, fitness[i]);
    }
  };
  initialise();
  int best = static_cast<int>(std::min_element(fitness.begin(), fitness.end()) - fitness.begin());
  int stale_generations = 0;
  while (evals < budget) {
    const double best_before = fitness[best];
    for (int i = 0; i < np && evals < budget; ++i) {
      int r[5];
      const std::vector<double>& x = pop[i];
      // The mutant, coordinate by coordinate, is base + differences; `base` is what the
      // bounce-back moves towards.
      auto mutant = [&](int j, double& base) {
        switch (options.strategy) {
          case Strategy::kRand1:
            base = pop[r[0]][j];
            return base + options.f * (pop[r[1]][j] - pop[r[2]][j]);
          case Strategy::kBest1:
            base = pop[best][j];
            return base + options.f * (pop[r[0]][j] - pop[r[1]][j]);
          case Strategy::kCurrentToBest1:
            base = x[j];
            return base + options.f * (pop[best][j] - x[j]) +
                   options.f * (pop[r[0]][j] - pop[r[1]][j]);
          case Strategy::kRand2:
            base = pop[r[0]][j];
            return base + options.f * (pop[r[1]][j] - pop[r[2]][j] + pop[r[3]][j] - pop[r[4]][j]);
        }
        return x[j];
      };
      pick_distinct(random, np, i, options.strategy == Strategy::kRand2 ? 5 : 3, r);
      trial = x;
      auto take = [&](int j) {
        double base = 0;
        double v = mutant(j, base);
        if (v < kLow) v = (base + kLow) / 2;
        if (v > kHigh) v = (base + kHigh) / 2;
        trial[j] = v;
      };
      const int start = random.below(dim);
      if (options.exponential_crossover) {
        int length = 0;
        do {
          take((start + length) % dim);
          ++length;
        } while (length < dim && random.uniform() < options.cr);
      } else {
        for (int j = 0; j < dim; ++j) {
          if (j == start || random.uniform() < options.cr) take(j);
        }
      }
      const double value = problem(trial);
      ++evals;
      best_ever = std::min(best_ever, value);
      if (value <= fitness[i]) {
        next[i] = trial;
        fitness[i] = value;
      } else {
        next[i] = x;
      }
    }
    std::swap(pop, next);
    best = static_cast<int>(std::min_element(fitness.begin(), fitness.end()) - fitness.begin());
    stale_generations = fitness[best] < best_before ? 0 : stale_generations + 1;
    if (options.restart && stale_generations >= options.patience) {
      initialise();
      best = static_cast<int>(std::min_element(fitness.begin(), fitness.end()) - fitness.begin());
      stale_generations = 0;
    }
  }
  return best_ever;
}

template <typename T>
T parse_number(std::string_view text, std::string_view what) {
  T value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw std::runtime_error(std::string(what) + ": not a number: '" + std::string(text) + "'");
  }
  return value;
}

Options parse_options(const std::vector<std::string_view>& args) {
  Options o;
  for (std::string_view arg : args) {
    size_t equals = arg.find('=');
    if (!arg.starts_with("--") || equals == std::string_view::npos) {
      throw std::runtime_error("expected --name=value, got '" + std::string(arg) + "'");
    }
    std::string_view name = arg.substr(2, equals - 2), value = arg.substr(equals + 1);
    if (name == "pop-size") {
      o.pop_size = parse_number<int>(value, arg);
      if (o.pop_size < 6) throw std::runtime_error("--pop-size must be at least 6");
    } else if (name == "f") {
      o.f = parse_number<double>(value, arg);
    } else if (name == "cr") {
      o.cr = parse_number<double>(value, arg);
    } else if (name == "strategy") {
      static const std::map<std::string_view, Strategy> strategies = {
          {"rand1", Strategy::kRand1},
          {"best1", Strategy::kBest1},
          {"current-to-best1", Strategy::kCurrentToBest1},
          {"rand2", Strategy::kRand2}};
      auto it = strategies.find(value);
      if (it == strategies.end()) {
        throw std::runtime_error("unknown --strategy '" + std::string(value) + "'");
      }
      o.strategy = it->second;
    } else if (name == "crossover") {
      if (value != "bin" && value != "exp") throw std::runtime_error("--crossover: bin or exp");
      o.exponential_crossover = value == "exp";
    } else if (name == "restart") {
      if (value != "off" && value != "on") throw std::runtime_error("--restart: off or on");
      o.restart = value == "on";
    } else if (name == "patience") {
      o.patience = parse_number<int>(value, arg);
      if (o.patience < 1) throw std::runtime_error("--patience must be at least 1");
    } else if (name == "seed") {
      o.seed = parse_number<uint64_t>(value, arg);
    } else if (name == "evals-per-dim") {
      o.evals_per_dim = parse_number<int>(value, arg);
      if (o.evals_per_dim < 1) throw std::runtime_error("--evals-per-dim must be at least 1");
    } else {
      throw std::runtime_error("unknown option '--" + std::string(name) + "'");
    }
  }
  return o;
}

Problem read_instance(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read instance '" + path + "'");
  std::map<std::string, std::string> keys;
  std::string word;
  while (in >> word) {
    size_t equals = word.find('=');
    if (equals == std::string::npos) {
      throw std::runtime_error(path + ": expected key=value, got '" + word + "'");
    }
    keys[word.substr(0, equals)] = word.substr(equals + 1);
  }
  for (const char* key : {"function", "dim", "shift_seed"}) {
    if (!keys.contains(key)) throw std::runtime_error(path + ": missing '" + key + "'");
  }
  const int dim = parse_number<int>(keys["dim"], "dim");
  if (dim < 2) throw std::runtime_error(path + ": dim must be at least 2");
  return Problem(parse_function(keys["function"]), dim,
                 parse_number<uint64_t>(keys["shift_seed"], "shift_seed"),
                 keys.contains("rotate") && keys["rotate"] == "1");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::fprintf(stderr,
                   "usage: de_solver [--pop-size=N] [--f=F] [--cr=CR] [--strategy=S] "
                   "[--crossover=bin|exp] [--restart=off|on] [--patience=G] [--seed=S] "
                   "[--evals-per-dim=E] INSTANCE\n");
      return 2;
    }
    std::vector<std::string_view> args(argv + 1, argv + argc - 1);
    Options options = parse_options(args);
    Problem problem = read_instance(argv[argc - 1]);
    const double best = differential_evolution(problem, options);
    std::printf("best_f %.10g\n%.6f\n", best, std::log10(1e-8 + best));
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "de_solver: %s\n", error.what());
    return 2;
  }
}
