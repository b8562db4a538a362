// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// What the "rf" sampler (rf.cc) maximises: configurations encoded as rows of its forest, and
// the log expected improvement of the forest's prediction there, for a model of
// configurations or, averaged over instances, of runs (rf_runs.h).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "samplers/gaussian_process.h"
#include "samplers/rf_surrogate.h"
#include "winnow/space.h"

namespace winnow::rf {

// A point in the unit cube as the forest sees it: canonical coordinates (snapped, 0.5 where
// inactive, as encode() gives them) and which parameters are active.
struct Point {
  std::vector<double> x;
  std::vector<uint8_t> active;
  double value = 0.0;  // the acquisition there
};

// Unit points <-> rows of the forest.
class Encoder {
 public:
  explicit Encoder(const SearchSpace& space)
      : space_(space), inputs_(space), conditional_(space.has_conditions()) {
    for (size_t j = 0; j < space.size(); ++j) {
      bool categorical = inputs_.kind(j) == gp::DimensionKind::kCategorical;
      categories_.push_back(categorical ? static_cast<uint32_t>(inputs_.cells(j)) + 1 : 0);
    }
  }
  const gp::InputSpace& inputs() const { return inputs_; }
  const std::vector<uint32_t>& categories() const { return categories_; }

  Point from_config(const Config& config) const {
    UnitPoint unit = space_.encode(config);
    inputs_.snap(unit.x);
    return Point{std::move(unit.x), std::move(unit.active)};
  }
  // What encode(decode(x)) would give, without the round trip where no condition can change.
  Point canonical(std::vector<double> x) const {
    if (conditional_) return from_config(space_.decode(x));
    inputs_.snap(x);
    std::vector<uint8_t> active(x.size(), 1);
    return Point{std::move(x), std::move(active)};
  }
  void features(const Point& point, double* row) const {
    for (size_t j = 0; j < point.x.size(); ++j) {
      if (categories_[j] > 0) {
        row[j] = point.active[j] ? static_cast<double>(inputs_.cell_of(j, point.x[j]))
                                 : static_cast<double>(categories_[j] - 1);
      } else {
        row[j] = point.active[j] ? point.x[j] : -1.0;
      }
    }
  }

 private:
  const SearchSpace& space_;
  gp::InputSpace inputs_;
  bool conditional_;
  std::vector<uint32_t> categories_;
};

// log EI of a minimised target at a point with predictive mean and variance, against `best`.
// Plain: log(sigma h(z)). Log-normal (the model predicts log costs): EI of exp(f),
//   exp(best) Phi(a) - exp(mean + var / 2) Phi(a - sigma),  a = (best - mean) / sigma,
// rewritten as exp(best) phi(a) (R(a) - R(a - sigma)) with R = Phi / phi where it underflows.
double log_expected_improvement(double mean, double variance, double best, bool log_normal);

class Acquisition {
 public:
  // `instance_features`: empty for a model of configurations alone; otherwise the feature rows
  // (instance_width values each) of the instances a configuration's prediction is averaged
  // over, appended to its encoding.
  Acquisition(const RandomForestSurrogate& forest, const Encoder& encoder, double best,
              bool log_normal, std::span<const double> instance_features = {},
              size_t instance_width = 0)
      : forest_(forest), encoder_(encoder), best_(best), log_normal_(log_normal),
        width_(forest.n_features()) {
    const size_t d = width_ - instance_width;
    const size_t n = instance_width == 0 ? 1 : instance_features.size() / instance_width;
    rows_.assign(n * width_, 0.0);
    for (size_t r = 0; r < n && instance_width > 0; ++r) {
      std::copy_n(instance_features.begin() + static_cast<ptrdiff_t>(r * instance_width),
                  instance_width, rows_.begin() + static_cast<ptrdiff_t>(r * width_ + d));
    }
  }
  std::pair<double, double> predict(const Point& point) const {
    for (size_t offset = 0; offset < rows_.size(); offset += width_) {
      encoder_.features(point, &rows_[offset]);
    }
    return rows_.size() == width_ ? forest_.predict(rows_) : forest_.predict_marginal(rows_);
  }
  double operator()(const Point& point) const {
    auto [mean, variance] = predict(point);
    return log_expected_improvement(mean, variance, best_, log_normal_);
  }
  void set_best(double best) { best_ = best; }

 private:
  const RandomForestSurrogate& forest_;
  const Encoder& encoder_;
  double best_;
  bool log_normal_;
  size_t width_;
  mutable std::vector<double> rows_;
};

}  // namespace winnow::rf
