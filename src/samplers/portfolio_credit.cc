// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "samplers/portfolio_credit.h"

#include <algorithm>
#include <cmath>
#include <span>

#include "analysis/hypervolume.h"
#include "winnow/attributes.h"

namespace winnow {
namespace {

constexpr double kReference = 1.1;

// Adds `candidate` to `front` (positions; row i of `raw`, m values, is position i's point)
// unless a member is at least as good in every objective; drops the members it is at least as
// good as.
void add_to_front(std::vector<size_t>& front, size_t candidate, const std::vector<double>& raw,
                  size_t m) {
  auto at_least_as_good = [&](size_t a, size_t b) {
    for (size_t j = 0; j < m; ++j) {
      if (raw[a * m + j] > raw[b * m + j]) return false;
    }
    return true;
  };
  for (size_t member : front) {
    if (at_least_as_good(member, candidate)) return;
  }
  std::erase_if(front, [&](size_t member) { return at_least_as_good(candidate, member); });
  front.push_back(candidate);
}

}  // namespace

PortfolioCredits PortfolioCredit::measure(const SampleContext& context,
                                          const std::string& partner, size_t window) {
  const std::span<const FrozenTrial> history = context.history;
  const size_t m = context.directions.size();
  if (!reader_.next(history, positions_)) {
    kept_end_ = 0;
    kept_front_.clear();
  }
  // Each position's minimised values (row i of raw), valid when the trial is complete with m
  // numbers.
  std::vector<double> raw(history.size() * m);
  std::vector<char> valid(history.size(), 0);
  std::vector<double> low(m, INFINITY), high(m, -INFINITY);
  for (size_t i = 0; i < history.size(); ++i) {
    const FrozenTrial& t = history[i];
    if (t.number < 0 || t.state != TrialState::kComplete || t.values.size() != m) continue;
    if (std::any_of(t.values.begin(), t.values.end(), [](double v) { return std::isnan(v); })) {
      continue;
    }
    valid[i] = 1;
    for (size_t j = 0; j < m; ++j) {
      double v = context.directions[j] == Direction::kMaximize ? -t.values[j] : t.values[j];
      raw[i * m + j] = v;
      if (std::isfinite(v)) low[j] = std::min(low[j], v), high[j] = std::max(high[j], v);
    }
  }
  auto scaled = [&](size_t position) {
    std::vector<double> x(m);
    for (size_t j = 0; j < m; ++j) {
      double v = raw[position * m + j];
      x[j] = !std::isfinite(v) ? (v > 0 ? 1.0 : 0.0)
             : high[j] > low[j] ? (v - low[j]) / (high[j] - low[j])
                                : 0.0;
    }
    return x;
  };

  // The proposals to credit, newest first: up to `window` complete ones of each sampler.
  const std::string partner_attr = "\"" + partner + "\"", tpe_attr = "\"tpe\"";
  const std::string key(kSamplerAttr);
  PortfolioCredits credits;
  bool any_proposal = false, tpe_run_over = false;
  std::vector<std::pair<size_t, bool>> credited;  // (position, by the partner)
  for (size_t i = history.size(); i-- > 0;) {
    auto attr = history[i].user_attrs.find(key);
    if (attr == history[i].user_attrs.end()) continue;
    const bool by_partner = attr->second == partner_attr;
    if (!by_partner && attr->second != tpe_attr) continue;
    if (!any_proposal) credits.last_by_partner = by_partner;
    any_proposal = true;
    if (by_partner) tpe_run_over = true;
    if (!tpe_run_over) ++credits.tpe_run;
    size_t& counted = by_partner ? credits.partner_counted : credits.tpe_counted;
    if (!valid[i] || counted >= window) continue;
    ++counted;
    credited.push_back({i, by_partner});
    if (credits.partner_counted >= window && credits.tpe_counted >= window) break;
  }
  if (credited.empty()) return credits;

  // Extend the kept front over the finished trials before the oldest credited proposal.
  const size_t oldest = credited.back().first;
  for (; kept_end_ < oldest; ++kept_end_) {
    const FrozenTrial& t = history[kept_end_];
    if (t.number < 0 || !is_finished(t.state)) break;
    if (valid[kept_end_]) add_to_front(kept_front_, kept_end_, raw, m);
  }
  // Walk on to the newest credited proposal, crediting each against the front before it.
  std::vector<size_t> front = kept_front_;
  const std::vector<double> reference(m, kReference);
  auto next = credited.rbegin();
  for (size_t i = kept_end_; next != credited.rend(); ++i) {
    if (i == next->first) {
      std::vector<double> p = scaled(i);
      double box = 1.0;
      for (size_t j = 0; j < m; ++j) box *= kReference - p[j];
      // The part of p's box that the front already dominates: the front's points clipped to it.
      std::vector<double> clipped;
      for (size_t member : front) {
        std::vector<double> q = scaled(member);
        for (size_t j = 0; j < m; ++j) clipped.push_back(std::max(q[j], p[j]));
      }
      double added = box - (clipped.empty() ? 0.0 : exact_hypervolume(clipped, m, reference));
      (next->second ? credits.partner : credits.tpe) += std::max(added, 0.0);
      ++next;
    }
    if (valid[i]) add_to_front(front, i, raw, m);
  }
  if (credits.partner_counted > 0) credits.partner /= static_cast<double>(credits.partner_counted);
  if (credits.tpe_counted > 0) credits.tpe /= static_cast<double>(credits.tpe_counted);
  return credits;
}

}  // namespace winnow
