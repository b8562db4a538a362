// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "common/strings.h"
#include "space/encoding.h"
#include "space/expression.h"
#include "winnow/error.h"
#include "winnow/space.h"

namespace winnow {

std::string to_string(const ParamValue& value) {
  struct Visitor {
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return format_double(v); }
    std::string operator()(const std::string& v) const { return v; }
  };
  return std::visit(Visitor{}, value);
}

std::optional<double> as_number(const ParamValue& value) {
  if (auto* b = std::get_if<bool>(&value)) return *b ? 1.0 : 0.0;
  if (auto* i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(&value)) return *d;
  return std::nullopt;
}

bool values_equal(const ParamValue& a, const ParamValue& b) {
  if (a.index() == b.index()) return a == b;
  // Numbers compare across int/double; booleans and strings only with their own kind.
  bool a_number = std::holds_alternative<int64_t>(a) || std::holds_alternative<double>(a);
  bool b_number = std::holds_alternative<int64_t>(b) || std::holds_alternative<double>(b);
  if (a_number && b_number) return *as_number(a) == *as_number(b);
  return false;
}

std::string_view to_string(ParamKind kind) {
  switch (kind) {
    case ParamKind::kFloat: return "float";
    case ParamKind::kInt: return "int";
    case ParamKind::kCategorical: return "categorical";
    case ParamKind::kOrdinal: return "ordinal";
  }
  return "unknown";
}

struct SearchSpace::Impl {
  std::vector<ParamSpec> params;
  std::vector<std::string> forbidden;
  std::vector<std::string> forbidden_origins;
  bool define_by_run = false;
  // Filled by validate():
  bool validated = false;
  std::vector<std::shared_ptr<const Expression>> conditions;  // per param; null = always active
  std::vector<std::shared_ptr<const Expression>> forbidden_expressions;
  std::map<std::string, int, std::less<>> index;
  Expression::Ordering ordering;

  std::string where(const ParamSpec& spec) const {
    std::string prefix = spec.origin.empty() ? "" : spec.origin + ": ";
    return prefix + "parameter '" + spec.name + "'";
  }
  std::string where_forbidden(size_t i) const {
    std::string prefix = forbidden_origins[i].empty() ? "" : forbidden_origins[i] + ": ";
    return prefix + "forbidden clause '" + forbidden[i] + "'";
  }
  ParamSpec& last(const char* modifier) {
    if (params.empty()) {
      throw Error(std::string("SearchSpace::") + modifier + "() needs a parameter added before it");
    }
    validated = false;
    return params.back();
  }
  bool active(size_t i, const Config& config) const {
    return conditions[i] == nullptr || conditions[i]->evaluate(config, ordering);
  }
};

SearchSpace::SearchSpace() : impl_(std::make_unique<Impl>()) {}
SearchSpace::~SearchSpace() = default;
SearchSpace::SearchSpace(const SearchSpace& other) : impl_(std::make_unique<Impl>(*other.impl_)) {
  impl_->ordering = nullptr;
  if (impl_->validated) {
    impl_->validated = false;
    validate();
  }
}
SearchSpace& SearchSpace::operator=(const SearchSpace& other) {
  if (this != &other) *this = SearchSpace(other);
  return *this;
}
SearchSpace::SearchSpace(SearchSpace&& other) noexcept = default;
SearchSpace& SearchSpace::operator=(SearchSpace&& other) noexcept = default;

SearchSpace& SearchSpace::add_float(std::string name, double low, double high) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kFloat;
  spec.low = low;
  spec.high = high;
  return add(std::move(spec));
}
SearchSpace& SearchSpace::add_int(std::string name, int64_t low, int64_t high) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kInt;
  spec.low = static_cast<double>(low);
  spec.high = static_cast<double>(high);
  return add(std::move(spec));
}
SearchSpace& SearchSpace::add_categorical(std::string name, std::vector<ParamValue> choices) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kCategorical;
  spec.choices = std::move(choices);
  return add(std::move(spec));
}
SearchSpace& SearchSpace::add_ordinal(std::string name, std::vector<ParamValue> choices) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kOrdinal;
  spec.choices = std::move(choices);
  return add(std::move(spec));
}
SearchSpace& SearchSpace::add(ParamSpec spec) {
  impl_->params.push_back(std::move(spec));
  impl_->validated = false;
  return *this;
}
SearchSpace& SearchSpace::define_by_run(bool on) {
  impl_->define_by_run = on;
  impl_->validated = false;
  return *this;
}
bool SearchSpace::is_define_by_run() const { return impl_->define_by_run; }
SearchSpace& SearchSpace::log(bool on) {
  impl_->last("log").log = on;
  return *this;
}
SearchSpace& SearchSpace::step(double step) {
  impl_->last("step").step = step;
  return *this;
}
SearchSpace& SearchSpace::default_value(ParamValue value) {
  impl_->last("default_value").default_value = std::move(value);
  return *this;
}
SearchSpace& SearchSpace::when(std::string condition) {
  impl_->last("when").condition = std::move(condition);
  return *this;
}
SearchSpace& SearchSpace::forbid(std::string clause, std::string origin) {
  impl_->forbidden.push_back(std::move(clause));
  impl_->forbidden_origins.push_back(std::move(origin));
  impl_->validated = false;
  return *this;
}

