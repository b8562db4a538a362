// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The default sampler: it chooses, for every proposal, which model-based sampler fits the space
// and the run so far, and records the choice and its reason with the trial
// (user attributes "winnow.sampler" and "winnow.sampler_reason").
//
// The policy, in order (each threshold is an option, see create_auto_sampler):
//   1. fewer than `n_startup` trials             -> sobol (space filling, no model yet);
//   2. several objectives: up to `mo_gp_max_trials` trials, at most `mo_gp_max_objectives`
//      objectives and `mo_gp_max_dims` parameters, no constraints, conditions or majority of
//      categoricals                              -> a portfolio of gp (EHVI or ParEGO,
//                                                    gp_multi_objective.cc) and tpe (MOTPE),
//                                                    taking turns (partner_takes_turn);
//      otherwise                                  -> tpe, which is MOTPE then (good set by
//                                                    non-domination rank and hypervolume
//                                                    subset selection, tpe_split.h), from
//                                                    `mo_nsga2_after` trials with at most 3
//                                                    objectives taking turns in the same way
//                                                    with steady-state nsga2 (parents=all);
//   3. a trial in the history reports constraint values
//                                                 -> tpe, whose c-TPE feasibility model (tpe.cc)
//                                                    scores candidates by where each constraint
//                                                    held; gp and cmaes ignore constraints;
//   4. conditions, many categoricals, or more than `gp_max_dims` parameters
//                                                 -> tpe (a Parzen model per active group copes
//                                                    with tree-shaped spaces; a GP on a flat
//                                                    encoding does not);
//   5. fewer than `gp_max_trials` trials          -> gp (the most sample-efficient while its
//                                                    cubic cost is affordable);
//   6. otherwise, with numeric parameters         -> cmaes, warm-started from the best trials so
//                                                    far (scales to long runs at O(d^2) per ask);
//      otherwise                                  -> tpe.
// Why MOTPE rather than NSGA-II (nsga2.cc) alone for several objectives: on the multi-objective
// suite (bench/mo_suite.cc; figures in docs/benchmarks.md) its median hypervolume was higher at
// every budget up to a thousand trials. Why NSGA-II beside it late in a run: on multimodal
// problems of the broad suite (DTLZ1, ZDT4: 11^5 and 21^9 local fronts) MOTPE settles on a
// local front that NSGA-II's crossover and mutation escape; the two taking turns by credit beat
// either alone there and cost little elsewhere (docs/benchmarks.md). The generational NSGA-II
// could not take turns: its generations hold only its own trials; the steady state breeds from
// every trial.
// Why a portfolio for several objectives rather than the GP alone: on the broad suite
// (bench/mo_suite.cc, 27 problems; docs/benchmarks.md) the GP won most problems by far (ZDT6,
// DTLZ6-7, WFG1: several times Optuna's best) but lost by 20-70 % where its models mislead it:
// Rastrigin-like ZDT4, where no GP fits the landscape, and DTLZ2, whose degenerate corners
// (x0 = 1 gives f1 = f2 = 0 whatever else) draw every hypervolume-based acquisition. MOTPE alone
// lost on other problems (ZDT6, DTLZ3) by as much. Sharing the turns bounds the loss on either
// kind at the cost of part of the gain, without telling problems apart. Why no forced turns for
// the GP by default: where it adds nothing (WFG8), a turn every fourth trial cost MOTPE's lead
// over Optuna (docs/benchmarks.md), while where it wins (ZDT6, WFG1) its credit gives it every
// other turn anyway.
// The sub-samplers live as long as this sampler, so each keeps its own state (GP kernel fit,
// CMA-ES distribution) between asks; all of them rebuild from the stored trials after a resume,
// and the choice depends only on the space, the trial count and whether a stored trial reports
// constraints, so a resumed run makes the same choices.
// Why TPE for constraints: its c-TPE feasibility model keeps most proposals after start-up
// feasible (measured in tests/unit/tpe_sampler_test.cc and docs/benchmarks.md); GP and CMA-ES
// would propose by the objective alone.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "samplers/gp_multi_objective.h"
#include "samplers/history_reader.h"
#include "samplers/portfolio_credit.h"
#include "samplers/registry.h"
#include "samplers/sampler_util.h"
#include "winnow/error.h"

