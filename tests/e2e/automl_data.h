// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Small CSV files with learnable rules for the AutoML end-to-end tests, so that scores say the
// models learnt.
#pragma once
#include <cstdint>
#include <random>
#include <sstream>
#include <string>

#include "e2e/e2e_util.h"

namespace winnow::e2e {

// Binary task: label = 1 when 2*x1 - x2 + (colour == red) > 0.5, with noise, a missing value in
// every 15th x2, an identifier column and a constant column the fit must drop.
inline std::string binary_csv(int rows, uint64_t seed, bool with_target = true) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  const char* colours[] = {"red", "green", "blue"};
  std::ostringstream out;
  out << "id,x1,x2,colour,constant" << (with_target ? ",label" : "") << "\n";
  for (int i = 0; i < rows; ++i) {
    double x1 = normal(rng), x2 = normal(rng);
    int c = static_cast<int>(rng() % 3);
    double margin = 2 * x1 - x2 + (c == 0 ? 1.0 : 0.0) + 0.3 * normal(rng);
    out << "row" << i << "," << x1 << ",";
    if (i % 15 != 7) out << x2;
    out << "," << colours[c] << ",7";
    if (with_target) out << "," << (margin > 0.5 ? "yes" : "no");
    out << "\n";
  }
  return out.str();
}

inline std::string regression_csv(int rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::ostringstream out;
  out << "a;b;c;y\n";
  for (int i = 0; i < rows; ++i) {
    double a = normal(rng), b = normal(rng), c = normal(rng);
    out << a << ";" << b << ";" << c << ";" << 3 * a - 2 * b + 0.1 * normal(rng) << "\n";
  }
  return out.str();
}

inline std::string multiclass_csv(int rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::ostringstream out;
  out << "u,v,species\n";
  for (int i = 0; i < rows; ++i) {
    int k = static_cast<int>(rng() % 3);
    out << k * 2.0 + 0.5 * normal(rng) << "," << normal(rng) << "," << "abc"[k] << "\n";
  }
  return out.str();
}

// The tests name files relative to their scratch folder, as a user in that folder would.
class ScratchCwd {
 public:
  ScratchCwd() : previous_(fs::current_path()) { fs::current_path(dir_.path()); }
  ~ScratchCwd() { fs::current_path(previous_); }
  const fs::path& path() const { return dir_.path(); }

 private:
  ScratchDir dir_;
  fs::path previous_;
};

}  // namespace winnow::e2e
