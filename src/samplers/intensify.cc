// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Intensification with adaptive capping, as in SMAC (Hutter et al., LION 2011) and ParamILS
// (Hutter et al., JAIR 2009), for algorithm-configuration studies whose sampler only proposes
// configurations (rf, tpe, gp, random ...).
//
// The first configuration is the space's default, and the first incumbent. The incumbent gets
// one more instance each time a challenger is decided (SMAC's "one more run for the
// incumbent"). A challenger runs on the incumbent's instances, in the same order, in blocks of
// 1, 2, 4 ... instances; after each block it is rejected if its mean over the block's prefix is
// worse than the incumbent's on the same instances. It becomes the incumbent once it has run on
// as many instances as the incumbent had when the challenger started, without losing. With a
// runtime cost, each challenger run is capped at the time that would already make it lose:
// slack x the incumbent's total on the block, minus what the challenger spent before it; a
// capped run rejects its challenger.
//
// No state is kept between calls: each challenger's opponent and target are stored with its
// first run, so a replay of the stored runs reaches the same verdicts whenever it happens.
// Parallel jobs race several challengers at once, each against its own opponent.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "configuration/runs.h"
#include "samplers/registry.h"
#include "samplers/rf_runs.h"
#include "samplers/sampler_util.h"
#include "winnow/attributes.h"
#include "winnow/error.h"

namespace winnow {
namespace {

using configuration::Decision;
using configuration::InstanceStream;
using configuration::Run;
using configuration::RunTable;
using configuration::TrialNotes;

// SMAC's adaptive_capping_slackfactor.
constexpr double kCapSlack = 1.2;

struct Challenger {
  int64_t id = -1;
  int64_t opponent = -1;
  int64_t target = 1;
};

struct Verdicts {
  int64_t incumbent = -1;
  int64_t decided = 0;  // challengers rejected or promoted
  std::vector<Challenger> racing;
  std::vector<Decision> decisions;
};

class Intensifier : public Sampler {
 public:
  Intensifier(std::unique_ptr<Sampler> inner, uint64_t seed)
      : inner_(std::move(inner)), seed_(seed) {}
  std::string_view name() const override { return inner_->name(); }

