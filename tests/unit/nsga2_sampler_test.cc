// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The "nsga2" sampler (src/samplers/nsga2.cc), mostly through real studies on memory storage:
// it beats random search on ZDT1, keeps its generations as documented, resumes exactly, keeps
// to the feasible region under constraints, proposes members of conditional spaces, orients
// objectives by their directions and validates its options.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "analysis/hypervolume.h"
#include "analysis/pareto.h"
#include "common/param_json.h"
#include "winnow/error.h"
#include "winnow/sampler.h"
#include "winnow/storage.h"
#include "winnow/study.h"

namespace winnow {
namespace {

constexpr Direction kMin = Direction::kMinimize;
using Evaluate = std::function<TrialOutcome(const Config&)>;

SearchSpace unit_box(int dimension) {
  SearchSpace space;
  for (int i = 0; i < dimension; ++i) space.add_float("x" + std::to_string(i), 0.0, 1.0);
  space.validate();
  return space;
}

std::vector<double> coordinates(const Config& config, int dimension) {
  std::vector<double> x;
  for (int i = 0; i < dimension; ++i) {
    x.push_back(std::get<double>(config.at("x" + std::to_string(i))));
  }
  return x;
}

// ZDT1 (Zitzler, Deb, Thiele 2000): Pareto front f2 = 1 - sqrt(f1) where x1..x_{n-1} = 0.
TrialOutcome zdt1(const Config& config, int dimension) {
  std::vector<double> x = coordinates(config, dimension);
  double sum = 0.0;
  for (int i = 1; i < dimension; ++i) sum += x[i];
  double g = 1.0 + 9.0 * sum / (dimension - 1);
  return TrialOutcome{.values = {x[0], g * (1.0 - std::sqrt(x[0] / g))}};
}

int64_t generation_of(const FrozenTrial& trial) {
  auto it = trial.user_attrs.find("winnow.nsga2");
  if (it == trial.user_attrs.end()) return -1;
  return nlohmann::json::parse(it->second).at("generation").get<int64_t>();
}

// Asks and tells `n` trials in sequence; every `fail_every`-th fails (0: none).
void run(Study& study, int n, const Evaluate& evaluate, int fail_every = 0) {
  for (int i = 0; i < n; ++i) {
    Trial trial = study.ask();
    if (fail_every > 0 && trial.number() % fail_every == fail_every - 1) {
      study.tell_failed(trial, "every " + std::to_string(fail_every) + "th fails");
    } else {
      study.tell(trial, evaluate(trial.config()));
    }
  }
}

std::vector<FrozenTrial> run_study(const SearchSpace& space, const StudyOptions& options, int n,
                                   const Evaluate& evaluate) {
  Study study = Study::create(open_storage("memory"), space, options);
  run(study, n, evaluate);
  return study.trials();
}

double final_hypervolume(const std::vector<FrozenTrial>& trials, std::vector<double> reference) {
  std::vector<double> points;
  for (const FrozenTrial& t : trials) {
    if (t.state == TrialState::kComplete) {
      points.insert(points.end(), t.values.begin(), t.values.end());
    }
  }
  return exact_hypervolume(points, reference.size(), reference);
}

// 600 trials, N = 20: 30 generations. On 10-D ZDT1 random search never gets a point inside
// (1.1, 1.1) (its best g is about 2.7); on 30-D NSGA-II does not either in this budget (best g
// about 2.5), so there the reference is (11, 11), which bounds every point (f2 <= g <= 10).
TEST(Nsga2Sampler, BeatsRandomSearchOnZdt1AndKeepsItsGenerations) {
  struct Case {
    int dimension;
    std::vector<double> reference;
    double margin;  // of hypervolume over random search's
    std::vector<std::string> crossovers;
  };
  const std::vector<Case> cases = {{10, {1.1, 1.1}, 0.1, {"sbx", "uniform", "blxalpha"}},
                                   {30, {11.0, 11.0}, 5.0, {"sbx"}}};
  constexpr int kTrials = 600, kPopulation = 20;
  for (const Case& c : cases) {
    SearchSpace space = unit_box(c.dimension);
    Evaluate f = [&](const Config& config) { return zdt1(config, c.dimension); };
    for (uint64_t seed : {1, 2}) {
      double random_hv = final_hypervolume(
          run_study(space, {.directions = {kMin, kMin}, .sampler = "random", .seed = seed},
                    kTrials, f),
          c.reference);
      for (const std::string& crossover : c.crossovers) {
        std::string spec = "nsga2:population_size=20,crossover=" + crossover;
        std::vector<FrozenTrial> trials = run_study(
            space, {.directions = {kMin, kMin}, .sampler = spec, .seed = seed}, kTrials, f);
        double hv = final_hypervolume(trials, c.reference);
        std::cout << "[ zdt1-" << c.dimension << " ] seed " << seed << ", reference ("
                  << c.reference[0] << ", " << c.reference[1] << "): random " << random_hv
                  << ", " << spec << " " << hv << "\n";
        EXPECT_GT(hv, random_hv + c.margin) << spec << " seed " << seed;
        // Sequential: trials g*N .. g*N + N - 1 make generation g.
        for (const FrozenTrial& t : trials) {
          ASSERT_EQ(generation_of(t), t.number / kPopulation) << t.number;
        }
      }
    }
  }
}

TEST(Nsga2Sampler, AsksNeverWaitAndGenerationsFillWithFinishedTrials) {
  Study study = Study::create(open_storage("memory"), unit_box(3),
                              {.directions = {kMin, kMin}, .sampler = "nsga2:population_size=10",
                               .seed = 4});
  std::vector<Trial> running;
  for (int i = 0; i < 14; ++i) running.push_back(study.ask());  // four more than a generation
  auto tell = [&](Trial& t) { study.tell(t, zdt1(t.config(), 3)); };
  for (int i = 0; i < 8; ++i) tell(running[i]);
  study.tell_pruned(running[8]);
  Trial next = study.ask();  // 9 of generation 0 finished: still generation 0
  study.tell_failed(running[9], "failed trials count towards a full generation");
  Trial after = study.ask();  // 10 finished: generation 1
  for (const FrozenTrial& t : study.trials()) {
    EXPECT_EQ(generation_of(t), t.number == 15 ? 1 : 0) << t.number;
  }
  tell(next);
  tell(after);
}

TEST(Nsga2Sampler, ResumedStudyProposesWhatTheUninterruptedOneWould) {
  SearchSpace space;
  space.add_categorical("kind", {std::string("a"), std::string("b"), std::string("c")})
      .add_float("x", 0.0, 1.0)
      .add_int("n", 1, 64).log()
      .add_float("y", -1.0, 1.0).when("kind != 'c'");
  space.validate();
  Evaluate f = [](const Config& c) {
    double x = std::get<double>(c.at("x"));
    double n = static_cast<double>(std::get<int64_t>(c.at("n")));
    double y = c.contains("y") ? std::get<double>(c.at("y")) : 0.5;
    double k = std::get<std::string>(c.at("kind")) == "b" ? 0.0 : 0.3;
    return TrialOutcome{.values = {x + k + y * y, (1 - x) + std::log2(n) / 6 + k},
                        .constraints = {0.2 - x}};
  };
  StudyOptions options{.directions = {kMin, kMin}, .sampler = "nsga2:population_size=12",
                       .seed = 21};
  std::shared_ptr<Storage> straight_storage = open_storage("memory");
  Study straight = Study::create(straight_storage, space, options);
  run(straight, 100, f, 9);

  std::shared_ptr<Storage> storage = open_storage("memory");
  for (int stop : {17, 43, 100}) {  // interrupted mid-generation twice
    Study resumed = Study::create(storage, space, options);
    run(resumed, stop - static_cast<int>(resumed.trials().size()), f, 9);
  }
  std::vector<FrozenTrial> a = straight.trials();
  std::vector<FrozenTrial> b = Study::create(storage, space, options).trials();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(config_to_json(a[i].config), config_to_json(b[i].config)) << i;
    EXPECT_EQ(a[i].user_attrs, b[i].user_attrs) << i;
  }
  EXPECT_EQ(generation_of(a.back()), 99 / 12);
}

// x0 >= 0.8 is feasible: exactly 20% of the unit cube. The objectives ignore x0 (so only the
// constraint keeps the search in the feasible fifth), or, with `boundary_optimum`, prefer
// x0 = 0.7, just outside.
struct FeasibleShare {
  double after_first_generation = 0;  // generations 1 ..
  double settled = 0;                 // generations 5 .., once the population is feasible
};

FeasibleShare run_constrained(bool boundary_optimum, bool tell_constraints, uint64_t seed) {
  constexpr int kPopulation = 20, kTrials = 600, kSettled = 5 * kPopulation;
  Evaluate f = [&](const Config& c) {
    std::vector<double> x = coordinates(c, 4);
    double pull = boundary_optimum ? 4.0 * (x[0] - 0.7) * (x[0] - 0.7) : 0.0;
    TrialOutcome outcome{.values = {x[1] + pull, 1.0 - x[1] + (x[2] - 0.5) * (x[2] - 0.5) +
                                                     x[3] * x[3] + pull}};
    if (tell_constraints) outcome.constraints = {0.8 - x[0]};
    return outcome;
  };
  std::vector<FrozenTrial> trials =
      run_study(unit_box(4), {.directions = {kMin, kMin}, .sampler = "nsga2:population_size=20",
                              .seed = seed},
                kTrials, f);
  FeasibleShare share;
  for (const FrozenTrial& t : trials) {
    bool feasible = std::get<double>(t.config.at("x0")) >= 0.8;
    if (tell_constraints) {
      EXPECT_EQ(t.feasible(), feasible);
    }
    if (t.number >= kPopulation) share.after_first_generation += feasible ? 1.0 : 0.0;
    if (t.number >= kSettled) share.settled += feasible ? 1.0 : 0.0;
  }
  share.after_first_generation /= kTrials - kPopulation;
  share.settled /= kTrials - kSettled;
  return share;
}

// Generation 0 is random (about 20% feasible); Deb's rules then fill the parent population with
// feasible trials within about four generations (generation 1 is about 30% feasible, 2 about
// 60%, 3 about 80% over ten seeds), after which some children of parents near x0 = 0.8 fall
// just outside. Those first generations keep a single run from always reaching 90% over
// generations 1 to 29: seeds 1-5 give 0.86, 0.93, 0.96, 0.96, 0.93 (0.96-0.99 from generation
// 5); not telling the constraints gives 0.00-0.43; the optimum on the boundary 0.82-0.90
// (0.90-0.92 from generation 5).
TEST(Nsga2Sampler, ConstrainedSearchStaysInTheFeasibleFifth) {
  constexpr int kSeeds = 5;
  FeasibleShare mean;
  double mean_without = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    FeasibleShare with = run_constrained(false, true, seed);
    FeasibleShare without = run_constrained(false, false, seed);
    FeasibleShare boundary = run_constrained(true, true, seed);
    std::cout << "[ feasible share after generation 0 / from generation 5 ] seed " << seed
              << ": constrained " << with.after_first_generation << " / " << with.settled
              << ", constraints not told " << without.after_first_generation << " / "
              << without.settled << ", optimum on the boundary "
              << boundary.after_first_generation << " / " << boundary.settled << "\n";
    mean.after_first_generation += with.after_first_generation / kSeeds;
    mean.settled += with.settled / kSeeds;
    EXPECT_GE(with.after_first_generation, 0.8) << seed;
    EXPECT_GE(with.settled, 0.95) << seed;
    EXPECT_GE(boundary.settled, 0.85) << seed;
    mean_without += without.after_first_generation / kSeeds;
  }
  EXPECT_GE(mean.after_first_generation, 0.9);
  EXPECT_GE(mean.settled, 0.96);
  EXPECT_LT(mean_without, 0.4);
}

