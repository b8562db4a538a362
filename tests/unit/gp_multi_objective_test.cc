// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The "gp" sampler with several objectives: the box decomposition behind exact EHVI (checked
// against the hypervolume code), log EHVI against Monte Carlo and its gradient against finite
// differences, and the sampler's behaviour (beats random search, keeps to the feasible region,
// reproducible, three objectives). Trial counts are small: the file must stay fast under ASan.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis/hypervolume.h"
#include "analysis/pareto.h"
#include "samplers/gaussian_process.h"
#include "samplers/gp_ehvi.h"
#include "winnow/error.h"
#include "winnow/sampler.h"

namespace winnow {
namespace {

// The improvement of `y` over the decomposed region, summed box by box.
double box_improvement(const gp::BoxDecomposition& boxes, const std::vector<double>& y) {
  const size_t m = boxes.objectives;
  double total = 0.0;
  for (size_t k = 0; k < boxes.box_count(); ++k) {
    double volume = 1.0;
    for (size_t j = 0; j < m; ++j) {
      auto [lower, upper] = boxes.intervals[j][boxes.boxes[k * m + j]];
      volume *= std::max(0.0, upper - std::max(lower, y[j]));
    }
    total += volume;
  }
  return total;
}

TEST(GpEhvi, BoxesGiveTheExactHypervolumeImprovement) {
  std::mt19937_64 engine(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (size_t m : {2u, 3u}) {
    for (int round = 0; round < 4; ++round) {
      // Points on a curved front plus dominated ones, some beyond the reference.
      std::vector<double> points;
      for (int i = 0; i < 30; ++i) {
        std::vector<double> p(m);
        double norm = 0.0;
        for (double& v : p) v = unit(engine), norm += v * v;
        double radius = 1.0 + (i % 3 == 0 ? 0.3 * unit(engine) : 0.0);
        for (double& v : p) points.push_back(v / std::sqrt(norm) * radius);
      }
      std::vector<double> reference(m, 1.05);
      gp::BoxDecomposition boxes = gp::decompose_non_dominated(points, m, reference);
      double base = exact_hypervolume(points, m, reference);
      for (int t = 0; t < 200; ++t) {
        std::vector<double> y(m);
        for (double& v : y) v = 1.2 * unit(engine) - 0.1;
        std::vector<double> with = points;
        with.insert(with.end(), y.begin(), y.end());
        double expected = exact_hypervolume(with, m, reference) - base;
        ASSERT_NEAR(box_improvement(boxes, y), expected, 1e-12) << "m = " << m << " t = " << t;
      }
    }
  }
  // No point below the reference: one box, the whole region.
  gp::BoxDecomposition empty = gp::decompose_non_dominated({2.0, 2.0}, 2, {1.0, 1.0});
  EXPECT_EQ(empty.box_count(), 1u);
  EXPECT_DOUBLE_EQ(box_improvement(empty, {0.0, 0.5}), 0.5);
  EXPECT_THROW(gp::decompose_non_dominated({0.0, 0.0, 0.0, 0.0}, 4, {1, 1, 1, 1}), Error);
}

SearchSpace box(int dims) {
  SearchSpace space;
  for (int j = 0; j < dims; ++j) space.add_float("x" + std::to_string(j), 0.0, 1.0);
  space.validate();
  return space;
}

// Two objective GPs and one constraint GP on random 2-D data, and the decomposition of the
// observed front; the models reference `inputs`.
struct Fixture {
  SearchSpace space = box(2);
  gp::InputSpace inputs{space};
  std::vector<gp::GaussianProcess> models;
  gp::BoxDecomposition boxes;

  Fixture() {
    std::mt19937_64 engine(3);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const int n = 10;
    Eigen::MatrixXd points(2, n);
    Eigen::VectorXd f1(n), f2(n), c(n);
    for (int i = 0; i < n; ++i) {
      double a = unit(engine), b = unit(engine);
      points(0, i) = a, points(1, i) = b;
      f1[i] = a + 0.3 * b - 0.6;
      f2[i] = (1 - a) * (1 - a) + 0.5 * b - 0.4;
      c[i] = b - 0.5;
    }
    Eigen::VectorXd theta = gp::default_theta(2);
    models.reserve(3);
    models.emplace_back(inputs, points, f1, theta, gp::ModelOptions{});
    models.emplace_back(inputs, points, f2, theta, gp::ModelOptions{});
    models.emplace_back(inputs, points, c, theta, gp::ModelOptions{});
    std::vector<double> front;
    for (int i = 0; i < n; ++i) front.push_back(f1[i]), front.push_back(f2[i]);
    boxes = gp::decompose_non_dominated(front, 2, {f1.maxCoeff() + 0.1, f2.maxCoeff() + 0.1});
  }
};

TEST(GpEhvi, LogEhviIsTheLogOfTheMonteCarloExpectation) {
  Fixture fx;
  gp::LogExpectedHypervolumeImprovement acquisition({&fx.models[0], &fx.models[1]}, fx.boxes, {});
  std::mt19937_64 engine(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (std::vector<double> x : {std::vector<double>{0.2, 0.7}, {0.9, 0.1}, {0.5, 0.5}}) {
    double mean[2], variance[2];
    for (int j = 0; j < 2; ++j) fx.models[j].predict(x.data(), &mean[j], &variance[j]);
    const int samples = 100000;
    double sum = 0.0;
    for (int s = 0; s < samples; ++s) {
      std::vector<double> y = {mean[0] + std::sqrt(variance[0]) * normal(engine),
                               mean[1] + std::sqrt(variance[1]) * normal(engine)};
      sum += box_improvement(fx.boxes, y);
    }
    double monte_carlo = sum / samples;
    double exact = std::exp(acquisition.value(x.data()));
    EXPECT_NEAR(exact, monte_carlo, 0.03 * monte_carlo) << x[0] << ", " << x[1];
  }
}

TEST(GpEhvi, GradientMatchesFiniteDifferencesWithAndWithoutConstraints) {
  Fixture fx;
  for (bool constrained : {false, true}) {
    std::vector<gp::ConstraintModel> constraints;
    if (constrained) constraints.push_back({&fx.models[2], 0.0});
    gp::LogExpectedHypervolumeImprovement acquisition({&fx.models[0], &fx.models[1]}, fx.boxes,
                                                      constraints);
    for (std::vector<double> x : {std::vector<double>{0.23, 0.71}, {0.88, 0.12}, {0.47, 0.52}}) {
      double gradient[2];
      double value = acquisition.value_and_gradient(x.data(), gradient);
      EXPECT_NEAR(value, acquisition.value(x.data()), 1e-10);
      for (int k = 0; k < 2; ++k) {
        const double h = 1e-6;
        std::vector<double> plus = x, minus = x;
        plus[k] += h, minus[k] -= h;
        double numeric = (acquisition.value(plus.data()) - acquisition.value(minus.data())) / (2 * h);
        EXPECT_NEAR(gradient[k], numeric, 1e-4 * std::max(1.0, std::abs(numeric)))
            << "constrained " << constrained << " x = " << x[0] << ", " << x[1] << " k " << k;
      }
    }
    Eigen::MatrixXd points(2, 2);
    points << 0.23, 0.88, 0.71, 0.12;
    Eigen::VectorXd batch = acquisition.values(points);
    for (int c = 0; c < 2; ++c) {
      EXPECT_NEAR(batch[c], acquisition.value(points.col(c).data()), 1e-9);
    }
  }
}

TEST(GpEhvi, StaysFiniteAndOrderedWhereTheImprovementUnderflows) {
  Fixture fx;
  // Fronts far beyond anything the models predict: EHVI is 0 in doubles, its log is not, and
  // it still prefers the nearer front (a larger chance of improving).
  double previous = INFINITY;
  for (double shift : {-40.0, -60.0, -80.0}) {
    std::vector<double> far = {shift, shift + 1, shift + 1, shift};
    gp::LogExpectedHypervolumeImprovement acquisition(
        {&fx.models[0], &fx.models[1]},
        gp::decompose_non_dominated(far, 2, {shift + 2, shift + 2}), {});
    std::vector<double> x = {0.3, 0.6};
    double value = acquisition.value(x.data());
    EXPECT_TRUE(std::isfinite(value)) << shift;
    EXPECT_EQ(std::exp(value), 0.0) << shift;
    EXPECT_LT(value, previous) << shift;
    double gradient[2];
    acquisition.value_and_gradient(x.data(), gradient);
    EXPECT_TRUE(std::isfinite(gradient[0]) && std::isfinite(gradient[1])) << shift;
    previous = value;
  }
}

// ---- The sampler ------------------------------------------------------------------------

using Objectives = std::function<std::vector<double>(const Config&)>;
const std::vector<Direction> kTwo(2, Direction::kMinimize);

std::vector<double> vector_of(const Config& config, int dims) {
  std::vector<double> x(dims);
  for (int j = 0; j < dims; ++j) x[j] = *as_number(config.at("x" + std::to_string(j)));
  return x;
}

std::vector<double> zdt1(const Config& config) {
  std::vector<double> x = vector_of(config, 4);
  double g = 1 + 9 * (x[1] + x[2] + x[3]) / 3;
  return {x[0], g * (1 - std::sqrt(x[0] / g))};
}

std::vector<FrozenTrial> run(Sampler& sampler, const SearchSpace& space, const Objectives& f,
                             std::vector<Direction> directions, int n,
                             const std::function<std::vector<double>(const Config&)>& constraints =
                                 nullptr) {
  std::vector<FrozenTrial> history;
  for (int i = 0; i < n; ++i) {
    std::map<std::string, std::string> attrs;
    SampleContext context{space, history, directions, static_cast<int64_t>(history.size()), &attrs};
    std::optional<Config> config = sampler.sample(context);
    EXPECT_TRUE(config.has_value());
    if (!config) break;
    space.check(*config);
    FrozenTrial trial;
    trial.number = static_cast<int64_t>(history.size());
    trial.state = TrialState::kComplete;
    trial.values = f(*config);
    if (constraints) trial.constraints = constraints(*config);
    trial.config = *config;
    trial.user_attrs = std::move(attrs);
    history.push_back(std::move(trial));
  }
  return history;
}

double hypervolume_of(const std::vector<FrozenTrial>& history, std::vector<double> reference,
                      bool feasible_only = false) {
  std::vector<double> points;
  for (const FrozenTrial& t : history) {
    bool feasible = true;
    for (double c : t.constraints) feasible = feasible && c <= 0.0;
    if (feasible_only && !feasible) continue;
    points.insert(points.end(), t.values.begin(), t.values.end());
  }
  return exact_hypervolume(points, reference.size(), reference);
}

TEST(GpMultiObjective, BothAcquisitionsBeatRandomSearchOnZdt1) {
  SearchSpace space = box(4);
  for (std::string spec : {"gp", "gp:mo_acquisition=parego"}) {
    double gp_total = 0.0, random_total = 0.0;
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      auto gp = create_sampler(SamplerSpec::parse(spec), seed);
      auto random = create_sampler(SamplerSpec::parse("random"), seed);
      double gp_volume = hypervolume_of(run(*gp, space, zdt1, kTwo, 30), {1.1, 11.0});
      double random_volume = hypervolume_of(run(*random, space, zdt1, kTwo, 30), {1.1, 11.0});
      std::cout << "[ hypervolume after 30 trials ] " << spec << " seed " << seed << ": "
                << gp_volume << ", random " << random_volume << "\n";
      gp_total += gp_volume, random_total += random_volume;
    }
    // The optimum is 11.77; random search's median after 30 trials is about 9.5.
    EXPECT_GT(gp_total / 3, random_total / 3 + 1.0) << spec;
  }
}

TEST(GpMultiObjective, SameSeedSameProposalsAndKernelsAreStored) {
  SearchSpace space = box(4);
  auto a = create_sampler(SamplerSpec::parse("gp"), 9);
  auto b = create_sampler(SamplerSpec::parse("gp"), 9);
  std::vector<FrozenTrial> first = run(*a, space, zdt1, kTwo, 14), second = run(*b, space, zdt1, kTwo, 14);
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].config, second[i].config) << i;
  EXPECT_TRUE(first.back().user_attrs.contains("winnow.gp.kernels"));
}

TEST(GpMultiObjective, RunningTrialsAreBelievedSoParallelWorkersSpreadOut) {
  SearchSpace space = box(4);
  auto gp = create_sampler(SamplerSpec::parse("gp"), 5);
  std::vector<FrozenTrial> history = run(*gp, space, zdt1, kTwo, 14);
  // Four workers ask in turn while the others' trials run.
  std::vector<Config> proposals;
  for (int worker = 0; worker < 4; ++worker) {
    SampleContext context{space, history, kTwo, static_cast<int64_t>(history.size()), nullptr};
    std::optional<Config> config = gp->sample(context);
    ASSERT_TRUE(config.has_value());
    // Not merely another configuration (running ones are never proposed again) but one away
    // from them: the believed observations remove the variance around running trials.
    for (const Config& other : proposals) {
      double distance = 0.0;
      for (int j = 0; j < 4; ++j) {
        std::string name = "x" + std::to_string(j);
        distance = std::max(distance, std::abs(*as_number(config->at(name)) -
                                               *as_number(other.at(name))));
      }
      EXPECT_GT(distance, 0.01) << worker;
    }
    proposals.push_back(*config);
    FrozenTrial running;
    running.number = static_cast<int64_t>(history.size());
    running.state = TrialState::kRunning;
    running.config = *config;
    history.push_back(std::move(running));
  }
}

TEST(GpMultiObjective, ConstraintsKeepProposalsFeasible) {
  // Feasible where x1 + x2 <= 0.5 (an eighth of the box's (x1, x2) square), which also holds
  // most of ZDT1's front (x1 = x2 = x3 = 0).
  SearchSpace space = box(4);
  auto constraint = [](const Config& c) {
    std::vector<double> x = vector_of(c, 4);
    return std::vector<double>{x[1] + x[2] - 0.5};
  };
  int feasible = 0, proposals = 0;
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    auto gp = create_sampler(SamplerSpec::parse(seed == 1 ? "gp" : "gp:mo_acquisition=parego"),
                             seed);
    std::vector<FrozenTrial> history = run(*gp, space, zdt1, kTwo, 26, constraint);
    for (size_t i = 10; i < history.size(); ++i) {
      ++proposals;
      feasible += history[i].constraints[0] <= 0.0;
    }
  }
  std::cout << "[ feasible proposals after start-up ] " << feasible << " of " << proposals << "\n";
  EXPECT_GE(feasible, proposals * 3 / 4);
}

