// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Pieces every sampler shares: reading spec options, seeding, forbidden-clause rejection.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "winnow/sampler.h"

namespace winnow {

// Reads a sampler's "key=value" options; finish() rejects keys nobody asked for, with a
// did-you-mean, so a typo in `tpe:startp=10` is an error rather than a silent default.
class SamplerOptionReader {
 public:
  // `kind` names the component in messages: "sampler 'tpe': option ...".
  SamplerOptionReader(std::string sampler, const std::map<std::string, std::string>& options,
                      std::string kind = "sampler")
      : sampler_(std::move(sampler)), kind_(std::move(kind)), options_(options) {}
  int64_t get_int(const std::string& key, int64_t fallback, int64_t min_value);
  double get_double(const std::string& key, double fallback);
  bool get_bool(const std::string& key, bool fallback);
  std::string get_string(const std::string& key, const std::string& fallback);
  // Keys starting with `prefix` (e.g. "resolution."), with the prefix removed.
  std::map<std::string, std::string> get_prefixed(const std::string& prefix);
  void finish() const;

 private:
  const std::string* find(const std::string& key);
  std::string sampler_;
  std::string kind_;
  const std::map<std::string, std::string>& options_;
  std::set<std::string> used_;
  std::set<std::string> known_;
};

// SplitMix64: a tiny, well-mixed hash used to derive independent per-trial seeds from
// (study seed, trial index), so a sequence does not depend on what ran before a resume.
uint64_t mix_seed(uint64_t seed, uint64_t index);

// Where a seeded sampler's draws for this proposal start in its stream: the trial number,
// mixed with SampleContext::stream_salt when the proposal is made ahead of the study's lock.
uint64_t stream_position(const SampleContext& context);

// Calls `draw` until it yields a configuration no forbidden clause rules out; throws
// winnow::Error after `max_tries` (validate() already proved that allowed configurations exist,
// so this means they are vanishingly rare).
Config draw_allowed(const SearchSpace& space, const std::function<Config(int attempt)>& draw,
                    int max_tries = 1000);

}  // namespace winnow