SearchSpace conditional_space() {
  SearchSpace space;
  space.add_categorical("model", {std::string("tree"), std::string("linear"), std::string("knn")})
      .add_int("depth", 1, 6).when("model == 'tree'")
      .add_float("l2", 1e-4, 1.0).log().when("model == 'linear'")
      .add_ordinal("k", {int64_t{1}, int64_t{3}, int64_t{5}, int64_t{9}}).when("model == 'knn'")
      .add_categorical("scale", {true, false})
      .add_float("x", -1.0, 1.0).step(0.25)
      .forbid("model == 'tree' and depth > 4 and x > 0.5")
      .forbid("scale == false and model == 'knn'");
  space.validate();
  return space;
}

double bowl(const SearchSpace& space, const Config& config, double shift) {
  UnitPoint point = space.encode(config);
  double value = 0.0;
  for (size_t i = 0; i < point.x.size(); ++i) {
    if (point.active[i]) value += (point.x[i] - shift) * (point.x[i] - shift) * (1.0 + i);
  }
  return value;
}

TEST(Nsga2Sampler, ProposesMembersOfConditionalAndCategoricalSpaces) {
  SearchSpace space = conditional_space();
  for (std::string crossover : {"sbx", "uniform", "blxalpha"}) {
    std::vector<FrozenTrial> trials = run_study(
        space,
        {.directions = {kMin, kMin},
         .sampler = "nsga2:population_size=8,crossover=" + crossover,
         .seed = 5},
        200, [&](const Config& c) {
          return TrialOutcome{.values = {bowl(space, c, 0.2), bowl(space, c, 0.7)}};
        });
    std::map<std::string, int> models;
    for (const FrozenTrial& t : trials) {
      EXPECT_NO_THROW(space.check(t.config)) << config_to_json(t.config).dump();
      ++models[std::get<std::string>(t.config.at("model"))];
    }
    EXPECT_EQ(models.size(), 3u) << crossover;
    EXPECT_EQ(generation_of(trials.back()), 199 / 8);
  }
}

