// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Preprocessing: from a table's feature columns to the dense matrix a model trains on.
//   numeric/boolean: impute (mean or median), a missing indicator where the training rows had
//                    missing cells;
//   categorical:     one-hot for at most `onehot_max_levels` levels (missing and unseen levels
//                    are all-zero rows), else ordinal, frequency or target encoding (target
//                    encoding is smoothed towards the prior and cross-fitted on the training rows
//                    so a model cannot learn the training labels through it);
//   then optional scaling (standard or robust) of the non-binary outputs, and optional
//   univariate feature selection (keeps the fraction of outputs most correlated with the
//   target). The choices are part of the AutoML search space (add_pipeline_params).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "automl/data/table.h"
#include "automl/matrix.h"
#include "automl/serial.h"
#include "automl/task.h"
#include "winnow/space.h"

namespace winnow::automl {

struct PipelineChoices {
  // "mean" or "median". Default: "median".
  std::string numeric_imputation = "median";
  // "none", "standard" (mean 0, sd 1) or "robust" (median 0, interquartile range 1).
  // Default: "none".
  std::string scaling = "none";
  // Categorical columns with at most this many levels are one-hot encoded. Default: 10.
  int64_t onehot_max_levels = 10;
  // Encoding of the other categorical columns: "ordinal", "frequency" or "target".
  // Default: "ordinal".
  std::string high_cardinality = "ordinal";
  // Fraction of the output features kept by univariate selection; 1 keeps all. Default: 1.
  double feature_fraction = 1.0;

  static PipelineChoices from_config(const Config& config);
};

// What the data offers the search, so that choices that cannot matter are not searched.
struct PipelineShape {
  bool has_missing_numeric = false;
  bool has_categorical = false;
  size_t max_levels = 0;  // largest number of levels of a categorical column
  size_t features = 0;
};
PipelineShape pipeline_shape(const Table& features);

// Adds the preprocessing parameters ("pre_..."): imputation and encodings always active (when
// the data has such columns), scaling active under `scaling_condition` (models that want
// scaled inputs; empty when none of the families searched does: no scaling parameter),
// feature selection always.
void add_pipeline_params(SearchSpace& space, const PipelineShape& shape,
                         const std::string& scaling_condition);

class Pipeline {
 public:
  // Fits on `rows` of `features` (target.size() == rows.size()) and returns those rows
  // transformed as a model should train on them (target encoding cross-fitted).
  Matrix fit_transform(const Table& features, std::span<const size_t> rows, const Target& target,
                       const PipelineChoices& choices);
  // Transforms `rows` of `features` (every row when `rows` is empty), laid out as the fitted
  // table was.
  Matrix transform(const Table& features, std::span<const size_t> rows = {}) const;
  size_t n_outputs() const { return selected_.size(); }

  void save(Writer& out) const;
  static Pipeline load(Reader& in);

 private:
  enum class Encoding : uint8_t { kNumber, kOneHot, kOrdinal, kFrequency, kTarget };
  struct ColumnPlan {
    uint32_t column = 0;
    Encoding encoding = Encoding::kNumber;
    double fill = 0;            // kNumber: imputed value
    bool indicator = false;     // kNumber: a missing-indicator output follows the value
    uint32_t width = 1;         // outputs before selection
    // kOneHot: output index per level (-1: none); kOrdinal: unused; kFrequency: value per
    // level; kTarget: width values per level.
    std::vector<float> per_level;
    std::vector<float> missing;  // width values for a missing or unseen level
  };

  void encode_row_block(const Table& features, std::span<const size_t> rows,
                        Matrix& full) const;
  std::vector<ColumnPlan> plans_;
  size_t full_width_ = 0;
  std::vector<float> center_;   // per full output
  std::vector<float> scale_;    // per full output
  std::vector<uint32_t> selected_;  // full outputs kept, in order
};

}  // namespace winnow::automl
