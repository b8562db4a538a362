// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "automl/pipeline/pipeline.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "automl/models/model.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

// Target encoding pulls a level with few rows towards the prior, as an m-estimate with this
// many pseudo-rows (Micci-Barreca 2001).
constexpr double kTargetSmoothing = 10.0;
// Training rows are split into this many parts to cross-fit target encoding.
constexpr size_t kCrossFitParts = 5;

double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  return values[mid];
}

double quantile_of(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  size_t k = std::min(values.size() - 1, static_cast<size_t>(q * (values.size() - 1)));
  std::nth_element(values.begin(), values.begin() + k, values.end());
  return values[k];
}

// Per-row target vector for encoding: 1 value (binary: the positive label; regression: the
// value), or one indicator per class.
size_t target_width(const Target& target) {
  return target.task == Task::kMulticlass ? target.class_names.size() : 1;
}

void add_target(const Target& target, size_t i, double* sums) {
  if (target.task == Task::kMulticlass) {
    sums[target.labels[i]] += 1;
  } else if (target.task == Task::kBinary) {
    sums[0] += target.labels[i] == 1;
  } else {
    sums[0] += target.values[i];
  }
}

}  // namespace

PipelineChoices PipelineChoices::from_config(const Config& config) {
  PipelineChoices c;
  c.numeric_imputation = param_string(config, "pre_impute", c.numeric_imputation);
  c.scaling = param_string(config, "pre_scaling", c.scaling);
  c.onehot_max_levels = param_int(config, "pre_onehot_max_levels", c.onehot_max_levels);
  c.high_cardinality = param_string(config, "pre_high_cardinality", c.high_cardinality);
  c.feature_fraction = param_float(config, "pre_feature_fraction", c.feature_fraction);
  return c;
}

PipelineShape pipeline_shape(const Table& features) {
  PipelineShape shape;
  shape.features = features.columns.size();
  for (const Column& column : features.columns) {
    if (column.type == ColumnType::kCategorical) {
      shape.has_categorical = true;
      shape.max_levels = std::max(shape.max_levels, column.levels.size());
    } else if (column.missing > 0) {
      shape.has_missing_numeric = true;
    }
  }
  return shape;
}

void add_pipeline_params(SearchSpace& space, const PipelineShape& shape,
                         const std::string& scaling_condition) {
  if (shape.has_missing_numeric) {
    space.add_categorical("pre_impute", {"median", "mean"}).default_value("median");
  }
  if (!scaling_condition.empty()) {
    space.add_categorical("pre_scaling", {"standard", "robust", "none"})
        .default_value("standard")
        .when(scaling_condition);
  }
  if (shape.has_categorical && shape.max_levels > 2) {
    space.add_int("pre_onehot_max_levels", 2, 64).log().default_value(int64_t{10});
    space.add_categorical("pre_high_cardinality", {"ordinal", "frequency", "target"})
        .default_value("target")
        .when("pre_onehot_max_levels < " + std::to_string(shape.max_levels));
  }
  if (shape.features > 1) {
    space.add_categorical("pre_feature_selection", {"none", "univariate"}).default_value("none");
    space.add_float("pre_feature_fraction", 0.1, 0.9)
        .default_value(0.5)
        .when("pre_feature_selection == 'univariate'");
  }
}