namespace {

bool is_valid_name(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
  }
  static const std::set<std::string> kReserved = {"and", "or", "not", "in", "true", "false"};
  return !kReserved.contains(name);
}

bool is_integral(double v) { return std::isfinite(v) && std::floor(v) == v; }

// Number of grid points of a stepped range, or 0 if `high - low` is not a multiple of `step`.
int64_t grid_points(double low, double high, double step) {
  double count = (high - low) / step;
  double rounded = std::round(count);
  if (std::abs(count - rounded) > 1e-9 * std::max(1.0, std::abs(count))) return 0;
  return static_cast<int64_t>(rounded) + 1;
}

void check_range(const ParamSpec& spec, const std::string& where) {
  if (!std::isfinite(spec.low) || !std::isfinite(spec.high)) {
    throw Error(where + ": low and high must be finite numbers");
  }
  if (spec.low >= spec.high) {
    throw Error(where + ": low (" + format_double(spec.low) + ") must be less than high (" +
                format_double(spec.high) + ")");
  }
  if (!std::isfinite(spec.high - spec.low)) {
    // Sampling computes low + u * (high - low), which would be infinite or NaN.
    throw Error(where + ": high - low is beyond the largest double; narrow the range or "
                        "sample it on a log scale");
  }
  if (spec.kind == ParamKind::kInt && (!is_integral(spec.low) || !is_integral(spec.high))) {
    throw Error(where + ": low and high of an int parameter must be integers");
  }
  // Int values are computed in doubles, which hold every integer only up to 2^53.
  constexpr double kExactIntegers = 9007199254740992.0;
  if (spec.kind == ParamKind::kInt &&
      (std::abs(spec.low) >= kExactIntegers || std::abs(spec.high) >= kExactIntegers)) {
    throw Error(where + ": low and high of an int parameter must lie strictly between -2^53 and "
                        "2^53, the integers a double holds exactly");
  }
  if (spec.log) {
    if (spec.low <= 0) {
      throw Error(where + ": low (" + format_double(spec.low) +
                  ") must be greater than 0 on a log scale");
    }
    if (spec.step) throw Error(where + ": step cannot be combined with a log scale");
  }
  if (spec.step) {
    double step = *spec.step;
    if (!(step > 0) || !std::isfinite(step)) {
      throw Error(where + ": step (" + format_double(step) + ") must be greater than 0");
    }
    if (spec.kind == ParamKind::kInt && !is_integral(step)) {
      throw Error(where + ": step of an int parameter must be an integer");
    }
    if (grid_points(spec.low, spec.high, step) == 0) {
      throw Error(where + ": high - low (" + format_double(spec.high - spec.low) +
                  ") must be a multiple of step (" + format_double(step) + ")");
    }
  }
}

void check_choices(const ParamSpec& spec, const std::string& where) {
  if (spec.choices.empty()) throw Error(where + ": choices must not be empty");
  for (size_t i = 0; i < spec.choices.size(); ++i) {
    if (auto* d = std::get_if<double>(&spec.choices[i]); d && !std::isfinite(*d)) {
      throw Error(where + ": choice " + to_string(spec.choices[i]) + " is not a finite number");
    }
    if (auto* text = std::get_if<std::string>(&spec.choices[i]);
        text && text->find('\0') != std::string::npos) {
      // A program's argument ends at the first NUL: it would run a different value.
      throw Error(where + ": choice " + std::to_string(i + 1) + " holds a NUL character");
    }
    for (size_t j = 0; j < i; ++j) {
      if (values_equal(spec.choices[i], spec.choices[j])) {
        throw Error(where + ": choice '" + to_string(spec.choices[i]) + "' appears twice");
      }
    }
  }
}

}  // namespace