// Draws through the sampler directly, as sampler_test.cc's contract suite does: some trials
// fail, the last ones stay running, and the notes are kept unless `keep_notes` is false.
std::vector<Config> draw(Sampler& sampler, const SearchSpace& space, int n,
                         bool keep_notes = true) {
  std::vector<FrozenTrial> history;
  std::vector<Direction> directions = {kMin, kMin};
  std::vector<Config> out;
  for (int i = 0; i < n; ++i) {
    std::map<std::string, std::string> attrs;
    SampleContext context{space, history, directions, i, keep_notes ? &attrs : nullptr};
    std::optional<Config> config = sampler.sample(context);
    if (!config) ADD_FAILURE() << "nsga2 ran out of proposals";
    if (!config) break;
    FrozenTrial t;
    t.number = i;
    t.config = *config;
    t.user_attrs = attrs;
    t.state = i % 7 == 6 ? TrialState::kFailed : i >= n - 3 ? TrialState::kRunning
                                                              : TrialState::kComplete;
    if (t.state == TrialState::kComplete) {
      t.values = {bowl(space, *config, 0.3), bowl(space, *config, 0.6)};
    }
    history.push_back(t);
    out.push_back(*config);
  }
  return out;
}

TEST(Nsga2Sampler, ProposesMembersOfRandomSpaces) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    std::mt19937_64 rng(seed);
    SearchSpace space;
    std::vector<std::string> categoricals;
    int n_params = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < n_params; ++i) {
      std::string name = "p" + std::to_string(i);
      switch (rng() % 5) {
        case 0: space.add_float(name, -2.0, 3.0); break;
        case 1: space.add_float(name, 1e-3, 10.0).log(); break;
        case 2: space.add_int(name, 1, 1000).log(); break;
        case 3: space.add_ordinal(name, {int64_t{1}, int64_t{2}, int64_t{4}}); break;
        default:
          space.add_categorical(name, {std::string("a"), std::string("b"), std::string("c")});
          categoricals.push_back(name);
          continue;
      }
      if (!categoricals.empty() && rng() % 2 == 0) space.when(categoricals.back() + " != 'b'");
    }
    if (!categoricals.empty()) space.forbid(categoricals.front() + " == 'c'");
    space.validate();
    auto sampler = create_sampler(SamplerSpec::parse("nsga2:population_size=4"), seed);
    for (const Config& config : draw(*sampler, space, 40)) {
      EXPECT_NO_THROW(space.check(config))
          << space.to_json() << ": " << config_to_json(config).dump();
    }
  }
}

