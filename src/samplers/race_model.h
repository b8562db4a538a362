// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The sampling model of iterated racing (samplers/race.cc), as irace keeps it (López-Ibáñez
// et al., "The irace package", 2016, section 3.2): every elite owns a model, a probability
// vector per categorical parameter and a standard deviation per numeric one (on the space's
// unit cube). A configuration sampled from an elite inherits its parent's model when it
// becomes an elite itself, so a lineage that keeps winning concentrates its model iteration
// after iteration, while a new lineage starts from its parent's. The model is rebuilt by
// replaying the races, so it holds no state of its own between asks.
#ifndef WINNOW_SAMPLERS_RACE_MODEL_H_
#define WINNOW_SAMPLERS_RACE_MODEL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <vector>

#include "winnow/space.h"

namespace winnow {

class RaceModel {
 public:
  // `iterations` is the planned number of racing iterations; it sets how fast categorical
  // probabilities lean towards an elite's value.
  RaceModel(const SearchSpace& space, int iterations);

  using ConfigOf = std::function<const Config*(int64_t)>;

  // Gives every elite of the first race the initial model: uniform probabilities, half the
  // range as standard deviation.
  void initialise(const std::vector<int64_t>& elites);

  // irace's update at the start of `iteration` (2, 3, ...), for the elites of the last race
  // and `new_count` configurations about to be sampled: each elite's categorical values gain
  // probability (capped, so that no value crowds out the rest entirely) and its standard
  // deviations shrink by (1 / new_count)^(1 / parameters). An elite without a model of its
  // own takes its parent's as it was before this update.
  void update(int iteration, const std::vector<int64_t>& elites, const ConfigOf& config_of,
              int64_t new_count);

  // irace's soft restart for the elites in `ids` (or the parents of new configurations in it):
  // categorical probabilities flatten towards uniform, standard deviations widen back to at
  // most their second-iteration value.
  void restart(const std::vector<int64_t>& ids, int64_t new_count);

  // A configuration sampled from the model of `parent`, or uniformly when there is none.
  Config sample(int64_t parent, const Config* parent_config, std::mt19937_64& rng) const;

  void set_parent(int64_t child, int64_t parent) { parent_[child] = parent; }

 private:
  struct Entry {
    std::vector<std::vector<double>> probabilities;  // per parameter (categorical only)
    std::vector<double> deviation;                   // per parameter (numeric only)
  };
  Entry make_initial() const;
  // The entry an elite samples from: its own, else its parent's (before this update).
  const Entry* entry_for(int64_t id) const;

  const SearchSpace& space_;
  int iterations_;
  Entry initial_;  // uniform probabilities, half the range as deviation
  std::map<int64_t, Entry> entries_;
  std::map<int64_t, int64_t> parent_;
};

// irace's computeNbConfigurations: how many configurations, elites included, an iteration with
// `share` runs can race. The elites' results on the `seen` instances count as budget already
// paid, and each configuration is planned to reach the first test (`first_test` instances,
// then `each_test` more per iteration, up to five) or, if more, every instance seen and a new
// one.
int64_t configurations_to_race(int64_t share, int iteration, int first_test, int each_test,
                               int64_t elites, int64_t seen);

// irace's test for a soft restart: the ids among `configs` that lie within a ten-thousandth of
// the range of another on every numeric parameter and share its categorical values and active
// parameters. Empty when the configurations are all distinct.
std::vector<int64_t> near_identical(const SearchSpace& space,
                                    const std::vector<std::pair<int64_t, Config>>& configs);

}  // namespace winnow

#endif  // WINNOW_SAMPLERS_RACE_MODEL_H_
