// Placeholder, replaced by the real sampler.
#include "samplers/registry.h"
#include "winnow/error.h"
namespace winnow {
std::unique_ptr<Sampler> create_gp_sampler(const SamplerOptions&, uint64_t) {
  throw Error("sampler 'gp' is not built yet");
}
}  // namespace winnow