TEST(Nsga2Sampler, SameSeedSameSequenceAndNotesAreOptional) {
  SearchSpace space = conditional_space();
  auto make = [](uint64_t seed) {
    return create_sampler(SamplerSpec::parse("nsga2:population_size=6"), seed);
  };
  std::vector<Config> first = draw(*make(11), space, 60);
  EXPECT_EQ(first, draw(*make(11), space, 60));
  EXPECT_NE(first, draw(*make(12), space, 60));
  // Without notes the sampler recognises its own proposals and makes the same generations.
  EXPECT_EQ(first, draw(*make(11), space, 60, false));
}

TEST(Nsga2Sampler, MaximisingTheNegatedObjectivesProposesTheSameSequence) {
  SearchSpace space = unit_box(5);
  auto run_with = [&](Direction direction, double sign) {
    return run_study(space,
                     {.directions = {direction, direction},
                      .sampler = "nsga2:population_size=10",
                      .seed = 8},
                     120, [&](const Config& c) {
                       TrialOutcome o = zdt1(c, 5);
                       for (double& v : o.values) v *= sign;
                       return o;
                     });
  };
  std::vector<FrozenTrial> minimised = run_with(kMin, 1.0);
  std::vector<FrozenTrial> maximised = run_with(Direction::kMaximize, -1.0);
  for (size_t i = 0; i < minimised.size(); ++i) {
    ASSERT_EQ(minimised[i].config, maximised[i].config) << i;
  }
}