  std::optional<Config> sample(const SampleContext& context) override {
    if (context.instances == nullptr) return inner_->sample(context);
    if (context.directions.size() != 1) {
      throw Error("algorithm configuration optimises one objective, the run cost; the study "
                  "has " + std::to_string(context.directions.size()));
    }
    const InstanceSet& instances = *context.instances;
    std::span<const TrialNotes> notes = notes_.read(context.history);
    RunTable table(context.history, notes, instances, context.directions[0]);
    InstanceStream stream(instances, seed_);
    configuration::check_instances_unchanged(notes, stream);
    std::map<int64_t, Challenger> challengers = read_challengers(notes);
    Verdicts verdicts = judge(table, challengers, instances);
    std::map<std::string, std::string> attrs;
    std::optional<Config> config;

    auto give = [&](int64_t id, int64_t position, std::optional<double> cap) {
      configuration::describe_run(stream, instances, id, position, cap, attrs);
      config = *table.config(id);
    };
    // 1. One more instance for the incumbent per decided challenger: it holds positions 0 to
    // due - 1. The first it lacks is given, so a run that was interrupted (and dropped) while
    // a later one finished is run again rather than leaving a gap no challenger gets past.
    if (verdicts.incumbent >= 0) {
      const int64_t due = 1 + verdicts.decided;
      int64_t missing = 0;
      while (table.run(verdicts.incumbent, missing) != nullptr) ++missing;
      if (missing < due && stream.valid(missing)) give(verdicts.incumbent, missing, std::nullopt);
    }
    // 2. The next block of a challenger still racing.
    for (size_t i = 0; !config && i < verdicts.racing.size(); ++i) {
      const Challenger& c = verdicts.racing[i];
      const int64_t done = contiguous(table, c.id);
      int64_t block = 1;
      while (block <= done) block *= 2;
      block = std::min(block, c.target);
      for (int64_t p = done; p < block; ++p) {
        if (table.run(c.id, p) != nullptr) continue;
        if (!finished_through(table, c.opponent, p)) break;
        give(c.id, p, cap_for(table, instances, c, block, p));
        break;
      }
    }
    // 3. A new challenger from the inner sampler (the default configuration first).
    if (!config) {
      int64_t id = context.trial_count;
      Config proposal;
      if (verdicts.incumbent < 0) {
        proposal = context.space.default_config();
        // Every run of the first configuration was interrupted (and dropped): it runs again
        // under its own id, so the challengers raced against it are judged once it has.
        for (const auto& [challenger, c] : challengers) {
          if (table.runs_of(c.opponent) == 0) id = std::min(id, c.opponent);
        }
      } else {
        std::optional<Config> inner;
        if (!every_configuration_ran(context.space, table)) {
          inner = propose(context, table, stream, attrs);
          if (!inner) inner = propose_untried(context, table);
        }
        if (!inner) {
          // Every configuration of the space has run. Challengers still racing wait for their
          // opponents' runs; otherwise the incumbent, the configuration the study returns,
          // runs on the instances it has not seen, and the study ends when it has seen all.
          if (!verdicts.racing.empty()) {
            if (context.waiting != nullptr) *context.waiting = true;
            return std::nullopt;
          }
          int64_t missing = 0;
          while (table.run(verdicts.incumbent, missing) != nullptr) ++missing;
          if (!stream.valid(missing)) return std::nullopt;
          give(verdicts.incumbent, missing, std::nullopt);
          if (context.trial_attrs != nullptr) {
            configuration::record_new_decisions(notes_, verdicts.decisions, attrs);
            for (auto& [key, value] : attrs) (*context.trial_attrs)[key] = value;
          }
          return config;
        }
        proposal = std::move(*inner);
      }
      configuration::describe_run(stream, instances, id, 0, std::nullopt, attrs);
      if (verdicts.incumbent >= 0) {
        Challenger c{id, verdicts.incumbent,
                     std::max<int64_t>(1, contiguous(table, verdicts.incumbent))};
        attrs[std::string(kOpponentAttr)] = std::to_string(c.opponent);
        attrs[std::string(kTargetAttr)] = std::to_string(c.target);
        if (std::optional<double> cap = cap_for(table, instances, c, 1, 0)) {
          attrs[std::string(kCapAttr)] = nlohmann::json(*cap).dump();
        }
      }
      config = std::move(proposal);
    }
    if (context.trial_attrs != nullptr) {
      configuration::record_new_decisions(notes_, verdicts.decisions, attrs);
      for (auto& [key, value] : attrs) (*context.trial_attrs)[key] = value;
    }
    return config;
  }

  std::string closing_decisions(const SampleContext& context) override {
    if (context.instances == nullptr || context.directions.size() != 1) return "";
    std::span<const TrialNotes> notes = notes_.read(context.history);
    RunTable table(context.history, notes, *context.instances, context.directions[0]);
    Verdicts verdicts = judge(table, read_challengers(notes), *context.instances);
    return configuration::unrecorded_decisions(notes_, verdicts.decisions);
  }

 private:
  static std::map<int64_t, Challenger> read_challengers(std::span<const TrialNotes> notes) {
    std::map<int64_t, Challenger> out;
    for (const TrialNotes& note : notes) {
      if (!note.configuration || !note.opponent || !note.target) continue;
      out.try_emplace(*note.configuration,
                      Challenger{*note.configuration, *note.opponent, *note.target});
    }
    return out;
  }

  static int64_t contiguous(const RunTable& table, int64_t id) {
    int64_t n = 0;
    while (true) {
      const Run* run = table.run(id, n);
      if (run == nullptr || !run->finished) return n;
      ++n;
    }
  }

  static bool finished_through(const RunTable& table, int64_t id, int64_t position) {
    return contiguous(table, id) > position;
  }

  static double sum(const RunTable& table, int64_t id, int64_t count) {
    double total = 0;
    for (int64_t p = 0; p < count; ++p) total += table.run(id, p)->cost;
    return total;
  }

  // The cap of challenger c's run at `position` within the block ending at `block`.
  static std::optional<double> cap_for(const RunTable& table, const InstanceSet& instances,
                                       const Challenger& c, int64_t block, int64_t position) {
    if (instances.cost != RunCostKind::kRuntime || !instances.capping) return std::nullopt;
    if (!finished_through(table, c.opponent, block - 1)) return std::nullopt;
    double spent = 0;
    for (int64_t p = 0; p < position; ++p) {
      const Run* run = table.run(c.id, p);
      if (run == nullptr || !run->finished) return std::nullopt;  // an earlier run is pending
      spent += run->cost;
    }
    double cap = kCapSlack * sum(table, c.opponent, block) - spent;
    cap = std::max(cap, 1e-3 * instances.cutoff_seconds);
    return std::min(cap, instances.cutoff_seconds);
  }

