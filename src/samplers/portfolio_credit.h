// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The credit of a portfolio's samplers with several objectives (auto.cc): how much hypervolume
// the recent proposals of MOTPE and of one partner (the GP, NSGA-II) added. Each proposal whose
// trial is complete is credited with the volume its point added to the front of the complete
// trials before it in the history (objectives minimised and scaled to [0, 1] over the complete
// trials, reference 1.1 in each); the credit of a sampler is the mean over its last `window`
// credited proposals. Which sampler proposed a trial is its kSamplerAttr.
//
// Why a kept front: a portfolio may run for thousands of trials, and rebuilding the front of
// every trial before each credited proposal on every ask would cost O(n^2) per ask. The front
// of the trials before the first one still unfinished, and before the oldest credited proposal,
// never changes (finished trials never change), so it is kept between asks and extended; each
// ask walks only the trials after it. The front is kept in raw values: scaling is monotone, so
// dominance does not depend on it, and the volumes are measured with the ask's scaling.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "samplers/history_reader.h"
#include "winnow/sampler.h"

namespace winnow {

struct PortfolioCredits {
  double partner = 0.0;  // mean hypervolume added per credited proposal
  double tpe = 0.0;
  size_t partner_counted = 0;  // credited proposals, at most the window
  size_t tpe_counted = 0;
  bool last_by_partner = false;  // the latest proposal of either (running ones included)
  size_t tpe_run = 0;            // MOTPE's proposals in a row at the end
};

class PortfolioCredit {
 public:
  // `partner` is the partner's name as auto records it ("gp", "nsga2"); MOTPE's is "tpe".
  PortfolioCredits measure(const SampleContext& context, const std::string& partner,
                           size_t window);

 private:
  HistoryReader reader_;
  std::vector<size_t> positions_;
  size_t kept_end_ = 0;           // the kept front is that of the complete trials before it
  std::vector<size_t> kept_front_;  // their positions
};

}  // namespace winnow