TEST(Nsga2Sampler, OneObjectiveIsAGeneticAlgorithm) {
  SearchSpace space = unit_box(6);
  Evaluate sphere = [](const Config& c) {
    double value = 0.0;
    for (double x : coordinates(c, 6)) value += (x - 0.3) * (x - 0.3);
    return TrialOutcome{.values = {value}};
  };
  for (uint64_t seed : {1, 2, 3}) {
    auto best = [&](const std::string& spec) {
      double b = INFINITY;
      for (const FrozenTrial& t : run_study(space, {.sampler = spec, .seed = seed}, 400, sphere)) {
        b = std::min(b, t.values.at(0));
      }
      return b;
    };
    double ga = best("nsga2:population_size=20"), random = best("random");
    std::cout << "[ sphere-6 ] seed " << seed << ": random " << random << ", nsga2 " << ga << "\n";
    EXPECT_LT(ga, 0.5 * random) << seed;
  }
}

void expect_a_warm_sampler_proposes_what_a_fresh_one_does(const std::string& spec) {
  // The sampler keeps each trial's generation and the parents of settled generations between
  // asks. Whatever happens in between -- asks running ahead of tells, trials finishing out of
  // order, failing, or finishing after their generation filled -- it must propose what a
  // sampler reading the history for the first time proposes, and forget what it kept when
  // handed another history.
  const int dimension = 3;
  SearchSpace space = unit_box(dimension);
  std::vector<Direction> directions = {kMin, kMin};
  auto warm = create_sampler(SamplerSpec::parse(spec), 8);
  std::vector<FrozenTrial> history;
  std::vector<size_t> running;
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto propose = [&](Sampler& sampler, const std::vector<FrozenTrial>& trials,
                     std::map<std::string, std::string>& attrs) {
    SampleContext context{space, trials, directions, static_cast<int64_t>(trials.size()), &attrs};
    return sampler.sample(context).value();
  };
  for (int step = 0; step < 300; ++step) {
    if (running.size() < 5 && u(rng) < 0.6) {
      std::map<std::string, std::string> attrs, fresh_attrs;
      Config config = propose(*warm, history, attrs);
      ASSERT_EQ(config, propose(*create_sampler(SamplerSpec::parse(spec), 8), history, fresh_attrs))
          << "step " << step;
      ASSERT_EQ(attrs, fresh_attrs) << "step " << step;
      FrozenTrial t;
      t.id = t.number = static_cast<int64_t>(history.size());
      t.config = std::move(config);
      t.user_attrs = std::move(attrs);
      running.push_back(history.size());
      history.push_back(std::move(t));
    } else if (!running.empty()) {
      const size_t k = static_cast<size_t>(u(rng) * static_cast<double>(running.size()));
      FrozenTrial& t = history[running[k]];
      running.erase(running.begin() + static_cast<ptrdiff_t>(k));
      if (u(rng) < 0.15) {
        t.state = TrialState::kFailed;
      } else {
        t.state = TrialState::kComplete;
        t.values = zdt1(t.config, dimension).values;
      }
    }
  }
  if (spec.ends_with("parents=all")) {
    EXPECT_EQ(generation_of(history.back()), -1);  // no notes
  } else {
    EXPECT_GT(generation_of(history.back()), 10);
  }
  // Another history: the trials after the first 60, renumbered as another study's.
  std::vector<FrozenTrial> other(history.begin() + 60, history.end());
  for (FrozenTrial& t : other) t.id += 1000;
  std::map<std::string, std::string> attrs, fresh_attrs;
  EXPECT_EQ(propose(*warm, other, attrs),
            propose(*create_sampler(SamplerSpec::parse(spec), 8), other, fresh_attrs));
  EXPECT_EQ(attrs, fresh_attrs);
}

