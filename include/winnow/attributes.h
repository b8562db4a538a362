// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The keys of the attributes Winnow itself stores with each trial (JSON text, beside the user's
// own attributes in FrozenTrial::user_attrs). Samplers and schedulers rebuild their state from
// them after a resume, so a user's attribute must never change one: every engine key starts with
// kSystemAttrPrefix, and Trial::set_user_attr refuses keys with that prefix.
#pragma once

#include <string_view>

namespace winnow {

// Reserved for the engine's keys.
inline constexpr std::string_view kSystemAttrPrefix = "winnow.";
// True for a key only the engine may write.
inline bool is_system_attr(std::string_view key) { return key.starts_with(kSystemAttrPrefix); }

// --- Studies run by workers (winnow worker) ---
// Study attribute: what a worker needs to run the study from its storage alone (the study
// file's text, format and path, and the command-line settings it was run with), as JSON.
inline constexpr std::string_view kStudyDefinitionAttr = "winnow.definition";

// --- Budget schedulers (include/winnow/scheduler.h) ---
// The budget the trial runs with.
inline constexpr std::string_view kBudgetAttr = "winnow.budget";
// Its rung on the budget ladder (0 = the smallest budget) and its bracket (Hyperband, BOHB) or
// round (SH).
inline constexpr std::string_view kRungAttr = "winnow.rung";
inline constexpr std::string_view kBracketAttr = "winnow.bracket";
// Number of the trial whose configuration (and checkpoint) this one continues.
inline constexpr std::string_view kContinuesAttr = "winnow.continues";
// Number of the first trial of the configuration: what checkpoint directories are named after.
inline constexpr std::string_view kLineageAttr = "winnow.lineage";
// The budget the continued trial already spent (what its checkpoint holds).
inline constexpr std::string_view kPreviousBudgetAttr = "winnow.previous_budget";

// --- Samplers ---
// The sampler that proposed the configuration (set by composite samplers such as auto, and
// under budget schedulers) and why it was chosen.
inline constexpr std::string_view kSamplerAttr = "winnow.sampler";
inline constexpr std::string_view kSamplerReasonAttr = "winnow.sampler_reason";
// Notes a sampler leaves to rebuild itself on resume.
inline constexpr std::string_view kCmaesNoteAttr = "winnow.cmaes";
inline constexpr std::string_view kNsga2NoteAttr = "winnow.nsga2";
inline constexpr std::string_view kGpKernelAttr = "winnow.gp.kernel";

// --- Algorithm configuration (winnow/instances.h): each trial is one run ---
// Study attribute: how runs are costed, {"cost": "value"|"runtime", "cutoff": s, "par": k}, so
// reports cost failed runs as the configurators do.
inline constexpr std::string_view kRunCostAttr = "winnow.run_cost";
// The configuration the run belongs to: an id unique within the study; runs of one
// configuration share it (and its parameters).
inline constexpr std::string_view kConfigurationAttr = "winnow.configuration";
// The run's place in the study's stream of (instance, seed) pairs, the instance's path, and
// the run seed ({seed}).
inline constexpr std::string_view kPositionAttr = "winnow.position";
inline constexpr std::string_view kInstanceAttr = "winnow.instance";
inline constexpr std::string_view kRunSeedAttr = "winnow.seed";
// Seconds the run may take before it is killed as hopeless (adaptive capping); absent: the
// cutoff.
inline constexpr std::string_view kCapAttr = "winnow.cap";
// "test" for the runs that evaluate the final configuration on the test instances; absent for
// tuning runs.
inline constexpr std::string_view kPhaseAttr = "winnow.phase";
// The racing iteration that made the run.
inline constexpr std::string_view kIterationAttr = "winnow.iteration";
// Intensification: the incumbent a challenger was raced against, and how many instances it
// must match.
inline constexpr std::string_view kOpponentAttr = "winnow.opponent";
inline constexpr std::string_view kTargetAttr = "winnow.target";
// What the configurator decided since its previous run, as a JSON list of
// {"configuration": id, "event": "eliminated"|"incumbent"|"rejected", "reason": text}.
inline constexpr std::string_view kDecisionsAttr = "winnow.decisions";
// Study attribute: the verdicts reached on the last runs (Sampler::closing_decisions),
// {"after": n, "decisions": [as kDecisionsAttr]}. They stand while the study has no tuning run
// numbered n or above; a later run records them itself.
inline constexpr std::string_view kClosingDecisionsAttr = "winnow.closing_decisions";

}  // namespace winnow