Matrix Pipeline::fit_transform(const Table& features, std::span<const size_t> rows,
                               const Target& target, const PipelineChoices& choices) {
  if (rows.size() != target.size()) throw Error("pipeline: rows and target differ in length");
  if (choices.scaling != "none" && choices.scaling != "standard" && choices.scaling != "robust") {
    throw Error("pipeline: unknown scaling '" + choices.scaling + "'");
  }
  const size_t n = rows.size();
  const size_t tw = target_width(target);
  std::vector<double> prior(tw, 0.0);
  for (size_t i = 0; i < n; ++i) add_target(target, i, prior.data());
  for (double& p : prior) p /= std::max<size_t>(n, 1);

  plans_.clear();
  std::vector<bool> binary_output;  // one-hot and indicator outputs are not scaled
  std::vector<uint32_t> target_columns;  // plan indices encoded by target
  for (uint32_t c = 0; c < features.columns.size(); ++c) {
    const Column& column = features.columns[c];
    ColumnPlan plan;
    plan.column = c;
    if (column.type != ColumnType::kCategorical) {
      std::vector<double> present;
      present.reserve(n);
      for (size_t r : rows) {
        double v = column.numbers[r];
        if (!std::isnan(v)) present.push_back(v);
      }
      plan.indicator = present.size() < n;
      if (choices.numeric_imputation == "mean") {
        plan.fill = present.empty() ? 0 : std::accumulate(present.begin(), present.end(), 0.0) /
                                              present.size();
      } else {
        plan.fill = median_of(std::move(present));
      }
      plan.width = plan.indicator ? 2 : 1;
      binary_output.push_back(column.type == ColumnType::kBoolean);
      if (plan.indicator) binary_output.push_back(true);
      plans_.push_back(std::move(plan));
      continue;
    }
    std::vector<double> counts(column.levels.size(), 0.0);
    size_t missing = 0;
    for (size_t r : rows) {
      int32_t code = column.codes[r];
      if (code < 0) {
        ++missing;
      } else {
        counts[code] += 1;
      }
    }
    size_t present_levels = 0;
    for (double count : counts) present_levels += count > 0;
    if (static_cast<int64_t>(present_levels) <= choices.onehot_max_levels) {
      plan.encoding = Encoding::kOneHot;
      plan.per_level.assign(counts.size(), -1.0f);
      uint32_t next = 0;
      for (size_t l = 0; l < counts.size(); ++l) {
        if (counts[l] > 0) plan.per_level[l] = static_cast<float>(next++);
      }
      plan.width = std::max<uint32_t>(next, 1);
      for (uint32_t k = 0; k < plan.width; ++k) binary_output.push_back(true);
    } else if (choices.high_cardinality == "frequency") {
      plan.encoding = Encoding::kFrequency;
      for (double count : counts) plan.per_level.push_back(static_cast<float>(count / n));
      plan.missing = {static_cast<float>(static_cast<double>(missing) / n)};
      binary_output.push_back(false);
    } else if (choices.high_cardinality == "target") {
      plan.encoding = Encoding::kTarget;
      plan.width = static_cast<uint32_t>(tw);
      std::vector<double> sums(counts.size() * tw, 0.0);
      for (size_t i = 0; i < n; ++i) {
        int32_t code = column.codes[rows[i]];
        if (code >= 0) add_target(target, i, &sums[code * tw]);
      }
      plan.per_level.resize(sums.size());
      for (size_t l = 0; l < counts.size(); ++l) {
        for (size_t j = 0; j < tw; ++j) {
          plan.per_level[l * tw + j] = static_cast<float>(
              (sums[l * tw + j] + kTargetSmoothing * prior[j]) / (counts[l] + kTargetSmoothing));
        }
      }
      for (double p : prior) plan.missing.push_back(static_cast<float>(p));
      for (size_t j = 0; j < tw; ++j) binary_output.push_back(false);
      target_columns.push_back(static_cast<uint32_t>(plans_.size()));
    } else if (choices.high_cardinality == "ordinal") {
      plan.encoding = Encoding::kOrdinal;
      binary_output.push_back(false);
    } else {
      throw Error("pipeline: unknown categorical encoding '" + choices.high_cardinality + "'");
    }
    plans_.push_back(std::move(plan));
  }
  full_width_ = binary_output.size();
  center_.assign(full_width_, 0.0f);
  scale_.assign(full_width_, 1.0f);
  selected_.resize(full_width_);
  std::iota(selected_.begin(), selected_.end(), 0u);

  Matrix full(n, full_width_);
  encode_row_block(features, rows, full);

  // Cross-fitting: each part's rows get the encoding learnt on the other parts.
  if (!target_columns.empty() && n >= 2 * kCrossFitParts) {
    for (uint32_t p : target_columns) {
      const ColumnPlan& plan = plans_[p];
      const Column& column = features.columns[plan.column];
      size_t offset = 0;
      for (uint32_t q = 0; q < p; ++q) offset += plans_[q].width;
      size_t levels = column.levels.size();
      std::vector<double> sums(kCrossFitParts * levels * tw, 0.0);
      std::vector<double> counts(kCrossFitParts * levels, 0.0);
      for (size_t i = 0; i < n; ++i) {
        int32_t code = column.codes[rows[i]];
        if (code < 0) continue;
        size_t part = i % kCrossFitParts;
        counts[part * levels + code] += 1;
        add_target(target, i, &sums[(part * levels + code) * tw]);
      }
      std::vector<double> total_sums(levels * tw, 0.0), total_counts(levels, 0.0);
      for (size_t part = 0; part < kCrossFitParts; ++part) {
        for (size_t l = 0; l < levels; ++l) {
          total_counts[l] += counts[part * levels + l];
          for (size_t j = 0; j < tw; ++j) total_sums[l * tw + j] += sums[(part * levels + l) * tw + j];
        }
      }
      for (size_t i = 0; i < n; ++i) {
        int32_t code = column.codes[rows[i]];
        if (code < 0) continue;
        size_t part = i % kCrossFitParts;
        double count = total_counts[code] - counts[part * levels + code];
        for (size_t j = 0; j < tw; ++j) {
          double sum = total_sums[code * tw + j] - sums[(part * levels + code) * tw + j];
          full.at(i, offset + j) =
              static_cast<float>((sum + kTargetSmoothing * prior[j]) / (count + kTargetSmoothing));
        }
      }
    }
  }

  if (choices.scaling != "none") {
    std::vector<double> values(n);
    for (size_t k = 0; k < full_width_; ++k) {
      if (binary_output[k]) continue;
      for (size_t i = 0; i < n; ++i) values[i] = full.at(i, k);
      double center, spread;
      if (choices.scaling == "standard") {
        double mean = std::accumulate(values.begin(), values.end(), 0.0) / std::max<size_t>(n, 1);
        double var = 0;
        for (double v : values) var += (v - mean) * (v - mean);
        center = mean;
        spread = std::sqrt(var / std::max<size_t>(n, 1));
      } else {
        center = quantile_of(values, 0.5);
        spread = quantile_of(values, 0.75) - quantile_of(values, 0.25);
      }
      center_[k] = static_cast<float>(center);
      scale_[k] = spread > 1e-12 ? static_cast<float>(1.0 / spread) : 1.0f;
      for (size_t i = 0; i < n; ++i) full.at(i, k) = (full.at(i, k) - center_[k]) * scale_[k];
    }
  }

  if (choices.feature_fraction < 1.0 && full_width_ > 1) {
    // Univariate selection by the largest absolute correlation with the target (one indicator
    // per class for multiclass tasks).
    std::vector<double> score(full_width_, 0.0);
    std::vector<double> y(n);
    for (size_t j = 0; j < tw; ++j) {
      for (size_t i = 0; i < n; ++i) {
        y[i] = target.task == Task::kMulticlass ? (target.labels[i] == static_cast<int32_t>(j))
               : target.task == Task::kBinary   ? target.labels[i]
                                                : target.values[i];
      }
      double ym = std::accumulate(y.begin(), y.end(), 0.0) / n;
      double yy = 0;
      for (double v : y) yy += (v - ym) * (v - ym);
      for (size_t k = 0; k < full_width_; ++k) {
        double xm = 0;
        for (size_t i = 0; i < n; ++i) xm += full.at(i, k);
        xm /= n;
        double xy = 0, xx = 0;
        for (size_t i = 0; i < n; ++i) {
          double dx = full.at(i, k) - xm;
          xy += dx * (y[i] - ym);
          xx += dx * dx;
        }
        if (xx > 0 && yy > 0) score[k] = std::max(score[k], std::abs(xy) / std::sqrt(xx * yy));
      }
    }
    size_t keep = std::max<size_t>(1, static_cast<size_t>(std::ceil(choices.feature_fraction *
                                                                      full_width_)));
    std::vector<uint32_t> order(full_width_);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return score[a] > score[b]; });
    order.resize(keep);
    std::sort(order.begin(), order.end());
    selected_ = order;
    Matrix out(n, keep);
    for (size_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < keep; ++k) out.at(i, k) = full.at(i, selected_[k]);
    }
    return out;
  }
  return full;
}

