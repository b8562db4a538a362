// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/parzen_estimator.h"

#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <iterator>
#include <numbers>
#include <numeric>

namespace winnow {
namespace {

constexpr double kLogSqrt2Pi = 0.91893853320467274178;  // log(sqrt(2 pi))
// Optuna's SIGMA0_MAGNITUDE of the multivariate bandwidth.
constexpr double kSigma0Magnitude = 0.2;
// Below this cell width (in units of the kernel's sigma) a cell's mass is computed by the
// midpoint rule: its relative error, about (w/sigma)^4 z^4 / 1920, stays below 1e-4 for z < 10.
constexpr double kMidpointWidth = 0.05;
constexpr uint32_t kPriorChoice = UINT32_MAX;  // the "choice" of the prior's categorical row

using ArrayMap = Eigen::Map<const Eigen::ArrayXd>;

// erfc(z) = t exp(S(v) - z^2), t = 2 / (2 + z), with S a Chebyshev series in v, the linear map
// of t from [2/7, 1] (z in [0, 5]) to [-1, 1]: one exp and a short polynomial, so it vectorises
// (glibc's scalar erfc made the truncation masses half the cost of a proposal). We fitted S at
// the 14 Chebyshev nodes to scipy.special.erfcx (numpy.polynomial.chebyshev.chebfit, degree
// 13): relative error below 6e-12 on [0, 5]. Beyond 5, where erfc < 1.6e-12, v is clamped: the
// result stays within a factor 1.4 of erfc there, which only kernels' negligible far tails see.
// (Numerical Recipes' erfccheb is the same construction over all of [0, inf).)
constexpr double kErfcSeries[] = {
    -0.47553125760258652,    0.47816661215374368,    0.0014183687303467672,
    -0.0041837271695833083,  5.5440477139807961e-05, 8.2067460343390535e-05,
    -6.1438013743208227e-06, -1.6834910627081831e-06, 3.1483499264775629e-07,
    1.8928888490382457e-08,  -1.1432028767371676e-08, 6.9222772287203031e-10,
    2.7442173427235201e-10,  -5.7333003734690187e-11};
constexpr int kErfcTerms = static_cast<int>(std::size(kErfcSeries));
constexpr double kErfcTMin = 2.0 / 7.0;  // t at z = 5

// Four doubles: the unit of the register-blocked loops below (two SSE2 packets; Eigen keeps
// fixed-size blocks in registers, where whole-array expressions would stream every
// intermediate through memory).
using Block = Eigen::Array<double, 4, 1>;
using BlockMap = Eigen::Map<const Block>;

// erfc(z) element-wise for z >= 0, vectorised over all kernels: Clenshaw's recurrence on the
// series above, four values at a time in registers.
Eigen::ArrayXd erfc_nonnegative(const Eigen::ArrayXd& z) {
  const Eigen::Index n = z.size(), padded = (n + 3) / 4 * 4;
  Eigen::ArrayXd t = 2.0 / (2.0 + z);
  Eigen::ArrayXd two_v = Eigen::ArrayXd::Zero(padded), series(padded);
  // 2v = 2 (2t - 1 - t_min) / (1 - t_min), clamped to [-2, 2].
  two_v.head(n) = ((4.0 * t - 2.0 - 2.0 * kErfcTMin) / (1.0 - kErfcTMin)).max(-2.0);
  for (Eigen::Index i = 0; i < padded; i += 4) {
    Block two_u = two_v.segment<4>(i), b1 = Block::Zero(), b2 = Block::Zero();
    for (int j = kErfcTerms - 1; j >= 1; --j) {
      Block b0 = kErfcSeries[j] + two_u * b1 - b2;
      b2 = b1;
      b1 = b0;
    }
    series.segment<4>(i) = kErfcSeries[0] + 0.5 * two_u * b1 - b2;
  }
  return t * (series.head(n) - z.square()).exp();
}

// P(Z > |z|) element-wise: the smaller tail of the standard normal at each z.
Eigen::ArrayXd gauss_tail(const Eigen::ArrayXd& z) {
  return 0.5 * erfc_nonnegative(z.abs() * (0.5 * std::numbers::sqrt2));
}

// Sorts (value in [0, 1], index) pairs by value, ties by index: a bucket sort, one bucket per
// pair on average, then each bucket on its own. The neighbour bandwidth sorts every coordinate
// of the bad set on every proposal, and at 1,000 observations a comparison sort of them cost a
// third of the proposal.
void sort_unit_pairs(std::vector<std::pair<double, uint32_t>>& items,
                     std::vector<std::pair<double, uint32_t>>& scratch) {
  const size_t n = items.size();
  if (n < 64) {
    std::sort(items.begin(), items.end());
    return;
  }
  const size_t buckets = std::bit_ceil(n);
  auto bucket_of = [&](double v) {
    return std::min(buckets - 1,
                    static_cast<size_t>(std::max(v, 0.0) * static_cast<double>(buckets)));
  };
  std::vector<uint32_t> start(buckets + 1, 0);
  for (const auto& item : items) ++start[bucket_of(item.first) + 1];
  for (size_t b = 0; b < buckets; ++b) start[b + 1] += start[b];
  scratch.resize(n);
  std::vector<uint32_t> next(start.begin(), start.end() - 1);
  for (const auto& item : items) scratch[next[bucket_of(item.first)]++] = item;
  for (size_t b = 0; b < buckets; ++b) {
    auto first = scratch.begin() + start[b], last = scratch.begin() + start[b + 1];
    if (last - first > 1) std::sort(first, last);
  }
  items.swap(scratch);
}

// Multiplies mass[k] by kernel k's mass in [0, 1], 1 - P(Z < -mu/sigma) - P(Z > (1-mu)/sigma).
// Tails beyond 8.3 sigma are below 5e-17 and leave 1 - tail == 1 in doubles, so only the others
// go through erfc: with narrow kernels, most kernels have no tail to compute at all.
void multiply_truncation_masses(std::span<const double> mu, std::span<const double> inv_sigma,
                                Eigen::ArrayXd& mass) {
  constexpr double kNegligible = 8.3;
  thread_local std::vector<double> z;
  thread_local std::vector<uint32_t> owner;
  z.clear();
  owner.clear();
  for (size_t k = 0; k < mu.size(); ++k) {
    double left = mu[k] * inv_sigma[k], right = (1.0 - mu[k]) * inv_sigma[k];
    if (left < kNegligible) {
      z.push_back(left);
      owner.push_back(static_cast<uint32_t>(k));
    }
    if (right < kNegligible) {
      z.push_back(right);
      owner.push_back(static_cast<uint32_t>(k));
    }
  }
  if (z.empty()) return;
  Eigen::ArrayXd tails =
      gauss_tail(Eigen::Map<const Eigen::ArrayXd>(z.data(), static_cast<Eigen::Index>(z.size())));
  thread_local std::vector<double> total;
  total.assign(mu.size(), 0.0);
  for (size_t i = 0; i < z.size(); ++i) total[owner[i]] += tails[static_cast<Eigen::Index>(i)];
  for (size_t k = 0; k < mu.size(); ++k) mass[static_cast<Eigen::Index>(k)] *= 1.0 - total[k];
}

}  // namespace

std::vector<double> default_weights(size_t n) {
  constexpr size_t kFlat = 25;
  std::vector<double> w(n, 1.0);
  if (n > kFlat) {
    size_t ramp = n - kFlat;  // np.linspace(1 / n, 1, ramp)
    double start = 1.0 / static_cast<double>(n);
    for (size_t i = 0; i < ramp; ++i) {
      w[i] = ramp == 1 ? start
                       : start + (1.0 - start) * static_cast<double>(i) /
                                     static_cast<double>(ramp - 1);
    }
  }
  return w;
}

ParzenDimension ParzenDimension::from_spec(const ParamSpec& spec) {
  ParzenDimension dim;
  if (spec.kind == ParamKind::kCategorical) {
    dim.kind = Kind::kCategorical;
    dim.cells = spec.choices.size();
  } else if (spec.kind == ParamKind::kOrdinal) {
    // Ordinals are ordered: a Gaussian on the choice index shares information between
    // neighbouring choices, which a categorical kernel would not.
    dim.kind = Kind::kDiscrete;
    dim.cells = spec.choices.size();
  } else if (spec.kind == ParamKind::kInt || spec.step) {
    dim.kind = Kind::kDiscrete;
    dim.step = spec.step.value_or(1.0);
    dim.low = spec.low;
    dim.cells = static_cast<uint64_t>(std::llround((spec.high - spec.low) / dim.step)) + 1;
    if (spec.log) {
      // As in space/encoding.cc: the range is widened by half a step before taking logs.
      dim.log_cells = true;
      dim.log_low = std::log(spec.low - 0.5 * dim.step);
      dim.log_high = std::log(spec.high + 0.5 * dim.step);
    }
  }
  return dim;
}

// Groups a discrete column's kernels into classes of equal (cell, sigma). Coarse grids then
// cost a handful of mass computations per cell instead of one per kernel; grids too fine to
// index get one class per kernel.
void ParzenEstimator::group_discrete_kernels(const ParzenDimension& dim, Column& col) {
  constexpr uint64_t kMaxIndexedCells = 1 << 16;
  const size_t kernels = col.mu.size();
  col.kernel_class.resize(kernels);
  col.class_mu.clear();
  col.class_inv_sigma.clear();
  col.class_log_sigma.clear();
  auto add_class = [&](size_t k) {
    col.class_mu.push_back(col.mu[k]);
    col.class_inv_sigma.push_back(1.0 / col.sigma[k]);
    col.class_log_sigma.push_back(std::log(col.sigma[k]));
    return static_cast<uint32_t>(col.class_mu.size() - 1);
  };
  if (dim.cells > kMaxIndexedCells) {
    for (size_t k = 0; k < kernels; ++k) col.kernel_class[k] = add_class(k);
  } else {
    // first[c]: the newest class of cell c (or none); previous[class]: the one before it.
    constexpr uint32_t kNone = UINT32_MAX;
    std::vector<uint32_t> first(dim.cells, kNone), previous;
    for (size_t k = 0; k < kernels; ++k) {
      uint64_t cell = dim.cell_of(col.mu[k]);
      uint32_t found = first[cell];
      while (found != kNone && !(col.class_mu[found] == col.mu[k] &&
                                 col.class_inv_sigma[found] == 1.0 / col.sigma[k])) {
        found = previous[found];
      }
      if (found == kNone) {
        found = add_class(k);
        previous.push_back(first[cell]);
        first[cell] = found;
      }
      col.kernel_class[k] = found;
    }
  }
  col.max_inv_sigma = *std::max_element(col.class_inv_sigma.begin(), col.class_inv_sigma.end());
}

ParzenEstimator::ParzenEstimator(std::span<const ParzenDimension> dims,
                                 std::span<const double> observations,
                                 std::span<const double> weights, const ParzenOptions& options) {
  fit(dims, observations, weights, options);
}

void ParzenEstimator::fit(std::span<const ParzenDimension> dims,
                          std::span<const double> observations, std::span<const double> weights,
                          const ParzenOptions& options) {
  dims_.assign(dims.begin(), dims.end());
  const size_t n = weights.size();
  const size_t d = dims_.size();
  assert(observations.size() == n * d);
  const size_t kernels = n + 1;  // the prior is the last kernel
  const size_t padded = (kernels + 3) / 4 * 4;

  // Mixture weights (Optuna: the weights function's values, then prior_weight, normalised).
  std::vector<double> w(weights.begin(), weights.end());
  w.push_back(n == 0 ? 1.0 : options.prior_weight);
  double total = std::accumulate(w.begin(), w.end(), 0.0);
  assert(total > 0.0);
  log_weight_.resize(kernels);
  weight_cdf_.resize(kernels);
  double running = 0.0;
  for (size_t k = 0; k < kernels; ++k) weight_cdf_[k] = running += w[k] / total;
  Eigen::Map<Eigen::ArrayXd>(log_weight_.data(), static_cast<Eigen::Index>(kernels)) =
      (ArrayMap(w.data(), static_cast<Eigen::Index>(kernels)) / total).log();
  base_.assign(log_weight_.begin(), log_weight_.end());

  // Bandwidth floor of the "magic clip" (Optuna: (high - low) / min(100, 1 + n_kernels)).
  const double min_sigma =
      std::max(options.min_bandwidth,
               std::pow(1.0 + static_cast<double>(kernels), -options.clip_exponent));
  const bool shared_sigma = options.bandwidth == ParzenOptions::Bandwidth::kScott;
  const double multivariate_sigma =
      kSigma0Magnitude *
      std::pow(static_cast<double>(std::max<size_t>(n, 1)), -1.0 / (static_cast<double>(d) + 4.0));

  columns_.resize(d);
  std::vector<std::pair<double, uint32_t>> sorted, scratch;
  std::vector<double> gaps;
  Eigen::ArrayXd truncation = Eigen::ArrayXd::Ones(static_cast<Eigen::Index>(kernels));
  int pending = 0;  // coordinates multiplied into `truncation` since its last log
  for (size_t j = 0; j < d; ++j) {
    const ParzenDimension& dim = dims_[j];
    Column& col = columns_[j];
    col.fine = false;
    if (dim.kind == ParzenDimension::Kind::kCategorical) {
      // Optuna: each observation's row is prior_weight / n_kernels on every choice plus 1 on its
      // own, normalised; the prior's row is uniform. Every observation row holds the same two
      // values, so log_miss goes into the base and log_pdf adds log_hit - log_miss to the
      // kernels that observed the point's choice (col.members, grouped by choice).
      const double c = static_cast<double>(dim.cells);
      const double spread = options.prior_weight / static_cast<double>(kernels);
      col.log_hit = std::log((spread + 1.0) / (spread * c + 1.0));
      col.log_miss = std::log(spread / (spread * c + 1.0));  // -inf when prior_weight = 0
      col.choice.resize(kernels);
      col.member_start.assign(dim.cells + 1, 0);
      for (size_t k = 0; k < n; ++k) {
        col.choice[k] = static_cast<uint32_t>(dim.cell_of(observations[k * d + j]));
        ++col.member_start[col.choice[k] + 1];
      }
      col.choice[n] = kPriorChoice;
      for (size_t i = 0; i < dim.cells; ++i) col.member_start[i + 1] += col.member_start[i];
      col.members.resize(n);
      std::vector<uint32_t> next(col.member_start.begin(), col.member_start.end() - 1);
      for (size_t k = 0; k < n; ++k) col.members[next[col.choice[k]]++] = static_cast<uint32_t>(k);
      for (size_t k = 0; k < n; ++k) base_[k] += std::isfinite(col.log_miss) ? col.log_miss : 0.0;
      base_[n] -= std::log(c);
      continue;
    }

    col.mu.resize(kernels);
    col.sigma.resize(kernels);
    for (size_t k = 0; k < n; ++k) col.mu[k] = std::clamp(observations[k * d + j], 0.0, 1.0);
    col.mu[n] = 0.5;
    if (shared_sigma) {
      std::fill(col.sigma.begin(), col.sigma.begin() + static_cast<ptrdiff_t>(n),
                multivariate_sigma);
    } else {
      // The neighbour rule: each kernel's sigma is the larger gap to its sorted neighbours (0 and
      // 1 act as neighbours); the prior mean takes part in the sort.
      sorted.resize(kernels);
      for (size_t k = 0; k < kernels; ++k) sorted[k] = {col.mu[k], static_cast<uint32_t>(k)};
      sort_unit_pairs(sorted, scratch);
      gaps.resize(kernels + 2);  // the sorted means between 0 and 1
      gaps[0] = 0.0;
      for (size_t i = 0; i < kernels; ++i) gaps[i + 1] = sorted[i].first;
      gaps[kernels + 1] = 1.0;
      for (size_t i = 0; i < kernels; ++i) {
        col.sigma[sorted[i].second] = std::max(gaps[i + 1] - gaps[i], gaps[i + 2] - gaps[i + 1]);
      }
      if (!options.consider_endpoints && kernels >= 2) {
        col.sigma[sorted[0].second] = gaps[2] - gaps[1];
        col.sigma[sorted[kernels - 1].second] = gaps[kernels] - gaps[kernels - 1];
      }
    }
    for (size_t k = 0; k < n; ++k) col.sigma[k] = std::clamp(col.sigma[k], min_sigma, 1.0);
    col.sigma[n] = 1.0;  // the prior: N(0.5, 1), never clipped

    const auto K = static_cast<Eigen::Index>(kernels);
    ArrayMap mu(col.mu.data(), K), sigma(col.sigma.data(), K);
    Eigen::Map<Eigen::ArrayXd> base(base_.data(), K);
    // Truncation to [0, 1]: divide by each kernel's mass there, one minus its two tails. Every
    // mean lies in [0, 1] and sigma <= 1, so the mass is at least Phi(0.5) - 0.5 > 0.19; the
    // masses are multiplied over coordinates and their log taken once per 64 (0.19^64 > 1e-47).
    const bool smooth = dim.kind == ParzenDimension::Kind::kContinuous ||
                        dim.max_cell_width() * (1.0 / sigma.minCoeff()) <= kMidpointWidth;
    if (smooth) {
      // Continuous, or discrete with every cell narrow next to every kernel: then log_pdf's
      // midpoint rule applies throughout and the column is handled like a continuous one plus
      // the rule's correction (which needs inv_sigma^2 / 24).
      col.fine = dim.kind == ParzenDimension::Kind::kDiscrete;
      col.inv_sigma.resize(kernels);
      col.scaled_mu.resize(kernels);
      Eigen::Map<Eigen::ArrayXd> inv_sigma(col.inv_sigma.data(), K);
      inv_sigma = sigma.inverse();
      Eigen::Map<Eigen::ArrayXd>(col.scaled_mu.data(), K) = mu * inv_sigma;
      if (col.fine) {
        col.inv_sigma_sq_24.resize(kernels);
        Eigen::Map<Eigen::ArrayXd>(col.inv_sigma_sq_24.data(), K) = inv_sigma.square() / 24.0;
      }
      multiply_truncation_masses(col.mu, col.inv_sigma, truncation);
      // Zero padding to whole blocks of four for log_pdf's register-blocked loop.
      col.inv_sigma.resize(padded, 0.0);
      col.scaled_mu.resize(padded, 0.0);
      if (col.fine) col.inv_sigma_sq_24.resize(padded, 0.0);
      if (!options.normalized && !col.fine) {
        for (size_t k = 0; k < kernels; ++k) base_[k] -= kLogSqrt2Pi;
      } else if (shared_sigma) {  // one bandwidth for every observation; the prior's is 1
        base.head(K - 1) -= std::log(col.sigma[0]) + kLogSqrt2Pi;
        base[K - 1] -= kLogSqrt2Pi;
      } else {
        // Most neighbour bandwidths sit at the clip's floor once observations are dense.
        const double log_floor = std::log(min_sigma);
        for (size_t k = 0; k < kernels; ++k) {
          base_[k] -=
              (col.sigma[k] == min_sigma ? log_floor : std::log(col.sigma[k])) + kLogSqrt2Pi;
        }
      }
    } else {
      // Discrete observations sit at cell centres, so kernels repeat: those with the same
      // (mu, sigma) form a class whose masses are computed once.
      group_discrete_kernels(dim, col);
      const auto C = static_cast<Eigen::Index>(col.class_mu.size());
      ArrayMap class_mu(col.class_mu.data(), C), class_inv_sigma(col.class_inv_sigma.data(), C);
      Eigen::ArrayXd class_mass = Eigen::ArrayXd::Ones(C);
      multiply_truncation_masses(col.class_mu, col.class_inv_sigma, class_mass);
      for (size_t k = 0; k < kernels; ++k) {
        truncation[static_cast<Eigen::Index>(k)] *= class_mass[col.kernel_class[k]];
      }
    }
    if (++pending == 64) {
      base -= truncation.log();
      truncation.setOnes();
      pending = 0;
    }
  }
  if (pending > 0) {
    Eigen::Map<Eigen::ArrayXd>(base_.data(), static_cast<Eigen::Index>(kernels)) -=
        truncation.log();
  }
  base_.resize(padded, 0.0);  // padding rows of log_pdf's blocks, never read back
}

void ParzenEstimator::sample(UnitStream& rng, size_t count, std::vector<double>& out,
                             double recombine) const {
  const size_t d = dims_.size();
  const size_t kernels = log_weight_.size();
  auto draw_kernel = [&] {
    double pick = rng.uniform() * weight_cdf_.back();
    size_t k = static_cast<size_t>(std::upper_bound(weight_cdf_.begin(), weight_cdf_.end(), pick) -
                                   weight_cdf_.begin());
    return std::min(k, kernels - 1);
  };
  for (size_t i = 0; i < count; ++i) {
    size_t k = draw_kernel();
    const bool mixed = static_cast<double>(i) >= static_cast<double>(count) * (1.0 - recombine);
    for (size_t j = 0; j < d; ++j) {
      if (mixed) k = draw_kernel();
      const ParzenDimension& dim = dims_[j];
      const Column& col = columns_[j];
      if (dim.kind == ParzenDimension::Kind::kCategorical) {
        const uint64_t c = dim.cells;
        const uint32_t own = col.choice[k];
        uint64_t choice;
        if (own != kPriorChoice && rng.uniform() < std::exp(col.log_hit)) {
          choice = own;
        } else if (own != kPriorChoice) {
          // Every other choice carries the same weight.
          choice = std::min<uint64_t>(
              c - 2, static_cast<uint64_t>(rng.uniform() * static_cast<double>(c - 1)));
          if (choice >= own) ++choice;
        } else {
          choice = std::min<uint64_t>(
              c - 1, static_cast<uint64_t>(rng.uniform() * static_cast<double>(c)));
        }
        out.push_back(dim.cell_center(choice));
        continue;
      }
      // Truncated Gaussian by rejection: the mean lies in [0, 1] and sigma <= 1, so at least
      // 19% of the draws are accepted.
      double value = col.mu[k];
      for (int attempt = 0; attempt < 1000; ++attempt) {
        double z = col.mu[k] + col.sigma[k] * rng.normal();
        if (z >= 0.0 && z <= 1.0) {
          value = z;
          break;
        }
      }
      if (dim.kind == ParzenDimension::Kind::kDiscrete) value = dim.cell_center(dim.cell_of(value));
      out.push_back(value);
    }
  }
}

std::vector<double> ParzenEstimator::log_pdf(std::span<const double> points) const {
  const size_t d = dims_.size();
  const size_t kernels = log_weight_.size();
  const size_t n_points = d == 0 ? 0 : points.size() / d;
  const auto K = static_cast<Eigen::Index>(kernels);
  // acc(k, p): log of kernel k's weight times its density at point p, built coordinate by
  // coordinate. Rows are padded to whole blocks of four (see fit; rows K and beyond are never
  // read), and the buffer is reused: a fresh one per call cost more in page faults than the
  // arithmetic at 1,000 kernels x 24 points.
  const auto rows = static_cast<Eigen::Index>(base_.size());
  thread_local std::vector<double> buffer;
  if (buffer.size() < base_.size() * n_points) buffer.resize(base_.size() * n_points);
  Eigen::Map<Eigen::ArrayXXd> acc(buffer.data(), rows, static_cast<Eigen::Index>(n_points));

  // Smooth coordinates first (continuous ones, and discrete ones whose cells are all narrow),
  // all at once per block of kernels:
  //   acc(k, p) = base(k) + sum_j [-z^2 / 2 + c],  z = x_pj / sigma_kj - mu_kj / sigma_kj,
  // where c is the midpoint rule's correction log(1 + y) ~ y - y^2/2 + y^3/3,
  // y = (w / sigma)^2 (z^2 - 1) / 24 (w: the cell's width, y < 0.01 within 10 sigma), and x the
  // cell's midpoint, for discrete coordinates; their log(w) is added to the result at the end.
  struct SmoothColumn {
    const double* inv_sigma;
    const double* scaled_mu;
    const double* inv_sigma_sq_24;  // null for continuous coordinates
  };
  std::vector<SmoothColumn> smooth;
  std::vector<size_t> smooth_index;
  for (size_t j = 0; j < d; ++j) {
    const Column& col = columns_[j];
    if (dims_[j].kind == ParzenDimension::Kind::kContinuous ||
        (dims_[j].kind == ParzenDimension::Kind::kDiscrete && col.fine)) {
      smooth.push_back({col.inv_sigma.data(), col.scaled_mu.data(),
                        col.fine ? col.inv_sigma_sq_24.data() : nullptr});
      smooth_index.push_back(j);
    }
  }
  const size_t n_smooth = smooth.size();
  std::vector<double> x_eval(n_points * n_smooth), width_sq(n_points * n_smooth, 0.0);
  std::vector<double> log_width(n_points, 0.0);
  for (size_t p = 0; p < n_points; ++p) {
    for (size_t c = 0; c < n_smooth; ++c) {
      const size_t j = smooth_index[c];
      double x = points[p * d + j];
      if (smooth[c].inv_sigma_sq_24 != nullptr) {
        auto [lo, hi] = dims_[j].cell_edges(dims_[j].cell_of(x));
        x = 0.5 * (lo + hi);
        width_sq[p * n_smooth + c] = (hi - lo) * (hi - lo);
        log_width[p] += std::log(hi - lo);
      }
      x_eval[p * n_smooth + c] = x;
    }
  }
  // Two points per pass, so each block of kernel parameters is loaded once for both.
  for (size_t p = 0; p < n_points; p += 2) {
    const size_t p2 = std::min(p + 1, n_points - 1);  // an odd last point pairs with itself
    const double* xa = x_eval.data() + p * n_smooth;  // (empty without smooth coordinates)
    const double* xb = x_eval.data() + p2 * n_smooth;
    const double* wa = width_sq.data() + p * n_smooth;
    const double* wb = width_sq.data() + p2 * n_smooth;
    double* out_a = &acc(0, static_cast<Eigen::Index>(p));
    double* out_b = &acc(0, static_cast<Eigen::Index>(p2));
    for (Eigen::Index k = 0; k < rows; k += 4) {
      Block qa = Block::Zero(), qb = Block::Zero();  // sum of z^2 / 2 - c
      for (size_t c = 0; c < n_smooth; ++c) {
        const SmoothColumn& col = smooth[c];
        Block inv_sigma = BlockMap(col.inv_sigma + k), scaled_mu = BlockMap(col.scaled_mu + k);
        Block za2 = (xa[c] * inv_sigma - scaled_mu).square();
        Block zb2 = (xb[c] * inv_sigma - scaled_mu).square();
        qa += 0.5 * za2;
        qb += 0.5 * zb2;
        if (col.inv_sigma_sq_24 != nullptr) {
          Block h = BlockMap(col.inv_sigma_sq_24 + k);
          Block ya = wa[c] * h * (za2 - 1.0), yb = wb[c] * h * (zb2 - 1.0);
          qa -= ya * (1.0 - ya * (0.5 - ya * (1.0 / 3.0)));
          qb -= yb * (1.0 - yb * (0.5 - yb * (1.0 / 3.0)));
        }
      }
      Block b = BlockMap(&base_[static_cast<size_t>(k)]);
      Eigen::Map<Block>(out_a + k) = b - qa;
      Eigen::Map<Block>(out_b + k) = b - qb;
    }
  }

  Eigen::ArrayXd term(K);
  std::vector<std::pair<uint64_t, size_t>> cells;  // (cell, point) for discrete coordinates
  for (size_t j = 0; j < d; ++j) {
    const ParzenDimension& dim = dims_[j];
    const Column& col = columns_[j];
    if (dim.kind == ParzenDimension::Kind::kContinuous || col.fine) continue;
    if (dim.kind == ParzenDimension::Kind::kCategorical) {
      const bool miss_in_base = std::isfinite(col.log_miss);
      for (size_t p = 0; p < n_points; ++p) {
        const uint64_t c = dim.cell_of(points[p * d + j]);
        double* out = &acc(0, static_cast<Eigen::Index>(p));
        if (miss_in_base) {
          for (uint32_t i = col.member_start[c]; i < col.member_start[c + 1]; ++i) {
            out[col.members[i]] += col.log_hit - col.log_miss;
          }
        } else {  // prior_weight = 0: an observation row has no mass off its own choice
          for (Eigen::Index k = 0; k + 1 < K; ++k) {
            out[k] += col.choice[k] == c ? col.log_hit : col.log_miss;
          }
        }
      }
      continue;
    }
    // Discrete: the mass of the point's cell, per class of equal kernels; points in the same cell
    // share the work.
    const auto C = static_cast<Eigen::Index>(col.class_mu.size());
    ArrayMap mu(col.class_mu.data(), C), inv_sigma(col.class_inv_sigma.data(), C),
        log_sigma(col.class_log_sigma.data(), C);
    cells.clear();
    for (size_t p = 0; p < n_points; ++p) cells.emplace_back(dim.cell_of(points[p * d + j]), p);
    std::sort(cells.begin(), cells.end());
    for (size_t first = 0; first < cells.size();) {
      uint64_t cell = cells[first].first;
      auto [lo, hi] = dim.cell_edges(cell);
      const double width = hi - lo;
      // Narrow cells: the midpoint rule with its second-order term,
      //   log(w/sigma * phi(z)) + log(1 + x),  x = (w/sigma)^2 (z^2 - 1) / 24,
      // the log by its series (x < 0.01 wherever the kernel is within 10 sigma).
      Eigen::ArrayXd z2 = ((0.5 * (lo + hi) - mu) * inv_sigma).square();
      Eigen::ArrayXd x = (width * inv_sigma).square() * (z2 - 1.0) * (1.0 / 24.0);
      Eigen::ArrayXd class_term =
          std::log(width) - log_sigma - kLogSqrt2Pi - 0.5 * z2 + x * (1.0 - x * (0.5 - x / 3.0));
      if (width * col.max_inv_sigma > kMidpointWidth) {
        // Wide cells: the exact mass from the tails at both edges, each where it is accurate.
        Eigen::ArrayXd z_lo = (lo - mu) * inv_sigma, z_hi = (hi - mu) * inv_sigma;
        Eigen::ArrayXd t_lo = gauss_tail(z_lo), t_hi = gauss_tail(z_hi);
        // Cells right of the mean, left of it, and around it.
        Eigen::ArrayXd mass = (z_lo >= 0.0).select(
            t_lo - t_hi, (z_hi <= 0.0).select(t_hi - t_lo, 1.0 - t_lo - t_hi));
        class_term = (width * inv_sigma > kMidpointWidth).select(mass.max(0.0).log(), class_term);
      }
      for (size_t k = 0; k < kernels; ++k) {
        term[static_cast<Eigen::Index>(k)] = class_term[col.kernel_class[k]];
      }
      size_t last = first;
      for (; last < cells.size() && cells[last].first == cell; ++last) {
        acc.col(static_cast<Eigen::Index>(cells[last].second)).head(K) += term;
      }
      first = last;
    }
  }

  // log-sum-exp over the kernels. Terms more than 40 below the largest add less than 5e-18 of it
  // each, so only the others go through exp (often a minority in many dimensions).
  std::vector<double> out(n_points);
  thread_local std::vector<double> kept;
  if (kept.size() < kernels) kept.resize(kernels);
  for (size_t p = 0; p < n_points; ++p) {
    const double* column = &acc(0, static_cast<Eigen::Index>(p));
    double top = acc.col(static_cast<Eigen::Index>(p)).head(K).maxCoeff();
    if (!std::isfinite(top)) {
      out[p] = top;
      continue;
    }
    Eigen::Index m = 0;
    for (Eigen::Index k = 0; k < K; ++k) {
      double v = column[k] - top;
      kept[static_cast<size_t>(m)] = v;
      m += v > -40.0;
    }
    out[p] = top + log_width[p] +
             std::log(Eigen::Map<const Eigen::ArrayXd>(kept.data(), m).exp().sum());
  }
  return out;
}

}  // namespace winnow