  Verdicts judge(const RunTable& table, const std::map<int64_t, Challenger>& challengers,
                 const InstanceSet& instances) const {
    Verdicts v;
    for (int64_t id : table.configurations()) {
      auto it = challengers.find(id);
      if (it == challengers.end()) {
        if (v.incumbent < 0) v.incumbent = id;  // the first configuration
        continue;
      }
      const Challenger& c = it->second;
      // A comparison waits for the opponent's runs on the same instances: with several jobs a
      // challenger can finish a block before its opponent has (or the opponent's run was
      // interrupted and must run again).
      const int64_t done = std::min(contiguous(table, id), contiguous(table, c.opponent));
      std::string lost;
      for (int64_t p = 0; p < done && lost.empty(); ++p) {
        const Run* run = table.run(id, p);
        if (run->censored && instances.cutoff_seconds > 0 && run->cap < instances.cutoff_seconds) {
          lost = "capped on instance " + std::to_string(p + 1) + ": it could no longer beat " +
                 "configuration " + std::to_string(c.opponent);
        }
      }
      for (int64_t block = 1; lost.empty() && block <= std::min(done, c.target); block *= 2) {
        lost = worse(table, id, c.opponent, block);
      }
      if (lost.empty() && done >= c.target) lost = worse(table, id, c.opponent, c.target);
      if (!lost.empty()) {
        v.decisions.push_back({id, "rejected", lost});
        ++v.decided;
        continue;
      }
      if (done < c.target) {
        v.racing.push_back(c);
        continue;
      }
      // Won against its opponent; the incumbent may have changed meanwhile.
      if (v.incumbent != c.opponent) {
        std::string also = worse(table, id, v.incumbent,
                                 std::min(c.target, contiguous(table, v.incumbent)));
        if (!also.empty()) {
          v.decisions.push_back({id, "rejected", also});
          ++v.decided;
          continue;
        }
      }
      v.decisions.push_back({id, "incumbent",
                             "matched configuration " + std::to_string(v.incumbent) + " on " +
                                 std::to_string(c.target) + " instance(s) at no higher cost"});
      v.incumbent = id;
      ++v.decided;
    }
    return v;
  }

  // Why `a` loses to `b` over instances 0..count-1, or "" if it does not.
  static std::string worse(const RunTable& table, int64_t a, int64_t b, int64_t count) {
    if (count <= 0) return "";
    double mine = sum(table, a, count) / static_cast<double>(count);
    double theirs = sum(table, b, count) / static_cast<double>(count);
    if (!(mine > theirs)) return "";
    char text[160];
    std::snprintf(text, sizeof(text),
                  "mean cost %.4g against %.4g of configuration %lld on %lld instance(s)", mine,
                  theirs, static_cast<long long>(b), static_cast<long long>(count));
    return text;
  }

