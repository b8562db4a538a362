// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The dense feature matrix that models train on: float32, row-major, no missing values (the
// pipeline imputes them), as XGBoost's and libsvm's dense inputs expect.
#pragma once
#include <cstddef>
#include <span>
#include <vector>

namespace winnow::automl {

struct Matrix {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<float> data;  // rows * cols, row r at data[r * cols]

  Matrix() = default;
  Matrix(size_t r, size_t c) : rows(r), cols(c), data(r * c, 0.0f) {}
  float& at(size_t r, size_t c) { return data[r * cols + c]; }
  float at(size_t r, size_t c) const { return data[r * cols + c]; }
  std::span<const float> row(size_t r) const { return {data.data() + r * cols, cols}; }
  std::span<float> row(size_t r) { return {data.data() + r * cols, cols}; }
  // The rows listed in `indices`, in that order.
  Matrix select_rows(std::span<const size_t> indices) const;
};

}  // namespace winnow::automl
