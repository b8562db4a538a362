// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The search space: parameters, conditions, forbidden combinations, and the unit-cube encoding
// that every sampler works on.
//
//   winnow::SearchSpace space;
//   space.add_float("lr", 1e-5, 0.1).log()
//        .add_int("layers", 1, 8)
//        .add_categorical("optimizer", {"adam", "sgd"})
//        .add_float("momentum", 0.0, 0.99).when("optimizer == 'sgd'")
//        .forbid("optimizer == 'sgd' and lr > 0.05");
//   space.validate();   // throws winnow::Error naming the parameter and the rule
//
// A SearchSpace is immutable once validated; const methods are safe to call from many threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace winnow {

// One parameter value. Floats are double, ints are int64_t, categorical/ordinal choices may be
// any of the four.
using ParamValue = std::variant<bool, int64_t, double, std::string>;

// A configuration: the value of every *active* parameter, by name. Inactive parameters (their
// condition is false) are absent, never present with a placeholder.
using Config = std::map<std::string, ParamValue, std::less<>>;

std::string to_string(const ParamValue& value);  // 0.1, 3, adam, true
// Numeric view of a value (bool -> 0/1); nullopt for strings.
std::optional<double> as_number(const ParamValue& value);
// Equality that treats 2 and 2.0 as equal.
bool values_equal(const ParamValue& a, const ParamValue& b);

enum class ParamKind { kFloat, kInt, kCategorical, kOrdinal };
std::string_view to_string(ParamKind kind);

class Expression;  // a parsed condition / forbidden clause (src/space/expression.h)

struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::kFloat;
  // kFloat / kInt: the closed range [low, high], optionally log-scaled, optionally on a grid of
  // `step` starting at low (high must then be low + k*step for some integer k).
  double low = 0.0;
  double high = 1.0;
  bool log = false;
  std::optional<double> step;
  // kCategorical / kOrdinal: the choices; ordinal choices are ordered as given.
  std::vector<ParamValue> choices;
  std::optional<ParamValue> default_value;
  // Condition text (e.g. "optimizer == 'sgd' and layers > 2"); empty = always active.
  std::string condition;
  // Where the parameter was defined ("study.toml:14"), for error messages; empty from C++.
  std::string origin;
};

// The unit-cube encoding of one configuration: x[i] in [0, 1] for the i-th parameter in
// `SearchSpace::params()` order, and active[i] == 0 where that parameter is inactive (x[i] is
// then 0.5 and carries no information).
//   float/int, linear: (v - low) / (high - low), ints widened by half a step on each side so every
//                      integer owns an equal share of [0, 1];
//   float/int, log:    the same on log(v);
//   categorical/ordinal: (index + 0.5) / n_choices.
// decode() is the inverse: it rounds to the step / integer / nearest choice, and drops
// parameters whose condition is false.
struct UnitPoint {
  std::vector<double> x;
  std::vector<uint8_t> active;
};

class SearchSpace {
 public:
  SearchSpace();
  ~SearchSpace();
  SearchSpace(const SearchSpace&);
  SearchSpace& operator=(const SearchSpace&);
  SearchSpace(SearchSpace&&) noexcept;
  SearchSpace& operator=(SearchSpace&&) noexcept;

  // Fluent construction. Each add_* appends a parameter; the modifiers below apply to the
  // parameter added last. Problems are reported by validate(), not here, so a study file can
  // report every problem with its line.
  SearchSpace& add_float(std::string name, double low, double high);
  SearchSpace& add_int(std::string name, int64_t low, int64_t high);
  SearchSpace& add_categorical(std::string name, std::vector<ParamValue> choices);
  SearchSpace& add_ordinal(std::string name, std::vector<ParamValue> choices);
  SearchSpace& add(ParamSpec spec);
  SearchSpace& log(bool on = true);
  SearchSpace& step(double step);
  SearchSpace& default_value(ParamValue value);
  SearchSpace& when(std::string condition);
  // Define-by-run: the space grows as an objective asks for parameters (Trial::suggest), and a
  // trial's configuration holds just the parameters it asked for, so any parameter may be
  // absent (inactive) in a configuration. Such a space may start empty and takes any non-empty
  // parameter name, but no conditions or forbidden clauses. Default: off.
  SearchSpace& define_by_run(bool on = true);
  bool is_define_by_run() const;
  // A forbidden combination: any configuration for which `clause` is true is never proposed.
  // Comparisons on inactive parameters are false.
  SearchSpace& forbid(std::string clause, std::string origin = {});

  // Checks every rule (ranges, log bounds, steps, choices, duplicate names, defaults, condition
  // syntax, unknown or cyclic parents, forbidden clauses that forbid everything) and orders the
  // parameters so that parents come before children. Throws winnow::Error. Idempotent.
  void validate();
  bool validated() const;

  // Parameters in encoding order (parents before children once validated).
  const std::vector<ParamSpec>& params() const;
  const ParamSpec* find(std::string_view name) const;
  int index_of(std::string_view name) const;  // -1 if absent
  size_t size() const;
  const std::vector<std::string>& forbidden_clauses() const;
  bool has_conditions() const;

  // True when every parameter is active in `config`'s context (conditions evaluated in order).
  bool is_active(std::string_view name, const Config& config) const;
  bool is_forbidden(const Config& config) const;
  // Throws winnow::Error if `config` is not a member of the space: unknown, missing or inactive
  // parameters, values out of range or not among the choices, forbidden combinations.
  void check(const Config& config) const;
  // Brings a user-given value to the parameter's type (int 3 for an int parameter given 3.0,
  // the matching choice for a categorical given "3"), or throws.
  ParamValue coerce(std::string_view name, const ParamValue& value) const;

  UnitPoint encode(const Config& config) const;
  Config decode(std::span<const double> x) const;
  // Per-parameter pieces of the encoding, for samplers that model one dimension at a time.
  double encode_value(size_t index, const ParamValue& value) const;
  ParamValue decode_value(size_t index, double u) const;
  // Number of distinct values (choices, or integers / steps in range); nullopt for continuous.
  std::optional<uint64_t> cardinality(size_t index) const;

  // The configuration made of every parameter's default (or its range midpoint / first choice
  // where it has none), with conditions applied.
  Config default_config() const;

  // A stable JSON description of the space (used to refuse resuming a study with a changed
  // space, and stored with the study).
  std::string to_json() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The inverse of SearchSpace::to_json(): a study's stored space (StudyRecord::space_json), read
// back and validated. Throws winnow::Error.
SearchSpace space_from_json(std::string_view text);

}  // namespace winnow