  // The inner sampler sees one trial per configuration, valued at its mean cost so far, and
  // if it models runs (rf), every finished run as well.
  std::optional<Config> propose(const SampleContext& context, const RunTable& table,
                                const InstanceStream& stream,
                                std::map<std::string, std::string>& attrs) {
    auto* run_model = dynamic_cast<RunModelSampler*>(inner_.get());
    std::vector<FrozenTrial> summary;
    std::vector<ConfigurationRun> runs;  // only for a sampler that models them
    // A sampler that reads no history (random) takes its stream position from the count alone.
    const bool summarise = run_model != nullptr || inner_->uses_history();
    const std::vector<int64_t> none;
    for (int64_t id : summarise ? table.configurations() : none) {  // a reference, not a copy
      for (int64_t position : run_model != nullptr ? table.finished_positions(id)
                                                   : std::vector<int64_t>{}) {
        const Run* run = table.run(id, position);
        runs.push_back({summary.size(), static_cast<size_t>(stream.instance_index(position)),
                        run->cost, run->censored && run->cap < context.instances->cutoff_seconds});
      }
      FrozenTrial trial;
      trial.number = static_cast<int64_t>(summary.size());
      trial.id = id;
      trial.config = *table.config(id);
      std::vector<int64_t> positions = table.finished_positions(id);
      double mean = table.mean_cost(id, positions);
      if (positions.empty()) {
        trial.state = TrialState::kRunning;
      } else if (std::isfinite(mean)) {
        trial.state = TrialState::kComplete;
        trial.values = {mean};
      } else {
        trial.state = TrialState::kFailed;
      }
      summary.push_back(std::move(trial));
    }
    mark_changed_means(summary);
    static const std::vector<Direction> kMinimize = {Direction::kMinimize};
    std::map<std::string, std::string> inner_attrs;
    SampleContext inner{context.space, summary, kMinimize,
                        static_cast<int64_t>(table.configurations().size()), &inner_attrs,
                        nullptr};
    for (int attempt = 0; attempt < 20; ++attempt) {
      std::optional<Config> config =
          run_model != nullptr ? run_model->sample_over_runs(inner, *context.instances, runs)
                               : inner_->sample(inner);
      if (!config) return std::nullopt;
      if (!table.find(*config)) {
        for (auto& [key, value] : inner_attrs) attrs[key] = value;
        return config;
      }
      // A configuration that already ran: SMAC would give it more runs through
      // intensification anyway, so ask for another one (later positions of the stream).
      inner.trial_count += 1000003;
    }
    return std::nullopt;
  }

  // The inner sampler may keep what it read of the summary from one ask to the next
  // (history_reader.h), which holds for a history whose finished trials never change. A
  // configuration's mean does change as it runs on more instances; when one has, the summary's
  // first trial takes a new id, which the reader checks, so the inner sampler reads it whole.
  void mark_changed_means(std::vector<FrozenTrial>& summary) {
    bool changed = summary.size() < last_summary_.size();
    for (size_t i = 0; !changed && i < last_summary_.size(); ++i) {
      const SummaryEntry& before = last_summary_[i];
      const FrozenTrial& now = summary[i];
      changed = now.id != before.configuration ||
                (is_finished(before.state) &&
                 (now.state != before.state || now.values != before.values));
    }
    if (changed) ++summary_generation_;
    last_summary_.clear();
    for (const FrozenTrial& trial : summary) {
      last_summary_.push_back({trial.id, trial.state, trial.values});
    }
    if (!summary.empty()) summary[0].id = summary_generation_;
  }

  // True when the space is finite and as many configurations have run as it holds (a bound
  // that conditions make loose, which only costs the search for an untried one).
  static bool every_configuration_ran(const SearchSpace& space, const RunTable& table) {
    double count = 1;
    for (size_t i = 0; i < space.size(); ++i) {
      std::optional<uint64_t> choices = space.cardinality(i);
      if (!choices) return false;
      count *= static_cast<double>(*choices);
    }
    return count <= static_cast<double>(table.configurations().size());
  }

  // A configuration drawn uniformly that has not run, when the inner sampler keeps proposing
  // ones that have (a model sure of its optimum in a small space); nullopt when the draws find
  // none, as when every configuration of the space has run.
  std::optional<Config> propose_untried(const SampleContext& context,
                                        const RunTable& table) const {
    const SearchSpace& space = context.space;
    std::mt19937_64 rng(mix_seed(seed_ ^ 0x5DEECE66Dull, stream_position(context)));
    std::uniform_real_distribution<double> uniform(0, 1);
    std::vector<double> x(space.size());
    for (int attempt = 0; attempt < 256; ++attempt) {
      for (double& u : x) u = uniform(rng);
      Config config = space.decode(x);
      if (!space.is_forbidden(config) && !table.find(config)) return config;
    }
    return std::nullopt;
  }

  struct SummaryEntry {
    int64_t configuration;
    TrialState state;
    std::vector<double> values;
  };

  std::unique_ptr<Sampler> inner_;
  uint64_t seed_;
  configuration::TrialNotesCache notes_;
  std::vector<SummaryEntry> last_summary_;  // the summary of the last ask, ids unmarked
  int64_t summary_generation_ = 0;
};

}  // namespace

std::unique_ptr<Sampler> wrap_in_intensification(std::unique_ptr<Sampler> inner, uint64_t seed) {
  return std::make_unique<Intensifier>(std::move(inner), seed);
}

}  // namespace winnow
