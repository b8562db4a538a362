// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Exhaustive grid search. Discrete parameters contribute every value; a float contributes
// `resolution` evenly spaced points of its encoding (so log-scaled floats are spaced
// geometrically), `resolution.<name>=K` overriding it per parameter. Conditional parameters are
// expanded only where active and forbidden points are dropped. Points are visited in an order
// shuffled by the seed (as Optuna's GridSampler does) and a point already present in the study
// (running, finished or waiting) is skipped, so parallel workers and resumed studies do not
// repeat it. When every point has been tried the sampler is exhausted and the study ends.
#include <algorithm>
#include <random>
#include <set>

#include "common/param_json.h"
#include "samplers/registry.h"
#include "samplers/sampler_util.h"
#include "winnow/error.h"

namespace winnow {
namespace {

constexpr uint64_t kMaxGridPoints = 2'000'000;

std::string config_key(const Config& config) { return config_to_json(config).dump(); }

class GridSampler : public Sampler {
 public:
  GridSampler(uint64_t seed, int64_t resolution, std::map<std::string, std::string> per_param)
      : seed_(seed), resolution_(resolution), per_param_(std::move(per_param)) {}
  std::string_view name() const override { return "grid"; }

  std::optional<Config> sample(const SampleContext& context) override {
    if (!built_) build(context.space);
    // Only the trials added since the last ask are read: configurations never change, and the
    // history is in number order with new trials at its end.
    if (context.history.size() < scanned_) scanned_ = 0, seen_.clear();
    for (; scanned_ < context.history.size(); ++scanned_) {
      const FrozenTrial& trial = context.history[scanned_];
      if (trial.number < 0) break;  // not yet read: looked at on a later ask
      seen_.insert(config_key(trial.config));
    }
    // The cursor stays on the point proposed: if its trial is not created (the storage retried
    // the proposal's transaction), the point is still free when asked again (or, once created,
    // seen).
    for (; cursor_ < points_.size(); ++cursor_) {
      if (!seen_.contains(config_key(points_[cursor_]))) return points_[cursor_];
    }
    // Points skipped earlier because another worker had them may have failed since; the grid
    // is still exhausted: every point has been tried once.
    return std::nullopt;
  }

 private:
  void build(const SearchSpace& space) {
    const auto& params = space.params();
    for (const auto& [name, value] : per_param_) {
      if (space.find(name) == nullptr) {
        throw Error("sampler 'grid': resolution." + name + " names no parameter of the space");
      }
    }
    std::vector<std::vector<double>> axes(params.size());
    uint64_t total = 1;
    for (size_t i = 0; i < params.size(); ++i) {
      std::optional<uint64_t> cardinality = space.cardinality(i);
      uint64_t count = 0;
      if (cardinality) {
        count = *cardinality;
      } else {
        auto it = per_param_.find(params[i].name);
        int64_t r = resolution_;
        if (it != per_param_.end()) {
          r = std::atoll(it->second.c_str());
          if (r < 1) throw Error("sampler 'grid': resolution." + params[i].name + " must be >= 1");
        }
        count = static_cast<uint64_t>(r);
      }
      // Checked before the axis is filled: an axis of a billion values is itself the problem.
      if (count > kMaxGridPoints / total) {
        throw Error("sampler 'grid': the grid has more than " + std::to_string(kMaxGridPoints) +
                    " points; lower the resolution or use another sampler");
      }
      for (uint64_t k = 0; k < count; ++k) {
        if (cardinality) {
          axes[i].push_back((k + 0.5) / static_cast<double>(count));
        } else {
          axes[i].push_back(count == 1 ? 0.5 : k / static_cast<double>(count - 1));
        }
      }
      total *= count;
    }
    std::set<std::string> distinct;
    std::vector<size_t> digit(params.size(), 0);
    std::vector<double> x(params.size());
    for (uint64_t n = 0; n < total; ++n) {
      for (size_t i = 0; i < params.size(); ++i) x[i] = axes[i][digit[i]];
      Config config = space.decode(x);
      if (!space.is_forbidden(config) && distinct.insert(config_key(config)).second) {
        points_.push_back(std::move(config));
      }
      for (size_t i = 0; i < params.size(); ++i) {
        if (++digit[i] < axes[i].size()) break;
        digit[i] = 0;
      }
    }
    std::mt19937_64 rng(mix_seed(seed_, 0));
    std::shuffle(points_.begin(), points_.end(), rng);
    built_ = true;
  }

  uint64_t seed_;
  int64_t resolution_;
  std::map<std::string, std::string> per_param_;
  bool built_ = false;
  std::vector<Config> points_;
  size_t cursor_ = 0;
  std::set<std::string> seen_;
  size_t scanned_ = 0;
};

}  // namespace

std::unique_ptr<Sampler> create_grid_sampler(const SamplerOptions& options, uint64_t seed) {
  SamplerOptionReader reader("grid", options);
  int64_t resolution = reader.get_int("resolution", 10, 1);
  auto per_param = reader.get_prefixed("resolution.");
  reader.finish();
  return std::make_unique<GridSampler>(seed, resolution, std::move(per_param));
}

}  // namespace winnow