void Pipeline::encode_row_block(const Table& features, std::span<const size_t> rows,
                                Matrix& full) const {
  const size_t n = full.rows;
  auto row_of = [&](size_t i) { return rows.empty() ? i : rows[i]; };
  size_t offset = 0;
  for (const ColumnPlan& plan : plans_) {
    const Column& column = features.columns[plan.column];
    switch (plan.encoding) {
      case Encoding::kNumber:
        for (size_t i = 0; i < n; ++i) {
          double v = column.numbers[row_of(i)];
          bool missing = std::isnan(v);
          full.at(i, offset) = static_cast<float>(missing ? plan.fill : v);
          if (plan.indicator) full.at(i, offset + 1) = missing ? 1.0f : 0.0f;
        }
        break;
      case Encoding::kOneHot:
        for (size_t i = 0; i < n; ++i) {
          int32_t code = column.codes[row_of(i)];
          if (code >= 0 && static_cast<size_t>(code) < plan.per_level.size() &&
              plan.per_level[code] >= 0) {
            full.at(i, offset + static_cast<size_t>(plan.per_level[code])) = 1.0f;
          }
        }
        break;
      case Encoding::kOrdinal:
        for (size_t i = 0; i < n; ++i) {
          full.at(i, offset) = static_cast<float>(column.codes[row_of(i)] + 1);
        }
        break;
      case Encoding::kFrequency:
      case Encoding::kTarget:
        for (size_t i = 0; i < n; ++i) {
          int32_t code = column.codes[row_of(i)];
          bool known = code >= 0 && static_cast<size_t>(code + 1) * plan.width <= plan.per_level.size();
          for (size_t j = 0; j < plan.width; ++j) {
            full.at(i, offset + j) = known ? plan.per_level[code * plan.width + j] : plan.missing[j];
          }
        }
        break;
    }
    offset += plan.width;
  }
}

