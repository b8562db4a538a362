// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The C++ API in one page (the README shows the same code): a space, a study on SQLite or in
// memory, ask/tell, optimize on several threads, a queued configuration, the best trial.
// Usage: winnow_example_minimal [STORAGE_URL]   (default: memory)
#include <winnow/winnow.h>

#include <cmath>
#include <iostream>

int main(int argc, char** argv) {
  winnow::SearchSpace space;
  space.add_float("x", -5.0, 5.0)
      .add_int("n", 1, 10)
      .add_categorical("kind", {std::string("a"), std::string("b")})
      .add_float("alpha", 1e-4, 1.0).log().when("kind == 'b'");

  std::shared_ptr<winnow::Storage> storage = winnow::open_storage(argc > 1 ? argv[1] : "memory");
  auto study = winnow::Study::create(storage, space, {.name = "demo", .sampler = "sobol", .seed = 1});

  auto t = study.ask();
  study.tell(t, t.float_param("x") * t.float_param("x"));

  study.enqueue({{"x", 0.0}, {"n", 1.0}, {"kind", std::string("a")}});
  study.optimize(
      [](winnow::Trial& t) {
        t.report(1, 0.5);
        double penalty = t.has("alpha") ? t.float_param("alpha") : 0.0;
        return std::abs(t.float_param("x")) + static_cast<double>(t.int_param("n")) + penalty;
      },
      {.n_trials = 100, .n_jobs = 4});

  std::optional<winnow::FrozenTrial> best = study.best_trial();
  std::cout << "best value " << best->values[0] << " at trial " << best->number << "\n";
  std::cout << winnow::to_csv(winnow::make_trial_table(*storage->find_study("demo"), study.trials()))
                   .substr(0, 200);
  // The enqueued configuration scores 1.0, the optimum of the optimize() objective.
  return best->values[0] <= 1.0 ? 0 : 1;
}
