// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "space/space_diff.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

namespace winnow {
namespace {

using Json = nlohmann::json;

std::map<std::string, Json> by_name(const Json& space) {
  std::map<std::string, Json> params;
  for (const Json& p : space.value("params", Json::array())) params[p.value("name", "")] = p;
  return params;
}

std::string text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.15g", value.get<double>());
    return buffer;
  }
  return value.dump();
}

bool contains(const Json& list, const Json& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void compare_param(const std::string& name, const Json& old_p, const Json& new_p, SpaceDiff& diff) {
  auto refuse = [&](const std::string& what) { diff.incompatible.push_back(name + ": " + what); };
  auto allow = [&](const std::string& what) { diff.compatible.push_back(name + ": " + what); };
  const std::string old_type = old_p.value("type", ""), new_type = new_p.value("type", "");
  if (old_type != new_type) return refuse("type " + old_type + " -> " + new_type);
  if (old_p.value("when", "") != new_p.value("when", "")) {
    refuse("condition '" + old_p.value("when", "") + "' -> '" + new_p.value("when", "") + "'");
  }
  if (old_p.contains("choices")) {
    const Json& old_choices = old_p["choices"];
    const Json& new_choices = new_p.value("choices", Json::array());
    for (const Json& choice : old_choices) {
      if (!contains(new_choices, choice)) refuse("choice " + text(choice) + " removed");
    }
    bool ordered = old_type == "ordinal";
    if (ordered && new_choices.size() >= old_choices.size() &&
        !std::equal(old_choices.begin(), old_choices.end(), new_choices.begin()) &&
        std::all_of(old_choices.begin(), old_choices.end(),
                    [&](const Json& c) { return contains(new_choices, c); })) {
      refuse("ordinal choices reordered (new ones may only be added at the end)");
    }
    for (const Json& choice : new_choices) {
      if (!contains(old_choices, choice)) allow("choice " + text(choice) + " added");
    }
  } else {
    if (old_p.value("log", false) != new_p.value("log", false)) {
      refuse(std::string("log scale ") + (old_p.value("log", false) ? "on -> off" : "off -> on"));
    }
    if (old_p.value("step", Json()) != new_p.value("step", Json())) {
      refuse("step " + text(old_p.value("step", Json("none"))) + " -> " +
             text(new_p.value("step", Json("none"))));
    }
    double old_low = old_p.value("low", 0.0), new_low = new_p.value("low", 0.0);
    double old_high = old_p.value("high", 0.0), new_high = new_p.value("high", 0.0);
    if (new_low > old_low) refuse("low " + text(old_p["low"]) + " -> " + text(new_p["low"]) + " (narrowed)");
    if (new_low < old_low) allow("low " + text(old_p["low"]) + " -> " + text(new_p["low"]));
    if (new_high < old_high) refuse("high " + text(old_p["high"]) + " -> " + text(new_p["high"]) + " (narrowed)");
    if (new_high > old_high) allow("high " + text(old_p["high"]) + " -> " + text(new_p["high"]));
  }
  if (old_p.value("default", Json()) != new_p.value("default", Json())) {
    allow("default " + text(old_p.value("default", Json("none"))) + " -> " +
          text(new_p.value("default", Json("none"))));
  }
}

}  // namespace

SpaceDiff diff_spaces(std::string_view stored_json, std::string_view new_json) {
  SpaceDiff diff;
  if (stored_json == new_json) return diff;
  Json stored = Json::parse(stored_json, nullptr, false);
  Json given = Json::parse(new_json, nullptr, false);
  if (stored.is_discarded() || given.is_discarded()) {
    diff.incompatible.push_back("the stored space cannot be read");
    return diff;
  }
  std::map<std::string, Json> old_params = by_name(stored), new_params = by_name(given);
  for (const auto& [name, old_p] : old_params) {
    auto it = new_params.find(name);
    if (it == new_params.end()) {
      diff.incompatible.push_back("parameter '" + name + "' removed");
    } else {
      compare_param(name, old_p, it->second, diff);
    }
  }
  for (const auto& [name, new_p] : new_params) {
    if (!old_params.contains(name)) {
      diff.compatible.push_back("parameter '" + name + "' added (the study's earlier trials "
                                "do not have it)");
    }
  }
  const Json& old_forbidden = stored.value("forbidden", Json::array());
  const Json& new_forbidden = given.value("forbidden", Json::array());
  for (const Json& clause : new_forbidden) {
    if (!contains(old_forbidden, clause)) {
      diff.incompatible.push_back("forbidden clause '" + text(clause) + "' added");
    }
  }
  for (const Json& clause : old_forbidden) {
    if (!contains(new_forbidden, clause)) {
      diff.compatible.push_back("forbidden clause '" + text(clause) + "' dropped");
    }
  }
  return diff;
}

std::string describe_param(const ParamSpec& spec) {
  std::string out(to_string(spec.kind));
  if (spec.kind == ParamKind::kFloat || spec.kind == ParamKind::kInt) {
    out += " in [" + to_string(ParamValue(spec.low)) + ", " + to_string(ParamValue(spec.high)) + "]";
    if (spec.log) out += ", log";
    if (spec.step) out += ", step " + to_string(ParamValue(*spec.step));
    return out;
  }
  out += " [";
  for (size_t i = 0; i < spec.choices.size(); ++i) {
    if (i > 0) out += ", ";
    const ParamValue& choice = spec.choices[i];
    out += std::holds_alternative<std::string>(choice) ? "'" + to_string(choice) + "'"
                                                       : to_string(choice);
  }
  return out + "]";
}

bool same_definition(const ParamSpec& a, const ParamSpec& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == ParamKind::kFloat || a.kind == ParamKind::kInt) {
    return a.low == b.low && a.high == b.high && a.log == b.log && a.step == b.step;
  }
  if (a.choices.size() != b.choices.size()) return false;
  for (size_t i = 0; i < a.choices.size(); ++i) {
    // Strictly: the choice 1 and the choice 1.0 or true are different choices.
    if (a.choices[i] != b.choices[i]) return false;
  }
  return true;
}

}  // namespace winnow