TEST(Nsga2Sampler, AWarmSamplerProposesWhatAFreshOneDoes) {
  expect_a_warm_sampler_proposes_what_a_fresh_one_does("nsga2:population_size=6");
}

// The same for the steady state, which keeps the parents folded so far instead.
TEST(Nsga2Sampler, AWarmSteadyStateSamplerProposesWhatAFreshOneDoes) {
  expect_a_warm_sampler_proposes_what_a_fresh_one_does("nsga2:population_size=6,parents=all");
}

// parents=all breeds from every complete trial, whoever proposed it: with a history of another
// sampler's trials (no notes), all in the corner [0, 0.1]^3, its children stay near that corner,
// where the generational sampler, which ignores such trials, starts with random ones.
TEST(Nsga2Sampler, SteadyStateBreedsFromEveryCompleteTrial) {
  const int dimension = 3;
  SearchSpace space = unit_box(dimension);
  std::vector<Direction> directions = {kMin, kMin};
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> corner(0.0, 0.1);
  std::vector<FrozenTrial> history;
  for (int i = 0; i < 40; ++i) {
    FrozenTrial t;
    t.id = t.number = i;
    for (int d = 0; d < dimension; ++d) t.config["x" + std::to_string(d)] = corner(rng);
    t.state = i % 7 == 3 ? TrialState::kFailed : TrialState::kComplete;
    if (t.state == TrialState::kComplete) t.values = zdt1(t.config, dimension).values;
    history.push_back(std::move(t));
  }
  auto share_near_corner = [&](const std::string& spec) {
    int near = 0;
    const int asks = 100;
    for (int k = 0; k < asks; ++k) {
      std::map<std::string, std::string> attrs;
      SampleContext context{space, history, directions,
                            static_cast<int64_t>(history.size()) + k, &attrs};
      std::vector<double> x = coordinates(
          create_sampler(SamplerSpec::parse(spec), 3)->sample(context).value(), dimension);
      near += std::all_of(x.begin(), x.end(), [](double v) { return v <= 0.3; }) ? 1 : 0;
    }
    return static_cast<double>(near) / asks;
  };
  EXPECT_GT(share_near_corner("nsga2:parents=all"), 0.9);
  EXPECT_LT(share_near_corner("nsga2"), 0.1);  // uniform: 0.3^3 = 2.7 % of the cube
}

TEST(Nsga2Sampler, OptionsAreValidated) {
  auto error_of = [](const std::string& spec) -> std::string {
    try {
      create_sampler(SamplerSpec::parse(spec), 1);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error_of("nsga2:parents=some").find("parents = 'some' must be generations or all"),
            std::string::npos);
  EXPECT_NE(error_of("nsga2:populaton_size=10").find("did you mean 'population_size'"),
            std::string::npos);
  EXPECT_NE(error_of("nsga2:population_size=1")
                .find("population_size = '1' must be an integer >= 2"),
            std::string::npos);
  EXPECT_NE(error_of("nsga2:crossover_prob=1.5")
                .find("crossover_prob = '1.5' must be a probability"),
            std::string::npos);
  EXPECT_NE(error_of("nsga2:mutation_prob=-0.1").find("mutation_prob = '-0.1'"), std::string::npos);
  EXPECT_NE(error_of("nsga2:swapping_prob=x").find("swapping_prob = 'x' must be a number"),
            std::string::npos);
  EXPECT_NE(error_of("nsga2:eta_c=-1").find("eta_c = '-1' must be a finite number >= 0"),
            std::string::npos);
  EXPECT_NE(error_of("nsga2:eta_m=inf").find("eta_m = 'inf'"), std::string::npos);
  EXPECT_NE(error_of("nsga2:crossover=blx")
                .find("crossover = 'blx' must be sbx, uniform or blxalpha"),
            std::string::npos);
  EXPECT_EQ(error_of("nsga2:population_size=4,crossover=uniform,crossover_prob=1,mutation_prob=0.2,"
                     "swapping_prob=0.3,eta_c=2,eta_m=5"),
            "");
  EXPECT_EQ(create_sampler(SamplerSpec::parse("nsga2"), 1)->name(), "nsga2");
}

}  // namespace
}  // namespace winnow

