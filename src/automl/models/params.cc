// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "automl/models/model.h"

namespace winnow::automl {

double param_float(const Config& config, std::string_view name, double fallback) {
  auto it = config.find(name);
  if (it == config.end()) return fallback;
  return as_number(it->second).value_or(fallback);
}

int64_t param_int(const Config& config, std::string_view name, int64_t fallback) {
  auto it = config.find(name);
  if (it == config.end()) return fallback;
  if (const auto* v = std::get_if<int64_t>(&it->second)) return *v;
  if (auto n = as_number(it->second)) return static_cast<int64_t>(*n);
  return fallback;
}

std::string param_string(const Config& config, std::string_view name, std::string fallback) {
  auto it = config.find(name);
  if (it == config.end()) return fallback;
  return winnow::to_string(it->second);
}

}  // namespace winnow::automl
