// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The budget ladder shared by every budget scheduler.
#include <cmath>
#include <cstdlib>

#include "common/strings.h"
#include "winnow/error.h"
#include "winnow/scheduler.h"

namespace winnow {
namespace {

// Rungs beyond any real ladder; far fewer keep every trial's budget distinct.
constexpr int kMaxRungs = 64;

}  // namespace

void BudgetSpec::validate() const {
  auto violated = [](const std::string& field, double value, const char* rule) {
    return Error("budget." + field + " = " + format_double(value) + ". Violated constraint: " +
                 rule);
  };
  if (!(min > 0) || !std::isfinite(min)) throw violated("min", min, "a finite number > 0");
  if (!(max >= min) || !std::isfinite(max)) throw violated("max", max, ">= budget.min");
  if (!(eta >= 2) || !std::isfinite(eta)) throw violated("eta", eta, ">= 2");
  if (integer && (min != std::floor(min) || max != std::floor(max))) {
    throw Error("budget: min = " + format_double(min) + " and max = " + format_double(max) +
                " must be whole numbers for an integer budget");
  }
  // max / min overflows to infinity for the widest finite bounds: checked before n_rungs()
  // converts the number of rungs to an int.
  const double rungs = std::log(max / min) / std::log(eta);
  if (!std::isfinite(rungs) || rungs > kMaxRungs - 1) {
    throw Error("max / min = " + format_double(max) + " / " + format_double(min) +
                " makes more than " + std::to_string(kMaxRungs) + " rungs with eta = " +
                format_double(eta));
  }
}

int BudgetSpec::n_rungs() const {
  // The small slack keeps max/min = eta^k exact despite rounding in log().
  double ratio = std::log(max / min) / std::log(eta);
  return static_cast<int>(std::floor(ratio + 1e-9)) + 1;
}

double BudgetSpec::rung_budget(int rung) const {
  int top = n_rungs() - 1;
  if (rung >= top) return max;
  double budget = max * std::pow(eta, -(top - rung));
  if (integer) budget = std::ceil(budget - 1e-9);
  return std::max(budget, min);
}

std::string BudgetSpec::format(double budget) const {
  if (integer) return std::to_string(static_cast<int64_t>(std::llround(budget)));
  return format_double(budget);
}

std::optional<double> numeric_attr(const FrozenTrial& trial, std::string_view key) {
  auto it = trial.user_attrs.find(std::string(key));
  if (it == trial.user_attrs.end()) return std::nullopt;
  const std::string& text = it->second;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace winnow