TEST(GpMultiObjective, OneObjectiveWithConstraintsSearchesWhereTheyHold) {
  // The unconstrained minimum (0.9, 0.9) is infeasible; feasible where x0 + x1 <= 1, whose best
  // point is (0.5, 0.5) with value 0.32.
  SearchSpace space = box(2);
  auto f = [](const Config& c) {
    std::vector<double> x = vector_of(c, 2);
    return std::vector<double>{(x[0] - 0.9) * (x[0] - 0.9) + (x[1] - 0.9) * (x[1] - 0.9)};
  };
  auto constraint = [](const Config& c) {
    std::vector<double> x = vector_of(c, 2);
    return std::vector<double>{x[0] + x[1] - 1.0};
  };
  auto gp = create_sampler(SamplerSpec::parse("gp"), 3);
  std::vector<FrozenTrial> history =
      run(*gp, space, f, {Direction::kMinimize}, 25, constraint);
  int feasible = 0;
  double best = INFINITY;
  for (size_t i = 10; i < history.size(); ++i) feasible += history[i].constraints[0] <= 0.0;
  for (const FrozenTrial& t : history) {
    if (t.constraints[0] <= 0.0) best = std::min(best, t.values[0]);
  }
  std::cout << "[ one objective, constrained ] feasible " << feasible << " of 15, best " << best
            << "\n";
  // The optimum is on the boundary, so proposals straddle it; without the constraint model
  // they would head for the infeasible (0.9, 0.9).
  EXPECT_GE(feasible, 5);
  EXPECT_LT(best, 0.34);
  EXPECT_TRUE(history.back().user_attrs.contains("winnow.gp.kernels"));
}

