// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Uniform random search over the unit-cube encoding: log-scaled parameters are uniform in log
// space, ints and choices uniform over their values, inactive parameters never drawn.

#include "samplers/registry.h"
#include "samplers/sampler_util.h"

namespace winnow {
namespace {

class RandomSampler : public Sampler {
 public:
  explicit RandomSampler(uint64_t seed) : seed_(seed) {}
  std::string_view name() const override { return "random"; }
  bool uses_history() const override { return false; }

  std::optional<Config> sample(const SampleContext& context) override {
    // A trial's configuration depends only on (seed, position), its position being its number
    // or, in a process another overtook, one that no number holds (SampleContext::trial_count),
    // so processes sharing a study (and a resumed one) never repeat a configuration. A
    // counter-based stream (SplitMix64 over (seed, position, k)): seeding a Mersenne Twister
    // per trial would cost more than the rest of an in-memory ask and tell together.
    uint64_t key = mix_seed(seed_, static_cast<uint64_t>(context.trial_count));
    uint64_t k = 0;
    std::vector<double> x(context.space.size());
    return draw_allowed(context.space, [&](int) {
      for (double& v : x) v = static_cast<double>(mix_seed(key, k++) >> 11) * 0x1.0p-53;
      return context.space.decode(x);
    });
  }

 private:
  uint64_t seed_;
};

}  // namespace

std::unique_ptr<Sampler> create_random_sampler(const std::map<std::string, std::string>& options,
                                               uint64_t seed) {
  SamplerOptionReader reader("random", options);
  reader.finish();
  return std::make_unique<RandomSampler>(seed);
}

}  // namespace winnow
