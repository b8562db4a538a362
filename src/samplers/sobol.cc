// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Scrambled Sobol sequence (quasi-random, low discrepancy). Direction numbers from Joe & Kuo
// (2008); scrambled with a random linear matrix scramble plus a digital shift (Matousek 1998,
// the scheme scipy.stats.qmc.Sobol uses), drawn from the seed, so every seed gives a different
// but equally well-spread sequence and point 0 is not the corner of the cube. The n-th trial
// uses point n, whichever process asks for it and after a resume. Dimensions beyond
// the table are filled with seeded uniform draws (documented in docs/samplers.md).
#include <array>
#include <bit>
#include <random>

#include "samplers/registry.h"
#include "samplers/sampler_util.h"
#include "winnow/error.h"

namespace winnow {
namespace {

#include "samplers/sobol_directions.inc"

constexpr int kBits = 32;
constexpr size_t kTableDimensions = sizeof(kSobolDirections) / sizeof(kSobolDirections[0]) + 1;

// Direction numbers of one dimension: v[b] holds digit j of the b-th direction number in
// bit (31 - j).
std::vector<uint32_t> direction_numbers(size_t dimension) {
  std::vector<uint32_t> v(kBits);
  if (dimension == 0) {
    for (int b = 0; b < kBits; ++b) v[b] = 1u << (kBits - 1 - b);
    return v;
  }
  const SobolDirectionRow& row = kSobolDirections[dimension - 1];
  int s = row.degree;
  for (int b = 0; b < kBits; ++b) {
    if (b < s) {
      v[b] = row.m[b] << (kBits - 1 - b);
    } else {
      uint32_t value = v[b - s] ^ (v[b - s] >> s);
      for (int k = 1; k < s; ++k) {
        if ((row.coefficients >> (s - 1 - k)) & 1u) value ^= v[b - k];
      }
      v[b] = value;
    }
  }
  return v;
}

class SobolSampler : public Sampler {
 public:
  SobolSampler(uint64_t seed, bool scramble) : seed_(seed), scramble_(scramble) {}
  std::string_view name() const override { return "sobol"; }
  bool uses_history() const override { return false; }

  std::optional<Config> sample(const SampleContext& context) override {
    if (directions_.empty()) build(context.space.size());
    // Trial n gets point n (however many were rejected before), whichever process asks; a
    // point a forbidden clause rules out is replaced by seeded uniform draws.
    uint64_t index = static_cast<uint64_t>(context.trial_count);
    return draw_allowed(context.space, [&](int attempt) {
      std::vector<double> x = point(index);
      if (attempt > 0) {
        std::mt19937_64 rng(mix_seed(seed_ ^ index, static_cast<uint64_t>(attempt)));
        std::uniform_real_distribution<double> uniform(0.0, 1.0);
        for (double& v : x) v = uniform(rng);
      }
      return context.space.decode(x);
    });
  }

 private:
  void build(size_t dimensions) {
    std::mt19937_64 rng(mix_seed(seed_, 0x50B01));
    for (size_t d = 0; d < std::min(dimensions, kTableDimensions); ++d) {
      std::vector<uint32_t> v = direction_numbers(d);
      uint32_t shift = 0;
      if (scramble_) {
        // Lower-triangular binary matrix with unit diagonal: digit i of the scrambled number is
        // digit i XOR a random combination of the more significant digits j < i.
        std::array<uint32_t, kBits> rows{};
        for (int i = 0; i < kBits; ++i) {
          uint32_t random_bits = static_cast<uint32_t>(rng());
          uint32_t above = i == 0 ? 0u : (~0u << (kBits - i));  // digits j < i
          rows[i] = (random_bits & above) | (1u << (kBits - 1 - i));
        }
        for (uint32_t& number : v) {
          uint32_t scrambled = 0;
          for (int i = 0; i < kBits; ++i) {
            if (std::popcount(rows[i] & number) & 1) scrambled |= 1u << (kBits - 1 - i);
          }
          number = scrambled;
        }
        shift = static_cast<uint32_t>(rng());
      }
      directions_.push_back(std::move(v));
      shifts_.push_back(shift);
    }
    dimensions_ = dimensions;
  }

  std::vector<double> point(uint64_t index) const {
    std::vector<double> x(dimensions_);
    for (size_t d = 0; d < directions_.size(); ++d) {
      uint32_t value = shifts_[d];
      for (int b = 0; b < kBits && (index >> b) != 0; ++b) {
        if ((index >> b) & 1u) value ^= directions_[d][b];
      }
      x[d] = (static_cast<double>(value) + 0.5) / 4294967296.0;
    }
    if (dimensions_ > directions_.size()) {
      std::mt19937_64 rng(mix_seed(seed_, index));
      std::uniform_real_distribution<double> uniform(0.0, 1.0);
      for (size_t d = directions_.size(); d < dimensions_; ++d) x[d] = uniform(rng);
    }
    return x;
  }

  uint64_t seed_;
  bool scramble_;
  size_t dimensions_ = 0;
  std::vector<std::vector<uint32_t>> directions_;
  std::vector<uint32_t> shifts_;
};

}  // namespace

std::unique_ptr<Sampler> create_sobol_sampler(const SamplerOptions& options, uint64_t seed) {
  SamplerOptionReader reader("sobol", options);
  bool scramble = reader.get_bool("scramble", true);
  reader.finish();
  return std::make_unique<SobolSampler>(seed, scramble);
}

}  // namespace winnow