Matrix Pipeline::transform(const Table& features, std::span<const size_t> rows) const {
  const size_t n = rows.empty() ? features.rows : rows.size();
  for (const ColumnPlan& plan : plans_) {
    if (plan.column >= features.columns.size()) {
      throw Error("pipeline: the table has fewer columns than the model was trained with");
    }
  }
  Matrix full(n, full_width_);
  encode_row_block(features, rows, full);
  for (size_t k = 0; k < full_width_; ++k) {
    if (center_[k] == 0.0f && scale_[k] == 1.0f) continue;
    for (size_t i = 0; i < n; ++i) full.at(i, k) = (full.at(i, k) - center_[k]) * scale_[k];
  }
  if (selected_.size() == full_width_) return full;
  Matrix out(n, selected_.size());
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < selected_.size(); ++k) out.at(i, k) = full.at(i, selected_[k]);
  }
  return out;
}

void Pipeline::save(Writer& out) const {
  out.u64(plans_.size());
  for (const ColumnPlan& plan : plans_) {
    out.u32(plan.column);
    out.u8(static_cast<uint8_t>(plan.encoding));
    out.f64(plan.fill);
    out.u8(plan.indicator ? 1 : 0);
    out.u32(plan.width);
    out.floats(plan.per_level);
    out.floats(plan.missing);
  }
  out.u64(full_width_);
  out.floats(center_);
  out.floats(scale_);
  out.u64(selected_.size());
  for (uint32_t k : selected_) out.u32(k);
}

Pipeline Pipeline::load(Reader& in) {
  auto corrupt = [] { return Error("model file is truncated or corrupt"); };
  Pipeline p;
  uint64_t plans = in.count(1u << 24);
  size_t width_sum = 0;
  for (uint64_t i = 0; i < plans; ++i) {
    ColumnPlan plan;
    plan.column = in.u32();
    uint8_t encoding = in.u8();
    if (encoding > static_cast<uint8_t>(Encoding::kTarget)) throw corrupt();
    plan.encoding = static_cast<Encoding>(encoding);
    plan.fill = in.f64();
    plan.indicator = in.u8() != 0;
    plan.width = in.u32();
    plan.per_level = in.floats();
    plan.missing = in.floats();
    if ((plan.encoding == Encoding::kFrequency || plan.encoding == Encoding::kTarget) &&
        plan.missing.size() != plan.width) {
      throw corrupt();
    }
    // Each encoding writes exactly this many outputs.
    uint32_t expected = plan.encoding == Encoding::kNumber ? 1u + (plan.indicator ? 1u : 0u)
                        : plan.encoding == Encoding::kOneHot || plan.encoding == Encoding::kTarget
                            ? std::max<uint32_t>(plan.width, 1)
                            : 1u;
    if (plan.width != expected) throw corrupt();
    width_sum += plan.width;
    p.plans_.push_back(std::move(plan));
  }
  p.full_width_ = in.u64();
  p.center_ = in.floats();
  p.scale_ = in.floats();
  if (width_sum != p.full_width_ || p.center_.size() != p.full_width_ ||
      p.scale_.size() != p.full_width_) {
    throw corrupt();
  }
  uint64_t selected = in.count(p.full_width_);
  for (uint64_t i = 0; i < selected; ++i) {
    uint32_t k = in.u32();
    if (k >= p.full_width_) throw corrupt();
    p.selected_.push_back(k);
  }
  for (const ColumnPlan& plan : p.plans_) {
    if (plan.encoding == Encoding::kOneHot) {
      for (float position : plan.per_level) {
        if (position >= static_cast<float>(plan.width)) throw corrupt();
      }
    }
  }
  return p;
}

}  // namespace winnow::automl
