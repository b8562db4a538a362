// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/race_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace winnow {
namespace {

constexpr double kInitialDeviation = 0.5;  // irace: half the range
constexpr double kNearIdentical = 1e-4;    // irace's softRestartThreshold, as a share of range

void normalise(std::vector<double>& p) {
  const double sum = std::accumulate(p.begin(), p.end(), 0.0);
  if (sum > 0) {
    for (double& v : p) v /= sum;
  }
}

}  // namespace

RaceModel::RaceModel(const SearchSpace& space, int iterations)
    : space_(space), iterations_(std::max(1, iterations)), initial_(make_initial()) {}

RaceModel::Entry RaceModel::make_initial() const {
  Entry entry;
  entry.probabilities.resize(space_.size());
  entry.deviation.assign(space_.size(), kInitialDeviation);
  for (size_t q = 0; q < space_.size(); ++q) {
    const ParamSpec& spec = space_.params()[q];
    if (spec.kind == ParamKind::kCategorical) {
      entry.probabilities[q].assign(spec.choices.size(), 1.0 / spec.choices.size());
    }
  }
  return entry;
}

const RaceModel::Entry* RaceModel::entry_for(int64_t id) const {
  auto it = entries_.find(id);
  if (it != entries_.end()) return &it->second;
  auto parent = parent_.find(id);
  if (parent == parent_.end()) return nullptr;
  it = entries_.find(parent->second);
  return it == entries_.end() ? nullptr : &it->second;
}

void RaceModel::initialise(const std::vector<int64_t>& elites) {
  entries_.clear();
  for (int64_t id : elites) entries_[id] = initial_;
}

void RaceModel::update(int iteration, const std::vector<int64_t>& elites,
                       const ConfigOf& config_of, int64_t new_count) {
  // Past the planned iterations irace counts the current one as the last.
  const double planned = std::max(iterations_, iteration);
  const double add = (iteration - 1) / planned;
  const double keep = 1 - add;
  const double d = std::max<double>(1, static_cast<double>(space_.size()));
  const double shrink = std::pow(1.0 / std::max<double>(1, new_count), 1.0 / d);
  const double most = std::pow(0.2, 1.0 / d);
  std::map<int64_t, Entry> updated;
  for (int64_t id : elites) {
    const Entry* found = entry_for(id);
    Entry entry = found != nullptr ? *found : initial_;
    const Config* config = config_of(id);
    for (size_t q = 0; q < space_.size(); ++q) {
      const ParamSpec& spec = space_.params()[q];
      auto value = config != nullptr ? config->find(spec.name) : Config::const_iterator{};
      if (config == nullptr || value == config->end()) continue;  // inactive: left as it is
      if (spec.kind == ParamKind::kCategorical) {
        std::vector<double>& p = entry.probabilities[q];
        const auto index = std::min(
            p.size() - 1,
            static_cast<size_t>(space_.encode_value(q, value->second) * static_cast<double>(p.size())));
        for (double& v : p) v *= keep;
        p[index] += add;
        normalise(p);
        for (double& v : p) v = std::min(v, most);
        normalise(p);
      } else {
        entry.deviation[q] *= shrink;
      }
    }
    updated[id] = std::move(entry);
  }
  entries_ = std::move(updated);
}

void RaceModel::restart(const std::vector<int64_t>& ids, int64_t new_count) {
  const double d = std::max<double>(1, static_cast<double>(space_.size()));
  const double n = std::max<double>(1, new_count);
  const double widen = std::pow(n, 2.0 / d);
  const double second = kInitialDeviation * std::pow(1.0 / n, 1.0 / d);
  std::set<int64_t> owners;
  for (int64_t id : ids) {
    if (entries_.contains(id)) {
      owners.insert(id);
    } else if (auto parent = parent_.find(id); parent != parent_.end()) {
      if (entries_.contains(parent->second)) owners.insert(parent->second);
    }
  }
  for (int64_t id : owners) {
    Entry& entry = entries_[id];
    for (size_t q = 0; q < space_.size(); ++q) {
      if (space_.params()[q].kind == ParamKind::kCategorical) {
        std::vector<double>& p = entry.probabilities[q];
        const double top = *std::max_element(p.begin(), p.end());
        for (double& v : p) v = 0.9 * v + 0.1 * top;
        normalise(p);
      } else {
        entry.deviation[q] = std::min(entry.deviation[q] * widen, second);
      }
    }
  }
}

Config RaceModel::sample(int64_t parent, const Config* parent_config, std::mt19937_64& rng) const {
  std::uniform_real_distribution<double> uniform(0, 1);
  std::normal_distribution<double> normal(0, 1);
  const Entry* found = parent_config != nullptr ? entry_for(parent) : nullptr;
  const Entry& entry = found != nullptr ? *found : initial_;
  std::vector<double> x(space_.size());
  for (size_t q = 0; q < space_.size(); ++q) {
    const ParamSpec& spec = space_.params()[q];
    auto it = parent_config != nullptr ? parent_config->find(spec.name) : Config::const_iterator{};
    const bool inherited = parent_config != nullptr && it != parent_config->end();
    if (spec.kind == ParamKind::kCategorical) {
      // Drawn from the parent's probabilities even where the parent lacks the parameter.
      const std::vector<double>& p = entry.probabilities[q];
      double pick = uniform(rng);
      size_t index = 0;
      for (; index + 1 < p.size(); ++index) {
        pick -= p[index];
        if (pick < 0) break;
      }
      x[q] = (static_cast<double>(index) + 0.5) / static_cast<double>(p.size());
    } else if (!inherited) {
      x[q] = uniform(rng);
    } else {
      // A normal around the parent's value, truncated to the range.
      const double centre = space_.encode_value(q, it->second);
      double u = -1;
      for (int tries = 0; tries < 100 && (u < 0 || u > 1); ++tries) {
        u = centre + entry.deviation[q] * normal(rng);
      }
      x[q] = std::clamp(u, 0.0, 1.0);
    }
  }
  return space_.decode(x);
}

int64_t configurations_to_race(int64_t share, int iteration, int first_test, int each_test,
                               int64_t elites, int64_t seen) {
  const int64_t step = std::max(1, each_test);
  const int64_t to_first_test = first_test + step * std::min(5, iteration);
  const int64_t to_new_instance = (seen + step) / step * step;  // seen + 1, rounded up
  return (share + elites * seen) / std::max(to_first_test, to_new_instance);
}

std::vector<int64_t> near_identical(const SearchSpace& space,
                                    const std::vector<std::pair<int64_t, Config>>& configs) {
  std::vector<UnitPoint> points;
  for (const auto& [id, config] : configs) points.push_back(space.encode(config));
  std::set<int64_t> similar;
  for (size_t a = 0; a < points.size(); ++a) {
    for (size_t b = a + 1; b < points.size(); ++b) {
      bool near = true;
      for (size_t q = 0; q < space.size() && near; ++q) {
        if (points[a].active[q] != points[b].active[q]) {
          near = false;
        } else if (points[a].active[q]) {
          near = std::abs(points[a].x[q] - points[b].x[q]) <= kNearIdentical;
        }
      }
      if (near) {
        similar.insert(configs[a].first);
        similar.insert(configs[b].first);
      }
    }
  }
  return {similar.begin(), similar.end()};
}

}  // namespace winnow
