// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// Metrics for judging predictions, as the AutoML Benchmark and scikit-learn define them.
// Classification predictions are class probabilities (n_classes per row); labels come from the
// largest probability. ROC AUC of a multiclass task is the unweighted mean of one-vs-rest AUCs,
// F1 of a multiclass task is the macro average, F1 of a binary task is that of the second class.
#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "automl/task.h"

namespace winnow::automl {

enum class Metric { kRocAuc, kLogLoss, kAccuracy, kBalancedAccuracy, kF1, kRmse, kMae, kR2 };

std::string_view to_string(Metric metric);
// Throws winnow::Error naming the metrics that suit `task`.
Metric metric_from_string(std::string_view name, Task task);
// ROC AUC for binary, log-loss for multiclass, RMSE for regression (the AutoML Benchmark's).
Metric default_metric(Task task);
bool greater_is_better(Metric metric);
// The metrics reported by `evaluate` for a task, the default first.
std::vector<Metric> metrics_for(Task task);

// The metric's value over the rows of `target` (predictions: target.size() * n_outputs).
double score(Metric metric, const Target& target, std::span<const float> predictions);
// The same as a loss (smaller is better): the score, or 1 - score for metrics bounded by 1
// that grow with quality.
double loss(Metric metric, const Target& target, std::span<const float> predictions);

}  // namespace winnow::automl
