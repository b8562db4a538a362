// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#include "automl/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/strings.h"
#include "winnow/error.h"

namespace winnow::automl {
namespace {

// AUC of `scores` for the rows where positive[i] against the others, by the rank-sum
// (Mann-Whitney) formula with average ranks for ties.
double binary_auc(const std::vector<float>& scores, const std::vector<uint8_t>& positive) {
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0;
  size_t n_pos = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    double average_rank = (static_cast<double>(i) + static_cast<double>(j - 1)) / 2.0 + 1.0;
    for (size_t k = i; k < j; ++k) {
      if (positive[order[k]]) {
        rank_sum += average_rank;
        ++n_pos;
      }
    }
    i = j;
  }
  size_t n_neg = n - n_pos;
  if (n_pos == 0 || n_neg == 0) return 0.5;
  return (rank_sum - static_cast<double>(n_pos) * (n_pos + 1) / 2.0) /
         (static_cast<double>(n_pos) * static_cast<double>(n_neg));
}

int argmax(std::span<const float> row) {
  return static_cast<int>(std::max_element(row.begin(), row.end()) - row.begin());
}

}  // namespace

std::string_view to_string(Metric metric) {
  switch (metric) {
    case Metric::kRocAuc: return "roc_auc";
    case Metric::kLogLoss: return "log_loss";
    case Metric::kAccuracy: return "accuracy";
    case Metric::kBalancedAccuracy: return "balanced_accuracy";
    case Metric::kF1: return "f1";
    case Metric::kRmse: return "rmse";
    case Metric::kMae: return "mae";
    case Metric::kR2: return "r2";
  }
  return "?";
}

std::vector<Metric> metrics_for(Task task) {
  switch (task) {
    case Task::kBinary:
      return {Metric::kRocAuc, Metric::kLogLoss, Metric::kAccuracy, Metric::kBalancedAccuracy,
              Metric::kF1};
    case Task::kMulticlass:
      return {Metric::kLogLoss, Metric::kRocAuc, Metric::kAccuracy, Metric::kBalancedAccuracy,
              Metric::kF1};
    case Task::kRegression:
      return {Metric::kRmse, Metric::kMae, Metric::kR2};
  }
  return {};
}

Metric default_metric(Task task) { return metrics_for(task).front(); }

Metric metric_from_string(std::string_view name, Task task) {
  std::vector<std::string> names;
  for (Metric metric : metrics_for(task)) {
    if (to_string(metric) == name) return metric;
    names.emplace_back(to_string(metric));
  }
  std::string lowered(name);
  if (lowered == "auc") return metric_from_string("roc_auc", task);
  if (lowered == "logloss") return metric_from_string("log_loss", task);
  throw Error("--metric " + std::string(name) + ": not a metric of a " +
              std::string(to_string(task)) + " task (choices: " + join(names, ", ") + ")" +
              did_you_mean(name, names));
}

bool greater_is_better(Metric metric) {
  return metric != Metric::kLogLoss && metric != Metric::kRmse && metric != Metric::kMae;
}

double score(Metric metric, const Target& target, std::span<const float> predictions) {
  const size_t n = target.size();
  const size_t k = target.n_outputs();
  if (predictions.size() != n * k) throw Error("metric: predictions and target differ in size");
  if (n == 0) return std::nan("");
  auto row = [&](size_t i) { return predictions.subspan(i * k, k); };
  switch (metric) {
    case Metric::kRocAuc: {
      if (k == 2) {
        std::vector<float> scores(n);
        std::vector<uint8_t> positive(n);
        for (size_t i = 0; i < n; ++i) {
          scores[i] = row(i)[1];
          positive[i] = target.labels[i] == 1;
        }
        return binary_auc(scores, positive);
      }
      double sum = 0;
      size_t classes = 0;
      for (size_t c = 0; c < k; ++c) {
        std::vector<float> scores(n);
        std::vector<uint8_t> positive(n);
        size_t n_pos = 0;
        for (size_t i = 0; i < n; ++i) {
          scores[i] = row(i)[c];
          positive[i] = target.labels[i] == static_cast<int32_t>(c);
          n_pos += positive[i];
        }
        if (n_pos == 0 || n_pos == n) continue;
        sum += binary_auc(scores, positive);
        ++classes;
      }
      return classes == 0 ? 0.5 : sum / classes;
    }
    case Metric::kLogLoss: {
      double total = 0;
      for (size_t i = 0; i < n; ++i) {
        auto r = row(i);
        double sum = std::accumulate(r.begin(), r.end(), 0.0);
        double p = r[target.labels[i]] / (sum > 0 ? sum : 1.0);
        total -= std::log(std::clamp(p, 1e-15, 1.0));
      }
      return total / n;
    }
    case Metric::kAccuracy: {
      size_t right = 0;
      for (size_t i = 0; i < n; ++i) right += argmax(row(i)) == target.labels[i];
      return static_cast<double>(right) / n;
    }
    case Metric::kBalancedAccuracy: {
      std::vector<double> right(k, 0.0), total(k, 0.0);
      for (size_t i = 0; i < n; ++i) {
        total[target.labels[i]] += 1;
        right[target.labels[i]] += argmax(row(i)) == target.labels[i];
      }
      double sum = 0;
      size_t present = 0;
      for (size_t c = 0; c < k; ++c) {
        if (total[c] > 0) {
          sum += right[c] / total[c];
          ++present;
        }
      }
      return present == 0 ? 0 : sum / present;
    }
    case Metric::kF1: {
      std::vector<double> tp(k, 0.0), fp(k, 0.0), fn(k, 0.0);
      for (size_t i = 0; i < n; ++i) {
        int predicted = argmax(row(i));
        int actual = target.labels[i];
        if (predicted == actual) {
          tp[actual] += 1;
        } else {
          fp[predicted] += 1;
          fn[actual] += 1;
        }
      }
      auto f1 = [&](size_t c) {
        double denominator = 2 * tp[c] + fp[c] + fn[c];
        return denominator > 0 ? 2 * tp[c] / denominator : 0.0;
      };
      if (k == 2) return f1(1);
      // scikit-learn averages over the classes that occur in the labels or the predictions.
      double sum = 0;
      size_t present = 0;
      for (size_t c = 0; c < k; ++c) {
        if (tp[c] + fp[c] + fn[c] == 0) continue;
        sum += f1(c);
        ++present;
      }
      return present == 0 ? 0 : sum / present;
    }
    case Metric::kRmse:
    case Metric::kMae:
    case Metric::kR2: {
      double se = 0, ae = 0, mean = 0;
      for (size_t i = 0; i < n; ++i) mean += target.values[i];
      mean /= n;
      double ss = 0;
      for (size_t i = 0; i < n; ++i) {
        double e = predictions[i] - target.values[i];
        se += e * e;
        ae += std::abs(e);
        ss += (target.values[i] - mean) * (target.values[i] - mean);
      }
      if (metric == Metric::kRmse) return std::sqrt(se / n);
      if (metric == Metric::kMae) return ae / n;
      return ss > 0 ? 1.0 - se / ss : 0.0;
    }
  }
  return std::nan("");
}

double loss(Metric metric, const Target& target, std::span<const float> predictions) {
  double value = score(metric, target, predictions);
  return greater_is_better(metric) ? 1.0 - value : value;
}

}  // namespace winnow::automl
