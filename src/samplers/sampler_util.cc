// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/sampler_util.h"

#include <charconv>
#include <cmath>

#include "common/strings.h"
#include "winnow/error.h"

namespace winnow {

const std::string* SamplerOptionReader::find(const std::string& key) {
  known_.insert(key);
  auto it = options_.find(key);
  if (it == options_.end()) return nullptr;
  used_.insert(key);
  return &it->second;
}

int64_t SamplerOptionReader::get_int(const std::string& key, int64_t fallback, int64_t min_value) {
  const std::string* text = find(key);
  if (text == nullptr) return fallback;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size() || value < min_value) {
    throw Error(kind_ + " '" + sampler_ + "': option " + key + " = '" + *text +
                "' must be an integer >= " + std::to_string(min_value));
  }
  return value;
}

double SamplerOptionReader::get_double(const std::string& key, double fallback) {
  const std::string* text = find(key);
  if (text == nullptr) return fallback;
  char* end = nullptr;
  double value = std::strtod(text->c_str(), &end);
  // NaN is no number to compare with: threshold:lower=nan once turned the bound off silently.
  if (text->empty() || end != text->c_str() + text->size() || std::isnan(value)) {
    throw Error(kind_ + " '" + sampler_ + "': option " + key + " = '" + *text +
                "' must be a number");
  }
  return value;
}

bool SamplerOptionReader::get_bool(const std::string& key, bool fallback) {
  const std::string* text = find(key);
  if (text == nullptr) return fallback;
  if (*text == "true" || *text == "1" || *text == "yes") return true;
  if (*text == "false" || *text == "0" || *text == "no") return false;
  throw Error(kind_ + " '" + sampler_ + "': option " + key + " = '" + *text +
              "' must be true or false");
}

std::string SamplerOptionReader::get_string(const std::string& key, const std::string& fallback) {
  const std::string* text = find(key);
  return text == nullptr ? fallback : *text;
}

std::map<std::string, std::string> SamplerOptionReader::get_prefixed(const std::string& prefix) {
  known_.insert(prefix + "<name>");
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : options_) {
    if (key.rfind(prefix, 0) == 0) {
      used_.insert(key);
      out[key.substr(prefix.size())] = value;
    }
  }
  return out;
}

void SamplerOptionReader::finish() const {
  std::vector<std::string> known(known_.begin(), known_.end());
  for (const auto& [key, value] : options_) {
    if (!used_.contains(key)) {
      throw Error(kind_ + " '" + sampler_ + "' has no option '" + key + "'" +
                  did_you_mean(key, known) +
                  (known.empty() ? " (it takes no options)" : "; its options: " + join(known, ", ")));
    }
  }
}

uint64_t mix_seed(uint64_t seed, uint64_t index) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t stream_position(const SampleContext& context) {
  const auto number = static_cast<uint64_t>(context.trial_count);
  return context.stream_salt == 0 ? number : mix_seed(context.stream_salt, number);
}

Config draw_allowed(const SearchSpace& space, const std::function<Config(int attempt)>& draw,
                    int max_tries) {
  for (int attempt = 0; attempt < max_tries; ++attempt) {
    Config config = draw(attempt);
    if (!space.is_forbidden(config)) return config;
  }
  throw Error("no configuration outside the forbidden clauses was found in " +
              std::to_string(max_tries) + " draws; the allowed part of the space is too small");
}

}  // namespace winnow
