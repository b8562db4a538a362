// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "space/encoding.h"

#include <algorithm>
#include <cmath>

#include "common/strings.h"
#include "winnow/error.h"

namespace winnow {
namespace {

bool is_discrete_range(const ParamSpec& spec) {
  return spec.kind == ParamKind::kInt || spec.step.has_value();
}
double step_of(const ParamSpec& spec) { return spec.step.value_or(1.0); }
int64_t n_grid(const ParamSpec& spec) {
  return static_cast<int64_t>(std::llround((spec.high - spec.low) / step_of(spec))) + 1;
}

// Integers and stepped floats own equal cells of [0, 1]: the range is widened by half a step on
// each side (as Optuna does for ints), so rounding a uniform draw is uniform over the grid.
double range_low(const ParamSpec& spec) {
  if (!is_discrete_range(spec)) return spec.log ? std::log(spec.low) : spec.low;
  double half = 0.5 * step_of(spec);
  return spec.log ? std::log(spec.low - half) : spec.low - half;
}
double range_high(const ParamSpec& spec) {
  if (!is_discrete_range(spec)) return spec.log ? std::log(spec.high) : spec.high;
  double half = 0.5 * step_of(spec);
  return spec.log ? std::log(spec.high + half) : spec.high + half;
}

int choice_index(const ParamSpec& spec, const ParamValue& value) {
  for (size_t i = 0; i < spec.choices.size(); ++i) {
    if (values_equal(spec.choices[i], value)) return static_cast<int>(i);
  }
  // "3" on a command line matches the choice 3, "true" the choice true.
  if (auto* text = std::get_if<std::string>(&value)) {
    for (size_t i = 0; i < spec.choices.size(); ++i) {
      if (to_string(spec.choices[i]) == *text) return static_cast<int>(i);
    }
  }
  return -1;
}

ParamValue snap_to_grid(const ParamSpec& spec, double v) {
  if (!is_discrete_range(spec)) return std::clamp(v, spec.low, spec.high);
  double step = step_of(spec);
  double k = std::round((v - spec.low) / step);
  k = std::clamp(k, 0.0, static_cast<double>(n_grid(spec) - 1));
  double snapped = spec.low + k * step;
  if (spec.kind == ParamKind::kInt) return static_cast<int64_t>(std::llround(snapped));
  return std::clamp(snapped, spec.low, spec.high);
}

}  // namespace

ParamValue coerce_value(const ParamSpec& spec, const ParamValue& value) {
  if (spec.kind == ParamKind::kCategorical || spec.kind == ParamKind::kOrdinal) {
    int i = choice_index(spec, value);
    if (i < 0) {
      std::vector<std::string> choices;
      for (const auto& c : spec.choices) choices.push_back(to_string(c));
      throw Error("'" + to_string(value) + "' is not one of the choices [" + join(choices, ", ") +
                  "]" + did_you_mean(to_string(value), choices));
    }
    return spec.choices[i];
  }
  std::optional<double> number = as_number(value);
  if (auto* text = std::get_if<std::string>(&value)) {
    char* end = nullptr;
    double parsed = std::strtod(text->c_str(), &end);
    if (!text->empty() && end == text->c_str() + text->size()) number = parsed;
  }
  if (!number || std::holds_alternative<bool>(value) || !std::isfinite(*number)) {
    throw Error("'" + to_string(value) + "' is not a number");
  }
  double v = *number;
  if (v < spec.low || v > spec.high) {
    throw Error(to_string(value) + " is outside [" + format_double(spec.low) + ", " +
                format_double(spec.high) + "]");
  }
  if (spec.kind == ParamKind::kInt) {
    if (std::floor(v) != v) throw Error(to_string(value) + " is not an integer");
  }
  if (spec.step) {
    double k = (v - spec.low) / *spec.step;
    if (std::abs(k - std::round(k)) > 1e-9 * std::max(1.0, std::abs(k))) {
      throw Error(to_string(value) + " is not on the grid low + k * step (step " +
                  format_double(*spec.step) + ")");
    }
  }
  if (spec.kind == ParamKind::kInt) return static_cast<int64_t>(std::llround(v));
  return v;
}

double encode_unit(const ParamSpec& spec, const ParamValue& value) {
  if (spec.kind == ParamKind::kCategorical || spec.kind == ParamKind::kOrdinal) {
    int i = choice_index(spec, value);
    if (i < 0) i = 0;
    return (i + 0.5) / static_cast<double>(spec.choices.size());
  }
  double v = as_number(value).value_or(spec.low);
  double t = spec.log ? std::log(v) : v;
  double u = (t - range_low(spec)) / (range_high(spec) - range_low(spec));
  return std::clamp(u, 0.0, 1.0);
}

ParamValue decode_unit(const ParamSpec& spec, double u) {
  u = std::clamp(std::isfinite(u) ? u : 0.5, 0.0, 1.0);
  if (spec.kind == ParamKind::kCategorical || spec.kind == ParamKind::kOrdinal) {
    size_t n = spec.choices.size();
    size_t i = std::min(n - 1, static_cast<size_t>(u * static_cast<double>(n)));
    return spec.choices[i];
  }
  double t = range_low(spec) + u * (range_high(spec) - range_low(spec));
  double v = spec.log ? std::exp(t) : t;
  return snap_to_grid(spec, v);
}

std::optional<uint64_t> param_cardinality(const ParamSpec& spec) {
  if (spec.kind == ParamKind::kCategorical || spec.kind == ParamKind::kOrdinal) {
    return spec.choices.size();
  }
  if (is_discrete_range(spec)) return static_cast<uint64_t>(n_grid(spec));
  return std::nullopt;
}

ParamValue fallback_default(const ParamSpec& spec) {
  if (spec.kind == ParamKind::kCategorical || spec.kind == ParamKind::kOrdinal) {
    return spec.choices.front();
  }
  double mid = spec.log ? std::sqrt(spec.low * spec.high) : 0.5 * (spec.low + spec.high);
  return snap_to_grid(spec, mid);
}

}  // namespace winnow
