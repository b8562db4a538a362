// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The runs of an algorithm-configuration study, read back from its trials: which
// configuration ran where, with which cost. Every configurator (racing, intensification) and
// the report rebuild their view from this table, so the stored trials stay the only state.
//
// The instance stream: run positions 0, 1, 2 ... map to (instance, seed) pairs. Positions
// walk a seeded permutation of the training instances; with a seeded command they wrap
// around with fresh seeds, without one the stream ends after the last instance (a
// deterministic run says nothing new the second time).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <set>
#include <tuple>
#include <vector>

#include "samplers/history_reader.h"
#include "winnow/instances.h"
#include "winnow/trial.h"

namespace winnow::configuration {

class InstanceStream {
 public:
  InstanceStream(const InstanceSet& instances, uint64_t seed);
  // False past the end of a stream without seeds.
  bool valid(int64_t position) const;
  const ProblemInstance& instance(int64_t position) const;
  int64_t instance_index(int64_t position) const;
  uint64_t seed(int64_t position) const;  // 0 without seeds

 private:
  const InstanceSet& instances_;
  uint64_t seed_;
  std::vector<int64_t> order_;
};

// Something a configurator decided about a configuration ("eliminated", "incumbent",
// "rejected"), stored with the next run it makes (kDecisionsAttr) for reports.
struct Decision {
  int64_t configuration = -1;
  std::string event;
  std::string reason;
};

// The engine's notes on one trial (its winnow.* attributes), parsed. The engine writes them
// when it creates the trial or claims it from the queue, and they never change after that:
// users cannot write winnow.* keys and the storage refuses attributes on finished trials.
struct TrialNotes {
  int64_t trial_id = -1;
  int64_t number = -1;
  bool test_run = false;   // kPhaseAttr: a run on the test instances
  std::optional<int64_t> configuration;
  std::optional<int64_t> position;
  std::optional<int64_t> iteration;  // racing
  std::optional<int64_t> opponent;   // intensification
  std::optional<int64_t> target;
  double cap = std::numeric_limits<double>::infinity();
  std::optional<std::string> instance;  // the path the run was given
  std::vector<Decision> decisions;
};

TrialNotes read_notes(const FrozenTrial& trial);
std::vector<TrialNotes> read_notes(std::span<const FrozenTrial> history);

// The notes of a study's trials, kept across a configurator's asks: each trial's text is
// parsed once rather than at every ask, whose cost would otherwise grow with every stored run.
class TrialNotesCache {
 public:
  // The notes of each trial of `history`, in its order. `history` extends the one of the last
  // call, as a study's does (HistoryReader's contract); one that does not is read whole.
  std::span<const TrialNotes> read(std::span<const FrozenTrial> history);
  // Whether a trial of the history last read records `decision` (kDecisionsAttr).
  bool records(const Decision& decision) const;

 private:
  HistoryReader reader_;
  std::vector<size_t> positions_;
  std::vector<TrialNotes> notes_;
  // (configuration, event, reason) of every decision the notes hold; looked up by reference,
  // since an ask checks every decision its replay made.
  std::set<std::tuple<int64_t, std::string, std::string>, std::less<>> recorded_;
};

struct Run {
  int64_t trial_number = -1;
  int64_t configuration = -1;
  int64_t position = -1;
  bool finished = false;   // complete or failed (not running, not waiting)
  bool censored = false;   // killed at its cap or the cutoff
  double cap = std::numeric_limits<double>::infinity();
  double cost = 0;         // comparable cost (minimised); failures count as the worst
};

// The tuning runs of a study (test runs and runs a stopped process left are ignored). A failed
// run costs PAR-k with a runtime cost and +infinity otherwise, so a crashing configuration
// always loses; an interrupted one (Winnow stopped) is ignored and may run again.
class RunTable {
 public:
  // `notes` are those of `history` (TrialNotesCache::read), in its order. The table points
  // into `history`, which must outlive it.
  RunTable(std::span<const FrozenTrial> history, std::span<const TrialNotes> notes,
           const InstanceSet& instances, Direction direction);
  RunTable(std::span<const FrozenTrial> history, const InstanceSet& instances,
           Direction direction)
      : RunTable(history, read_notes(history), instances, direction) {}

  // Configuration ids, ascending: the order they were first proposed in.
  const std::vector<int64_t>& configurations() const { return order_; }
  const Config* config(int64_t configuration) const;
  // The run of `configuration` at `position` (finished or not), or nullptr.
  const Run* run(int64_t configuration, int64_t position) const;
  // Positions with a finished run of `configuration`, ascending.
  std::vector<int64_t> finished_positions(int64_t configuration) const;
  // Mean cost over the given positions (all must have finished runs); +inf if none.
  double mean_cost(int64_t configuration, std::span<const int64_t> positions) const;
  int64_t runs_of(int64_t configuration) const;
  // The id of a stored configuration equal to `config`, if any.
  std::optional<int64_t> find(const Config& config) const;
  // Numeric attribute of a trial, if set.
  static std::optional<double> attr(const FrozenTrial& trial, std::string_view key);

 private:
  // The runs of one configuration: runs_[first, last), ascending by position.
  struct Group {
    int64_t configuration;
    const Config* config;
    size_t first, last;
  };
  const Group* group(int64_t configuration) const;

  // Flat and sorted rather than maps of maps: a configurator builds the table at every ask,
  // and a node per run made that cost grow with the study faster than the runs themselves.
  std::vector<Run> runs_;       // by (configuration, position), one per pair
  std::vector<Group> groups_;   // by configuration
  std::vector<int64_t> order_;  // the groups' configurations
};


// Fills the attributes of the run of `configuration` at `position` of the stream: its
// configuration, position, instance, seed, and cap when it is below the cutoff.
void describe_run(const InstanceStream& stream, const InstanceSet& instances,
                  int64_t configuration, int64_t position, std::optional<double> cap,
                  std::map<std::string, std::string>& attrs);
// The decisions no trial records yet (`notes`: the study's history, just read), as
// kDecisionsAttr's JSON list; "" if none.
std::string unrecorded_decisions(const TrialNotesCache& notes,
                                 const std::vector<Decision>& decisions);
// Adds to `attrs` the decisions no trial records yet.
void record_new_decisions(const TrialNotesCache& notes, const std::vector<Decision>& decisions,
                          std::map<std::string, std::string>& attrs);
// Every decision of the study, in the order it was made: those its trials record, then its
// closing decisions (kClosingDecisionsAttr, in `study_attrs`) while no later tuning run exists.
std::vector<Decision> recorded_decisions(std::span<const FrozenTrial> history,
                                         const std::map<std::string, std::string>& study_attrs = {});

// Throws winnow::Error when a stored tuning run's instance is not the one `stream` now puts at
// its position: instance files added, removed or renamed since the study began would make runs
// on different instances count as runs on the same one. (A folder moved as a whole is fine.)
void check_instances_unchanged(std::span<const TrialNotes> notes, const InstanceStream& stream);

// The cost a finished trial counts for (see RunTable).
double run_cost(const FrozenTrial& trial, const InstanceSet& instances, Direction direction);

}  // namespace winnow::configuration