TEST(GpMultiObjective, ThreeObjectivesAndMaximisedOnes) {
  SearchSpace space = box(3);
  auto dtlz2 = [](const Config& c) {
    std::vector<double> x = vector_of(c, 3);
    double g = (x[2] - 0.5) * (x[2] - 0.5);
    constexpr double kHalfPi = 1.5707963267948966;
    return std::vector<double>{(1 + g) * std::cos(x[0] * kHalfPi) * std::cos(x[1] * kHalfPi),
                               (1 + g) * std::cos(x[0] * kHalfPi) * std::sin(x[1] * kHalfPi),
                               (1 + g) * std::sin(x[0] * kHalfPi)};
  };
  auto gp = create_sampler(SamplerSpec::parse("gp:n_candidates=128"), 2);
  std::vector<FrozenTrial> history =
      run(*gp, space, dtlz2, std::vector<Direction>(3, Direction::kMinimize), 16);
  ASSERT_EQ(history.size(), 16u);
  EXPECT_TRUE(history.back().user_attrs.contains("winnow.gp.kernels"));
  // Maximising the negated objectives proposes the same sequence.
  auto negated = [&](const Config& c) {
    std::vector<double> f = dtlz2(c);
    for (double& v : f) v = -v;
    return f;
  };
  auto maximising = create_sampler(SamplerSpec::parse("gp:n_candidates=128"), 2);
  std::vector<FrozenTrial> mirrored =
      run(*maximising, space, negated, std::vector<Direction>(3, Direction::kMaximize), 16);
  for (size_t i = 0; i < history.size(); ++i) EXPECT_EQ(history[i].config, mirrored[i].config) << i;
}

}  // namespace
}  // namespace winnow
