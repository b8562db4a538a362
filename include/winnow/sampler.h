// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Samplers propose configurations. A sampler sees the space and an immutable snapshot of the
// study's trials, never the storage, so it cannot corrupt a study. Its state must be rebuildable
// from that snapshot alone (a resumed study gets a fresh sampler and the stored trials).
//
// Adding a sampler: one file in src/samplers/ implementing this interface and one line in
// src/samplers/registry.cc mapping its name to a factory. It is then selectable as
// `sampler = "name:key=value,..."` in study files and `--sampler` on the command line.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/instances.h"
#include "winnow/space.h"
#include "winnow/trial.h"

namespace winnow {

struct SampleContext {
  const SearchSpace& space;
  // Every trial of the study so far (all states, number order), including running ones, so a
  // sampler can avoid proposing what workers are already evaluating. Empty when the sampler's
  // uses_history() is false.
  std::span<const FrozenTrial> history;
  std::span<const Direction> directions;
  // The number the proposed trial will get: the study's trial count when the sample was
  // requested. A seeded sampler takes its position in its random stream from it, so the
  // sequence belongs to the study rather than to a process: the study creates the trial only
  // under this number and asks again if another process took it first (Storage::create_trial),
  // which is how N processes with one seed never repeat a configuration, and how a resumed
  // study continues its sequence. Negative for a sampler that draws from any position
  // (SamplerTraits::draws_from_any_position) in a process another overtook: -1 - m, where m is
  // the number of a trial that process created, a position no trial number holds (and, for the
  // other trials of an ask in blocks, -2^40 - 8m - j for j = 1 .. 7, from several such m).
  int64_t trial_count = 0;
  // Where a sampler may leave notes about the configuration it proposes (key -> JSON text),
  // stored with the trial as system attributes in the same write. Keys are the ones of
  // winnow/attributes.h: kSamplerAttr names the sampler that proposed it (set by composite
  // samplers such as auto), other keys carry state a sampler needs to rebuild itself on resume
  // (CMA-ES records its generation there). Null when the caller keeps no notes.
  std::map<std::string, std::string>* trial_attrs = nullptr;
  // Algorithm configuration: the instances each trial runs on (one trial is one run). Samplers
  // whose traits say configures_runs decide the instance, seed and cap of each run; others
  // are wrapped in intensification by the study. Null for an ordinary study.
  const InstanceSet* instances = nullptr;
  // A sampler that returns nullopt only because it waits for running trials to finish sets
  // *waiting = true; the study then asks again later instead of ending. Null: not supported.
  bool* waiting = nullptr;
  // Zero, or the proposal is made ahead of the study's lock by one of several processes that
  // compete for it (SamplerTraits::proposes_ahead), whose trial number is not known yet: a
  // seeded sampler then takes its stream position from (trial_count, stream_salt)
  // (stream_position() in src/samplers/sampler_util.h), so processes that saw the same history
  // do not draw the same numbers.
  uint64_t stream_salt = 0;
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // The name it is registered under ("random", "sobol", ...).
  virtual std::string_view name() const = 0;
  // Proposes one configuration that is a member of the space (active parameters only, no
  // forbidden combination), or nullopt when it has nothing left to propose (an exhausted grid),
  // which ends the study. Called from one thread at a time.
  virtual std::optional<Config> sample(const SampleContext& context) = 0;
  // Whether sample() reads context.history. Samplers that do not (random, Sobol) let the study
  // skip loading trials, which keeps ask() O(1) in the size of the study.
  virtual bool uses_history() const { return true; }
  // Algorithm configuration: the verdicts that the finished runs of `context.history` imply and
  // that no trial records yet, as kDecisionsAttr's JSON list, or "" for none. A configurator
  // stores its verdicts with the run it proposes next, so those reached on a study's last runs
  // would have no run to travel with: the study asks for them once its runs have ended
  // (Study::record_closing_decisions).
  virtual std::string closing_decisions(const SampleContext& /*context*/) { return ""; }

 protected:
  Sampler() = default;
};

// A parsed "name:key=value,key=value" spec.
struct SamplerSpec {
  std::string name;
  std::map<std::string, std::string> options;
  static SamplerSpec parse(std::string_view text);  // throws winnow::Error
  std::string to_string() const;
};

// What the engine needs to know about a sampler, declared with its registration
// (src/samplers/registry.cc), so that the study, the schedulers and other samplers never name a
// particular one.
struct SamplerTraits {
  // Optimises several objectives at once (and one).
  bool multi_objective = false;
  // Learns from whatever subset of the trials it is shown, such as those at one budget under a
  // budget scheduler. False for samplers that replay their own proposals (CMA-ES) or walk a
  // fixed list (grid).
  bool learns_from_any_trials = true;
  // Takes an `n_startup` option: how many trials it proposes before its model starts.
  bool takes_n_startup = false;
  // Decides the runs of an algorithm-configuration study itself (which configuration on which
  // instance, with which seed and cap): "race". Other samplers only propose configurations.
  bool configures_runs = false;
  // Its proposal stays a good one when made on a history a few trials old and from any stream
  // position (SampleContext::stream_salt): the study may then propose before taking the
  // storage's lock, so processes that share a study decide in parallel rather than one at a
  // time. False for samplers that count on the trial number itself (Sobol, grid, CMA-ES's
  // generations).
  bool proposes_ahead = false;
  // Its continuous values are random draws (TPE's candidates), not the optimum of a search that
  // two processes on the same history would both reach (a GP's acquisition): a proposal made
  // ahead that holds one cannot repeat another process's, and is created without being
  // checked against the trials created meanwhile.
  bool draws_at_random = false;
  // Reads no history and its proposal for one stream position is as good as for any other
  // (random sampling): a process whose ask was overtaken may propose from a position that only
  // it can hold, made from the number of its own previous trial, and create the trial in one
  // step without the lock waiting for it. Alone, a process still gives trial n the n-th
  // position.
  bool draws_from_any_position = false;
};
// The traits of a registered sampler; throws winnow::Error for an unknown name.
SamplerTraits sampler_traits(std::string_view name);

// Creates a registered sampler. Throws winnow::Error for an unknown name (with a did-you-mean)
// or an option it does not take. `seed` makes the sequence reproducible in sequential mode.
std::unique_ptr<Sampler> create_sampler(const SamplerSpec& spec, uint64_t seed);
std::vector<std::string> sampler_names();

}  // namespace winnow