void SearchSpace::validate() {
  Impl& impl = *impl_;
  if (impl.validated) return;
  impl.index.clear();
  if (impl.params.empty() && !impl.define_by_run) {
    throw Error("the search space has no parameters");
  }
  if (impl.define_by_run && !impl.forbidden.empty()) {
    throw Error(impl.where_forbidden(0) + ": a define-by-run space takes no forbidden clauses "
                "(the objective decides which parameters it asks for)");
  }

  // Each parameter on its own.
  for (size_t i = 0; i < impl.params.size(); ++i) {
    ParamSpec& spec = impl.params[i];
    std::string where = impl.where(spec);
    if (impl.define_by_run) {
      // Names come from code (suggest_float("layer 1/units", ...)), not from expressions.
      if (spec.name.empty()) throw Error(where + ": a name must not be empty");
      if (!spec.condition.empty()) {
        throw Error(where + ": a define-by-run space takes no conditions: a parameter is "
                            "active in the trials that ask for it");
      }
    } else if (!is_valid_name(spec.name)) {
      throw Error(where + ": a name must start with a letter or '_' and contain only letters, "
                          "digits, '_' and '.' (and not be a keyword such as 'and')");
    }
    if (!impl.index.emplace(spec.name, static_cast<int>(i)).second) {
      throw Error(where + ": defined twice");
    }
    if (spec.kind == ParamKind::kFloat || spec.kind == ParamKind::kInt) {
      check_range(spec, where);
    } else {
      check_choices(spec, where);
      if (spec.log || spec.step) throw Error(where + ": log and step apply to float and int only");
    }
  }

  // Conditions: parse, check parents, order parents before children.
  size_t n = impl.params.size();
  std::vector<std::shared_ptr<const Expression>> conditions(n);
  std::vector<std::vector<int>> parents(n);
  for (size_t i = 0; i < n; ++i) {
    const ParamSpec& spec = impl.params[i];
    if (spec.condition.empty()) continue;
    std::string where = impl.where(spec);
    try {
      conditions[i] = Expression::parse(spec.condition);
    } catch (const Error& e) {
      throw Error(where + ": condition: " + e.what());
    }
    std::vector<std::string> names;
    conditions[i]->collect_names(names);
    for (const std::string& parent : names) {
      auto it = impl.index.find(parent);
      if (it == impl.index.end()) {
        std::vector<std::string> known;
        for (const auto& p : impl.params) known.push_back(p.name);
        throw Error(where + ": condition '" + spec.condition + "' refers to unknown parameter '" +
                    parent + "'" + did_you_mean(parent, known));
      }
      if (it->second == static_cast<int>(i)) {
        throw Error(where + ": condition '" + spec.condition + "' refers to the parameter itself");
      }
      parents[i].push_back(it->second);
    }
  }
  // Depth-first topological sort; a grey node met again closes a cycle.
  std::vector<int> color(n, 0), order;
  std::vector<int> stack;
  std::function<void(int)> visit = [&](int v) {
    if (color[v] == 2) return;
    if (color[v] == 1) {
      auto start = std::find(stack.begin(), stack.end(), v);
      std::string cycle;
      for (auto it = start; it != stack.end(); ++it) cycle += impl.params[*it].name + " -> ";
      cycle += impl.params[v].name;
      throw Error(impl.where(impl.params[v]) + ": cyclic condition: " + cycle);
    }
    color[v] = 1;
    stack.push_back(v);
    for (int parent : parents[v]) visit(parent);
    stack.pop_back();
    color[v] = 2;
    order.push_back(v);
  };
  for (size_t i = 0; i < n; ++i) visit(static_cast<int>(i));

  std::vector<ParamSpec> sorted;
  impl.conditions.clear();
  for (int v : order) {
    sorted.push_back(impl.params[v]);
    impl.conditions.push_back(conditions[v]);
  }
  impl.params = std::move(sorted);
  impl.index.clear();
  for (size_t i = 0; i < n; ++i) impl.index.emplace(impl.params[i].name, static_cast<int>(i));

  // Ordinal parameters compare by position of their choices.
  const Impl* self = &impl;
  impl.ordering = [self](std::string_view name, const ParamValue& a,
                         const ParamValue& b) -> std::optional<int> {
    auto it = self->index.find(name);
    if (it != self->index.end() && self->params[it->second].kind == ParamKind::kOrdinal) {
      const auto& choices = self->params[it->second].choices;
      auto position = [&](const ParamValue& v) -> int {
        for (size_t k = 0; k < choices.size(); ++k) {
          if (values_equal(choices[k], v)) return static_cast<int>(k);
        }
        return -1;
      };
      int x = position(a), y = position(b);
      if (x >= 0 && y >= 0) return x < y ? -1 : (x > y ? 1 : 0);
    }
    return compare_values(a, b);
  };

  // Literals compared with a categorical parameter must be among its choices: a typo such as
  // optimizer == 'sdg' would otherwise silently disable a branch.
  auto check_literals = [&](const Expression& expression, const std::string& where) {
    std::vector<std::string> names;
    expression.collect_names(names);
    for (const std::string& name : names) {
      const ParamSpec& parent = impl.params[impl.index.at(name)];
      if (parent.kind != ParamKind::kCategorical && parent.kind != ParamKind::kOrdinal) continue;
      std::vector<ParamValue> literals;
      expression.collect_literals(name, literals);
      for (const ParamValue& literal : literals) {
        bool found = false;
        for (const ParamValue& choice : parent.choices) found = found || values_equal(choice, literal);
        if (!found) {
          std::vector<std::string> choices;
          for (const ParamValue& choice : parent.choices) choices.push_back(to_string(choice));
          throw Error(where + ": '" + to_string(literal) + "' is not a choice of '" + name + "'" +
                      did_you_mean(to_string(literal), choices));
        }
      }
    }
  };
  for (size_t i = 0; i < n; ++i) {
    if (impl.conditions[i]) check_literals(*impl.conditions[i], impl.where(impl.params[i]));
  }

  // Defaults must be members of their parameter.
  for (ParamSpec& spec : impl.params) {
    if (!spec.default_value) continue;
    try {
      spec.default_value = coerce_value(spec, *spec.default_value);
    } catch (const Error& e) {
      throw Error(impl.where(spec) + ": default: " + e.what());
    }
  }

  // Forbidden clauses.
  impl.forbidden_expressions.clear();
  for (size_t i = 0; i < impl.forbidden.size(); ++i) {
    std::shared_ptr<const Expression> expression;
    try {
      expression = Expression::parse(impl.forbidden[i]);
    } catch (const Error& e) {
      throw Error(impl.where_forbidden(i) + ": " + e.what());
    }
    std::vector<std::string> names;
    expression->collect_names(names);
    for (const std::string& name : names) {
      if (!impl.index.contains(name)) {
        std::vector<std::string> known;
        for (const auto& p : impl.params) known.push_back(p.name);
        throw Error(impl.where_forbidden(i) + ": unknown parameter '" + name + "'" +
                    did_you_mean(name, known));
      }
    }
    check_literals(*expression, impl.where_forbidden(i));
    impl.forbidden_expressions.push_back(expression);
  }
  impl.validated = true;

  // A clause (or the clauses together) that leaves no allowed configuration makes every sampler
  // loop forever; find it now. Discrete spaces are enumerated when small, others sampled.
  if (!impl.forbidden.empty()) {
    std::vector<size_t> always_forbidding(impl.forbidden.size(), 1);
    bool any_allowed = false;
    auto consider = [&](const Config& config) {
      bool forbidden = false;
      for (size_t k = 0; k < impl.forbidden_expressions.size(); ++k) {
        if (impl.forbidden_expressions[k]->evaluate(config, impl.ordering)) {
          forbidden = true;
        } else {
          always_forbidding[k] = 0;
        }
      }
      any_allowed = any_allowed || !forbidden;
    };
    std::mt19937_64 rng(12345);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::vector<double> x(n);
    consider(default_config());
    for (int sample = 0; sample < 20000 && !any_allowed; ++sample) {
      for (double& v : x) v = uniform(rng);
      consider(decode(x));
    }
    for (size_t k = 0; k < impl.forbidden.size(); ++k) {
      if (always_forbidding[k]) {
        impl.validated = false;
        throw Error(impl.where_forbidden(k) + ": forbids every configuration of the space");
      }
    }
    if (!any_allowed) {
      impl.validated = false;
      throw Error("the forbidden clauses together forbid every configuration of the space");
    }
  }
}

