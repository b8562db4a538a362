// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Static plots of a study as SVG (`winnow plot`): the same views as the dashboard, for reports
// and terminals without a browser. Each is drawn from the trials alone; nothing is fitted but
// the importance plot's estimator and the contour's interpolation.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "winnow/importance.h"
#include "winnow/storage.h"
#include "winnow/trial.h"

namespace winnow {

enum class PlotKind {
  kHistory,       // every complete trial's value by number, and the best so far
  kImportance,    // parameter importance as bars, with fANOVA's spread
  kParallel,      // parallel coordinates: one line per trial across the parameters and value
  kSlice,         // the value against each parameter
  kContour,       // the value over two parameters, interpolated, with the trials on top
  kPareto,        // the front of two objectives (three: each pair), infeasible trials marked
  kIntermediate,  // learning curves, pruned trials marked, budget rungs drawn
};
std::string_view to_string(PlotKind kind);
std::optional<PlotKind> plot_kind_from_string(std::string_view text);

struct PlotOptions {
  int width = 960;   // pixels. Default: 960 x 600.
  int height = 600;
  int objective = 0;       // the objective plotted (not Pareto). Default: the first.
  bool log_scale = false;  // history and slice: a logarithmic value axis. Default: off.
  // Slice and parallel: these parameters only; contour: the two to plot. Default: every
  // parameter; for contour the two most important by PED-ANOVA.
  std::vector<std::string> params;
  ImportanceMethod importance_method = ImportanceMethod::kFanova;  // importance plot
  int max_trials = 3000;  // parallel, slice: the latest this many complete trials. Default: 3000.
  int max_curves = 300;   // intermediate: the latest this many curves. Default: 300.
};

// The plot as a standalone SVG document. Throws winnow::Error when the study cannot have it
// (Pareto with one objective, no complete trial, an unknown parameter, a log axis over values
// that are not all positive ...), saying which.
std::string plot_svg(PlotKind kind, const StudyRecord& study, std::span<const FrozenTrial> trials,
                     const PlotOptions& options = {});

// An HTML page holding the SVG, titled `title`.
std::string svg_page(const std::string& svg, const std::string& title);

}  // namespace winnow
