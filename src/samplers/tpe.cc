// Placeholder, replaced by the real sampler.
#include "samplers/registry.h"
#include "winnow/error.h"
namespace winnow {
std::unique_ptr<Sampler> create_tpe_sampler(const SamplerOptions&, uint64_t) {
  throw Error("sampler 'tpe' is not built yet");
}
}  // namespace winnow