namespace winnow {
namespace {

struct AutoOptions {
  int64_t n_startup = 10;      // Sobol proposals before any model is fitted.
  int64_t gp_max_trials = 250;  // trials after which GP hands over to CMA-ES.
  int64_t gp_max_dims = 20;     // wider spaces go to TPE.
  // Several objectives: the GP (EHVI) proposes until this many trials, then MOTPE.
  int64_t mo_gp_max_trials = 50;
  int64_t mo_gp_max_objectives = 3;  // more objectives go to MOTPE
  int64_t mo_gp_max_dims = 32;       // wider spaces go to MOTPE
  std::string mo_gp_acquisition = "ehvi";  // the GP's acquisition: ehvi or parego
  // How the GP and MOTPE share the turns: "credit" (by the hypervolume their proposals added)
  // or "alternate" (by trial number).
  std::string mo_portfolio = "credit";
  // MOTPE's most turns in a row beside the GP (0: no limit, the GP proposes only when its credit
  // leads, or before it has any).
  int64_t mo_gp_max_tpe_run = 0;
  // From this many trials (negative: never), steady-state NSGA-II shares MOTPE's turns by credit,
  // MOTPE taking at most mo_nsga2_max_tpe_run turns in a row (0: no limit). Twice NSGA-II's
  // population: before that its elite would be nearly every trial, no selection at all.
  int64_t mo_nsga2_after = 100;
  int64_t mo_nsga2_max_tpe_run = 3;
};

// What the policy needs to know about a space, computed once.
struct SpaceProfile {
  size_t dims = 0;
  size_t numeric = 0;      // float/int/ordinal parameters that are always active
  size_t categorical = 0;  // categorical parameters
  bool conditional = false;
};

SpaceProfile profile_of(const SearchSpace& space) {
  SpaceProfile profile;
  profile.dims = space.size();
  profile.conditional = space.has_conditions();
  for (const ParamSpec& spec : space.params()) {
    if (spec.kind == ParamKind::kCategorical) {
      ++profile.categorical;
    } else if (spec.condition.empty()) {
      ++profile.numeric;
    }
  }
  return profile;
}

std::string plural(size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

class AutoSampler : public Sampler {
 public:
  AutoSampler(AutoOptions options, uint64_t seed) : options_(options), seed_(seed) {}
  std::string_view name() const override { return "auto"; }

  std::optional<Config> sample(const SampleContext& context) override {
    if (!profile_) profile_ = profile_of(context.space);
    std::string reason;
    const std::string& choice = choose(context, &reason);
    Sampler& sampler = sub_sampler(choice);
    std::optional<Config> config = sampler.sample(context);
    if (config && context.trial_attrs != nullptr) {
      (*context.trial_attrs)[std::string(kSamplerAttr)] = "\"" + choice + "\"";
      (*context.trial_attrs)[std::string(kSamplerReasonAttr)] = "\"" + reason + "\"";
    }
    return config;
  }

 private:
  // Returns the name of the sampler to use for this proposal and, in `reason`, why (plain text
  // without quotes or backslashes, so it is stored as a JSON string as is).
  const std::string& choose(const SampleContext& context, std::string* reason) {
    static const std::string kSobol = "sobol", kTpe = "tpe", kGp = "gp", kCmaes = "cmaes",
                             kNsga2 = "nsga2";
    const SpaceProfile& p = *profile_;
    const int64_t n = context.trial_count;
    if (n < options_.n_startup) {
      *reason = "space-filling start, trial " + std::to_string(n + 1) + " of " +
                std::to_string(options_.n_startup) + " before a model is fitted";
      return kSobol;
    }
    if (context.directions.size() > 1) {
      std::string why_not = multi_objective_gp_excluded(context);
      if (why_not.empty()) {
        std::string why;
        bool gp_turn = partner_takes_turn(context, kGp, "the Gaussian processes",
                                          static_cast<size_t>(options_.mo_gp_max_tpe_run), &why);
        *reason = plural(context.directions.size(), "objective") + ", " +
                  plural(p.dims, "parameter") + ", " + std::to_string(n) +
                  " trials (< mo_gp_max_trials=" + std::to_string(options_.mo_gp_max_trials) +
                  "): a portfolio of Gaussian processes and MOTPE; " +
                  (gp_turn ? "the Gaussian processes" : "MOTPE") + " " + why;
        return gp_turn ? kGp : kTpe;
      }
      if (options_.mo_nsga2_after >= 0 && n >= options_.mo_nsga2_after &&
          context.directions.size() <= gp::kMaxObjectives) {
        std::string why;
        bool nsga2_turn = partner_takes_turn(
            context, kNsga2, "NSGA-II", static_cast<size_t>(options_.mo_nsga2_max_tpe_run), &why);
        *reason = plural(context.directions.size(), "objective") + ", " + why_not +
                  ": a portfolio of MOTPE and steady-state NSGA-II; " +
                  (nsga2_turn ? "NSGA-II " : "MOTPE ") + why;
        return nsga2_turn ? kNsga2 : kTpe;
      }
      *reason = plural(context.directions.size(), "objective") + ", " + why_not +
                ": MOTPE (TPE with a good set by non-domination rank and hypervolume)";
      return kTpe;
    }
    if (reports_constraints(context.history)) {
      *reason = "constraints: tpe models where they hold";
      return kTpe;
    }
    if (p.conditional) {
      *reason = "conditional parameters: TPE models each active group separately";
      return kTpe;
    }
    if (context.space.is_define_by_run() && asks_for_subsets(context)) {
      *reason = "parameters only some trials ask for: TPE models each active group separately";
      return kTpe;
    }
    if (p.categorical * 2 > p.dims) {
      *reason = plural(p.categorical, "categorical parameter") + " of " +
                std::to_string(p.dims) + ": TPE handles choices best";
      return kTpe;
    }
    if (static_cast<int64_t>(p.dims) > options_.gp_max_dims) {
      *reason = plural(p.dims, "parameter") + " (more than gp_max_dims=" +
                std::to_string(options_.gp_max_dims) + "): TPE scales with dimension";
      return kTpe;
    }
    if (n < options_.gp_max_trials) {
      *reason = plural(p.dims, "parameter") + ", no conditions, " + std::to_string(n) +
                " trials (< gp_max_trials=" + std::to_string(options_.gp_max_trials) +
                "): Gaussian process";
      return kGp;
    }
    if (p.numeric > 0) {
      *reason = std::to_string(n) + " trials (>= gp_max_trials=" +
                std::to_string(options_.gp_max_trials) +
                "): CMA-ES, warm-started from the best trials, costs O(d^2) per ask";
      return kCmaes;
    }
    *reason = std::to_string(n) + " trials, no numeric parameter for CMA-ES: TPE";
    return kTpe;
  }

  // A portfolio's turn with several objectives: whether the partner (the GP, or NSGA-II later
  // in a run) proposes, else MOTPE, and in `why` the reason. Each proposal of the two is credited
  // with the hypervolume its trial added to the front of the trials before it
  // (portfolio_credit.h); the sampler whose last kCreditWindow proposals added more on average
  // takes the turn, within two limits that keep both credits current and lean towards MOTPE,
  // the more robust across the suite: the partner never takes two turns in a row, MOTPE never
  // more than `max_tpe_run`. A function of the history alone, so a resumed study makes the
  // same choices.
  bool partner_takes_turn(const SampleContext& context, const std::string& partner,
                          const std::string& partner_title, size_t max_tpe_run,
                          std::string* why) {
    if (partner == "gp" && options_.mo_portfolio == "alternate") {
      *why = "(the two alternate by trial number)";
      return context.trial_count % 2 == 0;
    }
    constexpr size_t kCreditWindow = 8;
    const PortfolioCredits c = credit_.measure(context, partner, kCreditWindow);
    const bool credited = c.tpe_counted > 0 && c.partner_counted > 0;
    *why = credited ? "(hypervolume added per proposal, last " + std::to_string(kCreditWindow) +
                          ": " + partner_title + " " + format_credit(c.partner) + ", MOTPE " +
                          format_credit(c.tpe)
                    : std::string("(not both credited yet");
    if (c.last_by_partner) {
      *why += "; no two turns in a row for " + partner_title + ")";
      return false;
    }
    if (max_tpe_run > 0 && c.tpe_run >= max_tpe_run) {
      *why += "; MOTPE had the last " + std::to_string(max_tpe_run) + ")";
      return true;
    }
    *why += ")";
    if (!credited) return c.partner_counted == 0;
    return c.partner > c.tpe;  // a tie: MOTPE
  }

  static std::string format_credit(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", value);
    return text;
  }

  // Why the GP does not suit this study with several objectives, or empty when it does.
  std::string multi_objective_gp_excluded(const SampleContext& context) {
    const SpaceProfile& p = *profile_;
    const int64_t n = context.trial_count;
    if (static_cast<int64_t>(context.directions.size()) >
        std::min<int64_t>(options_.mo_gp_max_objectives, gp::kMaxObjectives)) {
      return "more than mo_gp_max_objectives=" + std::to_string(options_.mo_gp_max_objectives);
    }
    if (n >= options_.mo_gp_max_trials) {
      return std::to_string(n) + " trials (>= mo_gp_max_trials=" +
             std::to_string(options_.mo_gp_max_trials) + ")";
    }
    if (reports_constraints(context.history)) return "constraints";
    if (p.conditional) return "conditional parameters";
    if (context.space.is_define_by_run() && asks_for_subsets(context)) {
      return "parameters only some trials ask for";
    }
    if (p.categorical * 2 > p.dims) {
      return plural(p.categorical, "categorical parameter") + " of " + std::to_string(p.dims);
    }
    if (static_cast<int64_t>(p.dims) > options_.mo_gp_max_dims) {
      return plural(p.dims, "parameter") + " (more than mo_gp_max_dims=" +
             std::to_string(options_.mo_gp_max_dims) + ")";
    }
    return "";
  }

  // Whether a trial of the history reports constraint values. They come with a finished
  // trial, which never changes, so once one is seen the answer stays, and each ask reads only
  // the trials that are new or were unfinished (history_reader.h), not the whole study.
  bool reports_constraints(std::span<const FrozenTrial> history) {
    if (!constraint_reader_.next(history, positions_)) constraints_reported_ = false;
    for (size_t position : positions_) {
      const FrozenTrial& trial = history[position];
      if (!trial.constraints.empty()) {
        constraints_reported_ = true;
      } else if (trial.number < 0 || !is_finished(trial.state)) {
        constraint_reader_.revisit(position);
      }
    }
    return constraints_reported_;
  }

  // A define-by-run space declares no conditions: its parameters are conditional when a complete
  // trial did not ask for one of them. Read incrementally, as reports_constraints does.
  bool asks_for_subsets(const SampleContext& context) {
    if (!activity_reader_.next(context.history, activity_positions_)) asks_subsets_ = false;
    for (size_t position : activity_positions_) {
      const FrozenTrial& trial = context.history[position];
      if (trial.state == TrialState::kComplete) {
        if (trial.config.size() < context.space.size()) asks_subsets_ = true;
      } else if (trial.number < 0 || !is_finished(trial.state)) {
        activity_reader_.revisit(position);
      }
    }
    return asks_subsets_;
  }

  Sampler& sub_sampler(const std::string& name) {
    std::unique_ptr<Sampler>& slot = samplers_[name];
    if (!slot) {
      // Each sub-sampler draws from its own stream, derived from the study seed and its name.
      uint64_t sub_seed = seed_;
      for (char c : name) sub_seed = mix_seed(sub_seed, static_cast<unsigned char>(c));
      SamplerSpec spec{name, {}};
      if (name == "gp") spec.options["mo_acquisition"] = options_.mo_gp_acquisition;
      if (name == "nsga2") spec.options["parents"] = "all";
      slot = create_sampler(spec, sub_seed);
    }
    return *slot;
  }

  AutoOptions options_;
  uint64_t seed_;
  std::optional<SpaceProfile> profile_;
  std::map<std::string, std::unique_ptr<Sampler>> samplers_;
  PortfolioCredit credit_;  // the portfolios' credits, and the front they keep between asks
  HistoryReader constraint_reader_;
  std::vector<size_t> positions_;
  bool constraints_reported_ = false;
  HistoryReader activity_reader_;
  std::vector<size_t> activity_positions_;
  bool asks_subsets_ = false;
};

}  // namespace

std::unique_ptr<Sampler> create_auto_sampler(const SamplerOptions& options, uint64_t seed) {
  SamplerOptionReader reader("auto", options);
  AutoOptions parsed;
  parsed.n_startup = reader.get_int("n_startup", parsed.n_startup, 0);
  parsed.gp_max_trials = reader.get_int("gp_max_trials", parsed.gp_max_trials, 0);
  parsed.gp_max_dims = reader.get_int("gp_max_dims", parsed.gp_max_dims, 0);
  parsed.mo_gp_max_trials = reader.get_int("mo_gp_max_trials", parsed.mo_gp_max_trials, 0);
  parsed.mo_gp_max_objectives =
      reader.get_int("mo_gp_max_objectives", parsed.mo_gp_max_objectives, 0);
  parsed.mo_gp_max_dims = reader.get_int("mo_gp_max_dims", parsed.mo_gp_max_dims, 0);
  parsed.mo_gp_acquisition = reader.get_string("mo_gp_acquisition", parsed.mo_gp_acquisition);
  parsed.mo_portfolio = reader.get_string("mo_portfolio", parsed.mo_portfolio);
  parsed.mo_gp_max_tpe_run = reader.get_int("mo_gp_max_tpe_run", parsed.mo_gp_max_tpe_run, 0);
  parsed.mo_nsga2_after = reader.get_int("mo_nsga2_after", parsed.mo_nsga2_after, -1);
  parsed.mo_nsga2_max_tpe_run =
      reader.get_int("mo_nsga2_max_tpe_run", parsed.mo_nsga2_max_tpe_run, 0);
  if (parsed.mo_portfolio != "credit" && parsed.mo_portfolio != "alternate") {
    throw Error("sampler 'auto': option mo_portfolio must be credit or alternate, not '" +
                parsed.mo_portfolio + "'");
  }
  if (parsed.mo_gp_acquisition != "ehvi" && parsed.mo_gp_acquisition != "parego") {
    throw Error("sampler 'auto': option mo_gp_acquisition must be ehvi or parego, not '" +
                parsed.mo_gp_acquisition + "'");
  }
  reader.finish();
  return std::make_unique<AutoSampler>(parsed, seed);
}

}  // namespace winnow