bool SearchSpace::validated() const { return impl_->validated; }
const std::vector<ParamSpec>& SearchSpace::params() const { return impl_->params; }
size_t SearchSpace::size() const { return impl_->params.size(); }
const std::vector<std::string>& SearchSpace::forbidden_clauses() const { return impl_->forbidden; }

const ParamSpec* SearchSpace::find(std::string_view name) const {
  int i = index_of(name);
  return i < 0 ? nullptr : &impl_->params[i];
}

int SearchSpace::index_of(std::string_view name) const {
  if (impl_->validated) {
    auto it = impl_->index.find(name);
    return it == impl_->index.end() ? -1 : it->second;
  }
  for (size_t i = 0; i < impl_->params.size(); ++i) {
    if (impl_->params[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

bool SearchSpace::has_conditions() const {
  for (const ParamSpec& spec : impl_->params) {
    if (!spec.condition.empty()) return true;
  }
  return false;
}

namespace {
void require_validated(const SearchSpace& space) {
  if (!space.validated()) throw Error("the search space must be validated before use");
}
}  // namespace

bool SearchSpace::is_active(std::string_view name, const Config& config) const {
  require_validated(*this);
  int i = index_of(name);
  if (i < 0) return false;
  return impl_->active(i, config);
}

bool SearchSpace::is_forbidden(const Config& config) const {
  require_validated(*this);
  for (const auto& expression : impl_->forbidden_expressions) {
    if (expression->evaluate(config, impl_->ordering)) return true;
  }
  return false;
}

void SearchSpace::check(const Config& config) const {
  require_validated(*this);
  const Impl& impl = *impl_;
  std::vector<std::string> known;
  for (const auto& p : impl.params) known.push_back(p.name);
  for (const auto& [name, value] : config) {
    if (!impl.index.contains(name)) {
      throw Error("unknown parameter '" + name + "'" + did_you_mean(name, known));
    }
  }
  for (size_t i = 0; i < impl.params.size(); ++i) {
    const ParamSpec& spec = impl.params[i];
    auto it = config.find(spec.name);
    bool active = impl.active(i, config);
    if (active && it == config.end()) {
      if (impl.define_by_run) continue;  // the objective did not ask for it
      throw Error("parameter '" + spec.name + "' is missing");
    }
    if (!active && it != config.end()) {
      throw Error("parameter '" + spec.name + "' is inactive here (condition: " + spec.condition +
                  ") but was given");
    }
    if (it == config.end()) continue;
    ParamValue coerced;
    try {
      coerced = coerce_value(spec, it->second);
    } catch (const Error& e) {
      throw Error("parameter '" + spec.name + "': " + e.what());
    }
    if (!values_equal(coerced, it->second) || coerced.index() != it->second.index()) {
      throw Error("parameter '" + spec.name + "': value " + to_string(it->second) +
                  " is not of its type (" + std::string(winnow::to_string(spec.kind)) + ")");
    }
  }
  for (size_t k = 0; k < impl.forbidden_expressions.size(); ++k) {
    if (impl.forbidden_expressions[k]->evaluate(config, impl.ordering)) {
      throw Error("the configuration is forbidden by clause '" + impl.forbidden[k] + "'");
    }
  }
}

ParamValue SearchSpace::coerce(std::string_view name, const ParamValue& value) const {
  const ParamSpec* spec = find(name);
  if (spec == nullptr) {
    std::vector<std::string> known;
    for (const auto& p : impl_->params) known.push_back(p.name);
    throw Error("unknown parameter '" + std::string(name) + "'" +
                did_you_mean(std::string(name), known));
  }
  try {
    return coerce_value(*spec, value);
  } catch (const Error& e) {
    throw Error("parameter '" + spec->name + "': " + e.what());
  }
}

UnitPoint SearchSpace::encode(const Config& config) const {
  require_validated(*this);
  UnitPoint point;
  point.x.assign(impl_->params.size(), 0.5);
  point.active.assign(impl_->params.size(), 0);
  for (size_t i = 0; i < impl_->params.size(); ++i) {
    auto it = config.find(impl_->params[i].name);
    if (it == config.end()) continue;
    point.x[i] = encode_unit(impl_->params[i], it->second);
    point.active[i] = 1;
  }
  return point;
}

Config SearchSpace::decode(std::span<const double> x) const {
  require_validated(*this);
  if (x.size() != impl_->params.size()) {
    throw Error("decode: expected " + std::to_string(impl_->params.size()) + " coordinates, got " +
                std::to_string(x.size()));
  }
  Config config;
  for (size_t i = 0; i < impl_->params.size(); ++i) {
    if (!impl_->active(i, config)) continue;
    config[impl_->params[i].name] = decode_unit(impl_->params[i], x[i]);
  }
  return config;
}

double SearchSpace::encode_value(size_t index, const ParamValue& value) const {
  return encode_unit(impl_->params.at(index), value);
}

ParamValue SearchSpace::decode_value(size_t index, double u) const {
  return decode_unit(impl_->params.at(index), u);
}

std::optional<uint64_t> SearchSpace::cardinality(size_t index) const {
  return param_cardinality(impl_->params.at(index));
}

Config SearchSpace::default_config() const {
  require_validated(*this);
  Config config;
  for (size_t i = 0; i < impl_->params.size(); ++i) {
    if (!impl_->active(i, config)) continue;
    const ParamSpec& spec = impl_->params[i];
    config[spec.name] = spec.default_value ? *spec.default_value : fallback_default(spec);
  }
  return config;
}

}  // namespace winnow
