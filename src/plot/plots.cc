// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The plots of winnow/plot.h, each a function from the study's trials to an SvgCanvas.
#include <algorithm>
#include <cmath>
#include <map>

#include "plot/svg_canvas.h"
#include "winnow/analysis.h"
#include "winnow/attributes.h"
#include "winnow/error.h"
#include "winnow/plot.h"

namespace winnow {
namespace {

using plot::Scale;
using plot::SvgCanvas;

constexpr double kLeft = 80, kTop = 40, kRight = 30, kBottom = 56;

struct Point {
  int64_t number;
  double value;
  const FrozenTrial* trial;
};

// Complete trials with a finite value of the objective, by number.
std::vector<Point> complete_points(std::span<const FrozenTrial> trials, int objective) {
  std::vector<Point> points;
  for (const FrozenTrial& t : trials) {
    if (t.state != TrialState::kComplete || t.values.size() <= static_cast<size_t>(objective) ||
        !std::isfinite(t.values[objective])) {
      continue;
    }
    points.push_back({t.number, t.values[objective], &t});
  }
  return points;
}

std::string objective_name(const StudyRecord& study, int objective) {
  if (static_cast<size_t>(objective) < study.objective_names.size()) {
    return study.objective_names[objective];
  }
  return study.directions.size() == 1 ? "value" : "objective " + std::to_string(objective);
}

void check_log(const std::vector<Point>& points) {
  for (const Point& p : points) {
    if (p.value <= 0) {
      throw Error("plot: --log needs positive values; trial " + std::to_string(p.number) +
                  " has " + std::to_string(p.value));
    }
  }
}

// An axis for a parameter over its whole range (its choices for a categorical or ordinal).
Scale param_scale(const ParamSpec& spec, double from, double to) {
  if (spec.kind == ParamKind::kCategorical || spec.kind == ParamKind::kOrdinal) {
    Scale scale;
    scale.from = from;
    scale.to = to;
    scale.low = -0.5;
    scale.high = static_cast<double>(spec.choices.size()) - 0.5;
    for (const ParamValue& choice : spec.choices) scale.labels.push_back(to_string(choice));
    return scale;
  }
  return plot::padded_scale(spec.low, spec.high, from, to, spec.log);
}

// Where a trial's value of the parameter sits on param_scale; nullopt when inactive.
std::optional<double> param_position(const ParamSpec& spec, const FrozenTrial& trial) {
  auto found = trial.config.find(spec.name);
  if (found == trial.config.end()) return std::nullopt;
  if (spec.kind == ParamKind::kCategorical || spec.kind == ParamKind::kOrdinal) {
    for (size_t i = 0; i < spec.choices.size(); ++i) {
      if (values_equal(spec.choices[i], found->second)) return static_cast<double>(i);
    }
    return std::nullopt;
  }
  return as_number(found->second);
}

// The parameters asked for, or every one.
std::vector<ParamSpec> chosen_params(const SearchSpace& space,
                                     const std::vector<std::string>& names) {
  if (names.empty()) return space.params();
  std::vector<std::string> known;
  for (const ParamSpec& spec : space.params()) known.push_back(spec.name);
  std::vector<ParamSpec> out;
  for (const std::string& name : names) {
    const ParamSpec* spec = space.find(name);
    if (!spec) throw Error("plot: no parameter '" + name + "'" + did_you_mean(name, known));
    out.push_back(*spec);
  }
  return out;
}

// The lowest and highest value among `points` (not empty).
std::pair<double, double> value_range(const std::vector<Point>& points) {
  auto [low, high] = std::minmax_element(points.begin(), points.end(),
                                         [](const Point& a, const Point& b) {
                                           return a.value < b.value;
                                         });
  return {low->value, high->value};
}

// 0 for the best value, 1 for the worst, for colouring.
double goodness(double value, double best, double worst) {
  return worst == best ? 0.0 : (value - best) / (worst - best);
}

std::string history(const StudyRecord& study, std::span<const FrozenTrial> trials,
                    const PlotOptions& options, SvgCanvas& canvas) {
  std::vector<Point> points = complete_points(trials, options.objective);
  if (options.log_scale) check_log(points);
  const bool minimize = study.directions[options.objective] == Direction::kMinimize;
  const auto [low, high] = value_range(points);
  const double last = static_cast<double>(std::max<int64_t>(1, trials.back().number));
  Scale x = plot::padded_scale(0, last, kLeft, canvas.width() - kRight, false);
  Scale y = plot::padded_scale(low, high, canvas.height() - kBottom, kTop,
                               options.log_scale);
  canvas.axes(x, y, "trial", objective_name(study, options.objective));
  double best = points.front().value;
  std::vector<std::pair<double, double>> best_line = {{x(points.front().number), y(best)}};
  for (const Point& p : points) {
    canvas.circle(x(p.number), y(p.value), 2.5, "fill:#3b7dd8;fill-opacity:0.6");
    if (minimize ? p.value < best : p.value > best) {
      best_line.emplace_back(x(p.number), y(best));  // a step down (or up) at the new best
      best = p.value;
      best_line.emplace_back(x(p.number), y(best));
    }
  }
  best_line.emplace_back(x(last), y(best));
  canvas.polyline(best_line, "stroke:#d62728;stroke-width:2");
  canvas.legend(canvas.width() - kRight - 120, kTop + 16,
                {{"trial value", "#3b7dd8"}, {"best so far", "#d62728"}});
  return "Optimisation history";
}

std::string importance(const StudyRecord& study, std::span<const FrozenTrial> trials,
                       const PlotOptions& options, SvgCanvas& canvas) {
  ImportanceOptions importance_options;
  importance_options.method = options.importance_method;
  importance_options.objective = options.objective;
  importance_options.params = options.params;
  ImportanceReport report = parameter_importance(study, trials, importance_options);
  const double left = 180, bottom = canvas.height() - kBottom;
  double top_value = 0;
  for (const ParamImportance& item : report.importances) {
    top_value = std::max(top_value, item.importance + item.std);
  }
  Scale x{0, std::max(top_value, 1e-9) * 1.05, left, canvas.width() - kRight - 40.0};
  const double band = (bottom - kTop) / std::max<size_t>(1, report.importances.size());
  canvas.line(left, kTop, left, bottom, "stroke:#888");
  for (size_t i = 0; i < report.importances.size(); ++i) {
    const ParamImportance& item = report.importances[i];
    const double y = kTop + band * i;
    canvas.rect(left, y + band * 0.15, x(item.importance) - left, band * 0.7, "fill:#3b7dd8");
    if (item.std > 0) {
      canvas.line(x(item.importance - item.std), y + band / 2, x(item.importance + item.std),
                  y + band / 2, "stroke:#222;stroke-width:1.5");
    }
    canvas.text(left - 8, y + band / 2 + 4, item.param, "font-size:12px", "end");
    char label[32];
    std::snprintf(label, sizeof label, "%.3f", item.importance);
    canvas.text(x(item.importance + item.std) + 6, y + band / 2 + 4, label, "font-size:11px");
  }
  canvas.text(0.5 * (left + canvas.width() - kRight), bottom + 34,
              "importance (" + std::string(to_string(report.method)) + ", " +
                  std::to_string(report.n_trials) + " trials)",
              "font-size:12px", "middle");
  return "Parameter importance";
}

// The latest `limit` of `points`.
std::vector<Point> latest(std::vector<Point> points, int limit) {
  if (points.size() > static_cast<size_t>(limit)) {
    points.erase(points.begin(), points.end() - limit);
  }
  return points;
}

std::string parallel(const StudyRecord& study, std::span<const FrozenTrial> trials,
                     const PlotOptions& options, SvgCanvas& canvas) {
  SearchSpace space = space_from_json(study.space_json);
  std::vector<ParamSpec> params = chosen_params(space, options.params);
  std::vector<Point> points = latest(complete_points(trials, options.objective),
                                     options.max_trials);
  const auto [low, high] = value_range(points);
  const bool minimize = study.directions[options.objective] == Direction::kMinimize;
  const double best = minimize ? low : high;
  const double worst = minimize ? high : low;
  const size_t axes = params.size() + 1;
  const double step = (canvas.width() - kLeft - kRight) / std::max<size_t>(1, axes - 1);
  std::vector<Scale> scales;
  for (const ParamSpec& spec : params) {
    scales.push_back(param_scale(spec, canvas.height() - kBottom, kTop + 10));
  }
  scales.push_back(plot::padded_scale(low, high, canvas.height() - kBottom,
                                      kTop + 10, false));
  // Worst first, so the best lines are drawn on top.
  std::sort(points.begin(), points.end(), [&](const Point& a, const Point& b) {
    return goodness(a.value, best, worst) > goodness(b.value, best, worst);
  });
  for (const Point& p : points) {
    std::vector<std::pair<double, double>> line;
    for (size_t a = 0; a < params.size(); ++a) {
      std::optional<double> at = param_position(params[a], *p.trial);
      if (at) line.emplace_back(kLeft + step * a, scales[a](*at));
    }
    line.emplace_back(kLeft + step * params.size(), scales.back()(p.value));
    canvas.polyline(line, "stroke:" + plot::ramp_colour(goodness(p.value, best, worst)) +
                              ";stroke-opacity:0.5");
  }
  for (size_t a = 0; a < axes; ++a) {
    const double x = kLeft + step * a;
    canvas.line(x, kTop + 10, x, canvas.height() - kBottom, "stroke:#333;stroke-width:1.5");
    for (double v : scales[a].ticks()) {
      canvas.text(x + 4, scales[a](v) + 4, scales[a].tick_label(v),
                  "font-size:10px;fill:#333");
    }
    canvas.text(x, canvas.height() - kBottom + 18,
                a < params.size() ? params[a].name : objective_name(study, options.objective),
                "font-size:12px", "middle");
  }
  return "Parallel coordinates (" + std::to_string(points.size()) + " trials, best in purple)";
}

std::string slice(const StudyRecord& study, std::span<const FrozenTrial> trials,
                  const PlotOptions& options, SvgCanvas& canvas) {
  SearchSpace space = space_from_json(study.space_json);
  std::vector<ParamSpec> params = chosen_params(space, options.params);
  std::vector<Point> points = latest(complete_points(trials, options.objective),
                                     options.max_trials);
  if (options.log_scale) check_log(points);
  const auto [low, high] = value_range(points);
  const size_t columns = std::min<size_t>(params.size(), 3);
  const size_t rows = (params.size() + columns - 1) / std::max<size_t>(1, columns);
  const double cell_w = (canvas.width() - 20.0) / std::max<size_t>(1, columns);
  const double cell_h = (canvas.height() - 30.0) / std::max<size_t>(1, rows);
  const double last = static_cast<double>(std::max<size_t>(1, trials.size()));
  for (size_t i = 0; i < params.size(); ++i) {
    const double left = 20 + cell_w * (i % columns) + 62, top = 30 + cell_h * (i / columns) + 8;
    const double right = left + cell_w - 62 - 14, bottom = top + cell_h - 8 - 44;
    Scale x = param_scale(params[i], left, right);
    Scale y = plot::padded_scale(low, high, bottom, top, options.log_scale);
    canvas.axes(x, y, params[i].name, objective_name(study, options.objective));
    for (const Point& p : points) {
      std::optional<double> at = param_position(params[i], *p.trial);
      if (!at) continue;
      canvas.circle(x(*at), y(p.value), 2.2,
                    "fill:" + plot::ramp_colour(static_cast<double>(p.number) / last) +
                        ";fill-opacity:0.7");
    }
  }
  return "Slice plots (colour: trial number, early dark)";
}

std::string contour(const StudyRecord& study, std::span<const FrozenTrial> trials,
                    const PlotOptions& options, SvgCanvas& canvas) {
  SearchSpace space = space_from_json(study.space_json);
  std::vector<std::string> names = options.params;
  if (names.empty()) {
    ImportanceOptions fast;
    fast.method = ImportanceMethod::kPedAnova;
    fast.objective = options.objective;
    for (const ParamImportance& item : parameter_importance(study, trials, fast).importances) {
      if (names.size() < 2) names.push_back(item.param);
    }
  }
  if (names.size() != 2) {
    throw Error("plot contour: needs exactly two parameters (--params a,b), got " +
                std::to_string(names.size()));
  }
  std::vector<ParamSpec> params = chosen_params(space, names);
  std::vector<Point> points = complete_points(trials, options.objective);
  const double right = canvas.width() - kRight - 70, bottom = canvas.height() - kBottom;
  Scale x = param_scale(params[0], kLeft, right);
  Scale y = param_scale(params[1], bottom, kTop);
  // Trials where both are active, in pixel space.
  struct Sample {
    double px, py, value;
  };
  std::vector<Sample> samples;
  for (const Point& p : points) {
    std::optional<double> a = param_position(params[0], *p.trial);
    std::optional<double> b = param_position(params[1], *p.trial);
    if (a && b) samples.push_back({x(*a), y(*b), p.value});
  }
  if (samples.empty()) {
    throw Error("plot contour: no complete trial has both '" + names[0] + "' and '" + names[1] +
                "' active");
  }
  auto [low, high] = std::minmax_element(samples.begin(), samples.end(),
                                         [](const Sample& a, const Sample& b) {
                                           return a.value < b.value;
                                         });
  const bool minimize = study.directions[options.objective] == Direction::kMinimize;
  const double best = minimize ? low->value : high->value;
  const double worst = minimize ? high->value : low->value;
  // Each cell: the inverse-distance-weighted mean of the 8 nearest trials (by pixel distance,
  // so both axes count alike whatever their units).
  const int cells = 48;
  const double cw = (right - kLeft) / cells, ch = (bottom - kTop) / cells;
  std::vector<std::pair<double, size_t>> nearest(samples.size());
  for (int i = 0; i < cells; ++i) {
    for (int j = 0; j < cells; ++j) {
      const double cx = kLeft + (i + 0.5) * cw, cy = kTop + (j + 0.5) * ch;
      for (size_t s = 0; s < samples.size(); ++s) {
        nearest[s] = {std::hypot(samples[s].px - cx, samples[s].py - cy), s};
      }
      const size_t k = std::min<size_t>(8, nearest.size());
      std::partial_sort(nearest.begin(), nearest.begin() + k, nearest.end());
      double weight = 0, sum = 0;
      for (size_t n = 0; n < k; ++n) {
        double w = 1.0 / (nearest[n].first * nearest[n].first + 1.0);
        weight += w;
        sum += w * samples[nearest[n].second].value;
      }
      canvas.rect(kLeft + i * cw, kTop + j * ch, cw + 0.5, ch + 0.5,
                  "fill:" + plot::ramp_colour(goodness(sum / weight, best, worst)));
    }
  }
  for (const Sample& s : samples) {
    canvas.circle(s.px, s.py, 2.5, "fill:white;stroke:#222;stroke-width:0.8");
  }
  canvas.axes(x, y, names[0], names[1]);
  // Colour bar.
  for (int k = 0; k < 50; ++k) {
    canvas.rect(right + 20, kTop + (bottom - kTop) * k / 50.0, 14, (bottom - kTop) / 50.0 + 0.5,
                "fill:" + plot::ramp_colour(k / 49.0));
  }
  canvas.text(right + 38, kTop + 10, "best", "font-size:11px");
  canvas.text(right + 38, bottom, "worst", "font-size:11px");
  return "Contour of " + objective_name(study, options.objective) + " over " + names[0] +
         " and " + names[1];
}

std::string pareto(const StudyRecord& study, std::span<const FrozenTrial> trials,
                   const PlotOptions& options, SvgCanvas& canvas) {
  const size_t m = study.directions.size();
  if (m < 2 || m > 3) {
    throw Error("plot pareto: needs a study of 2 or 3 objectives, '" + study.name + "' has " +
                std::to_string(m));
  }
  std::vector<size_t> front = pareto_front_trials(trials, study.directions);
  std::vector<bool> on_front(trials.size(), false);
  for (size_t i : front) on_front[i] = true;
  std::vector<std::pair<size_t, size_t>> pairs = {{0, 1}};
  if (m == 3) pairs = {{0, 1}, {0, 2}, {1, 2}};
  const double panel = (canvas.width() - 20.0) / pairs.size();
  for (size_t p = 0; p < pairs.size(); ++p) {
    auto [a, b] = pairs[p];
    double lo_a = INFINITY, hi_a = -INFINITY, lo_b = INFINITY, hi_b = -INFINITY;
    for (const FrozenTrial& t : trials) {
      if (t.state != TrialState::kComplete || t.values.size() != m) continue;
      lo_a = std::min(lo_a, t.values[a]);
      hi_a = std::max(hi_a, t.values[a]);
      lo_b = std::min(lo_b, t.values[b]);
      hi_b = std::max(hi_b, t.values[b]);
    }
    if (!std::isfinite(lo_a) || !std::isfinite(lo_b)) {
      throw Error("plot pareto: study '" + study.name + "' has no complete trial");
    }
    const double left = 20 + panel * p + 62, right = 20 + panel * (p + 1) - 16;
    Scale x = plot::padded_scale(lo_a, hi_a, left, right, false);
    Scale y = plot::padded_scale(lo_b, hi_b, canvas.height() - kBottom, kTop, false);
    canvas.axes(x, y, objective_name(study, static_cast<int>(a)),
                objective_name(study, static_cast<int>(b)));
    std::vector<std::pair<double, double>> front_points;
    for (size_t i = 0; i < trials.size(); ++i) {
      const FrozenTrial& t = trials[i];
      if (t.state != TrialState::kComplete || t.values.size() != m) continue;
      const double px = x(t.values[a]), py = y(t.values[b]);
      if (!t.feasible()) {
        canvas.cross(px, py, 3, "stroke:#999;stroke-width:1.2");
      } else if (on_front[i]) {
        front_points.emplace_back(px, py);
      } else {
        canvas.circle(px, py, 2.5, "fill:#3b7dd8;fill-opacity:0.5");
      }
    }
    std::sort(front_points.begin(), front_points.end());
    if (m == 2) canvas.polyline(front_points, "stroke:#d62728;stroke-width:1.2");
    for (const auto& [px, py] : front_points) canvas.circle(px, py, 4, "fill:#d62728");
  }
  canvas.legend(canvas.width() - 150, kTop + 16,
                {{"Pareto front", "#d62728"}, {"dominated", "#3b7dd8"}, {"infeasible", "#999"}});
  return "Pareto front (" + std::to_string(front.size()) + " trials)";
}

std::string intermediate(const StudyRecord& study, std::span<const FrozenTrial> trials,
                         const PlotOptions& options, SvgCanvas& canvas) {
  std::vector<const FrozenTrial*> curves;
  for (const FrozenTrial& t : trials) {
    if (!t.intermediate.empty()) curves.push_back(&t);
  }
  if (curves.empty()) {
    throw Error("plot intermediate: no trial of '" + study.name +
                "' reported intermediate values");
  }
  if (curves.size() > static_cast<size_t>(options.max_curves)) {
    curves.erase(curves.begin(), curves.end() - options.max_curves);
  }
  double lo_s = INFINITY, hi_s = -INFINITY, lo_v = INFINITY, hi_v = -INFINITY;
  for (const FrozenTrial* t : curves) {
    for (const auto& [step, value] : t->intermediate) {
      if (!std::isfinite(value)) continue;
      lo_s = std::min(lo_s, static_cast<double>(step));
      hi_s = std::max(hi_s, static_cast<double>(step));
      lo_v = std::min(lo_v, value);
      hi_v = std::max(hi_v, value);
    }
  }
  Scale x = plot::padded_scale(lo_s, hi_s, kLeft, canvas.width() - kRight, false);
  Scale y = plot::padded_scale(lo_v, hi_v, canvas.height() - kBottom, kTop, false);
  canvas.axes(x, y, "step", "intermediate value");
  // The budget ladder's rungs, as the trials ran them.
  std::map<double, int> rungs;
  for (const FrozenTrial& t : trials) {
    auto found = t.user_attrs.find(std::string(kBudgetAttr));
    if (found != t.user_attrs.end()) rungs[std::atof(found->second.c_str())]++;
  }
  for (const auto& [budget, count] : rungs) {
    if (budget < lo_s || budget > hi_s) continue;
    canvas.line(x(budget), kTop, x(budget), canvas.height() - kBottom,
                "stroke:#999;stroke-dasharray:4,3");
  }
  for (const FrozenTrial* t : curves) {
    std::vector<std::pair<double, double>> line;
    for (const auto& [step, value] : t->intermediate) {
      if (std::isfinite(value)) line.emplace_back(x(static_cast<double>(step)), y(value));
    }
    const bool pruned = t->state == TrialState::kPruned;
    canvas.polyline(line, pruned ? "stroke:#d62728;stroke-opacity:0.6;stroke-dasharray:3,2"
                                 : "stroke:#3b7dd8;stroke-opacity:0.6");
    if (pruned && !line.empty()) {
      canvas.cross(line.back().first, line.back().second, 3, "stroke:#d62728");
    }
  }
  canvas.legend(canvas.width() - kRight - 150, kTop + 16,
                {{"complete / running", "#3b7dd8"}, {"pruned (x: stopped)", "#d62728"},
                 {"budget rung", "#999"}});
  return "Intermediate values (" + std::to_string(curves.size()) + " trials)";
}

}  // namespace

std::string_view to_string(PlotKind kind) {
  switch (kind) {
    case PlotKind::kHistory: return "history";
    case PlotKind::kImportance: return "importance";
    case PlotKind::kParallel: return "parallel";
    case PlotKind::kSlice: return "slice";
    case PlotKind::kContour: return "contour";
    case PlotKind::kPareto: return "pareto";
    case PlotKind::kIntermediate: return "intermediate";
  }
  return "history";
}

std::optional<PlotKind> plot_kind_from_string(std::string_view text) {
  for (PlotKind kind : {PlotKind::kHistory, PlotKind::kImportance, PlotKind::kParallel,
                        PlotKind::kSlice, PlotKind::kContour, PlotKind::kPareto,
                        PlotKind::kIntermediate}) {
    if (text == to_string(kind)) return kind;
  }
  return std::nullopt;
}

std::string plot_svg(PlotKind kind, const StudyRecord& study,
                     std::span<const FrozenTrial> trials, const PlotOptions& options) {
  if (options.width < 200 || options.height < 150) {
    throw Error("plot: the size must be at least 200 x 150 pixels");
  }
  if (options.objective < 0 || static_cast<size_t>(options.objective) >= study.directions.size()) {
    throw Error("plot: objective " + std::to_string(options.objective) + " is out of range: '" +
                study.name + "' has " + std::to_string(study.directions.size()) +
                " objective(s), numbered from 0");
  }
  const bool needs_values = kind != PlotKind::kPareto && kind != PlotKind::kIntermediate;
  if (needs_values && complete_points(trials, options.objective).empty()) {
    throw Error("plot " + std::string(to_string(kind)) + ": study '" + study.name +
                "' has no complete trial yet");
  }
  SvgCanvas canvas(options.width, options.height);
  std::string title;
  switch (kind) {
    case PlotKind::kHistory: title = history(study, trials, options, canvas); break;
    case PlotKind::kImportance: title = importance(study, trials, options, canvas); break;
    case PlotKind::kParallel: title = parallel(study, trials, options, canvas); break;
    case PlotKind::kSlice: title = slice(study, trials, options, canvas); break;
    case PlotKind::kContour: title = contour(study, trials, options, canvas); break;
    case PlotKind::kPareto: title = pareto(study, trials, options, canvas); break;
    case PlotKind::kIntermediate: title = intermediate(study, trials, options, canvas); break;
  }
  canvas.title(study.name + ": " + title);
  return canvas.finish();
}

std::string svg_page(const std::string& svg, const std::string& title) {
  return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" +
         plot::escape_xml(title) + "</title></head>\n<body style=\"margin:0\">\n" + svg +
         "</body></html>\n";
}

}  // namespace winnow
